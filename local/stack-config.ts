/**
 * The settings `npm start` runs with: those of a Pulumi stack (`Pulumi.<stack>.yaml`), so that what
 * is tried locally is what gets deployed, or the built-in demo settings when there is no stack file.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { QuotaPeriod, TierSettings } from "./usage-plan-limiter";

export interface UsagePlansSettings {
  tiers: Record<string, TierSettings>;
  defaultTier: string;
  /** A Kinde key scope that places its user in a tier, e.g. `{"plan:pro": "pro"}`. */
  tierScopes: Record<string, string>;
  /** Fixed user → tier assignments. */
  users: Record<string, string>;
  autoProvision: boolean;
  maxProvisionedKeys?: number;
  /** The authorizer's own tuning of provisioning (see lambda/usage/usage-plans-config.ts); its defaults when unset. */
  provisionTimeoutMs?: number;
  retryAfterSeconds?: number;
  retiredKeyGraceSeconds?: number;
}

export interface KeygateSettings {
  kindeDomain?: string;
  kindeClientId?: string;
  /** Only a plaintext secret; an encrypted one cannot be read without Pulumi (see `kindeClientSecretEncrypted`). */
  kindeClientSecret?: string;
  kindeClientSecretEncrypted: boolean;
  cacheTtlSeconds?: number;
  negativeCacheTtlSeconds?: number;
  memoryCacheTtlSeconds?: number;
  staleIfErrorSeconds?: number;
  verifyTimeoutMs?: number;
  dynamoDbTimeoutMs?: number;
  requiredScopes: string[];
  routeScopes: Record<string, string | string[]>;
  allowOrgKeys: boolean;
  /** API Gateway's authorizer result cache: 0 disables it, 3600 is the maximum, 300 when unset. */
  authorizerResultTtlSeconds: number;
  /** The authorizer's event type; REQUEST when unset, as deployed. */
  authorizerType?: "REQUEST" | "TOKEN";
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

/** A stack setting is malformed. The message names the setting and the file. */
export class SettingsError extends Error {
  constructor(
    readonly setting: string,
    problem: string,
    readonly file?: string,
  ) {
    super(`${setting}${file ? ` (in ${file})` : ""}: ${problem}`);
    this.name = "SettingsError";
  }
}

const PROJECT = "keygate";
const DEFAULT_AUTHORIZER_RESULT_TTL_SECONDS = 300;

/**
 * Stack settings that only matter to a deployment (see infra/stack-config.ts): accepted without a
 * word, so a real stack file loads as it is.
 */
export const DEPLOYMENT_ONLY_SETTINGS: readonly string[] = [
  "restApiIds",
  "stageNames",
  "demoApi",
  "demoStageName",
  "openApi",
  "memorySizeMb",
  "auditLogRetentionDays",
  "auditLogKmsKeyArn",
  "auditLogMetrics",
  "cacheTablePointInTimeRecovery",
  "cacheTableDeletionProtection",
  "tags",
];

/** Every `keygate:` setting this reader understands or knowingly ignores. */
export const KNOWN_SETTINGS: readonly string[] = [
  "kindeDomain",
  "kindeClientId",
  "kindeClientSecret",
  "cacheTtlSeconds",
  "negativeCacheTtlSeconds",
  "memoryCacheTtlSeconds",
  "staleIfErrorSeconds",
  "verifyTimeoutMs",
  "dynamoDbTimeoutMs",
  "authorizerType",
  "requiredScopes",
  "routeScopes",
  "allowOrgKeys",
  "authorizerResultTtlSeconds",
  "usagePlans",
  ...DEPLOYMENT_ONLY_SETTINGS,
];

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

/** Parses the document of a `Pulumi.<stack>.yaml` file: `{ config: { "keygate:<name>": value, ... } }`. */
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
    const [namespace, name] = fullName.includes(":") ? [fullName.slice(0, fullName.indexOf(":")), fullName.slice(fullName.indexOf(":") + 1)] : [PROJECT, fullName];
    if (namespace !== PROJECT) continue;
    values.set(name, value);
  }

  const read = new SettingReader(values, file);
  const settings: KeygateSettings = {
    kindeClientSecretEncrypted: false,
    requiredScopes: read.scopeList("requiredScopes"),
    routeScopes: read.routeScopes("routeScopes"),
    allowOrgKeys: read.boolean("allowOrgKeys") ?? false,
    authorizerResultTtlSeconds: read.integer("authorizerResultTtlSeconds", 0, 3600) ?? DEFAULT_AUTHORIZER_RESULT_TTL_SECONDS,
  };
  const domain = read.string("kindeDomain");
  if (domain !== undefined) settings.kindeDomain = normaliseKindeDomain(domain);
  const clientId = read.string("kindeClientId");
  if (clientId !== undefined) settings.kindeClientId = clientId;
  const secret = values.get("kindeClientSecret");
  if (isRecord(secret) && "secure" in secret) settings.kindeClientSecretEncrypted = true;
  else {
    const plain = read.string("kindeClientSecret");
    if (plain !== undefined) settings.kindeClientSecret = plain;
  }
  const type = read.string("authorizerType")?.toUpperCase();
  if (type !== undefined) {
    if (type !== "REQUEST" && type !== "TOKEN") throw new SettingsError(`${PROJECT}:authorizerType`, "must be REQUEST or TOKEN", file);
    settings.authorizerType = type;
  }
  for (const name of ["cacheTtlSeconds", "negativeCacheTtlSeconds", "memoryCacheTtlSeconds", "staleIfErrorSeconds", "verifyTimeoutMs", "dynamoDbTimeoutMs"] as const) {
    // Ranges are the authorizer's own (lambda/config.ts), checked when its environment is built.
    const value = read.integer(name, 0, Number.MAX_SAFE_INTEGER);
    if (value !== undefined) settings[name] = value;
  }
  if (values.has("usagePlans")) {
    const plans = parseUsagePlans(read.object("usagePlans"), file);
    if (plans) settings.usagePlans = plans;
  }
  if (region !== undefined) settings.region = region;

  const known = new Set<string>(KNOWN_SETTINGS);
  const warnings = [...values.keys()]
    .filter((name) => !known.has(name))
    .map((name) => `${PROJECT}:${name} is not a Keygate setting; it is ignored (a typo?)`);
  return { settings, warnings };
}

