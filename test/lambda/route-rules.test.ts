/**
 * Route rules as API Gateway resource templates: what is accepted, the Deny resources they become,
 * and a matrix of concrete method ARNs (as API Gateway sends them) through Keygate's IAM evaluator.
 */
import { describe, expect, it } from "vitest";
import { buildPolicy } from "../../lambda/policy/build-policy";
import { evaluatePolicy } from "../../lambda/policy/evaluate-policy";
import { parseMethodArn } from "../../lambda/policy/method-arn";
import { denyResources, extraPathsCovered, HTTP_VERBS, parseRouteScopes, templateSegments } from "../../lambda/policy/route-rules";

const API = "arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9";
const PROD = `${API}/prod`;

const RULES = parseRouteScopes({
  "GET /reports/{name}": "read:reports",
  "ANY /files/{proxy+}": "files",
  "GET /": "root",
  "DELETE /users/{id}/sessions": "admin",
  "ANY /admin/*": "admin",
  "ANY /health": "ops",
  "POST /orders": ["write:orders", "billing"],
});
const ALL_SCOPES = new Set(RULES.flatMap((rule) => rule.scopes));

/** The policy Keygate returns for a key without any scope, on the stage of `methodArn`. */
function policyFor(methodArn: string, scopes: ReadonlySet<string> = new Set()) {
  return buildPolicy(parseMethodArn(methodArn)!, scopes, RULES);
}

describe("parseRouteScopes", () => {
  it("keeps the wire format: verb normalised, path as written, scopes deduplicated", () => {
    expect(parseRouteScopes({ "get /a": "s", "any /b/{id}": ["x", "y", "x"], "PUT /c/{proxy+}": "z", "GET /": "r", "GET /d/*": "w" })).toEqual([
      { method: "GET", path: "/a", scopes: ["s"] },
      { method: "ANY", path: "/b/{id}", scopes: ["x", "y"] },
      { method: "PUT", path: "/c/{proxy+}", scopes: ["z"] },
      { method: "GET", path: "/", scopes: ["r"] },
      { method: "GET", path: "/d/*", scopes: ["w"] },
    ]);
  });

  it.each([
    ["GET /reports/a*", /"GET \/reports\/a\*": "a\*": "\*" must be a whole segment/],
    ["GET /reports/?", /"GET \/reports\/\?": "\?": "\*" must be a whole segment .* "\?" is not allowed/],
    ["GET /a{id}", /"GET \/a\{id\}": "a\{id\}" mixes a \{parameter\} with other text/],
    ["GET /{id}x/y", /mixes a \{parameter\} with other text/],
    ["GET /{proxy+}/x", /"GET \/\{proxy\+\}\/x": the greedy parameter "\{proxy\+\}" must be the last segment/],
    ["GET /a//b", /"GET \/a\/\/b": a path must not contain an empty segment/],
    ["GET //", /empty segment/],
    ["GET /a/", /"GET \/a\/": a path must not end with "\/"/],
    ["GET /{}", /"\{\}" is not a parameter/],
    ["GET /{a b}", /a route is "METHOD \/path"/],
    ["GET /{na%me}", /"\{na%me\}" is not a parameter/],
    ["GET /{id}/{id}", /the parameter name "id" appears twice/],
    ["GET /caf%C3%A9", /"caf%C3%A9" may only use the characters API Gateway allows/],
    ["GET /café", /"café" may only use the characters/],
    ["GET /a:b", /"a:b" may only use the characters/],
    ["GET /..", /"\.\." is not a resource name/],
    ["GET /a/./b", /"\." is not a resource name/],
    ["GET reports", /the path must start with "\/"/],
    ["FETCH /x", /unknown method "FETCH"/],
    ["* /x", /unknown method "\*"/],
  ])("refuses %s, naming the rule", (route, message) => {
    expect(() => parseRouteScopes({ [route]: "s" })).toThrow(message);
  });

  it("refuses a path too long for a 512-character resource ARN", () => {
    expect(() => parseRouteScopes({ [`GET /${"a".repeat(400)}`]: "s" })).toThrow(/at most 400 characters/);
    expect(parseRouteScopes({ [`GET /${"a".repeat(399)}`]: "s" })).toHaveLength(1);
  });

  it("reads the segments of a template", () => {
    expect(templateSegments("/")).toEqual([]);
    expect(templateSegments("/a/{b}/*/{c+}")).toEqual([
      { kind: "literal", text: "a" },
      { kind: "parameter", name: "b" },
      { kind: "wildcard" },
      { kind: "greedy", name: "c" },
    ]);
  });
});

