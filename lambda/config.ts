import { SettingError } from "./errors";
import { parseRouteScopes, type RouteRule } from "./policy/route-rules";
import { SETTINGS, type SettingName, type SettingSpec, type SettingValue } from "./settings/settings-table";
import { parseUsagePlans, USAGE_PLANS_EXAMPLE, type UsagePlansConfig } from "./usage/usage-plans-config";

/**
 * The authorizer's configuration, read once per container from environment variables. The
 * variables, their kinds and defaults are those of the settings table (settings/settings-table.ts);
 * the Pulumi component and `npm start` write them with `authorizerEnvironment` below.
 */
export interface AuthorizerConfig {
  kinde: {
    /** Base URL of the Kinde business, e.g. `https://acme.kinde.com` (no trailing slash). */
    domain: string;
    clientId: string;
    /** Exactly one of the two is set: the secret itself (local use) or its Secrets Manager ARN (deployed). */
    clientSecret?: string;
    clientSecretArn?: string;
  };
  /** DynamoDB table for verdicts; unset means memory-only caching. */
  cacheTableName?: string;
  /** `KEYGATE_STACK_TAG`: the `keygate:stack` tag's value on the API keys the authorizer creates; unset creates them untagged. */
  stackTag?: string;
  cacheTtlSeconds: number;
  negativeCacheTtlSeconds: number;
  memoryCacheTtlSeconds: number;
  memoryCacheMaxEntries: number;
  staleIfErrorSeconds: number;
  verifyTimeoutMs: number;
  dynamoDbTimeoutMs: number;
  /** Distinct failed keys per source IP per minute before that IP's unknown keys are refused without asking Kinde; 0 turns the limit off. */
  failedKeysPerIpPerMinute: number;
  requiredScopes: string[];
  allowOrgKeys: boolean;
  routeRules: RouteRule[];
  /** `KINDE_API_IDS`: keys must be issued for one of these Kinde APIs; empty accepts any API of the business. */
  kindeApiIds: string[];
  /** `KEY_METADATA_TTL_SECONDS`: how long a key's metadata (api_ids, type) is cached; it never changes for a key id. */
  keyMetadataTtlSeconds: number;
  /** `ACCEPT_KEYS_FOR_ANY_API`: the operator's explicit opt-in to run without KINDE_API_IDS or REQUIRED_SCOPES. */
  acceptKeysForAnyApi: boolean;
  /** Per-user usage plans (`USAGE_PLANS`); unset means requests carry no usage key. */
  usagePlans?: UsagePlansConfig;
}

type Env = Record<string, string | undefined>;

/** Settings the authorizer reads from a variable of its own value (not a reference to a resource). */
export type EncodedSettingName = {
  [N in SettingName]: (typeof SETTINGS)[N] extends { env: { reference: true } } ? never : (typeof SETTINGS)[N] extends { env: object } ? N : never;
}[SettingName];
/** Settings whose variable the environment's builder fills in: resource names, the secret, encoded usage plans. */
export type ReferenceSettingName = {
  [N in SettingName]: (typeof SETTINGS)[N] extends { env: { reference: true } } ? N : never;
}[SettingName];

/** What the environment encodes: every authorizer setting with its value resolved (defaults applied). */
export type AuthorizerSettings = { [N in EncodedSettingName]: SettingValue<N> };

/** Values only known where the environment is built (or, deployed, once resources exist). */
export type EnvironmentReferences<T> = { [N in ReferenceSettingName]?: T };

/**
 * The authorizer's environment for its settings: the one encoder both the Pulumi component and
 * `npm start` use, so the deployed function and the local one run with the same values. Every
 * setting is written out, defaults included, so the configuration in force can be read off the
 * function; empty lists and maps are left out (the authorizer reads a missing variable as none).
 */
export function authorizerEnvironment<T>(settings: AuthorizerSettings, references: EnvironmentReferences<T>): Record<string, string | T> {
  const environment: Record<string, string | T> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
    if (!setting.env) continue;
    if (setting.env.reference) {
      const value = references[name as ReferenceSettingName];
      if (value !== undefined) environment[setting.env.name] = value;
      continue;
    }
    const text = setting.kind.toEnv(settings[name as EncodedSettingName]);
    if (text !== undefined) environment[setting.env.name] = text;
  }
  return environment;
}