/** `acme.kinde.com` and `https://acme.kinde.com/` both mean `https://acme.kinde.com`. */
function normaliseKindeDomain(value: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
  return withScheme.replace(/\/+$/, "");
}

function parseUsagePlans(raw: Record<string, unknown> | undefined, file?: string): UsagePlansSettings | undefined {
  if (raw === undefined) return undefined;
  knownKeys(raw, ["tiers", "defaultTier", "tierScopes", "users", "autoProvision", "maxProvisionedKeys", "provisionTimeoutMs", "retryAfterSeconds", "retiredKeyGraceSeconds"], `${PROJECT}:usagePlans`, file);
  const read = new SettingReader(new Map(Object.entries(raw)), file, `${PROJECT}:usagePlans.`);
  const tiersRaw = read.object("tiers");
  if (!tiersRaw || Object.keys(tiersRaw).length === 0) throw new SettingsError(`${PROJECT}:usagePlans.tiers`, "define at least one tier, e.g. free: { throttle: { rateLimit: 5, burstLimit: 10 } }", file);
  const tiers: Record<string, TierSettings> = {};
  for (const [tier, value] of Object.entries(tiersRaw)) tiers[tier] = parseTier(tier, value, file);
  const tierNames = Object.keys(tiers);
  const checkTier = (setting: string, tier: string) => {
    if (!Object.hasOwn(tiers, tier)) throw new SettingsError(`${PROJECT}:usagePlans.${setting}`, `"${tier}" is not a tier (the tiers are ${tierNames.join(", ")})`, file);
    return tier;
  };
  const defaultTier = checkTier("defaultTier", read.string("defaultTier") ?? tierNames[0]!);
  const tierScopes = read.stringMap("tierScopes");
  for (const [scope, tier] of Object.entries(tierScopes)) checkTier(`tierScopes.${scope}`, tier);
  const users = read.stringMap("users");
  for (const [user, tier] of Object.entries(users)) checkTier(`users.${user}`, tier);
  const plans: UsagePlansSettings = { tiers, defaultTier, tierScopes, users, autoProvision: read.boolean("autoProvision") ?? false };
  const max = read.integer("maxProvisionedKeys", 0, 10_000);
  if (max !== undefined) plans.maxProvisionedKeys = max;
  // Ranges are the authorizer's, checked when its USAGE_PLANS variable is built.
  for (const name of ["provisionTimeoutMs", "retryAfterSeconds", "retiredKeyGraceSeconds"] as const) {
    const value = read.integer(name, 0, Number.MAX_SAFE_INTEGER);
    if (value !== undefined) plans[name] = value;
  }
  return plans;
}

