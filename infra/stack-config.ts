import * as pulumi from "@pulumi/pulumi";
import type { ProtectedRestApiId, UserKeyAuthorizerArgs } from "./args";
import { InvalidSettingError, resolveSettings, type SettingNamer } from "./validate-args";

/** Where stack settings come from: `pulumi config` in a real run, a plain map in tests. */
export interface ConfigSource {
  /** The raw value, or undefined when unset. */
  get(key: string): string | undefined;
  /** The value as a Pulumi secret, or undefined when unset. */
  getSecret(key: string): pulumi.Output<string> | undefined;
}

export const CONFIG_NAMESPACE = "keygate";

export function pulumiConfigSource(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): ConfigSource {
  return { get: (key) => config.get(key), getSecret: (key) => config.getSecret(key) };
}

/** Every stack setting, `keygate:<key>`. The README's configuration table lists the same. */
export const STACK_CONFIG_KEYS = [
  "kindeDomain",
  "kindeClientId",
  "kindeClientSecret",
  "restApiIds",
  "stageNames",
  "demoApi",
  "demoStageName",
  "openApi",
  "cacheTtlSeconds",
  "negativeCacheTtlSeconds",
  "memoryCacheTtlSeconds",
  "staleIfErrorSeconds",
  "verifyTimeoutMs",
  "dynamoDbTimeoutMs",
  "requiredScopes",
  "allowOrgKeys",
  "routeScopes",
  "authorizerType",
  "authorizerResultTtlSeconds",
  "memorySizeMb",
  "auditLogRetentionDays",
  "auditLogKmsKeyArn",
  "auditLogMetrics",
  "cacheTablePointInTimeRecovery",
  "cacheTableDeletionProtection",
  "tags",
  "usagePlans",
] as const;
export type StackConfigKey = (typeof STACK_CONFIG_KEYS)[number];

/** The stack's settings: the component's arguments (without `apis`), and what to protect. */
export interface StackSettings {
  component: Omit<UserKeyAuthorizerArgs, "apis">;
  /** REST APIs to protect, named by id. Empty means: create and protect the demo API. */
  apis: ProtectedRestApiId[];
  demoApi: boolean;
  demoStageName: string;
}

const COMPONENT_PATH_TO_KEY: Record<string, StackConfigKey> = {
  "kinde.domain": "kindeDomain",
  "kinde.clientId": "kindeClientId",
  "kinde.clientSecret": "kindeClientSecret",
  apis: "restApiIds",
  "auditLog.retentionInDays": "auditLogRetentionDays",
  "auditLog.kmsKeyArn": "auditLogKmsKeyArn",
  "auditLog.metrics": "auditLogMetrics",
  "cacheTable.pointInTimeRecovery": "cacheTablePointInTimeRecovery",
  "cacheTable.deletionProtection": "cacheTableDeletionProtection",
};

/** Names a component argument the way the stack's user set it: `keygate:<key>`. */
export function stackSettingName(options: { demo: boolean }): SettingNamer {
  return (path) => {
    const api = /^apis\[\d+\](\.(\w+))?/.exec(path);
    if (api) return `${CONFIG_NAMESPACE}:${api[2] === "stageNames" ? (options.demo ? "demoStageName" : "stageNames") : "restApiIds"}`;
    return `${CONFIG_NAMESPACE}:${COMPONENT_PATH_TO_KEY[path] ?? path}`;
  };
}

/**
 * Reads and checks the stack configuration, so that `pulumi preview` stops before registering
 * anything when a setting is wrong, with a message that names it.
 */