describe("denyResources", () => {
  const resources = (route: string) => denyResources(parseRouteScopes({ [route]: "s" })[0]!);

  it("turns {name} and {name+} into IAM's *, and keeps literals", () => {
    expect(resources("GET /reports/{name}")).toEqual(["GET/reports/*"]);
    expect(resources("DELETE /users/{id}/sessions")).toEqual(["DELETE/users/*/sessions", "DELETE/users/*/sessions/"]);
    expect(resources("PUT /files/{proxy+}")).toEqual(["PUT/files/*"]);
  });

  it("denies a literal path with and without a trailing slash, and the root as API Gateway writes it", () => {
    expect(resources("POST /orders")).toEqual(["POST/orders", "POST/orders/"]);
    expect(resources("GET /")).toEqual(["GET/", "GET//"]);
  });

  it("writes ANY as one resource per verb, never * in the verb slot", () => {
    expect(resources("ANY /health").filter((r) => !r.endsWith("/"))).toEqual(HTTP_VERBS.map((verb) => `${verb}/health`));
    expect(resources("ANY /admin/*")).toEqual(HTTP_VERBS.map((verb) => `${verb}/admin/*`));
    expect(resources("ANY /").every((r) => !r.startsWith("*"))).toBe(true);
  });
});

describe("extraPathsCovered", () => {
  const extras = (route: string) => extraPathsCovered(parseRouteScopes({ [route]: "s" })[0]!);

  it("names the deeper and empty paths a {name} also covers", () => {
    expect(extras("GET /reports/{name}")).toEqual([
      "`/reports/a/b`: `{name}` becomes IAM's `*`, which also matches several segments",
      "`/reports/`: an empty `{name}` (`*` also matches nothing)",
    ]);
    expect(extras("DELETE /users/{id}/sessions")).toEqual([
      "`/users/a/b/sessions`: `{id}` becomes IAM's `*`, which also matches several segments",
      "`/users//sessions`: an empty `{id}` (`*` also matches nothing)",
    ]);
  });

  it("names the empty path a {proxy+} also covers, down to the root", () => {
    expect(extras("ANY /files/{proxy+}")).toEqual(["`/files/`: an empty `{proxy+}` (`*` also matches nothing)"]);
    expect(extras("ANY /{proxy+}")).toEqual(["`/`: an empty `{proxy+}` (`*` also matches nothing)"]);
  });

  it("names nothing for literals, the root and * (which means what IAM's * means)", () => {
    expect(extras("POST /orders")).toEqual([]);
    expect(extras("GET /")).toEqual([]);
    expect(extras("ANY /admin/*")).toEqual([]);
  });

  it("every extra path it names is in fact denied", () => {
    for (const rule of RULES) {
      const policy = buildPolicy(parseMethodArn(`${PROD}/GET/`)!, new Set(), [rule]);
      const verb = rule.method === "ANY" ? "GET" : rule.method;
      for (const extra of extraPathsCovered(rule)) {
        const path = /^`([^`]*)`: /.exec(extra)![1]!;
        expect([extra, evaluatePolicy(policy, `${PROD}/${verb}${path}`)]).toEqual([extra, "explicit-deny"]);
      }
    }
  });
});

describe("concrete method ARNs through the IAM evaluator", () => {
  // [method ARN tail after the stage, outcome for a key without scopes]
  const matrix: [string, "explicit-deny" | "allow"][] = [
    // GET /reports/{name}
    ["GET/reports/monthly", "explicit-deny"],
    ["GET/reports/monthly/", "explicit-deny"],
    ["GET/reports/2026%2F11", "explicit-deny"],
    ["GET/reports/2026/11", "explicit-deny"], // {name} fails closed over deeper paths
    ["GET/reports/caf%C3%A9", "explicit-deny"],
    ["GET/reports/café", "explicit-deny"],
    ["GET/reports/月報", "explicit-deny"],
    ["GET/reports/\u{1F4C8}", "explicit-deny"],
    ["GET/reports/a%20b", "explicit-deny"],
    ["GET/reports", "allow"], // another resource
    ["GET/Reports/monthly", "allow"], // paths are case-sensitive
    ["HEAD/reports/monthly", "allow"],
    ["POST/reports/monthly", "allow"],
    ["GET/x/reports/monthly", "allow"],
    // ANY /files/{proxy+}
    ...HTTP_VERBS.map((verb): [string, "explicit-deny"] => [`${verb}/files/a`, "explicit-deny"]),
    ["GET/files/a/b/c.txt", "explicit-deny"],
    ["PUT/files/%E2%82%AC/x", "explicit-deny"],
    ["GET/files", "allow"],
    ["GET/filesystem/a", "allow"],
    // GET /
    ["GET/", "explicit-deny"],
    ["GET//", "explicit-deny"],
    ["POST/", "allow"],
    ["GET/whoami", "allow"],
    // DELETE /users/{id}/sessions
    ["DELETE/users/42/sessions", "explicit-deny"],
    ["DELETE/users/42/sessions/", "explicit-deny"],
    ["DELETE/users/%C3%A9l%C3%A8ve/sessions", "explicit-deny"],
    ["DELETE/users/a/b/sessions", "explicit-deny"], // fails closed
    ["DELETE/users/42/sessions/7", "allow"],
    ["GET/users/42/sessions", "allow"],
    // ANY /admin/*: no longer blocks /foo/admin/x
    ...HTTP_VERBS.map((verb): [string, "explicit-deny"] => [`${verb}/admin/x`, "explicit-deny"]),
    ["GET/admin/x/y", "explicit-deny"],
    ["GET/foo/admin/x", "allow"],
    ["GET/administrator", "allow"],
    // ANY /health: no longer blocks /x/health
    ...HTTP_VERBS.map((verb): [string, "explicit-deny"] => [`${verb}/health`, "explicit-deny"]),
    ["GET/health/", "explicit-deny"],
    ["GET/x/health", "allow"],
    ["GET/healthz", "allow"],
    ["GET/health/x", "allow"],
    // POST /orders
    ["POST/orders", "explicit-deny"],
    ["POST/orders/", "explicit-deny"],
    ["POST/orders/1", "allow"],
    ["GET/orders", "allow"],
  ];

  it.each(matrix)("prod/%s: %s for a key without the scopes", (tail, expected) => {
    const arn = `${PROD}/${tail}`;
    expect(evaluatePolicy(policyFor(arn), arn)).toBe(expected);
  });

  it("allows every one of them for a key holding every scope", () => {
    for (const [tail] of matrix) {
      const arn = `${PROD}/${tail}`;
      expect([tail, evaluatePolicy(policyFor(arn, ALL_SCOPES), arn)]).toEqual([tail, "allow"]);
    }
  });

  it("gives the same answer whichever route produced the cached policy", () => {
    const cached = policyFor(`${PROD}/GET/whoami`);
    for (const [tail, expected] of matrix) expect([tail, evaluatePolicy(cached, `${PROD}/${tail}`)]).toEqual([tail, expected]);
  });

  it("matches nothing on another stage of the same API", () => {
    const cached = policyFor(`${PROD}/GET/whoami`);
    for (const [tail] of matrix) expect(evaluatePolicy(cached, `${API}/dev/${tail}`)).toBe("no-match");
  });

  it("denies the same routes on the test console's * stage", () => {
    for (const [tail, expected] of matrix) {
      const arn = `${API}/*/${tail}`;
      expect([tail, evaluatePolicy(policyFor(arn), arn)]).toEqual([tail, expected]);
    }
  });
});
