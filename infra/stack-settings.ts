/**
 * The stack settings (`keygate:<key>`), read and checked without Pulumi: `pulumi up` reads them
 * through stack-config.ts, and `npm start` from a `Pulumi.<stack>.yaml` file (local/stack-config.ts),
 * so both accept the same values and refuse the same ones with the same message.
 */
import type { ProtectedHttpApiId, ProtectedRestApiId, UserKeyAuthorizerArgs } from "./args";
import { closestName } from "../lambda/closest-name";
import { isRecord } from "../lambda/settings/setting-kinds";
import { SETTINGS, STACK_KEYS, type SettingName, type SettingSpec } from "../lambda/settings/settings-table";
import { checkSettings, PLAIN_VALUES, type ResolvedSettings, type SettingNamer } from "./resolve-settings";

export const CONFIG_NAMESPACE = "keygate";

/** Every stack setting, `keygate:<key>`, from the settings table. */
export const STACK_CONFIG_KEYS: readonly string[] = STACK_KEYS;
export type StackConfigKey = string;

/** The stack key of each component argument the table names (`auditLog.retentionInDays` → `auditLogRetentionDays`). */
const COMPONENT_PATH_TO_KEY: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.values(SETTINGS).flatMap((setting: SettingSpec) => (setting.arg && setting.stackKey ? [[setting.arg, setting.stackKey]] : []))),
  apis: "restApiIds",
  httpApis: "httpApiIds",
};

