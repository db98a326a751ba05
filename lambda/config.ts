import { parseRouteScopes, type RouteRule } from "./policy/route-rules";
import { parseUsagePlans, USAGE_PLANS_EXAMPLE, type UsagePlansConfig } from "./usage/usage-plans-config";

/**
 * The authorizer's configuration, read once per container from environment variables.
 * These variable names are Keygate's interface: the Pulumi component and `npm start` set them.
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
  cacheTtlSeconds: number;
  negativeCacheTtlSeconds: number;
  memoryCacheTtlSeconds: number;
  memoryCacheMaxEntries: number;
  staleIfErrorSeconds: number;
  verifyTimeoutMs: number;
  dynamoDbTimeoutMs: number;
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

/** A setting is missing or malformed. The message names the variable and never echoes a secret. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export function loadConfig(env: Env = process.env): AuthorizerConfig {
  const clientSecret = optional(env, "KINDE_M2M_CLIENT_SECRET");
  const clientSecretArn = optional(env, "KINDE_M2M_CLIENT_SECRET_ARN");
  if (clientSecret === undefined && clientSecretArn === undefined) {
    throw new ConfigError("KINDE_M2M_CLIENT_SECRET_ARN", "set it (or KINDE_M2M_CLIENT_SECRET for local use)");
  }
  if (clientSecretArn !== undefined && !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(clientSecretArn)) {
    throw new ConfigError("KINDE_M2M_CLIENT_SECRET_ARN", "must be a Secrets Manager secret ARN");
  }

  const cacheTtlSeconds = integer(env, "CACHE_TTL_SECONDS", 300, 1, 86_400);
  const cacheTableName = optional(env, "CACHE_TABLE_NAME");
  const plans = usagePlans(env, cacheTableName);
  return {
    kinde: {
      domain: kindeDomain(env),
      clientId: required(env, "KINDE_M2M_CLIENT_ID"),
      ...(clientSecret !== undefined ? { clientSecret } : { clientSecretArn }),
    },
    cacheTableName,
    cacheTtlSeconds,
    negativeCacheTtlSeconds: integer(env, "NEGATIVE_CACHE_TTL_SECONDS", 30, 1, 86_400),
    memoryCacheTtlSeconds: Math.min(integer(env, "MEMORY_CACHE_TTL_SECONDS", 30, 0, 86_400), cacheTtlSeconds),
    memoryCacheMaxEntries: integer(env, "MEMORY_CACHE_MAX_ENTRIES", 10_000, 1, 1_000_000),
    staleIfErrorSeconds: integer(env, "STALE_IF_ERROR_SECONDS", 0, 0, 86_400),
    verifyTimeoutMs: integer(env, "VERIFY_TIMEOUT_MS", 2_500, 100, 30_000),
    dynamoDbTimeoutMs: integer(env, "DYNAMODB_TIMEOUT_MS", 250, 10, 2_000),
    requiredScopes: scopeList(env, "REQUIRED_SCOPES"),
    allowOrgKeys: boolean(env, "ALLOW_ORG_KEYS", false),
    routeRules: routeRules(env),
    kindeApiIds: scopeList(env, "KINDE_API_IDS"),
    // A minute at least, so no setting makes it a call per request; a week at most, so a wrong answer heals.
    keyMetadataTtlSeconds: integer(env, "KEY_METADATA_TTL_SECONDS", 86_400, 60, 604_800),
    acceptKeysForAnyApi: boolean(env, "ACCEPT_KEYS_FOR_ANY_API", false),
    ...(plans ? { usagePlans: plans } : {}),
  };
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function required(env: Env, name: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigError(name, "is required");
  return value;
}

function kindeDomain(env: Env): string {
  const raw = required(env, "KINDE_DOMAIN");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("KINDE_DOMAIN", `"${raw}" is not a URL such as https://acme.kinde.com`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new ConfigError("KINDE_DOMAIN", "must use https:// (plain http:// is accepted only for loopback hosts)");
  }
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new ConfigError("KINDE_DOMAIN", "must be a bare origin such as https://acme.kinde.com, with no path, query or credentials");
  }
  return url.origin;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `"${raw}" is not a whole number`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `${value} is outside ${min}..${max}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw new ConfigError(name, `"${raw}" must be true or false`);
}

/** Scopes are separated by spaces or commas, as operators tend to write them. */
function scopeList(env: Env, name: string): string[] {
  const raw = optional(env, name);
  return raw === undefined ? [] : [...new Set(raw.split(/[\s,]+/).filter(Boolean))];
}

function routeRules(env: Env): RouteRule[] {
  const raw = optional(env, "ROUTE_SCOPES");
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError("ROUTE_SCOPES", 'is not JSON; expected e.g. {"GET /profile/*": "read:profile"}');
  }
  try {
    return parseRouteScopes(parsed);
  } catch (error) {
    throw new ConfigError("ROUTE_SCOPES", (error as Error).message);
  }
}

function usagePlans(env: Env, cacheTableName: string | undefined): UsagePlansConfig | undefined {
  const raw = optional(env, "USAGE_PLANS");
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError("USAGE_PLANS", `is not JSON; expected e.g. ${USAGE_PLANS_EXAMPLE}`);
  }
  let config: UsagePlansConfig;
  try {
    config = parseUsagePlans(parsed);
  } catch (error) {
    throw new ConfigError("USAGE_PLANS", (error as Error).message);
  }
  // Provisioned keys are recorded in the cache table; without it each container would create its own.
  if (config.autoProvision && cacheTableName === undefined) throw new ConfigError("USAGE_PLANS", "autoProvision needs CACHE_TABLE_NAME");
  return config;
}
