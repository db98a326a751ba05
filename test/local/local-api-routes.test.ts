/** The resources and routes `npm start`'s API has for a set of route rules. */
import { describe, expect, it } from "vitest";
import { parseRouteScopes } from "../../lambda/policy/route-rules";
import { httpApiRoutes, restApiResources, routeTemplateForRule } from "../../local/local-api-routes";

const rules = (scopes: Record<string, string>) => parseRouteScopes(scopes);

describe("the local REST API's resources", () => {
  it("has the root, the catch-all and the demo backend's own, so GET /whoami is no catch-all request", () => {
    expect(restApiResources([])).toEqual(["/", "/{proxy+}", "/whoami", "/reports/{name}", "/orders"]);
  });

  it("adds one resource per rule, a * segment as a parameter and a final one as {proxy+}", () => {
    expect(restApiResources(rules({ "ANY /files/{proxy+}": "s", "ANY /admin/*": "s", "GET /a/*/b": "s", "POST /uploads": "s", "POST /orders": "s" }))).toEqual([
      "/",
      "/{proxy+}",
      "/whoami",
      "/reports/{name}",
      "/orders",
      "/files/{proxy+}",
      "/admin/{proxy+}",
      "/a/{any1}/b",
      "/uploads",
    ]);
  });

  it("never gives a resource a second variable child, which API Gateway refuses", () => {
    const resources = restApiResources(rules({ "GET /reports/*": "s", "GET /reports/{id}": "s", "GET /{id}/x": "s", "GET /a/{x}/c": "s", "GET /a/{y}/d": "s" }));
    expect(resources).toEqual(["/", "/{proxy+}", "/whoami", "/reports/{name}", "/orders", "/a/{x}/c"]);
  });
});

describe("rule templates and HTTP API routes", () => {
  it("gives a rule's path the template a resource or route can have", () => {
    expect(routeTemplateForRule("/reports/*")).toBe("/reports/{proxy+}");
    expect(routeTemplateForRule("/a/*/b")).toBe("/a/{any1}/b");
    expect(routeTemplateForRule("/")).toBe("/");
  });

  it("gives the HTTP API the demo's routes, one per rule and $default", () => {
    expect(httpApiRoutes(rules({ "GET /reports/*": "s", "POST /orders": "s" }))).toEqual(["GET /whoami", "GET /reports/{name}", "POST /orders", "GET /reports/{proxy+}", "$default"]);
  });
});
