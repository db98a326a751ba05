/** docs/route-rules.md's table of rules against routes (REST method and resource, HTTP API route key) is what the matcher really does. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRouteScopes } from "../../lambda/policy/route-rules";
import { rulesForRouteKey } from "../../lambda/policy/route-template-match";

describe("docs/route-rules.md, when a rule applies to a route", () => {
  const doc = readFileSync(join(__dirname, "..", "..", "docs", "route-rules.md"), "utf8");
  const section = doc.slice(doc.indexOf("## When a rule applies to a route"), doc.indexOf("## Writing a rule"));
  const rows = [...section.matchAll(/^\| `([^`]+)` \| `([^`]+)` \| (yes|no)\b/gm)].map((row) => ({ rule: row[1]!, routeKey: row[2]!, applies: row[3] === "yes" }));

  it("has a table of examples", () => {
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(rows.some((row) => row.applies) && rows.some((row) => !row.applies)).toBe(true);
  });

  it.each(rows)("$rule on $routeKey: applies $applies", ({ rule, routeKey, applies }) => {
    expect(rulesForRouteKey(parseRouteScopes({ [rule]: "s" }), routeKey).length > 0).toBe(applies);
  });
});
