/**
 * The settings `npm start` runs with: those of a Pulumi stack (`Pulumi.<stack>.yaml`), so that what
 * is tried locally is what gets deployed, or the built-in demo settings when there is no stack file.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { AuthorizerSettings } from "../lambda/config";
import { SettingError } from "../lambda/errors";
import { isRecord } from "../lambda/settings/setting-kinds";
import { SETTINGS, type SettingName, type SettingSpec } from "../lambda/settings/settings-table";
import type { UsagePlansSettings as StackUsagePlans } from "../lambda/usage/usage-plans-schema";
import type { ResolvedSettings } from "../infra/resolve-settings";
import { checkStackKeys, CONFIG_NAMESPACE, readStackSettings } from "../infra/stack-settings";

/** `keygate:usagePlans` as written, checked by the deployed rules, with the placements' defaults filled in. */
export interface UsagePlansSettings extends StackUsagePlans {
  defaultTier: string;
  tierScopes: Record<string, string>;
  users: Record<string, string>;
  autoProvision: boolean;
}

/**
 * The settings `npm start` runs with: every authorizer setting as the deployed component resolves
 * it (defaults applied, so the local function and the deployed one agree), and the local gateway's.
 */
export interface KeygateSettings extends Omit<AuthorizerSettings, "kindeDomain"> {
  /** Set only when the stack sets it; npm start otherwise runs the Kinde emulator. */
  kindeDomain?: string;
  /** Set only when the stack sets it; npm start otherwise runs the Kinde emulator. */
  kindeClientId?: string;
  /** Only a plaintext secret; an encrypted one cannot be read without Pulumi (see `kindeClientSecretEncrypted`). */
  kindeClientSecret?: string;
  kindeClientSecretEncrypted: boolean;
  /** API Gateway's authorizer result cache: 0 disables it, 3600 is the maximum. */
  authorizerResultTtlSeconds: number;
  authorizerType: "REQUEST" | "TOKEN";
  usagePlans?: UsagePlansSettings;
  /** From `aws:region`, used in the local method ARNs. */
  region?: string;
}

export type SettingsSource = { kind: "stack-file"; path: string; stack: string } | { kind: "demo" };

export interface LoadedSettings {
  settings: KeygateSettings;
  source: SettingsSource;
  /** Things worth telling the user at start-up, such as a setting name nobody reads (a typo?). */
  warnings: string[];
}

/** A stack setting is malformed: a `SettingError` that also names the file it is in. */
export class SettingsError extends SettingError {
  constructor(
    setting: string,
    problem: string,
    readonly file?: string,
  ) {
    super(`${setting}${file ? ` (in ${file})` : ""}`, problem);
  }
  override name = "SettingsError";
}

/** The stack settings `npm start` runs with (the authorizer's and the gateway's); the others only shape a deployment. */
const LOCAL_SETTINGS: ReadonlySet<string> = new Set(Object.values(SETTINGS).flatMap((setting: SettingSpec) => (setting.local && setting.stackKey ? [setting.stackKey] : [])));

/**
 * Where the settings come from: `KEYGATE_CONFIG` (a path; it must exist), else `Pulumi.dev.yaml`
 * in `cwd` when present, else the built-in demo settings (`undefined`).
 */
export function settingsPath(env: Record<string, string | undefined>, cwd: string): string | undefined {
  const explicit = env.KEYGATE_CONFIG?.trim();
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new SettingsError("KEYGATE_CONFIG", `no file at ${path}`);
    return path;
  }
  const fallback = resolve(cwd, "Pulumi.dev.yaml");
  return existsSync(fallback) ? fallback : undefined;
}

