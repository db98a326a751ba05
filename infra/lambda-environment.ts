import type { ResolvedSettings } from "./resolve-settings";
import type { ResolvedUsagePlans } from "./validate-usage-plans";

/**
 * Which component setting each of the authorizer's environment variables comes from (see
 * lambda/config.ts for the variables). Used to name the setting when the authorizer's own
 * configuration check rejects a value at preview time.
 */
export const SETTING_FOR_VARIABLE: Readonly<Record<string, string>> = {
  KINDE_DOMAIN: "kinde.domain",
  KINDE_M2M_CLIENT_ID: "kinde.clientId",
  KINDE_M2M_CLIENT_SECRET_ARN: "kinde.clientSecret",
  CACHE_TABLE_NAME: "cacheTable",
  CACHE_TTL_SECONDS: "cacheTtlSeconds",
  NEGATIVE_CACHE_TTL_SECONDS: "negativeCacheTtlSeconds",
  MEMORY_CACHE_TTL_SECONDS: "memoryCacheTtlSeconds",
  STALE_IF_ERROR_SECONDS: "staleIfErrorSeconds",
  VERIFY_TIMEOUT_MS: "verifyTimeoutMs",
  DYNAMODB_TIMEOUT_MS: "dynamoDbTimeoutMs",
  REQUIRED_SCOPES: "requiredScopes",
  ALLOW_ORG_KEYS: "allowOrgKeys",
  ROUTE_SCOPES: "routeScopes",
  USAGE_PLANS: "usagePlans",
};

/** What the environment refers to that only exists once other resources do. */
export interface EnvironmentReferences<T> {
  clientId: T;
  clientSecretArn: T;
  cacheTableName: T;
  /** `USAGE_PLANS` (see `usagePlansVariable`), when usage plans are on. */
  usagePlans?: T;
}

/** What `USAGE_PLANS` needs per tier once its resources exist. */
export interface TierReferences {
  usagePlanId: string;
  /** The pool key's value, not its id: the authorizer returns it as `usageIdentifierKey`. */
  poolKey: string;
}

/**
 * `USAGE_PLANS` as the authorizer reads it (lambda/usage/usage-plans-config.ts). Fixed users are not
 * in it: they are items of the cache table, which the 4 KB of environment could not hold.
 */
export function usagePlansVariable(plans: ResolvedUsagePlans, tiers: Readonly<Record<string, TierReferences>>): string {
  return JSON.stringify({
    tiers: Object.fromEntries(
      plans.tiers.map((tier) => {
        const references = tiers[tier.name];
        if (!references) throw new Error(`usagePlansVariable: no usage plan id and pool key for tier ${tier.name}`);
        return [tier.name, { usagePlanId: references.usagePlanId, poolKey: references.poolKey }];
      }),
    ),
    defaultTier: plans.defaultTier,
    tierScopes: Object.fromEntries(plans.tierScopes),
    autoProvision: plans.autoProvision,
    maxProvisionedKeys: plans.maxProvisionedKeys,
    provisionTimeoutMs: plans.provisionTimeoutMs,
    retryAfterSeconds: plans.retryAfterSeconds,
    retiredKeyGraceSeconds: plans.retiredKeyGraceSeconds,
  });
}

/**
 * The authorizer's environment. It carries the secret's ARN and never the secret itself: the
 * function reads the value from Secrets Manager once per container. Settings left at their
 * default are still written out, so the deployed configuration can be read off the function.
 */
export function authorizerEnvironment<T>(settings: ResolvedSettings, refs: EnvironmentReferences<T>): Record<string, T | string> {
  const environment: Record<string, T | string> = {
    KINDE_DOMAIN: settings.kindeDomain,
    KINDE_M2M_CLIENT_ID: refs.clientId,
    KINDE_M2M_CLIENT_SECRET_ARN: refs.clientSecretArn,
    CACHE_TABLE_NAME: refs.cacheTableName,
    CACHE_TTL_SECONDS: String(settings.cacheTtlSeconds),
    NEGATIVE_CACHE_TTL_SECONDS: String(settings.negativeCacheTtlSeconds),
    MEMORY_CACHE_TTL_SECONDS: String(settings.memoryCacheTtlSeconds),
    STALE_IF_ERROR_SECONDS: String(settings.staleIfErrorSeconds),
    VERIFY_TIMEOUT_MS: String(settings.verifyTimeoutMs),
    DYNAMODB_TIMEOUT_MS: String(settings.dynamoDbTimeoutMs),
    ALLOW_ORG_KEYS: String(settings.allowOrgKeys),
  };
  // Empty values are left out rather than set to "": the authorizer reads both as "none".
  if (settings.requiredScopes.length > 0) environment.REQUIRED_SCOPES = settings.requiredScopes.join(" ");
  if (settings.routeScopesJson !== undefined) environment.ROUTE_SCOPES = settings.routeScopesJson;
  if (refs.usagePlans !== undefined) environment.USAGE_PLANS = refs.usagePlans;
  return environment;
}
