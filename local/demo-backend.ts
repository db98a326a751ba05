/**
 * The demo API behind the local gateway: a Lambda integration, so it receives the authorizer's
 * context exactly as a real backend would. Behind a REST API (a Lambda proxy integration, payload
 * 1.0) that is `requestContext.authorizer`, with every context value turned into a string; behind an
 * HTTP API (payload 2.0) it is `requestContext.authorizer.lambda`, as the authorizer returned it.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { HttpApiIntegrationEvent } from "./http-api-flavor";

/** A route of the demo backend, with the request the banner shows for it. */
export interface DemoRoute {
  method: "GET" | "POST";
  /** The path requested, which route rules are matched against. */
  path: string;
  /** Its template: the HTTP API's route (with the method) that serves it. */
  template: string;
  /** How the banner names the route. */
  shown: string;
  about: string;
}

/** The demo backend's own routes; any other request is echoed back with the authorizer context. */
export const DEMO_ROUTES: readonly DemoRoute[] = [
  { method: "GET", path: "/whoami", template: "/whoami", shown: "GET /whoami", about: "the authorizer context the backend received" },
  { method: "GET", path: "/reports/monthly", template: "/reports/{name}", shown: "GET /reports/<name>", about: "a report" },
  { method: "POST", path: "/orders", template: "/orders", shown: "POST /orders", about: "places an order" },
];

export function demoBackend(event: APIGatewayProxyEvent | HttpApiIntegrationEvent): APIGatewayProxyResult {
  const { method, path, authorizer, caller } = readRequest(event);
  const who = caller.user_id ?? caller.principalId ?? caller.org_code;
  if (method === "GET" && path === "/whoami") return json(200, authorizer);
  if (method === "GET" && path.startsWith("/reports/")) return json(200, { report: path.slice("/reports/".length), for: who });
  if (method === "POST" && path === "/orders") return json(201, { order: "accepted", by: who });
  return json(200, { route: `${method} ${path}`, authorizer });
}

/** The request and the authorizer's context, from either payload format. */
function readRequest(event: APIGatewayProxyEvent | HttpApiIntegrationEvent) {
  if ("version" in event && event.version === "2.0") {
    const v2 = event as HttpApiIntegrationEvent;
    return { method: v2.requestContext.http.method, path: v2.rawPath, authorizer: v2.requestContext.authorizer as unknown, caller: v2.requestContext.authorizer.lambda };
  }
  const v1 = event as APIGatewayProxyEvent;
  const authorizer: Record<string, unknown> = v1.requestContext.authorizer ?? {};
  return { method: v1.httpMethod, path: v1.path, authorizer: authorizer as unknown, caller: authorizer };
}

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { "content-type": "application/json" }, body: `${JSON.stringify(body)}\n` };
}
