import { describe, expect, it } from "vitest";
import { parseRouteScopes } from "../../lambda/policy/route-rules";
import { parseRouteKey, ruleMatchesRouteTemplate, rulesForRouteKey } from "../../lambda/policy/route-template-match";

const rule = (route: string) => parseRouteScopes({ [route]: "s" })[0]!;

describe("ruleMatchesRouteTemplate", () => {
  it.each([
    // The rule's own route, spelled with other parameter names.
    ["GET /reports/*", "GET", "/reports/{name}", true],
    ["GET /reports/{id}", "GET", "/reports/{name}", true],
    ["GET /reports/{id}", "GET", "/reports/monthly", true],
    ["GET /reports/monthly", "GET", "/reports/{name}", true],
    ["GET /reports/{id+}", "GET", "/reports/{a}/{b}", true],
    // Catch-all routes can receive what the rule covers.
    ["GET /reports/*", "ANY", "/{proxy+}", true],
    ["GET /reports/*", "GET", "/{proxy+}", true],
    ["GET /reports/{id}", "ANY", "/reports/{proxy+}", true],
    ["ANY /admin", "DELETE", "/{section}", true],
    ["GET /*", "GET", "/", true],
    ["GET /", "GET", "/", true],
    // Routes the rule's paths never reach.
    ["GET /reports/*", "GET", "/whoami", false],
    ["GET /reports/{id}", "GET", "/reports", false],
    ["GET /reports/{id}", "GET", "/reports/{a}/{b}", false],
    ["GET /reports/{id+}", "GET", "/reports", false],
    ["GET /", "GET", "/{proxy+}", false],
    ["GET /reports/*", "GET", "/Reports/{name}", false],
    // Methods: ANY meets every verb, two verbs only themselves.
    ["GET /reports/*", "POST", "/reports/{name}", false],
    ["ANY /reports/*", "POST", "/reports/{name}", true],
    ["POST /orders", "ANY", "/orders", true],
  ])("%s applies to %s %s: %s", (route, method, template, expected) => {
    expect(ruleMatchesRouteTemplate(rule(route), method, template)).toBe(expected);
  });

  it("reads any braced route segment as a parameter, so an odd name cannot hide a route from a rule", () => {
    expect(ruleMatchesRouteTemplate(rule("GET /reports/monthly"), "GET", "/reports/{na:me}")).toBe(true);
    expect(ruleMatchesRouteTemplate(rule("GET /reports/a/b"), "GET", "/reports/{rest:x+}")).toBe(true);
  });

  it("ignores a trailing slash on the template, as API Gateway routes /a/ as /a", () => {
    expect(ruleMatchesRouteTemplate(rule("POST /orders"), "POST", "/orders/")).toBe(true);
  });
});

describe("route keys", () => {
  it("reads METHOD /path, and anything else as $default: every method, every path", () => {
    expect(parseRouteKey("GET /reports/{name}")).toEqual({ method: "GET", template: "/reports/{name}" });
    expect(parseRouteKey("$default")).toEqual({ method: "ANY", template: "/*" });
    expect(parseRouteKey(undefined)).toEqual({ method: "ANY", template: "/*" });
    expect(parseRouteKey("GET")).toEqual({ method: "ANY", template: "/*" });
  });

  it("gives the rules that apply to a route key; every rule applies to $default", () => {
    const rules = parseRouteScopes({ "GET /reports/*": "read:reports", "POST /orders": "write:orders", "GET /": "root" });
    expect(rulesForRouteKey(rules, "GET /reports/{name}").map((r) => r.path)).toEqual(["/reports/*"]);
    expect(rulesForRouteKey(rules, "GET /whoami")).toEqual([]);
    expect(rulesForRouteKey(rules, "ANY /{proxy+}").map((r) => r.path)).toEqual(["/reports/*", "/orders"]);
    expect(rulesForRouteKey(rules, "$default")).toEqual(rules);
  });
});
