/**
 * Keygate's IAM evaluation (lambda/policy/evaluate-policy.ts), which decides the audit record and
 * `npm start`'s gateway, against an evaluator nobody here wrote: pbac (npm, MIT), whose `StringLike`
 * turns a policy's `*` into "any characters" and `?` into "one character" and reads the request's
 * value as plain data, which is what IAM does: "`*` represents any combination of zero or more
 * characters, and `?` represents any single character", in any part of a resource ARN (IAM User
 * Guide, "IAM JSON policy elements: Resource"; API Gateway's own guide, "Control access to an API
 * with IAM permissions", says the same of execute-api ARNs).
 *
 * Where pbac is not IAM, the generators stay out: a line break (its regular expression's `.` stops
 * there; API Gateway sends no such method ARN), `${…}` (pbac reads policy variables), and characters
 * outside the Basic Multilingual Plane under a `?` (pbac counts UTF-16 units, IAM characters).
 */
import fc from "fast-check";
import PBAC from "pbac";
import { describe, expect, it } from "vitest";
import { createAuthorizer } from "../../lambda/authorizer";
import type { AuditRecord } from "../../lambda/audit/audit-log";
import { buildPolicy, type PolicyDocument } from "../../lambda/policy/build-policy";
import { evaluatePolicy, matchesWildcard } from "../../lambda/policy/evaluate-policy";
import { parseMethodArn } from "../../lambda/policy/method-arn";
import { HTTP_VERBS, parseRouteScopes } from "../../lambda/policy/route-rules";
import { requestEvent } from "../support/aws-events";

const ACTION = "execute-api:Invoke";
const STAGE = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod";
const TARGET = parseMethodArn(`${STAGE}/GET/`)!;
const RUNS = 2_000;

/**
 * Whether IAM, as pbac evaluates it, allows `arn` under `policy`. IAM takes a string or a list for
 * `Action` and `Resource`; pbac's schema only lists, so each is given as a list.
 */
function iamAllows(policy: PolicyDocument, arn: string): boolean {
  const statements = policy.Statement.map((s) => ({ ...s, Action: ([] as string[]).concat(s.Action), Resource: ([] as string[]).concat(s.Resource) }));
  return new PBAC({ Version: policy.Version, Statement: statements }).evaluate({ action: ACTION, resource: arn });
}

/** Whether the pattern matches the value, by pbac: a policy of one Allow for it. */
function iamMatches(pattern: string, value: string): boolean {
  return iamAllows({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ACTION, Resource: [pattern] }] }, value);
}

const PATTERN_CHARS = ["a", "b", "/", "*", "?", "%", "2", "A", "é", "日", "-", "."];
// Never empty: IAM has no empty resource, and pbac takes a matching "" for no match (it is falsy).
const pattern = fc.string({ unit: fc.constantFrom(...PATTERN_CHARS), minLength: 1, maxLength: 12 });
const bmpValue = fc.string({ unit: fc.constantFrom(...PATTERN_CHARS, " ", "~"), maxLength: 14 });

/** Request paths after `{stage}/{VERB}/`: the rules' own segments, and the spellings a client may try. */
const SEGMENTS = ["reports", "files", "admin", "health", "users", "sessions", "orders", "x", "*", "?", "*x", "%2A", "%2Ax", "%66iles", "a?b", "", "é", "日本", "\u{1F511}", "Reports"];
const requestPath = fc.oneof(
  fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 4 }).map((parts) => parts.join("/")),
  fc.constantFrom("reports/*x", "reports/%2Ax", "reports/*/x", "reports/*", "reports/?", "files//x", "/files", "admin/*", "*/admin/x"),
);
const requestArn = fc.tuple(fc.constantFrom(...HTTP_VERBS, "*"), requestPath).map(([verb, path]) => `${STAGE}/${verb}/${path}`);

const TEMPLATES = ["/reports/{name}", "/files/{proxy+}", "/admin/*", "/health", "/", "/users/{id}/sessions", "/orders", "/*"];
const SCOPES = ["read:reports", "files", "admin"];
const rules = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...HTTP_VERBS, "ANY"), fc.constantFrom(...TEMPLATES), fc.constantFrom(...SCOPES)), { maxLength: 4, selector: ([verb, path]) => `${verb} ${path}` })
  .map((entries) => parseRouteScopes(Object.fromEntries(entries.map(([verb, path, scope]) => [`${verb} ${path}`, scope]))));
const granted = fc.subarray(SCOPES);
const resolvedResource = fc.constantFrom("/", "/{proxy+}", "/reports/{name}", "/reports/annual", "/files", "/files/{proxy+}", "/admin", "/admin/{id}", "/health", "/users/{id}/sessions", "/orders");

describe("pbac, the reference, reads wildcards as IAM documents them", () => {
  it.each([
    ["a*", "abc/def", true],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["reports/*", "reports/*x", true],
    ["a*c", "a*", false],
    ["x", "*", false],
    ["get/x", "GET/x", false],
  ])("%s against %s is %s", (p, value, expected) => expect(iamMatches(p, value)).toBe(expected));
});

describe("Keygate's wildcard matching equals IAM's", () => {
  it(`for patterns with * and ? and values holding * and ? of their own (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(pattern, bmpValue, (p, value) => {
        expect(matchesWildcard(p, value)).toBe(iamMatches(p, value));
      }),
      { numRuns: RUNS },
    );
  });
});

describe("Keygate's evaluation of its own policies equals IAM's", () => {
  it(`for every rule set, granted scopes and request ARN, with *, ?, %2A, // and non-ASCII in the path (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(rules, granted, requestArn, (ruleSet, scopes, arn) => {
        const policy = buildPolicy(TARGET, new Set(scopes), ruleSet);
        expect(evaluatePolicy(policy, arn) === "allow").toBe(iamAllows(policy, arn));
      }),
      { numRuns: RUNS },
    );
  });

  it("denies /reports/*x, /reports/%2Ax and /reports/*/x to a key without read:reports, as IAM does", () => {
    const policy = buildPolicy(TARGET, new Set(), parseRouteScopes({ "GET /reports/{name}": "read:reports" }));
    for (const path of ["reports/*x", "reports/%2Ax", "reports/*/x"]) {
      const arn = `${STAGE}/GET/${path}`;
      expect([path, evaluatePolicy(policy, arn), iamAllows(policy, arn)]).toEqual([path, "explicit-deny", false]);
    }
  });
});

describe("the audit record", () => {
  it(`never says allow where IAM denies the returned policy, nor deny where it allows (${RUNS / 4} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(rules, granted, requestArn, resolvedResource, async (ruleSet, scopes, arn, resource) => {
        const records: AuditRecord[] = [];
        const handler = createAuthorizer({
          config: { requiredScopes: [], allowOrgKeys: false, routeRules: ruleSet },
          verdicts: { resolve: async () => ({ verdict: { valid: true, userId: "kp_user", scopes, verifiedAt: 0, freshUntil: Number.MAX_SAFE_INTEGER }, source: "memory" }) },
          audit: (record) => records.push(record),
        });
        // The route API Gateway resolved, which route rules are also decided on; the verb is the ARN's.
        const event = { ...requestEvent("Bearer k_live_property_0123456789abcdef", { methodArn: arn }), resource, httpMethod: parseMethodArn(arn)!.method };
        const result = await handler(event);
        expect(records).toHaveLength(1);
        expect(records[0]!.decision).toBe(iamAllows(result.policyDocument as PolicyDocument, arn) ? "allow" : "deny");
      }),
      { numRuns: RUNS / 4 },
    );
  });
});
