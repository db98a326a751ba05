/**
 * The demo API behind the local gateway: a Lambda proxy integration, so it receives the
 * authorizer's context exactly as a real backend would, as `requestContext.authorizer` with every
 * context value turned into a string.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";

export const DEMO_ROUTES = [
  "GET /whoami          the authorizer context the backend received",
  "GET /reports/<name>  needs the read:reports scope (a route rule in the demo settings)",
  "POST /orders         needs the write:orders scope",
  "anything else        echoed back with the authorizer context",
];

export function demoBackend(event: APIGatewayProxyEvent): APIGatewayProxyResult {
  const authorizer = event.requestContext.authorizer ?? {};
  const route = `${event.httpMethod} ${event.path}`;
  if (event.httpMethod === "GET" && event.path === "/whoami") return json(200, authorizer);
  if (event.httpMethod === "GET" && event.path.startsWith("/reports/")) {
    return json(200, { report: event.path.slice("/reports/".length), for: authorizer.user_id ?? authorizer.principalId });
  }
  if (event.httpMethod === "POST" && event.path === "/orders") {
    return json(201, { order: "accepted", by: authorizer.user_id ?? authorizer.principalId });
  }
  return json(200, { route, authorizer });
}

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { "content-type": "application/json" }, body: `${JSON.stringify(body)}\n` };
}
