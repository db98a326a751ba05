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

/**
 * The local REST API's resources: `/`, `/{proxy+}`, the demo backend's, and one per route rule. A REST
 * API's resource has at most one variable child (`{name}` or `{name+}`): API Gateway refuses another
 * with "A sibling ({name}) of this resource already has a variable path part -- only one is allowed".
 * So a rule's resource that would be a second one is left out; the requests it would have received
 * reach the resource that is there (`/reports/{name}`, `/{proxy+}`), which the rule applies to as well.
 */
export function restApiResources(rules: readonly RouteRule[]): string[] {
  const resources: string[] = [...DEFAULT_RESOURCES, ...DEMO_ROUTES.map((route) => route.template)];
  for (const template of rules.map((rule) => routeTemplateForRule(rule.path))) {
    if (!resources.includes(template) && !resources.some((other) => secondVariableChild(template, other))) resources.push(template);
  }
  return resources;
}

/** Whether `template` has, under a parent it shares with `other`, a variable part other than the one `other` has there. */
function secondVariableChild(template: string, other: string): boolean {
  const parts = template.split("/");
  const otherParts = other.split("/");
  const variable = (part: string | undefined) => part !== undefined && part.startsWith("{");
  for (let i = 1; i < parts.length && i < otherParts.length; i++) {
    if (variable(parts[i]) && variable(otherParts[i]) && parts[i] !== otherParts[i]) return true;
    if (parts[i] !== otherParts[i]) return false;
  }
  return false;
}

/** The local HTTP API's routes: the demo backend's, one per route rule, and `$default` for everything else. */
export function httpApiRoutes(rules: readonly RouteRule[]): string[] {
  const demo = DEMO_ROUTES.map((route) => `${route.method} ${route.template}`);
  return [...new Set([...demo, ...rules.map((rule) => routeKeyForRule(rule.method, rule.path)), DEFAULT_ROUTE])];
}
