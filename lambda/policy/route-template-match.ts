/**
 * Whether a route rule applies to a route API Gateway resolved: a method and a path template, from a
 * REST REQUEST event's `httpMethod` and `resource` (`GET` and `/reports/{name}`, `ANY` and
 * `/{proxy+}`) or from an HTTP API's `routeKey` (`GET /reports/{name}`, `$default`). The request's
 * own path never enters into it, so no spelling of the path (encoding, doubled or trailing slashes,
 * case tricks) can move a request out from under a rule: API Gateway has already chosen the route.
 *
 * A route template can receive many paths, and a rule covers many paths. The rule applies when some
 * request could be both: sent to this route and covered by the rule (the method sets meet, and the
 * two path patterns share at least one path). That is the only safe reading for catch-all routes:
 * `ANY /{proxy+}` and `$default` receive `/reports/x` whenever no more specific route exists, so a
 * rule on `GET /reports/*` applies to them too (and to every request they receive, since the
 * decision is the route's, not the path's). Likewise a rule on `/reports/annual` applies to a
 * `/reports/{name}` resource, which serves that path. docs/route-rules.md states this for operators.
 */
import { HTTP_VERBS, templateSegments, type RouteRule, type TemplateSegment } from "./route-rules";

/** An HTTP API's catch-all route key: every method, every path. */
export const DEFAULT_ROUTE_KEY = "$default";

/**
 * One position of a path pattern, over whole segments:
 * `literal` one given segment; `one` any one segment; `any` zero or more segments.
 */
type Step = { kind: "literal"; text: string } | { kind: "one" } | { kind: "any" };

/**
 * Whether `rule` applies to requests routed to `method` + `template`. `method` is a verb (any
 * casing) or `ANY`; `template` a resource or route path (`/`, `/reports/{name}`, `/{proxy+}`).
 * Neither side API Gateway would send fails closed: a method that is not one of the verbs rules
 * name is read as `ANY`, and a template that is not a path (no leading `/`, an empty segment) as
 * every path.
 */
export function ruleMatchesRouteTemplate(rule: RouteRule, method: string, template: string): boolean {
  if (!methodsMeet(rule.method, routeMethod(method))) return false;
  return patternsMeet(steps(templateSegments(rule.path)), steps(routeSegments(template)));
}

/**
 * The rules that apply to an HTTP API route key. A key that is not `$default` nor `METHOD /path`
 * (API Gateway sends no such key) is read as `$default`: every rule applies, failing closed.
 */
export function rulesForRouteKey(rules: readonly RouteRule[], routeKey: string | undefined): RouteRule[] {
  const route = parseRouteKey(routeKey);
  return rules.filter((rule) => ruleMatchesRouteTemplate(rule, route.method, route.template));
}

/** `GET /reports/{name}` → GET and the template; `$default` (or anything unreadable) → every method, every path. */
export function parseRouteKey(routeKey: string | undefined): { method: string; template: string } {
  const match = routeKey === undefined ? null : /^([A-Za-z]+) (\/\S*)$/.exec(routeKey);
  if (!match) return { method: "ANY", template: CATCH_ALL };
  return { method: match[1]!.toUpperCase(), template: match[2]! };
}

/** A template that matches every path, the root included (`$default` receives `/` too). */
const CATCH_ALL = "/*";

const VERBS = new Set<string>(HTTP_VERBS);

/** The route's verb, upper-cased; `ANY` (every verb) for anything else, such as `ANY` itself or a verb rules cannot name. */
function routeMethod(method: string): string {
  const verb = method.toUpperCase();
  return VERBS.has(verb) ? verb : "ANY";
}

function methodsMeet(ruleMethod: string, routeMethod: string): boolean {
  return ruleMethod === "ANY" || routeMethod === "ANY" || ruleMethod === routeMethod;
}

/**
 * A route template's segments. Route templates use `{name}` and `{name+}` as rules do; any other
 * segment in braces is read as a parameter too (never as a literal, which a rule could miss), and
 * the rest is literal text (HTTP API route paths allow characters rule literals do not). A trailing
 * slash is ignored, as API Gateway routes `/a/` as `/a`; a template with no leading `/` or with an
 * empty segment inside is no route API Gateway sends, and is read as every path.
 */
function routeSegments(template: string): TemplateSegment[] {
  if (template === CATCH_ALL || !template.startsWith("/")) return [{ kind: "wildcard" }];
  const trimmed = template.replace(/\/+$/, "");
  if (trimmed !== "" && trimmed.slice(1).split("/").includes("")) return [{ kind: "wildcard" }];
  return templateSegments(trimmed === "" ? "/" : trimmed).map((segment): TemplateSegment => {
    if (segment.kind !== "literal" || !segment.text.startsWith("{") || !segment.text.endsWith("}")) return segment;
    return segment.text.endsWith("+}") ? { kind: "greedy", name: segment.text } : { kind: "parameter", name: segment.text };
  });
}

/**
 * As whole-segment steps. A rule's `*` matches any characters, `/` included, possibly none: over
 * segments that is zero or more of them (a rule covering a few paths more, such as `/a//b`, only
 * makes it apply more widely, which fails closed).
 */
function steps(segments: readonly TemplateSegment[]): Step[] {
  return segments.flatMap((segment): Step[] => {
    switch (segment.kind) {
      case "literal":
        return [{ kind: "literal", text: segment.text }];
      case "parameter":
        return [{ kind: "one" }];
      case "greedy":
        return [{ kind: "one" }, { kind: "any" }];
      case "wildcard":
        return [{ kind: "any" }];
    }
  });
}

/**
 * Whether some segment sequence matches both patterns: a search over pairs of positions, each step
 * either letting an `any` match nothing or consuming one segment both sides accept. At most
 * (|a| + 1) × (|b| + 1) states, each visited once.
 */
function patternsMeet(a: readonly Step[], b: readonly Step[]): boolean {
  const seen = new Set<number>();
  const width = b.length + 1;
  const stack: [number, number][] = [[0, 0]];
  while (stack.length > 0) {
    const [i, j] = stack.pop()!;
    if (seen.has(i * width + j)) continue;
    seen.add(i * width + j);
    if (i === a.length && j === b.length) return true;
    const x = a[i];
    const y = b[j];
    if (x?.kind === "any") stack.push([i + 1, j]);
    if (y?.kind === "any") stack.push([i, j + 1]);
    if (x && y && segmentsMeet(x, y)) {
      const nextI = x.kind === "any" ? i : i + 1;
      const nextJ = y.kind === "any" ? j : j + 1;
      if (nextI !== i || nextJ !== j) stack.push([nextI, nextJ]);
    }
  }
  return false;
}

function segmentsMeet(x: Step, y: Step): boolean {
  return x.kind !== "literal" || y.kind !== "literal" || x.text === y.text;
}
