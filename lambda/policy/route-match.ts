/**
 * Whether a route rule names the route API Gateway resolved a request to: its method and resource
 * template (`GET` and `/reports/{name}`, from a REST REQUEST event's `httpMethod` and `resource`, or
 * from an HTTP API's `routeKey`). The comparison is between templates, never with the request's path,
 * so how a client spells the path (`/%66iles`, `//files`, `/files/`, `/Files`) cannot change it: only
 * where API Gateway routed the request does.
 */
import { HTTP_VERBS, templateSegments, type RouteRule, type TemplateSegment } from "./route-rules";

/** One segment of a resolved resource template: API Gateway's resources have no wildcards. */
type ResolvedSegment = { kind: "literal"; text: string } | { kind: "parameter" } | { kind: "greedy" };

const PARAMETER = /^\{[^{}/]+\}$/;
const GREEDY = /^\{[^{}/]+\+\}$/;
const VERBS = new Set<string>(HTTP_VERBS);

/**
 * True when `rule` names the resolved route `method` + `resource`.
 *
 * - Verb: the rule's, or any for `ANY`. A resolved method of `ANY` (an HTTP API route `ANY /x`
 *   whose request method is not known) is taken as every verb, and so does a verb API Gateway does
 *   not route: both fail closed. Pass the request's own verb where it is known.
 * - Path, segment by segment against the template: a literal names the identical literal resource
 *   segment (case-sensitively, as API Gateway routes); `{name}` names any one segment (a literal or
 *   `{other}`); `{name+}` one or more of any kind; `*` any run of segments, none included
 *   (`/admin/*` names `/admin`, which also serves `/admin/`). A `{proxy+}` in the template may hold
 *   any number of segments, so every rule whose rest has no literal names it.
 *
 * A literal never names a `{name}` or `{proxy+}` resource: a rule on `/reports/annual` is about the
 * resource `/reports/annual`, not about one value of `/reports/{name}`. Where an API serves that path
 * through a parameter, the policy's Deny of the literal method ARN still applies (see build-policy.ts).
 */
export function ruleNamesRoute(rule: RouteRule, method: string, resource: string): boolean {
  const verb = method.toUpperCase();
  if (rule.method !== "ANY" && verb !== "ANY" && VERBS.has(verb) && verb !== rule.method) return false;
  const resolved = resolvedSegments(resource);
  if (!resolved) return true; // not a template API Gateway would send: fail closed
  return segmentsMatch(templateSegments(rule.path), 0, resolved, 0);
}

/** The segments of a resolved template; undefined when it is not one (no leading `/`, an empty segment). */
function resolvedSegments(resource: string): ResolvedSegment[] | undefined {
  if (!resource.startsWith("/")) return undefined;
  if (resource === "/") return [];
  const parts = resource.slice(1).split("/");
  if (parts.some((part) => part === "")) return undefined;
  return parts.map((part): ResolvedSegment => (GREEDY.test(part) ? { kind: "greedy" } : PARAMETER.test(part) ? { kind: "parameter" } : { kind: "literal", text: part }));
}

function segmentsMatch(rule: readonly TemplateSegment[], r: number, route: readonly ResolvedSegment[], t: number): boolean {
  if (r === rule.length) return t === route.length;
  // A `{proxy+}` (always last) holds one or more segments of any value: whatever rest of the rule has
  // no literal may be inside it, so it is named (fail closed); a literal never names a parameter.
  if (route[t]?.kind === "greedy") return rule.slice(r).every((segment) => segment.kind !== "literal");
  const segment = rule[r]!;
  switch (segment.kind) {
    case "wildcard":
      for (let next = t; next <= route.length; next++) if (segmentsMatch(rule, r + 1, route, next)) return true;
      return false;
    case "greedy":
      // Last in a rule by construction: one or more segments of any kind.
      return t < route.length;
    case "parameter":
      return t < route.length && segmentsMatch(rule, r + 1, route, t + 1);
    case "literal": {
      const part = route[t];
      return part?.kind === "literal" && part.text === segment.text && segmentsMatch(rule, r + 1, route, t + 1);
    }
  }
}
