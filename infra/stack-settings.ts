/**
 * The stack settings (`keygate:<key>`), read and checked without Pulumi: `pulumi up` reads them
 * through stack-config.ts, and `npm start` from a `Pulumi.<stack>.yaml` file (local/stack-config.ts),
 * so both accept the same values and refuse the same ones with the same message.
 */
import type { ProtectedRestApiId, UserKeyAuthorizerArgs } from "./args";
import { checkSettings, PLAIN_VALUES, type ResolvedSettings, type SettingNamer } from "./resolve-settings";

export const CONFIG_NAMESPACE = "keygate";

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

/** Reports a bad stack setting by its full name (`keygate:cacheTtlSeconds`, `keygate:usagePlans.tiers.free`). */
export type SettingFail = (setting: string, problem: string) => never;

/**
 * `pulumi up` needs the Kinde settings. `npm start` runs without them (its Kinde emulator, or
 * credentials from the environment), so for it they are checked only when set.
 */
export type KindeRequirement = "required" | "optional";

interface KindeText {
  domain: string;
  clientId: string;
  /** As text, only so an empty one is refused; the Pulumi program passes the secret on as a secret. */
  clientSecret: string;
}

export interface StackValues<Kinde> {
  /** The Kinde settings as written. */
  kinde: Kinde;
  /** The component's other arguments, typed as it expects them. */
  component: Omit<UserKeyAuthorizerArgs, "apis" | "kinde">;
  /** REST APIs to protect, named by id. Empty means: create and protect the demo API. */
  apis: ProtectedRestApiId[];
  /** True when the stack creates and protects the demo API. */
  demoApi: boolean;
  demoStageName: string;
  /** Every setting as the component's rules resolved it, defaults applied. */
  resolved: ResolvedSettings;
}

// What npm start checks the other settings with when a Kinde setting is not in the stack file.
const KINDE_STAND_IN: KindeText = { domain: "https://kinde-settings.invalid", clientId: "unset", clientSecret: "unset" };

/**
 * Reads and checks the stack configuration: `get` returns a setting as `pulumi config get` would
 * (text, with structured values as JSON), or undefined when unset. A bad setting is reported through
 * `fail` with its `keygate:` name, before anything is registered or started.
 */
export function readStackSettings(get: (key: StackConfigKey) => string | undefined, options: { fail: SettingFail; kinde: "required" }): StackValues<KindeText>;
export function readStackSettings(get: (key: StackConfigKey) => string | undefined, options: { fail: SettingFail; kinde: "optional" }): StackValues<Partial<KindeText>>;
export function readStackSettings(get: (key: StackConfigKey) => string | undefined, options: { fail: SettingFail; kinde: KindeRequirement }): StackValues<Partial<KindeText>> {
  const key = (name: StackConfigKey) => `${CONFIG_NAMESPACE}:${name}`;
  const fail: (name: StackConfigKey, problem: string) => never = (name, problem) => options.fail(key(name), problem);
  const text = (name: StackConfigKey): string | undefined => {
    const value = get(name);
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
    // A JSON object where a list belongs (a YAML mapping in the stack file) is a mistake, not a word.
    if (value.startsWith("[") || value.startsWith("{")) {
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
    if (!isRecord(parsed)) fail(name, "must be a JSON object");
    return parsed as Record<string, unknown>;
  };

  const required = options.kinde === "required";
  const clientId = text("kindeClientId");
  if (required && clientId === undefined) fail("kindeClientId", "is required: pulumi config set kindeClientId <client id of the Kinde M2M application>");
  // Read as plain text only to refuse an empty value; what the Pulumi program passes on is the secret.
  const rawSecret = get("kindeClientSecret");
  if (required && rawSecret === undefined) fail("kindeClientSecret", "is required: pulumi config set --secret kindeClientSecret <client secret>");
  if (required && rawSecret?.trim() === "") fail("kindeClientSecret", "must not be empty");
  const clientSecret = rawSecret?.trim() === "" ? undefined : rawSecret;
  const domain = text("kindeDomain");
  if (required && domain === undefined) fail("kindeDomain", "is required, e.g. pulumi config set kindeDomain https://acme.kinde.com");

  // Upper-cased as API Gateway spells it; anything but REQUEST or TOKEN is refused below.
  const authorizerType = text("authorizerType")?.toUpperCase();
  const component: Omit<UserKeyAuthorizerArgs, "apis" | "kinde"> = {
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
  // does not exist yet, so a stand-in with its stage takes its place in that check; so do stand-ins
  // for Kinde settings npm start runs without.
  const standIn: ProtectedRestApiId[] = useDemo ? [{ name: "demo", restApiId: "demo000000", stageNames: [demoStageName] }] : apis;
  const name = stackSettingName({ demo: useDemo });
  const resolved = checkSettings(
    {
      ...component,
      kinde: { domain: domain ?? KINDE_STAND_IN.domain, clientId: clientId ?? KINDE_STAND_IN.clientId, clientSecret: clientSecret ?? KINDE_STAND_IN.clientSecret },
      apis: standIn,
    },
    (path, problem) => options.fail(name(path), problem),
    PLAIN_VALUES,
  );

  const kinde = { ...(domain !== undefined ? { domain } : {}), ...(clientId !== undefined ? { clientId } : {}), ...(clientSecret !== undefined ? { clientSecret } : {}) };
  return { kinde, component, apis, demoApi: useDemo, demoStageName, resolved };
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
 * by hand in the stack file may come as a string ("5", "true", "month"); both `pulumi up` and
 * `npm start` accept those. Only the known positions are touched: a tier or user named "limit"
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
