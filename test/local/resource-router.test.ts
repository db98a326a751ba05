/**
 * The local gateway's routing by resource template, and the property route rules rely on: every
 * request routed to a rule's resource and verb is denied by the policy built from that rule.
 */
import { describe, expect, it } from "vitest";
import { buildPolicy } from "../../lambda/policy/build-policy";
import { evaluatePolicy } from "../../lambda/policy/evaluate-policy";
import { parseMethodArn } from "../../lambda/policy/method-arn";
import { HTTP_VERBS, parseRouteScopes } from "../../lambda/policy/route-rules";
import { ResourceRouter } from "../../local/resource-router";

describe("ResourceRouter", () => {
  const router = new ResourceRouter(["/", "/{proxy+}", "/reports/{name}", "/reports/latest", "/reports", "/users/{id}/sessions", "/files/{path+}", "/files/{id}/meta"]);

  it.each([
    ["/", "/", null],
    ["/reports/monthly", "/reports/{name}", { name: "monthly" }],
    ["/reports/monthly/", "/reports/{name}", { name: "monthly" }],
    ["/reports/latest", "/reports/latest", null],
    ["/reports", "/reports", null],
    ["/reports/", "/reports", null],
    ["/reports/caf%C3%A9", "/reports/{name}", { name: "café" }],
    ["/reports/2026%2F11", "/reports/{name}", { name: "2026/11" }],
    ["/reports/a/b", "/{proxy+}", { proxy: "reports/a/b" }],
    ["/users/42/sessions", "/users/{id}/sessions", { id: "42" }],
    ["/users//sessions", "/{proxy+}", { proxy: "users//sessions" }],
    ["/files/a", "/files/{path+}", { path: "a" }],
    ["/files/a/b/c", "/files/{path+}", { path: "a/b/c" }],
    ["/files/7/meta", "/files/{id}/meta", { id: "7" }],
    ["/files", "/{proxy+}", { proxy: "files" }],
    ["/Reports/monthly", "/{proxy+}", { proxy: "Reports/monthly" }],
    ["/whoami", "/{proxy+}", { proxy: "whoami" }],
  ])("routes %s to %s", (path, resource, pathParameters) => {
    expect(router.route(path)).toEqual({ resource, pathParameters });
  });

  it("finds no resource when no template matches", () => {
    const narrow = new ResourceRouter(["/", "/reports/{name}"]);
    expect(narrow.route("/reports")).toBeUndefined();
    expect(narrow.route("/reports/a/b")).toBeUndefined();
    expect(narrow.route("/reports/")).toBeUndefined();
  });

  it("refuses a rule wildcard as a resource", () => {
    expect(() => new ResourceRouter(["/admin/*"])).toThrow(/not an API Gateway resource/);
  });
});

describe("a rule is never weaker than written", () => {
  const rules = parseRouteScopes({
    "GET /reports/{name}": "a",
    "ANY /files/{path+}": "b",
    "DELETE /users/{id}/sessions": "c",
    "POST /orders": "d",
    "GET /": "e",
    "PATCH /{proxy+}": "f",
  });
  const router = new ResourceRouter(["/", "/{proxy+}", ...rules.map((rule) => rule.path), "/reports/latest", "/users/{id}"]);
  const stage = "arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod";
  const policy = buildPolicy(parseMethodArn(`${stage}/GET/`)!, new Set(), rules);

  // Path segments a client might send: plain, encoded, non-ASCII, dots, empty, the rules' own words.
  const pieces = ["reports", "files", "users", "sessions", "orders", "latest", "monthly", "42", "caf%C3%A9", "café", "月", "%2F", "a%20b", ".", "..", "", "x.y", "A", "\u{1F4C8}"];
  const verbs = [...HTTP_VERBS];

  it("denies every generated request that API Gateway would route to a rule's resource and verb", () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let routedToRules = 0;
    for (let i = 0; i < 20_000; i++) {
      const depth = 1 + next(4);
      const path = `/${Array.from({ length: depth }, () => pieces[next(pieces.length)]).join("/")}${next(4) === 0 ? "/" : ""}`;
      const verb = verbs[next(verbs.length)]!;
      const route = router.route(path);
      if (!route) continue;
      const rule = rules.find((candidate) => candidate.path === route.resource && (candidate.method === "ANY" || candidate.method === verb));
      if (!rule) continue;
      routedToRules++;
      // The method ARN carries the concrete path; both the decoded and the raw spelling must be denied.
      for (const concrete of [decodeURIComponent(path.replace(/%(?![0-9A-F]{2})/g, "%25")), path]) {
        const arn = `${stage}/${verb}/${concrete.slice(1)}`;
        expect([verb, path, evaluatePolicy(policy, arn)]).toEqual([verb, path, "explicit-deny"]);
      }
    }
    // The generator must actually reach the rules, or the property says nothing.
    expect(routedToRules).toBeGreaterThan(2_000);
  });
});
