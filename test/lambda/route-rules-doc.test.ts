/** docs/route-rules.md's table of examples is what the parser and the policy builder really do. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { denyResources, extraPathsCovered, parseRouteScopes, type RouteRule } from "../../lambda/policy/route-rules";

const DOC_EXAMPLES = [
  "GET /reports/{name}",
  "DELETE /users/{id}/sessions",
  "ANY /files/{proxy+}",
  "ANY /{proxy+}",
  "POST /orders",
  "GET /",
  "ANY /health",
  "GET /profile/*",
  "ANY /admin/*",
];

/** One row of the doc's table: the rule, its Deny resources after `{stage}/`, the extra paths it covers. */
function exampleRow(rule: RouteRule): string {
  const resources = rule.method === "ANY" ? denyResources({ ...rule, method: "GET" }).map((resource) => resource.replace(/^GET\//, "{VERB}/")) : denyResources(rule);
  const deny = `${resources.map((resource) => `\`${resource}\``).join(" ")}${rule.method === "ANY" ? " for each of the 7 verbs" : ""}`;
  const extras = extraPathsCovered(rule);
  return `| \`${rule.method} ${rule.path}\` | ${deny} | ${extras.length > 0 ? extras.join("<br>") : "none"} |`;
}

describe("docs/route-rules.md", () => {
  const doc = readFileSync(join(__dirname, "..", "..", "docs", "route-rules.md"), "utf8");

  it.each(DOC_EXAMPLES)("shows %s as Keygate builds it", (route) => {
    expect(doc).toContain(exampleRow(parseRouteScopes({ [route]: "s" })[0]!));
  });

  it("lists under \"Rules that are refused\" only rules the parser refuses, naming each", () => {
    const section = doc.slice(doc.indexOf("## Rules that are refused"), doc.indexOf("## Trying it locally"));
    const routes = [...section.matchAll(/^\| (.*?) \|/gm)].flatMap((row) => [...row[1]!.matchAll(/`([^`]+)`/g)].map((code) => code[1]!));
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) expect(() => parseRouteScopes({ [route]: "s" })).toThrow(`"${route}"`);
  });
});
