/**
 * The routes `npm start`'s API has, in either mode: the demo backend's own, one per route rule, and a
 * catch-all. Route rules are decided on the route a request reaches, and a catch-all route needs every
 * rule's scopes (docs/route-rules.md), so the demo's open routes (`GET /whoami`) and each protected
 * path get routes of their own, as an operator's API would have them.
 */
import type { RouteRule } from "../lambda/policy/route-rules";
import { DEMO_ROUTES } from "./demo-backend";
import { DEFAULT_ROUTE } from "./http-api-flavor";
import { DEFAULT_RESOURCES } from "./rest-api-flavor";

/**
 * The resource or route path API Gateway can give a rule's path: a rule's `*` segment becomes a
 * parameter, a final one a greedy `{proxy+}`, since no resource or route can hold a wildcard.
 */
export function routeTemplateForRule(path: string): string {
  const segments = path === "/" ? [] : path.slice(1).split("/");
  const template = segments.map((segment, index) => (segment === "*" ? (index === segments.length - 1 ? "{proxy+}" : `{any${index}}`) : segment));
  return `/${template.join("/")}`;
}

/** The HTTP API route for a route rule: its method and {@link routeTemplateForRule}. */
export function routeKeyForRule(method: string, path: string): string {
  return `${method} ${routeTemplateForRule(path)}`;
}

/** The local REST API's resources: `/`, `/{proxy+}`, the demo backend's, and one per route rule. */
export function restApiResources(rules: readonly RouteRule[]): string[] {
  return [...new Set([...DEFAULT_RESOURCES, ...DEMO_ROUTES.map((route) => route.template), ...rules.map((rule) => routeTemplateForRule(rule.path))])];
}

/** The local HTTP API's routes: the demo backend's, one per route rule, and `$default` for everything else. */
export function httpApiRoutes(rules: readonly RouteRule[]): string[] {
  const demo = DEMO_ROUTES.map((route) => `${route.method} ${route.template}`);
  return [...new Set([...demo, ...rules.map((rule) => routeKeyForRule(rule.method, rule.path)), DEFAULT_ROUTE])];
}
