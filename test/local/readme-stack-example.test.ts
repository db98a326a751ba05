/**
 * The README's example Pulumi.dev.yaml, as `npm start` would run it: the README says that no demo key
 * passes it (none carries api:access) and that the key of its keys.json example does. Both are worked
 * out here by the rules the banner uses (local/demo-key-access.ts, the authorizer's own decision).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { DEMO_ROUTES } from "../../local/demo-backend";
import { demoKeyAccess } from "../../local/demo-key-access";
import { DEMO_KEYS, type DemoKey } from "../../local/demo-keys";
import type { LocalKey } from "../../local/kinde-emulator";
import { parseStackConfig } from "../../local/stack-config";

const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
const fenced = (language: string, firstLine: RegExp) =>
  [...readme.matchAll(new RegExp("^```" + language + "\\n([\\s\\S]*?)^```", "gm"))].map((match) => match[1]!).filter((block) => firstLine.test(block));

const [stackFile] = fenced("yaml", /^# Pulumi\.dev\.yaml/);
const [keysFile] = fenced("json", /"api_key"/);
const stage = { partition: "aws", region: "us-east-1", accountId: "123456789012", apiId: "keygatelocal", stage: "local" };

describe("the README's example Pulumi.dev.yaml", () => {
  const { settings } = parseStackConfig(parseYaml(stackFile!), "Pulumi.dev.yaml");

  it("requires api:access of every key, and says next to it that no demo key carries it", () => {
    expect(settings.requiredScopes).toEqual(["api:access"]);
    expect(stackFile).toMatch(/^# Pulumi\.dev\.yaml: every key must carry api:access, which no demo key does/);
  });

  it("refuses every demo key, each for a reason the banner gives", () => {
    const access = demoKeyAccess(DEMO_KEYS, DEMO_ROUTES, settings, stage);
    expect(access.filter((entry) => entry.accepted).map((entry) => entry.key.name)).toEqual([]);
    expect(access.filter((entry) => !entry.accepted && entry.reason === "missing_scope").length).toBeGreaterThan(0);
  });

  it("lets the key of the README's keys.json example through, as the README says", () => {
    const keys = (JSON.parse(keysFile!) as LocalKey[]).map((key): DemoKey => ({ ...key, name: "mine", label: "from the README" }));
    expect(keys).toHaveLength(1);
    const [entry] = demoKeyAccess(keys, DEMO_ROUTES, settings, stage);
    expect(entry!.accepted).toBe(true);
    expect(readme).toMatch(/KEYGATE_LOCAL_KEYS=keys\.json npm start +# with that Pulumi\.dev\.yaml: the key of the keys\.json above passes/);
  });
});
