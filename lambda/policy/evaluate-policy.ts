import type { PolicyDocument } from "./build-policy";

export type PolicyOutcome = "allow" | "explicit-deny" | "no-match";

/**
 * Evaluates an execute-api policy for one method ARN the way IAM does: a matching Deny wins,
 * then a matching Allow; nothing matching means denied.
 */
export function evaluatePolicy(policy: PolicyDocument, methodArn: string): PolicyOutcome {
  let allowed = false;
  for (const statement of policy.Statement) {
    const actions = ([] as string[]).concat(statement.Action);
    if (!actions.some((action) => matchesWildcard(action.toLowerCase(), "execute-api:invoke"))) continue;
    const resources = ([] as string[]).concat(statement.Resource);
    if (!resources.some((resource) => matchesWildcard(resource, methodArn))) continue;
    if (statement.Effect === "Deny") return "explicit-deny";
    allowed = true;
  }
  return allowed ? "allow" : "no-match";
}

/**
 * IAM wildcards: in the pattern (the policy's resource), `*` matches any run of characters (`/`
 * included, possibly none) and `?` exactly one; every other pattern character matches itself,
 * case-sensitively. The value (the request's method ARN) is only ever data: a `*` or `?` in it is a
 * character like any other, never a wildcard, so the pattern's `*` is tried before a literal
 * comparison (`reports/*` must match `reports/*x` by its wildcard). Characters are code points, so `?`
 * matches one non-ASCII character even when JavaScript stores it as two UTF-16 units. Backtracking
 * only to the last `*` keeps the cost at most pattern length × value length.
 */
export function matchesWildcard(patternText: string, valueText: string): boolean {
  const pattern = Array.from(patternText);
  const value = Array.from(valueText);
  let p = 0;
  let v = 0;
  let starP = -1;
  let starV = 0;
  while (v < value.length) {
    if (p < pattern.length && pattern[p] === "*") {
      starP = p++;
      starV = v;
    } else if (p < pattern.length && (pattern[p] === "?" || pattern[p] === value[v])) {
      p++;
      v++;
    } else if (starP !== -1) {
      p = starP + 1;
      v = ++starV;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}