/** Names a component argument the way the stack's user set it: `keygate:<key>`. */
export function stackSettingName(options: { demo: boolean }): SettingNamer {
  return (path) => {
    const api = /^apis\[\d+\](\.(\w+))?/.exec(path);
    if (api) return `${CONFIG_NAMESPACE}:${api[2] === "stageNames" ? (options.demo ? "demoStageName" : "stageNames") : "restApiIds"}`;
    if (/^httpApis\[\d+\]/.test(path)) return `${CONFIG_NAMESPACE}:httpApiIds`;
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
  apiIds?: string[];
}

export interface StackValues<Kinde> {
  /** The Kinde settings as written. */
  kinde: Kinde;
  /** The component's other arguments, typed as it expects them. */
  component: Omit<UserKeyAuthorizerArgs, "apis" | "httpApis" | "kinde">;
  /** REST APIs to protect, named by id. Empty, with no HTTP APIs either, means: create and protect the demo API. */
  apis: ProtectedRestApiId[];
  /** HTTP APIs (API Gateway v2) to protect, named by id. */
  httpApis: ProtectedHttpApiId[];
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
export function readStackSettings(get: (key: StackConfigKey) => string | undefined, options: { fail: SettingFail; kinde: "required"; names?: readonly string[] }): StackValues<KindeText>;
export function readStackSettings(get: (key: StackConfigKey) => string | undefined, options: { fail: SettingFail; kinde: "optional"; names?: readonly string[] }): StackValues<Partial<KindeText>>;
export function readStackSettings(get: (key: StackConfigKey) => string | undefined, options: { fail: SettingFail; kinde: KindeRequirement; names?: readonly string[] }): StackValues<Partial<KindeText>> {
  const key = (name: StackConfigKey) => `${CONFIG_NAMESPACE}:${name}`;
  const fail: (name: StackConfigKey, problem: string) => never = (name, problem) => options.fail(key(name), problem);
  if (options.names) checkStackKeys(options.names, options.fail);
  const text = (name: StackConfigKey): string | undefined => {
    const value = get(name);
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };

  // Each setting's text read by its kind; the component's rules check the values below.
  const component: Record<string, unknown> = {};
  const stackOnly: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
    if (setting.stackKey === undefined || setting.secret) continue;
    const stackKey = setting.stackKey;
    const raw = text(stackKey);
    if (raw === undefined) continue;
    const value = setting.kind.fromText(raw, (problem) => fail(stackKey, problem));
    if (setting.arg) setAt(component, setting.arg, name === "usagePlans" ? typedUsagePlans(value as Record<string, unknown>) : value);
    else stackOnly[name] = setting.kind.check(value, (problem) => fail(stackKey, problem));
  }
  const { kinde: kindeText, ...componentArgs } = component as { kinde?: Partial<KindeText> } & Omit<UserKeyAuthorizerArgs, "apis" | "httpApis" | "kinde">;

  const required = options.kinde === "required";
  const clientId = kindeText?.clientId;
  if (required && clientId === undefined) fail("kindeClientId", "is required: pulumi config set kindeClientId <client id of the Kinde M2M application>");
  // Read as plain text only to refuse an empty value; what the Pulumi program passes on is the secret.
  const rawSecret = get("kindeClientSecret");
  if (required && rawSecret === undefined) fail("kindeClientSecret", "is required: pulumi config set --secret kindeClientSecret <client secret>");
  if (required && rawSecret?.trim() === "") fail("kindeClientSecret", "must not be empty");
  const clientSecret = rawSecret?.trim() === "" ? undefined : rawSecret;
  const domain = kindeText?.domain;
  if (required && domain === undefined) fail("kindeDomain", "is required, e.g. pulumi config set kindeDomain https://acme.kinde.com");

  const restApiIds = (stackOnly.restApiIds as string[] | undefined) ?? SETTINGS.restApiIds.default;
  const httpApiIds = (stackOnly.httpApiIds as string[] | undefined) ?? SETTINGS.httpApiIds.default;
  const stageNames = (stackOnly.stageNames as string[] | undefined) ?? SETTINGS.stageNames.default;
  const demoApi = (stackOnly.demoApi as boolean | undefined) ?? SETTINGS.demoApi.default;
  const demoStageName = (stackOnly.demoStageName as string | undefined) ?? SETTINGS.demoStageName.default;
  const useDemo = restApiIds.length === 0 && httpApiIds.length === 0 && demoApi;
  if (restApiIds.length === 0 && stageNames.length > 0) {
    fail(
      "stageNames",
      `is set but ${key("restApiIds")} is empty: stage names belong to the REST APIs named there (the demo API's stage is ${key("demoStageName")}; an HTTP API's stages need none)`,
    );
  }
  if (restApiIds.length === 0 && httpApiIds.length === 0 && !demoApi && !componentArgs.openApi) {
    fail(
      "restApiIds",
      `is empty, so is ${key("httpApiIds")}, and ${key("demoApi")} is false: name the REST APIs to protect (pulumi config set restApiIds <id>) or the HTTP APIs (pulumi config set httpApiIds <id>), or keep the demo API`,
    );
  }
  const apis: ProtectedRestApiId[] = restApiIds.map((restApiId) => ({ restApiId, stageNames }));
  const httpApis: ProtectedHttpApiId[] = httpApiIds.map((apiId) => ({ apiId }));

  // Everything else is checked by the component's own rules, named as stack settings. The demo API
  // does not exist yet, so a stand-in with its stage takes its place in that check; so do stand-ins
  // for Kinde settings npm start runs without.
  const standIn: ProtectedRestApiId[] = useDemo ? [{ name: "demo", restApiId: "demo000000", stageNames: [demoStageName] }] : apis;
  const name = stackSettingName({ demo: useDemo });
  const resolved = checkSettings(
    {
      ...componentArgs,
      kinde: {
        ...kindeText,
        domain: domain ?? KINDE_STAND_IN.domain,
        clientId: clientId ?? KINDE_STAND_IN.clientId,
        clientSecret: clientSecret ?? KINDE_STAND_IN.clientSecret,
      },
      apis: standIn,
      httpApis,
    },
    (path, problem) => options.fail(name(path), problem),
    PLAIN_VALUES,
  );

  const kinde = {
    ...(domain !== undefined ? { domain } : {}),
    ...(clientId !== undefined ? { clientId } : {}),
    ...(clientSecret !== undefined ? { clientSecret } : {}),
    ...(kindeText?.apiIds !== undefined ? { apiIds: kindeText.apiIds } : {}),
  };
  return { kinde, component: componentArgs, apis, httpApis, demoApi: useDemo, demoStageName, resolved };
}

/**
 * Refuses a `keygate:` key that is not a setting, naming the closest one: a misspelt setting would
 * otherwise be ignored, and a misspelt `requiredScopes` fails open.
 */
export function checkStackKeys(names: readonly string[], fail: SettingFail): void {
  for (const name of names) {
    if (STACK_KEYS.includes(name)) continue;
    const closest = closestName(name, STACK_KEYS);
    fail(`${CONFIG_NAMESPACE}:${name}`, `is not a Keygate setting${closest ? `; did you mean ${CONFIG_NAMESPACE}:${closest}?` : ` (the settings are listed in docs/configuration.md)`}`);
  }
}

/** Sets a value at a dotted path (`auditLog.retentionInDays`), creating the objects on the way. */
function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  const last = keys.pop()!;
  let node = target;
  for (const key of keys) node = (node[key] ??= {}) as Record<string, unknown>;
  node[last] = value;
}

const NUMBER = /^\d+(\.\d+)?$/;

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
