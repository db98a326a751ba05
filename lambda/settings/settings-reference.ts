/**
 * docs/configuration.md, rendered from the settings table so the reference can never disagree with
 * what the code reads. `npm run docs:settings` rewrites the file; a test fails when it is stale.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { USAGE_PLAN_OPTIONS } from "../usage/usage-plans-schema";
import { SETTINGS, type SettingSpec } from "./settings-table";

export const SETTINGS_REFERENCE_PATH = "docs/configuration.md";

const code = (text: string) => `\`${text}\``;
const cell = (text: string) => text.replace(/\|/g, "\\|");
const shown = (value: unknown): string => {
  if (value === undefined) return "none";
  if (Array.isArray(value) && value.length === 0) return "none";
  if (typeof value === "object" && value !== null && Object.keys(value).length === 0) return "none";
  return code(typeof value === "string" ? value : JSON.stringify(value));
};

export function renderSettingsReference(): string {
  const rows = (Object.entries(SETTINGS) as [string, SettingSpec][]).map(([, setting]) => {
    const stackKey = setting.stackKey ? code(`keygate:${setting.stackKey}`) : "";
    const arg = setting.arg ? code(setting.arg) : "";
    const env = setting.env ? `${code(setting.env.name)}${setting.env.reference ? " (set by the component)" : ""}` : "";
    const fallback = setting.required ? "required" : shown(setting.default);
    return `| ${stackKey} | ${arg} | ${env} | ${cell(setting.kind.describe)} | ${fallback} | ${cell(setting.doc)}${setting.secret ? " Secret." : ""} |`;
  });
  const options = Object.entries(USAGE_PLAN_OPTIONS).map(([name, option]) => `| ${code(name)} | ${cell(option.kind.describe)} | ${shown(option.default)} | ${cell(option.doc)} |`);
  return [
    "# Configuration reference",
    "",
    "<!-- Generated from lambda/settings/settings-table.ts by `npm run docs:settings`: edit the table, not this file. -->",
    "",
    "Each setting can be given three ways, all read by the same rules: as a stack setting (`pulumi config set <key> <value>`,",
    "also read by `npm start` from `Pulumi.<stack>.yaml`), as an argument of the `UserKeyAuthorizer` component, and as the",
    "authorizer function's environment variable (the component and `npm start` write those; set them yourself only when you",
    "run the bundle some other way). A `keygate:` key that is not listed here stops `pulumi preview` and `npm start`.",
    "",
    "Lists may be written as JSON (`[\"a\", \"b\"]`) or as words separated by commas or spaces; objects as JSON (or YAML in the",
    "stack file).",
    "",
    "| Stack setting | Component argument | Environment variable | Value | Default | What it does |",
    "|---|---|---|---|---|---|",
    ...rows,
    "",
    "## Usage plan options",
    "",
    "Keys of `usagePlans` (with `tiers`, `defaultTier`, `tierScopes` and `users`, described in [usage-plans.md](usage-plans.md)).",
    "",
    "| Option | Value | Default | What it does |",
    "|---|---|---|---|",
    ...options,
    "",
  ].join("\n");
}

// `npm run docs:settings`
if (require.main === module) {
  const path = resolve(__dirname, "../..", SETTINGS_REFERENCE_PATH);
  writeFileSync(path, renderSettingsReference());
  process.stdout.write(`wrote ${SETTINGS_REFERENCE_PATH}\n`);
}