export function loadSettingsFile(path: string): LoadedSettings {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new SettingsError("KEYGATE_CONFIG", `cannot read ${path}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new SettingsError("KEYGATE_CONFIG", `${basename(path)} is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const stack = /^Pulumi\.(.+)\.ya?ml$/.exec(basename(path))?.[1] ?? basename(path);
  const { settings, warnings } = parseStackConfig(document ?? {}, basename(path));
  return { settings, warnings, source: { kind: "stack-file", path, stack } };
}

/**
 * Parses the document of a `Pulumi.<stack>.yaml` file, `{ config: { "keygate:<name>": value, ... } }`,
 * with the stack's own reader and rules (infra/stack-settings.ts): a value `pulumi preview` would
 * refuse stops `npm start` with the same message, naming the setting and the file.
 */
export function parseStackConfig(document: unknown, file?: string): { settings: KeygateSettings; warnings: string[] } {
  // An empty file is a stack with nothing set.
  if (document === null || document === undefined) document = {};
  if (!isRecord(document)) throw new SettingsError("config", "the file must be a YAML mapping with a `config:` section", file);
  const config = document.config ?? {};
  if (!isRecord(config)) throw new SettingsError("config", "must be a mapping of `keygate:<name>: value`", file);

  const values = new Map<string, unknown>();
  let region: string | undefined;
  for (const [fullName, value] of Object.entries(config)) {
    if (fullName === "aws:region" && typeof value === "string") region = value;
    const [namespace, name] = fullName.includes(":") ? [fullName.slice(0, fullName.indexOf(":")), fullName.slice(fullName.indexOf(":") + 1)] : [CONFIG_NAMESPACE, fullName];
    if (namespace !== CONFIG_NAMESPACE) continue;
    values.set(name, value);
  }

  const fail = (setting: string, problem: string): never => {
    throw new SettingsError(setting, problem, file);
  };
  checkStackKeys([...values.keys()], fail);
  // npm start cannot decrypt Pulumi secrets. An encrypted client secret means: use the emulator
  // unless the environment gives the secret; any other encrypted setting it runs with is an error,
  // and one that only shapes a deployment is left unchecked.
  const warnings: string[] = [];
  for (const [name, value] of values) {
    if (!isEncrypted(value) || name === "kindeClientSecret") continue;
    if (LOCAL_SETTINGS.has(name)) fail(`${CONFIG_NAMESPACE}:${name}`, "is encrypted (`secure:`); only the Kinde client secret may be, as npm start cannot decrypt Pulumi secrets");
    warnings.push(`${CONFIG_NAMESPACE}:${name} is encrypted, which npm start cannot read; it only matters to a deployment, so it is not checked here`);
  }

  const { kinde, component, resolved } = readStackSettings((name) => (isEncrypted(values.get(name)) ? undefined : configText(values.get(name))), { kinde: "optional", fail });
  const { kindeDomain, ...authorizer } = authorizerSettings(resolved);
  const settings: KeygateSettings = {
    ...authorizer,
    ...(kinde.domain !== undefined ? { kindeDomain } : {}),
    kindeClientSecretEncrypted: isEncrypted(values.get("kindeClientSecret")),
    authorizerResultTtlSeconds: resolved.authorizerResultTtlSeconds,
    authorizerType: resolved.authorizerType,
  };
  if (kinde.clientId !== undefined) settings.kindeClientId = kinde.clientId;
  if (kinde.clientSecret !== undefined) settings.kindeClientSecret = kinde.clientSecret;
  if (component.usagePlans !== undefined && resolved.usagePlans !== undefined) {
    const plans = component.usagePlans;
    settings.usagePlans = { ...plans, defaultTier: resolved.usagePlans.defaultTier, tierScopes: plans.tierScopes ?? {}, users: plans.users ?? {}, autoProvision: resolved.usagePlans.autoProvision };
  }
  if (region !== undefined) settings.region = region;
  return { settings, warnings };
}

/** The authorizer's settings out of the component's resolved ones: what its environment encodes. */
function authorizerSettings(resolved: ResolvedSettings): AuthorizerSettings {
  const names = (Object.keys(SETTINGS) as SettingName[]).filter((name) => {
    const env = (SETTINGS[name] as SettingSpec).env;
    return env !== undefined && !env.reference;
  });
  return Object.fromEntries(names.map((name) => [name, resolved[name as keyof ResolvedSettings]])) as AuthorizerSettings;
}

/**
 * A value as `pulumi config get` hands it to the program: text as written, numbers and booleans as
 * their text, structured values (YAML mappings and lists) as JSON.
 */
function configText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

function isEncrypted(value: unknown): boolean {
  return isRecord(value) && "secure" in value;
}
