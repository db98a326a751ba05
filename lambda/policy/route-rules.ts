/**
 * Route rules (`ROUTE_SCOPES`): which scopes a key needs to call a route.
 * `{"GET /reports/{name}": "read:reports", "POST /orders": ["write:orders", "billing"]}` means
 * a key must hold every listed scope to call a matching route; routes without a rule stay open
 * to any authenticated key. docs/route-rules.md describes the syntax and what each form covers.
 */
/** `ROUTE_SCOPES` as written: `"METHOD /path"` to one scope or a list of them. */
export type RouteScopes = Record<string, string | string[]>;

export interface RouteRule {
  /** Upper-case HTTP verb, or `ANY` for every verb. */
  method: string;
  /**
   * An API Gateway resource template starting with `/`: literal segments, `{name}` (one
   * segment), `{name+}` (one or more segments, last only), or `*` (any characters, `/` included).
   */
  path: string;
  scopes: string[];
}

/** The verbs API Gateway routes; `ANY` stands for all of them. */
export const HTTP_VERBS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"] as const;

/** One segment of a parsed template. */
export type TemplateSegment =
  | { kind: "literal"; text: string }
  /** `{name}`: exactly one non-empty segment. */
  | { kind: "parameter"; name: string }
  /** `{name+}`: one or more segments; only as the last segment. */
  | { kind: "greedy"; name: string }
  /** `*`: any run of characters, `/` included, possibly none (IAM's own wildcard). */
  | { kind: "wildcard" };

const METHODS = new Set<string>([...HTTP_VERBS, "ANY"]);
// The characters API Gateway allows in a resource's path part. A client has no reason to
// percent-encode them, and none is an IAM wildcard, so a literal reads the same in a method ARN.
const LITERAL = /^[A-Za-z0-9._-]+$/;
const PARAMETER = /^\{([A-Za-z0-9._-]+)(\+?)\}$/;
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
  const method = match[1]!.toUpperCase();
  const path = match[2]!;
  if (!METHODS.has(method)) throw new Error(`"${route}": unknown method "${match[1]}"`);
  if (!path.startsWith("/") || path.length > MAX_PATH_LENGTH) {
    throw new Error(`"${route}": the path must start with "/" and be at most ${MAX_PATH_LENGTH} characters`);
  }
  const problem = templateProblem(path);
  if (problem) throw new Error(`"${route}": ${problem}`);
  const list = typeof scopes === "string" ? [scopes] : scopes;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === "string" && SCOPE_PATTERN.test(s))) {
    throw new Error(`"${route}": the scope must be a non-empty string (or a list of them) without spaces`);
  }
  return { method, path, scopes: [...new Set(list as string[])] };
}

/** The segments of a template that {@link parseRouteScopes} accepted; `[]` for the root `/`. */
export function templateSegments(path: string): TemplateSegment[] {
  if (path === "/") return [];
  return path.slice(1).split("/").map((part): TemplateSegment => {
    if (part === "*") return { kind: "wildcard" };
    const parameter = PARAMETER.exec(part);
    if (parameter) return parameter[2] === "+" ? { kind: "greedy", name: parameter[1]! } : { kind: "parameter", name: parameter[1]! };
    return { kind: "literal", text: part };
  });
}

/** Why the policy cannot express this template safely, or undefined when it can. */
function templateProblem(path: string): string | undefined {
  if (path === "/") return undefined;
  const parts = path.slice(1).split("/");
  const names = new Set<string>();
  for (const [index, part] of parts.entries()) {
    const last = index === parts.length - 1;
    if (part === "") return last ? "a path must not end with \"/\" (API Gateway routes /a/ as /a; write /a)" : "a path must not contain an empty segment (\"//\")";
    if (part === "*") continue;
    const parameter = PARAMETER.exec(part);
    if (parameter) {
      if (parameter[2] === "+" && !last) return `the greedy parameter "${part}" must be the last segment`;
      if (names.has(parameter[1]!)) return `the parameter name "${parameter[1]}" appears twice`;
      names.add(parameter[1]!);
      continue;
    }
    if (part.startsWith("{") && part.endsWith("}")) return `"${part}" is not a parameter: write {name} or {name+}, the name using A-Z a-z 0-9 . _ -`;
    if (/[{}]/.test(part)) return `"${part}" mixes a {parameter} with other text; a parameter must be a whole segment`;
    if (/[*?]/.test(part)) return `"${part}": "*" must be a whole segment (IAM's wildcard), and "?" is not allowed`;
    if (part === "." || part === "..") return `"${part}" is not a resource name`;
    if (!LITERAL.test(part)) return `"${part}" may only use the characters API Gateway allows in a resource path: A-Z a-z 0-9 . _ -`;
  }
  return undefined;
}

/**
 * The IAM resource patterns, after `{stage}/`, that a Deny for this rule lists: one per verb
 * (`ANY` becomes every verb, never `*`, which in IAM would also match `/` and so deeper paths).
 * Every concrete path API Gateway routes to the template matches one of them; where IAM's `*`
 * cannot say "one segment", they cover more (see {@link extraPathsCovered}), never less.
 */
export function denyResources(rule: RouteRule): string[] {
  const verbs = rule.method === "ANY" ? HTTP_VERBS : [rule.method];
  const path = templateSegments(rule.path)
    .map((segment) => (segment.kind === "literal" ? segment.text : "*"))
    .join("/");
  // API Gateway routes `/a/` like `/a` (and `//` like `/`); whether its method ARN keeps the extra
  // slash is not documented, so both spellings are denied. A pattern ending in `*` already matches it.
  const spellings = path.endsWith("*") ? [path] : [path, `${path}/`];
  return verbs.flatMap((verb) => spellings.map((spelling) => `${verb}/${spelling}`));
}

/**
 * The concrete paths the rule's Deny covers beyond what API Gateway routes to its template, as
 * Markdown sentences that start with an example path in backticks: what an operator needs to
 * know because the rule fails closed.
 */
export function extraPathsCovered(rule: RouteRule): string[] {
  const segments = templateSegments(rule.path);
  // An example path with `value` at position `at`, and a sample value in every other parameter.
  const sample = (at: number, value: string) => `/${segments.map((s, i) => (i === at ? value : s.kind === "literal" ? s.text : "x")).join("/")}`;
  const extras: string[] = [];
  for (const [index, segment] of segments.entries()) {
    if (segment.kind === "parameter") {
      extras.push(`\`${sample(index, "a/b")}\`: \`{${segment.name}}\` becomes IAM's \`*\`, which also matches several segments`);
      extras.push(`\`${sample(index, "")}\`: an empty \`{${segment.name}}\` (\`*\` also matches nothing)`);
    } else if (segment.kind === "greedy") {
      extras.push(`\`${sample(index, "")}\`: an empty \`{${segment.name}+}\` (\`*\` also matches nothing)`);
    }
  }
  return extras;
}
