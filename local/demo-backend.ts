/**
 * The demo API behind the local gateway: a Lambda proxy integration, so it receives the
 * authorizer's context exactly as a real backend would, as `requestContext.authorizer` with every
 * context value turned into a string.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";

/** A route of the demo backend, with the request the banner shows for it. */
export interface DemoRoute {
  method: "GET" | "POST";
  /** The path requested, which route rules are matched against. */
  path: string;
  /** How the banner names the route. */
  shown: string;
  about: string;
}

/** The demo backend's own routes; any other request is echoed back with the authorizer context. */
export const DEMO_ROUTES: readonly DemoRoute[] = [
  { method: "GET", path: "/whoami", shown: "GET /whoami", about: "the authorizer context the backend received" },
  { method: "GET", path: "/reports/monthly", shown: "GET /reports/<name>", about: "a report" },
  { method: "POST", path: "/orders", shown: "POST /orders", about: "places an order" },
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