function parseTier(tier: string, value: unknown, file?: string): TierSettings {
  const prefix = `${PROJECT}:usagePlans.tiers.${tier}`;
  if (!isRecord(value)) throw new SettingsError(prefix, "must be a mapping with throttle and/or quota", file);
  knownKeys(value, ["throttle", "quota", "methodThrottles"], prefix, file);
  const read = new SettingReader(new Map(Object.entries(value)), file, `${prefix}.`);
  const result: TierSettings = {};
  const throttle = read.object("throttle");
  if (throttle) {
    const t = new SettingReader(new Map(Object.entries(throttle)), file, `${prefix}.throttle.`);
    const rateLimit = t.number("rateLimit", 0);
    const burstLimit = t.integer("burstLimit", 0, Number.MAX_SAFE_INTEGER);
    if (rateLimit === undefined || burstLimit === undefined) throw new SettingsError(`${prefix}.throttle`, "needs rateLimit and burstLimit", file);
    result.throttle = { rateLimit, burstLimit };
  }
  const methodThrottles = read.object("methodThrottles");
  if (methodThrottles) {
    result.methodThrottles = {};
    for (const [key, value] of Object.entries(methodThrottles)) {
      const name = `${prefix}.methodThrottles["${key}"]`;
      if (!/^\/\S*\/(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY|\*)$/.test(key)) {
        throw new SettingsError(`${prefix}.methodThrottles`, `"${key}" is not a method as API Gateway names it: /<resource path>/<METHOD>, such as "/orders/{id}/GET"`, file);
      }
      if (!isRecord(value)) throw new SettingsError(name, "must be { rateLimit, burstLimit }", file);
      const t = new SettingReader(new Map(Object.entries(value)), file, `${name}.`);
      const rateLimit = t.number("rateLimit", 0);
      const burstLimit = t.integer("burstLimit", 0, Number.MAX_SAFE_INTEGER);
      if (rateLimit === undefined || burstLimit === undefined) throw new SettingsError(name, "needs rateLimit and burstLimit", file);
      result.methodThrottles[key] = { rateLimit, burstLimit };
    }
  }
  const quota = read.object("quota");
  if (quota) {
    const q = new SettingReader(new Map(Object.entries(quota)), file, `${prefix}.quota.`);
    const limit = q.integer("limit", 1, Number.MAX_SAFE_INTEGER);
    if (limit === undefined) throw new SettingsError(`${prefix}.quota.limit`, "is required for a quota", file);
    const period = (q.string("period") ?? "").toUpperCase();
    if (period !== "DAY" && period !== "WEEK" && period !== "MONTH") throw new SettingsError(`${prefix}.quota.period`, "must be DAY, WEEK or MONTH", file);
    const offset = q.integer("offset", 0, limit);
    result.quota = { limit, period: period as QuotaPeriod, ...(offset !== undefined ? { offset } : {}) };
  }
  return result;
}

