/** docs/route-rules.md's table of examples is what the parser and the policy builder really do. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { denyResources, extraPathsCovered, parseRouteScopes, type RouteRule } from "../../lambda/policy/route-rules";
import { ruleMatchesRouteTemplate } from "../../lambda/policy/route-template-match";

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

  it("lists, under \"When a rule applies to a route\", exactly the resources the matcher applies each rule to", () => {
    const heading = "## When a rule applies to a route";
    const section = doc.slice(doc.indexOf(heading), doc.indexOf("\n## ", doc.indexOf(heading) + 1));
    const table = section.slice(section.indexOf("| rule | applies to | does not apply to |"));
    const rows = table.split("\n").filter((line) => line.startsWith("| `"));
    expect(rows.length).toBeGreaterThanOrEqual(7);
    const codes = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((code) => code[1]!);
    for (const row of rows) {
      const [ruleCell, appliesCell, notCell] = row.split(" | ");
      const rule = parseRouteScopes({ [codes(ruleCell!)[0]!]: "s" })[0]!;
      const verb = rule.method === "ANY" ? "GET" : rule.method;
      expect(codes(appliesCell!).length + codes(notCell!).length).toBeGreaterThan(1);
      for (const resource of codes(appliesCell!)) expect([rule.path, resource, ruleMatchesRouteTemplate(rule, verb, resource)]).toEqual([rule.path, resource, true]);
      for (const resource of codes(notCell!)) expect([rule.path, resource, ruleMatchesRouteTemplate(rule, verb, resource)]).toEqual([rule.path, resource, false]);
    }
  });
});