export function readStackConfig(source: ConfigSource): StackSettings {
  const key = (name: StackConfigKey) => `${CONFIG_NAMESPACE}:${name}`;
  const fail: (name: StackConfigKey, problem: string) => never = (name, problem) => {
    throw new InvalidSettingError(key(name), problem);
  };
  const text = (name: StackConfigKey): string | undefined => {
    const value = source.get(name);
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const whole = (name: StackConfigKey): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) fail(name, `must be a whole number (got ${JSON.stringify(value)})`);
    return Number(value);
  };
  const flag = (name: StackConfigKey): boolean | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (value !== "true" && value !== "false") fail(name, `must be true or false (got ${JSON.stringify(value)})`);
    return value === "true";
  };
  // Lists may be set as JSON (`pulumi config set --path 'restApiIds[0]' ...` stores that) or as
  // words separated by commas or spaces, as people tend to type them.
  const list = (name: StackConfigKey): string[] => {
    const value = text(name);
    if (value === undefined) return [];
    if (value.startsWith("[")) {
      const parsed = parseJson(value, () => fail(name, `is not valid JSON (got ${JSON.stringify(value)})`));
      if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) fail(name, "must be a JSON list of strings");
      return parsed as string[];
    }
    return value.split(/[\s,]+/).filter(Boolean);
  };
  const object = (name: StackConfigKey): Record<string, unknown> | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const parsed = parseJson(value, () => fail(name, `is not valid JSON (got ${JSON.stringify(value)})`));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) fail(name, "must be a JSON object");
    return parsed as Record<string, unknown>;
  };

  const clientId = text("kindeClientId");
  if (clientId === undefined) fail("kindeClientId", "is required: pulumi config set kindeClientId <client id of the Kinde M2M application>");
  // Read once as plain text only to refuse an empty value at preview; what the program passes on is the secret.
  const rawSecret = source.get("kindeClientSecret");
  const clientSecret = source.getSecret("kindeClientSecret");
  if (rawSecret === undefined || clientSecret === undefined) fail("kindeClientSecret", "is required: pulumi config set --secret kindeClientSecret <client secret>");
  if (rawSecret.trim() === "") fail("kindeClientSecret", "must not be empty");

  // Upper-cased as API Gateway spells it; anything but REQUEST or TOKEN is refused below.
  const authorizerType = text("authorizerType")?.toUpperCase();
  const component: Omit<UserKeyAuthorizerArgs, "apis"> = {
    kinde: { domain: text("kindeDomain") ?? fail("kindeDomain", "is required, e.g. pulumi config set kindeDomain https://acme.kinde.com"), clientId, clientSecret },
    openApi: flag("openApi"),
    cacheTtlSeconds: whole("cacheTtlSeconds"),
    negativeCacheTtlSeconds: whole("negativeCacheTtlSeconds"),
    memoryCacheTtlSeconds: whole("memoryCacheTtlSeconds"),
    staleIfErrorSeconds: whole("staleIfErrorSeconds"),
    verifyTimeoutMs: whole("verifyTimeoutMs"),
    dynamoDbTimeoutMs: whole("dynamoDbTimeoutMs"),
    requiredScopes: text("requiredScopes") === undefined ? undefined : list("requiredScopes"),
    allowOrgKeys: flag("allowOrgKeys"),
    routeScopes: object("routeScopes") as UserKeyAuthorizerArgs["routeScopes"],
    authorizerType: authorizerType as UserKeyAuthorizerArgs["authorizerType"],
    authorizerResultTtlSeconds: whole("authorizerResultTtlSeconds"),
    memorySizeMb: whole("memorySizeMb"),
    auditLog: { retentionInDays: whole("auditLogRetentionDays"), kmsKeyArn: text("auditLogKmsKeyArn"), metrics: flag("auditLogMetrics") },
    cacheTable: { pointInTimeRecovery: flag("cacheTablePointInTimeRecovery"), deletionProtection: flag("cacheTableDeletionProtection") },
    tags: object("tags") as Record<string, string> | undefined,
    // Checked by the component's rules below, named as stack settings (keygate:usagePlans.tiers.free.quota...).
    usagePlans: typedUsagePlans(object("usagePlans")) as UserKeyAuthorizerArgs["usagePlans"],
  };

  const restApiIds = list("restApiIds");
  const stageNames = list("stageNames");
  const demoApi = flag("demoApi") ?? true;
  const demoStageName = text("demoStageName") ?? "demo";
  const useDemo = restApiIds.length === 0 && demoApi;
  if (restApiIds.length === 0 && stageNames.length > 0) {
    fail("stageNames", `is set but ${key("restApiIds")} is empty: stage names belong to the REST APIs named there (the demo API's stage is ${key("demoStageName")})`);
  }
  if (restApiIds.length === 0 && !demoApi && !component.openApi) {
    fail("restApiIds", `is empty and ${key("demoApi")} is false: name the REST APIs to protect (pulumi config set restApiIds <id>), or keep the demo API`);
  }
  const apis: ProtectedRestApiId[] = restApiIds.map((restApiId) => ({ restApiId, stageNames }));

  // Everything else is checked by the component's own rules, named as stack settings. The demo API
  // does not exist yet, so a stand-in with its stage takes its place in that check.
  const standIn: ProtectedRestApiId[] = useDemo ? [{ name: "demo", restApiId: "demo000000", stageNames: [demoStageName] }] : apis;
  resolveSettings({ ...component, apis: standIn }, stackSettingName({ demo: useDemo }));

  return { component, apis, demoApi: useDemo, demoStageName };
}

function parseJson(text: string, onError: () => never): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return onError();
  }
}

const NUMBER = /^\d+(\.\d+)?$/;
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * `keygate:usagePlans` with its scalars typed. A value set with `pulumi config set --path` or written
 * by hand in the stack file may come as a string ("5", "true", "month"); npm start accepts those, so
 * the same stack file deploys. Only the known positions are touched: a tier or user named "limit"
 * stays a name.
 */
function typedUsagePlans(value: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  const numbers = (record: unknown, keys: readonly string[]): unknown => {
    if (!isRecord(record)) return record;
    const typed = keys.filter((key) => typeof record[key] === "string" && NUMBER.test(record[key] as string)).map((key) => [key, Number(record[key])]);
    return { ...record, ...Object.fromEntries(typed) };
  };
  const throttle = (record: unknown) => numbers(record, ["rateLimit", "burstLimit"]);
  const tier = (record: unknown): unknown => {
    if (!isRecord(record)) return record;
    const quota = numbers(record.quota, ["limit", "offset"]);
    return {
      ...record,
      ...(record.throttle !== undefined ? { throttle: throttle(record.throttle) } : {}),
      ...(isRecord(quota) && typeof quota.period === "string" ? { quota: { ...quota, period: quota.period.toUpperCase() } } : record.quota !== undefined ? { quota } : {}),
      ...(isRecord(record.methodThrottles) ? { methodThrottles: Object.fromEntries(Object.entries(record.methodThrottles).map(([method, settings]) => [method, throttle(settings)])) } : {}),
    };
  };
  const typed = numbers(value, ["maxProvisionedKeys", "provisionTimeoutMs", "retryAfterSeconds", "retiredKeyGraceSeconds"]) as Record<string, unknown>;
  return {
    ...typed,
    ...(value.autoProvision === "true" || value.autoProvision === "false" ? { autoProvision: value.autoProvision === "true" } : {}),
    ...(isRecord(value.tiers) ? { tiers: Object.fromEntries(Object.entries(value.tiers).map(([name, settings]) => [name, tier(settings)])) } : {}),
  };
}