/**
 * Reads typed values from a config mapping. Pulumi stores `pulumi config set name 30` as the
 * string "30" and structured values as YAML (or as JSON text when set without --path): all are accepted.
 */
class SettingReader {
  constructor(
    private readonly values: Map<string, unknown>,
    private readonly file: string | undefined,
    private readonly prefix = `${PROJECT}:`,
  ) {}

  private fail(name: string, problem: string): never {
    throw new SettingsError(`${this.prefix}${name}`, problem, this.file);
  }

  private raw(name: string): unknown {
    const value = this.values.get(name);
    if (isRecord(value) && "secure" in value) this.fail(name, "is encrypted (`secure:`); only the Kinde client secret may be, as npm start cannot decrypt Pulumi secrets");
    return value;
  }

  string(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string" && typeof value !== "number") this.fail(name, "must be a string");
    const text = String(value).trim();
    return text === "" ? undefined : text;
  }

  number(name: string, min: number): number | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null || value === "") return undefined;
    const n = typeof value === "number" ? value : typeof value === "string" && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isFinite(n) || n < min) this.fail(name, `${JSON.stringify(value)} is not a number of at least ${min}`);
    return n;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null || value === "") return undefined;
    const n = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isInteger(n)) this.fail(name, `${JSON.stringify(value)} is not a whole number`);
    if (n < min || n > max) this.fail(name, `${n} is outside ${min}..${max}`);
    return n;
  }

  boolean(name: string): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null || value === "") return undefined;
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    this.fail(name, `${JSON.stringify(value)} must be true or false`);
  }

  private structured(name: string): unknown {
    const value = this.raw(name);
    if (typeof value !== "string") return value;
    const text = value.trim();
    if (!text.startsWith("{") && !text.startsWith("[")) return value;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      this.fail(name, "looks like JSON but does not parse");
    }
  }

  object(name: string): Record<string, unknown> | undefined {
    const value = this.structured(name);
    if (value === undefined || value === null) return undefined;
    if (!isRecord(value)) this.fail(name, "must be a mapping");
    return value;
  }

  stringMap(name: string): Record<string, string> {
    const value = this.object(name) ?? {};
    for (const [key, item] of Object.entries(value)) {
      if (typeof item !== "string" || item.trim() === "") this.fail(`${name}.${key}`, "must be a non-empty string");
    }
    return value as Record<string, string>;
  }

  /** A YAML list, JSON list text, or scopes separated by spaces or commas. */
  scopeList(name: string): string[] {
    const value = this.structured(name);
    if (value === undefined || value === null) return [];
    const items = typeof value === "string" ? value.split(/[\s,]+/) : value;
    if (!Array.isArray(items) || !items.every((item) => typeof item === "string")) this.fail(name, "must be a list of scopes");
    return [...new Set((items as string[]).map((s) => s.trim()).filter(Boolean))];
  }

  /** Checked in full by the authorizer's own parser (ROUTE_SCOPES); here only its outline. */
  routeScopes(name: string): Record<string, string | string[]> {
    const value = this.object(name) ?? {};
    for (const [route, scopes] of Object.entries(value)) {
      const ok = typeof scopes === "string" || (Array.isArray(scopes) && scopes.every((s) => typeof s === "string"));
      if (!ok) this.fail(`${name}."${route}"`, "must be a scope or a list of scopes");
    }
    return value as Record<string, string | string[]>;
  }
}

/** A misspelt setting inside a structured value is an error, as in `pulumi preview`, not a silent default. */
function knownKeys(value: Record<string, unknown>, known: readonly string[], setting: string, file?: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new SettingsError(setting, `has the unknown setting "${key}"; the settings are ${known.join(", ")}`, file);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