/** The setting an environment variable carries, to name it in the reader's own terms. */
export function settingOfVariable(variable: string): SettingName | undefined {
  return (Object.keys(SETTINGS) as SettingName[]).find((name) => (SETTINGS[name] as SettingSpec).env?.name === variable);
}

export function loadConfig(env: Env = process.env): AuthorizerConfig {
  const read = <N extends SettingName>(name: N): SettingValue<N> | undefined => readVariable(env, name);
  const value = <N extends EncodedSettingName>(name: N): SettingValue<N> => {
    const found = read(name);
    if (found === undefined) throw new SettingError(variableOf(name), "is required");
    return found;
  };
  const clientSecret = read("clientSecret");
  const clientSecretArn = read("clientSecretArn");
  if (clientSecret === undefined && clientSecretArn === undefined) {
    throw new SettingError("KINDE_M2M_CLIENT_SECRET_ARN", "set it (or KINDE_M2M_CLIENT_SECRET for local use)");
  }
  const clientId = read("clientId");
  if (clientId === undefined) throw new SettingError("KINDE_M2M_CLIENT_ID", "is required");

  const cacheTtlSeconds = value("cacheTtlSeconds");
  const cacheTableName = read("cacheTableName");
  const plans = usagePlans(env, cacheTableName);
  return {
    kinde: {
      domain: value("kindeDomain"),
      clientId,
      ...(clientSecret !== undefined ? { clientSecret } : { clientSecretArn }),
    },
    cacheTableName,
    stackTag: read("stackTag"),
    cacheTtlSeconds,
    negativeCacheTtlSeconds: value("negativeCacheTtlSeconds"),
    memoryCacheTtlSeconds: Math.min(value("memoryCacheTtlSeconds"), cacheTtlSeconds),
    memoryCacheMaxEntries: value("memoryCacheMaxEntries"),
    staleIfErrorSeconds: value("staleIfErrorSeconds"),
    verifyTimeoutMs: value("verifyTimeoutMs"),
    dynamoDbTimeoutMs: value("dynamoDbTimeoutMs"),
    failedKeysPerIpPerMinute: value("failedKeysPerIpPerMinute"),
    requiredScopes: value("requiredScopes"),
    allowOrgKeys: value("allowOrgKeys"),
    routeRules: parseRouteScopes(value("routeScopes")),
    kindeApiIds: value("kindeApiIds"),
    keyMetadataTtlSeconds: value("keyMetadataTtlSeconds"),
    acceptKeysForAnyApi: value("acceptKeysForAnyApi"),
    ...(plans ? { usagePlans: plans } : {}),
  };
}

function variableOf(name: SettingName): string {
  return (SETTINGS[name] as SettingSpec).env?.name ?? name;
}

/** One setting from its variable: its default when unset or empty, else the text read and checked by the setting's kind. */
function readVariable<N extends SettingName>(env: Env, name: N): SettingValue<N> | undefined {
  const setting = SETTINGS[name] as SettingSpec<SettingValue<N>>;
  const variable = variableOf(name);
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === "") return setting.default;
  const kind = setting.env?.kind ?? setting.kind;
  const problem = (text: string): never => {
    throw new SettingError(variable, text);
  };
  return kind.check(kind.fromText(raw, problem), problem);
}

function usagePlans(env: Env, cacheTableName: string | undefined): UsagePlansConfig | undefined {
  const raw = env.USAGE_PLANS?.trim() || undefined;
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SettingError("USAGE_PLANS", `is not JSON; expected e.g. ${USAGE_PLANS_EXAMPLE}`);
  }
  let config: UsagePlansConfig;
  try {
    config = parseUsagePlans(parsed);
  } catch (error) {
    throw new SettingError("USAGE_PLANS", (error as Error).message);
  }
  // Provisioned keys are recorded in the cache table; without it each container would create its own.
  if (config.autoProvision && cacheTableName === undefined) throw new SettingError("USAGE_PLANS", "autoProvision needs CACHE_TABLE_NAME");
  return config;
}
