/** Whether a rule names a resolved route (method + resource template): the decision a path's spelling cannot reach. */
import { describe, expect, it } from "vitest";
import { buildPolicy } from "../../lambda/policy/build-policy";
import { evaluatePolicy } from "../../lambda/policy/evaluate-policy";
import { parseMethodArn } from "../../lambda/policy/method-arn";
import { ruleNamesRoute } from "../../lambda/policy/route-match";
import { HTTP_VERBS, parseRouteScopes } from "../../lambda/policy/route-rules";

const rule = (route: string) => parseRouteScopes({ [route]: "scope" })[0]!;

describe("ruleNamesRoute", () => {
  it.each([
    // rule, resolved method, resolved resource, named?
    ["POST /files", "POST", "/files", true],
    ["POST /files", "post", "/files", true],
    ["POST /files", "GET", "/files", false],
    ["POST /files", "POST", "/Files", false],
    ["POST /files", "POST", "/files/{name}", false],
    ["POST /files", "POST", "/{proxy+}", false],
    ["POST /files", "POST", "/{name}", false],
    ["ANY /files", "DELETE", "/files", true],
    ["GET /files", "ANY", "/files", true],
    ["GET /files", "CONNECT", "/files", true],
    ["GET /reports/{name}", "GET", "/reports/{name}", true],
    ["GET /reports/{name}", "GET", "/reports/{id}", true],
    ["GET /reports/{name}", "GET", "/reports/annual", true],
    ["GET /reports/{name}", "GET", "/reports", false],
    ["GET /reports/{name}", "GET", "/reports/{name}/pages", false],
    ["GET /reports/{name}", "GET", "/reports/{proxy+}", true],
    ["GET /reports/annual", "GET", "/reports/{name}", false],
    ["ANY /files/{proxy+}", "PUT", "/files/a", true],
    ["ANY /files/{proxy+}", "PUT", "/files/{id}/versions/{v}", true],
    ["ANY /files/{proxy+}", "PUT", "/files", false],
    ["ANY /{proxy+}", "GET", "/", false],
    ["ANY /{proxy+}", "GET", "/anything/{x}", true],
    ["ANY /admin/*", "GET", "/admin", true],
    ["ANY /admin/*", "GET", "/admin/users/{id}", true],
    ["ANY /admin/*", "GET", "/foo/admin/x", false],
    ["ANY /admin/*", "GET", "/{proxy+}", false],
    ["GET /*", "GET", "/", true],
    ["GET /*", "GET", "/{proxy+}", true],
    ["DELETE /users/{id}/sessions", "DELETE", "/users/{id}/sessions", true],
    ["DELETE /users/{id}/sessions", "DELETE", "/users/{proxy+}", false],
    ["DELETE /users/{id}/{session}", "DELETE", "/users/{proxy+}", true],
    ["GET /", "GET", "/", true],
    ["GET /", "GET", "/x", false],
    // Not a template API Gateway sends: fail closed.
    ["GET /x", "GET", "x", true],
    ["GET /x", "GET", "//x", true],
  ] as const)("%s names %s %s: %s", (route, method, resource, expected) => {
    expect(ruleNamesRoute(rule(route), method, resource)).toBe(expected);
  });
});

describe("buildPolicy with the resolved route", () => {
  const stage = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod";
  const rules = parseRouteScopes({ "POST /files": "files", "GET /reports/{name}": "read:reports" });

  it.each(["files", "%66iles", "/files", "files/", "Files", "files/.", "x/../files"])(
    "denies every spelling of a request API Gateway routed to POST /files (POST/%s) to a key without the scope",
    (spelling) => {
      const arn = `${stage}/POST/${spelling}`;
      const policy = buildPolicy(parseMethodArn(arn)!, new Set(["read:reports"]), rules, { method: "POST", resource: "/files" });
      expect(evaluatePolicy(policy, arn)).toBe("explicit-deny");
      // Only the request's verb: the answer is cached per route, and the route's verb is POST.
      for (const verb of HTTP_VERBS.filter((v) => v !== "POST")) expect(evaluatePolicy(policy, `${stage}/${verb}/files/x`)).toBe("allow");
    },
  );

  it("keeps the method ARN Denies for routes it does not name, and adds nothing for a key holding the scope", () => {
    const arn = `${stage}/GET/reports/x`;
    const other = buildPolicy(parseMethodArn(arn)!, new Set(), rules, { method: "GET", resource: "/reports/{name}" });
    expect(other.Statement[1]!.Resource).toEqual([`${stage}/POST/files`, `${stage}/POST/files/`, `${stage}/GET/reports/*`, `${stage}/GET/*`]);
    const holder = buildPolicy(parseMethodArn(`${stage}/POST/files`)!, new Set(["files", "read:reports"]), rules, { method: "POST", resource: "/files" });
    expect(holder.Statement).toHaveLength(1);
  });
});
