/**
 * The identity sources of Keygate's authorizer on an HTTP API, in a module of their own (no Pulumi) so
 * that `npm start`'s local control plane describes the authorizer exactly as the component creates it.
 */

/** Where an HTTP API authorizer puts the key (API Gateway's `$request.` selection expression). */
export const HTTP_API_KEY_SOURCE = "$request.header.Authorization";
/** The route API Gateway matched, which route rules decide on: part of the cache key when there are rules. */
export const HTTP_API_ROUTE_SOURCE = "$context.routeKey";

/** With route rules, API Gateway's cached answer is kept per key and route; without, per key. */
export function httpApiIdentitySources(hasRouteRules: boolean): string[] {
  return hasRouteRules ? [HTTP_API_KEY_SOURCE, HTTP_API_ROUTE_SOURCE] : [HTTP_API_KEY_SOURCE];
}
