/**
 * Route rules (`ROUTE_SCOPES`): which scopes a key needs to call a route.
 * `{"GET /profile/*": "read:profile", "POST /orders": ["write:orders", "billing"]}` means
 * a key must hold every listed scope to call a matching route; routes without a rule stay open
 * to any authenticated key.
 */
/** `ROUTE_SCOPES` as written: `"METHOD /path"` to one scope or a list of them. */
export type RouteScopes = Record<string, string | string[]>;

export interface RouteRule {
  /** Upper-case HTTP verb, or `*` for any. */
  method: string;
  /** Resource path pattern starting with `/`; `*` matches any run of characters, `/` included. */
  path: string;
  scopes: string[];
}

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"]);
// Characters API Gateway allows in resource paths, plus `*` (wildcard) and `{}`/`+` (path parameters).
const PATH_PATTERN = /^\/[A-Za-z0-9._~!$&'()+,;=:@%*{}\/-]*$/;
const SCOPE_PATTERN = /^[\x21-\x7e]{1,128}$/;
const MAX_PATH_LENGTH = 400; // keeps the ARN under API Gateway's 512-character limit

export function parseRouteScopes(value: unknown): RouteRule[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error('must be a JSON object such as {"GET /profile/*": "read:profile"}');
  }
  return Object.entries(value).map(([route, scopes]) => parseRule(route, scopes));
}

function parseRule(route: string, scopes: unknown): RouteRule {
  const match = /^(\S+) (\S+)$/.exec(route);
  if (!match) throw new Error(`"${route}": a route is "METHOD /path", e.g. "GET /profile/*"`);
  const method = match[1]!.toUpperCase() === "ANY" ? "*" : match[1]!.toUpperCase();
  const path = match[2]!;
  if (!METHODS.has(method)) throw new Error(`"${route}": unknown method "${match[1]}"`);
  if (!PATH_PATTERN.test(path) || path.length > MAX_PATH_LENGTH) {
    throw new Error(`"${route}": the path must start with "/" and use URL path characters only`);
  }
  const list = typeof scopes === "string" ? [scopes] : scopes;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === "string" && SCOPE_PATTERN.test(s))) {
    throw new Error(`"${route}": the scope must be a non-empty string (or a list of them) without spaces`);
  }
  return { method, path, scopes: [...new Set(list as string[])] };
}
