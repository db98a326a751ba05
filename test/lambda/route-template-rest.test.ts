/**
 * Route rules on a REST API's resolved route (a REQUEST event's `httpMethod` and `resource`): the same
 * matcher as HTTP API route keys, and the policy it leads to, which a path's spelling cannot sidestep.
 */
import { describe, expect, it } from "vitest";
import { buildPolicy } from "../../lambda/policy/build-policy";
import { evaluatePolicy } from "../../lambda/policy/evaluate-policy";
import { parseMethodArn } from "../../lambda/policy/method-arn";
import { HTTP_VERBS, parseRouteScopes } from "../../lambda/policy/route-rules";
import { ruleMatchesRouteTemplate } from "../../lambda/policy/route-template-match";

const rule = (route: string) => parseRouteScopes({ [route]: "scope" })[0]!;

describe("ruleMatchesRouteTemplate on REST resources", () => {
  it.each([
    // rule, resolved method, resolved resource, applies?
    ["POST /files", "POST", "/files", true],
    ["POST /files", "post", "/files", true],
    ["POST /files", "GET", "/files", false],
    ["POST /files", "POST", "/Files", false],
    ["POST /files", "POST", "/files/{name}", false],
    ["ANY /files", "DELETE", "/files", true],
    // A resolved method of ANY (an ANY method on the resource) is every verb; so is a verb rules cannot name.
    ["GET /files", "ANY", "/files", true],
    ["GET /files", "CONNECT", "/files", true],
    ["GET /reports/{name}", "GET", "/reports/{name}", true],
    ["GET /reports/{name}", "GET", "/reports/{id}", true],
    ["GET /reports/{name}", "GET", "/reports/annual", true],
    ["GET /reports/{name}", "GET", "/reports", false],
    ["GET /reports/{name}", "GET", "/reports/{name}/pages", false],
    ["GET /reports/{name}", "GET", "/reports/{proxy+}", true],
    // A parameter or greedy resource serves the literal path too, so the rule applies to it.
    ["GET /reports/annual", "GET", "/reports/{name}", true],
    ["POST /files", "POST", "/{name}", true],
    ["ANY /files/{proxy+}", "PUT", "/files/a", true],
    ["ANY /files/{proxy+}", "PUT", "/files/{id}/versions/{v}", true],
    ["ANY /files/{proxy+}", "PUT", "/files", false],
    ["DELETE /users/{id}/sessions", "DELETE", "/users/{id}/sessions", true],
    ["DELETE /users/{id}/{session}", "DELETE", "/users/{proxy+}", true],
    ["ANY /admin/*", "GET", "/admin", true],
    ["ANY /admin/*", "GET", "/admin/users/{id}", true],
    ["ANY /admin/*", "GET", "/foo/admin/x", false],
    // The catch-all resource can receive any path but the root: every rule that covers one applies to it.
    ["POST /files", "POST", "/{proxy+}", true],
    ["ANY /admin/*", "GET", "/{proxy+}", true],
    ["DELETE /users/{id}/sessions", "DELETE", "/users/{proxy+}", true],
    ["GET /reports/*", "GET", "/{proxy+}", true],
    ["GET /reports/*", "POST", "/{proxy+}", false],
    ["GET /reports/*", "GET", "/whoami", false],
    ["ANY /{proxy+}", "GET", "/", false],
    ["ANY /{proxy+}", "GET", "/anything/{x}", true],
    ["GET /*", "GET", "/", true],
    ["GET /*", "GET", "/{proxy+}", true],
    ["GET /", "GET", "/", true],
    ["GET /", "GET", "/x", false],
    ["GET /", "GET", "/{proxy+}", false],
    // A trailing slash is routed as none.
    ["POST /files", "POST", "/files/", true],
    // Not a template API Gateway sends: every path, failing closed.
    ["GET /x", "GET", "x", true],
    ["GET /x", "GET", "//x", true],
    ["GET /x", "GET", "/a//b", true],
    ["GET /x", "GET", "", true],
  ] as const)("%s applies to %s %s: %s", (route, method, resource, expected) => {
    expect(ruleMatchesRouteTemplate(rule(route), method, resource)).toBe(expected);
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

  it.each(["reports/x", "%72eports/x", "Reports/x", "/reports/x", "reports//x"])(
    "denies GET/%s routed to the catch-all /{proxy+} to a key without read:reports, whatever the method ARN says",
    (spelling) => {
      const arn = `${stage}/GET/${spelling}`;
      const policy = buildPolicy(parseMethodArn(arn)!, new Set(["files"]), parseRouteScopes({ "GET /reports/*": "read:reports" }), { method: "ANY", resource: "/{proxy+}" });
      expect(evaluatePolicy(policy, arn)).toBe("explicit-deny");
    },
  );

  it("needs every rule's scopes on a catch-all resource, and only the rules that meet a resource of its own", () => {
    const reports = parseRouteScopes({ "GET /reports/*": "read:reports" });
    const arn = `${stage}/GET/whoami`;
    const viaCatchAll = buildPolicy(parseMethodArn(arn)!, new Set(), reports, { method: "ANY", resource: "/{proxy+}" });
    expect(evaluatePolicy(viaCatchAll, arn)).toBe("explicit-deny");
    const ownResource = buildPolicy(parseMethodArn(arn)!, new Set(), reports, { method: "GET", resource: "/whoami" });
    expect(evaluatePolicy(ownResource, arn)).toBe("allow");
    expect(evaluatePolicy(ownResource, `${stage}/GET/reports/x`)).toBe("explicit-deny");
  });

  it("keeps the method ARN Denies for routes the rules do not apply to, and adds nothing for a key holding the scope", () => {
    const arn = `${stage}/GET/reports/x`;
    const other = buildPolicy(parseMethodArn(arn)!, new Set(), rules, { method: "GET", resource: "/reports/{name}" });
    expect(other.Statement[1]!.Resource).toEqual([`${stage}/POST/files`, `${stage}/POST/files/`, `${stage}/GET/reports/*`, `${stage}/GET/*`]);
    const holder = buildPolicy(parseMethodArn(`${stage}/POST/files`)!, new Set(["files", "read:reports"]), rules, { method: "POST", resource: "/files" });
    expect(holder.Statement).toHaveLength(1);
  });
});
