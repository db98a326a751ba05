/**
 * Checks `usagePlans` before any resource exists. The options the authorizer reads from
 * `USAGE_PLANS` at start-up are read here with the same schema (lambda/usage/usage-plans-schema.ts),
 * plus the rules only the deployment knows: API Gateway's limits on plans and keys, and how the
 * plans fit the rest of the component's settings.
 */
import {
  API_KEYS_PER_ACCOUNT_AND_REGION,
  readUsagePlanOptions,
  TIER_SCOPE,
  tierNameProblem,
  USAGE_PLAN_OPTIONS,
  type UsagePlansSettings,
  type UsageQuotaPeriod,
} from "../lambda/usage/usage-plans-schema";
export { API_KEYS_PER_ACCOUNT_AND_REGION } from "../lambda/usage/usage-plans-schema";

const SETTINGS = ["tiers", "defaultTier", "tierScopes", "users", ...Object.keys(USAGE_PLAN_OPTIONS)];
const TIER_SETTINGS = ["throttle", "quota", "methodThrottles"];
const PERIODS: readonly UsageQuotaPeriod[] = ["DAY", "WEEK", "MONTH"];
// Kinde user ids are `kp_` and letters and digits; organization principals are `org:<org_code>`.
const USER_ID = /^kp_[A-Za-z0-9]{1,64}$/;
const ORG_PRINCIPAL = /^org:[A-Za-z0-9_]{1,64}$/;
// API Gateway's method key in a usage plan: `/<resource path>/<METHOD>`, `*` matching any.
const METHOD_THROTTLE_KEY = /^\/\S*\/(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY|\*)$/;
// API Gateway stores burst and quota limits as 32-bit integers.
const MAX_INT32 = 2_147_483_647;

export interface ResolvedThrottle {
  rateLimit: number;
  burstLimit: number;
}

export interface ResolvedQuota {
  limit: number;
  period: UsageQuotaPeriod;
  offset?: number;
}

export interface ResolvedTier {
  name: string;
  throttle?: ResolvedThrottle;
  quota?: ResolvedQuota;
  /** In the order written, keyed as API Gateway keys them (`/orders/GET`). */
  methodThrottles: (ResolvedThrottle & { path: string })[];
}

export interface ResolvedUsagePlans {
  /** In the order written: one usage plan and one pool key each. */
  tiers: ResolvedTier[];
  defaultTier: string;
  /** Scope → tier, in the order written (the authorizer tries them in that order). */
  tierScopes: [scope: string, tier: string][];
  /** Fixed assignments, in the order written. */
  users: { userId: string; tier: string }[];
  autoProvision: boolean;
  maxProvisionedKeys: number;
  provisionTimeoutMs: number;
  retryAfterSeconds: number;
  retiredKeyGraceSeconds: number;
}

/** What the checks need from the rest of the component's settings. */
export interface UsagePlanContext {
  allowOrgKeys: boolean;
  authorizerResultTtlSeconds: number;
}

/** Reports a bad setting by its path below the component's arguments (`usagePlans.tiers.free.quota`). */
export type Fail = (path: string, problem: string) => never;

export function resolveUsagePlans(value: UsagePlansSettings | undefined, context: UsagePlanContext, fail: Fail): ResolvedUsagePlans | undefined {
  if (value === undefined) return undefined;
  const root = object(value, "usagePlans", 'must be an object such as { tiers: { free: { throttle: { rateLimit: 5, burstLimit: 10 } } }, defaultTier: "free" }', fail);
  knownSettings(root, "usagePlans", SETTINGS, fail);

  const tiers = resolveTiers(root.tiers, fail);
  const tierNames = tiers.map((tier) => tier.name);
  const isTier = (name: unknown): name is string => typeof name === "string" && tierNames.includes(name);
  const tierList = tierNames.join(", ");

  if (root.defaultTier === undefined && tiers.length > 1) fail("usagePlans.defaultTier", `is required with several tiers: one of ${tierList}`);
  // `=== undefined` rather than `??` throughout: a null written in JSON is a mistake to report, not a default.
  const defaultTier = root.defaultTier === undefined ? tierNames[0] : root.defaultTier;
  if (!isTier(defaultTier)) return fail("usagePlans.defaultTier", `names ${JSON.stringify(defaultTier)}, which is not a tier; the tiers are ${tierList}`);

  const tierScopes = entries(root.tierScopes, "usagePlans.tierScopes", 'must be an object of scope → tier, such as { "plan:pro": "pro" }', fail).map(([scope, tier]): [string, string] => {
    if (!TIER_SCOPE.test(scope)) fail("usagePlans.tierScopes", `has ${JSON.stringify(scope)}, which is not a scope: 1 to 128 printable characters without spaces`);
    if (!isTier(tier)) fail(`usagePlans.tierScopes["${scope}"]`, `names ${JSON.stringify(tier)}, which is not a tier; the tiers are ${tierList}`);
    return [scope, tier as string];
  });

  const users = entries(root.users, "usagePlans.users", 'must be an object of user id → tier, such as { "kp_0123456789abcdef": "pro" }', fail).map(([userId, tier]) => {
    if (ORG_PRINCIPAL.test(userId)) {
      if (!context.allowOrgKeys) fail(`usagePlans.users["${userId}"]`, "is an organization, and allowOrgKeys is off: the authorizer would never meter an organization");
    } else if (!USER_ID.test(userId)) {
      fail("usagePlans.users", `has ${JSON.stringify(userId)}, which is not a Kinde user id (kp_ followed by letters and digits) or an organization (org:<org_code>)`);
    }
    if (!isTier(tier)) fail(`usagePlans.users["${userId}"]`, `names ${JSON.stringify(tier)}, which is not a tier; the tiers are ${tierList}`);
    return { userId, tier: tier as string };
  });

  const resolved: ResolvedUsagePlans = {
    tiers,
    defaultTier,
    tierScopes,
    users,
    ...readUsagePlanOptions(root, (option, problem) => fail(`usagePlans.${option}`, problem)),
  };
  checkKeyBudget(resolved, fail);
  if (resolved.autoProvision && resolved.retiredKeyGraceSeconds < context.authorizerResultTtlSeconds) {
    // API Gateway's cached answers name the old key until they expire; deleting it sooner answers 403.
    fail(
      "usagePlans.retiredKeyGraceSeconds",
      `is ${resolved.retiredKeyGraceSeconds}, below authorizerResultTtlSeconds (${context.authorizerResultTtlSeconds}): a user whose tier changed would get 403 while cached answers still name their deleted old key`,
    );
  }
  return resolved;
}

/**
 * Every key counts against the same 10,000: one pool key per tier, one per fixed user, and (with
 * autoProvision) up to maxProvisionedKeys made at run time. Keys of other teams in the account count
 * too, which no preview can see: docs/usage-plans.md says to leave room for them.
 */
function checkKeyBudget(plans: ResolvedUsagePlans, fail: Fail): void {
  const provisioned = plans.autoProvision ? plans.maxProvisionedKeys : 0;
  const total = plans.tiers.length + plans.users.length + provisioned;
  if (total <= API_KEYS_PER_ACCOUNT_AND_REGION) return;
  const parts = `${plans.tiers.length} pool key(s), ${plans.users.length} fixed user(s)${plans.autoProvision ? ` and maxProvisionedKeys ${plans.maxProvisionedKeys}` : ""}`;
  fail(
    plans.autoProvision ? "usagePlans.maxProvisionedKeys" : "usagePlans.users",
    `leaves too few API keys: ${parts} make ${total}, and API Gateway allows ${API_KEYS_PER_ACCOUNT_AND_REGION} per account and Region (a hard cap AWS does not raise)`,
  );
}

function resolveTiers(value: unknown, fail: Fail): ResolvedTier[] {
  const tiers = entries(value, "usagePlans.tiers", "must be an object of tiers, such as { free: { throttle: { rateLimit: 5, burstLimit: 10 } } }", fail);
  if (tiers.length === 0) fail("usagePlans.tiers", "must name at least one tier, such as { free: { throttle: { rateLimit: 5, burstLimit: 10 } } }");
  return tiers.map(([name, raw]): ResolvedTier => {
    const nameProblem = tierNameProblem(name);
    if (nameProblem) fail("usagePlans.tiers", `has ${JSON.stringify(name)}, which ${nameProblem}`);
    const path = `usagePlans.tiers.${name}`;
    const tier = object(raw, path, "must be an object with throttle, quota and methodThrottles (each optional)", fail);
    knownSettings(tier, path, TIER_SETTINGS, fail);
    const throttle = tier.throttle === undefined ? undefined : resolveThrottle(tier.throttle, `${path}.throttle`, fail);
    const quota = tier.quota === undefined ? undefined : resolveQuota(tier.quota, `${path}.quota`, fail);
    const methodThrottles = entries(tier.methodThrottles, `${path}.methodThrottles`, 'must be an object such as { "/orders/GET": { rateLimit: 1, burstLimit: 2 } }', fail).map(([key, settings]) => {
      if (!METHOD_THROTTLE_KEY.test(key)) {
        fail(`${path}.methodThrottles`, `has ${JSON.stringify(key)}, which is not a method as API Gateway names it: /<resource path>/<METHOD>, such as "/orders/{id}/GET"`);
      }
      return { path: key, ...resolveThrottle(settings, `${path}.methodThrottles["${key}"]`, fail) };
    });
    return { name, ...(throttle ? { throttle } : {}), ...(quota ? { quota } : {}), methodThrottles };
  });
}

function resolveThrottle(value: unknown, path: string, fail: Fail): ResolvedThrottle {
  const throttle = object(value, path, "must be an object { rateLimit, burstLimit }", fail);
  knownSettings(throttle, path, ["rateLimit", "burstLimit"], fail);
  const { rateLimit, burstLimit } = throttle;
  if (rateLimit === undefined) fail(`${path}.rateLimit`, "is required: requests per second");
  // API Gateway's rateLimit is a double: 0.5 is one request every two seconds.
  if (typeof rateLimit !== "number" || !Number.isFinite(rateLimit) || rateLimit < 0) fail(`${path}.rateLimit`, `must be a number of requests per second, 0 or more (got ${JSON.stringify(rateLimit)})`);
  if (burstLimit === undefined) fail(`${path}.burstLimit`, "is required: the most requests let through at once");
  wholeNumber(burstLimit, `${path}.burstLimit`, 0, MAX_INT32, fail);
  return { rateLimit: rateLimit as number, burstLimit: burstLimit as number };
}

function resolveQuota(value: unknown, path: string, fail: Fail): ResolvedQuota {
  const quota = object(value, path, 'must be an object { limit, period, offset? }, such as { limit: 10000, period: "MONTH" }', fail);
  knownSettings(quota, path, ["limit", "period", "offset"], fail);
  if (quota.limit === undefined) fail(`${path}.limit`, "is required: a quota is a number of requests per period");
  const limit = wholeNumber(quota.limit, `${path}.limit`, 1, MAX_INT32, fail);
  if (typeof quota.period !== "string" || !(PERIODS as readonly string[]).includes(quota.period)) {
    fail(`${path}.period`, `must be DAY, WEEK or MONTH (got ${JSON.stringify(quota.period)})`);
  }
  const offset = quota.offset === undefined ? undefined : wholeNumber(quota.offset, `${path}.offset`, 0, limit, fail);
  return { limit, period: quota.period as UsageQuotaPeriod, ...(offset !== undefined ? { offset } : {}) };
}

function wholeNumber(value: unknown, path: string, min: number, max: number, fail: Fail): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) fail(path, `must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  return value as number;
}

function object(value: unknown, path: string, expectation: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, expectation);
  return value as Record<string, unknown>;
}

/** An optional object's entries; an absent one has none. */
function entries(value: unknown, path: string, expectation: string, fail: Fail): [string, unknown][] {
  return value === undefined ? [] : Object.entries(object(value, path, expectation, fail));
}

function knownSettings(value: Record<string, unknown>, path: string, known: readonly string[], fail: Fail): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail(path, `has the unknown setting ${JSON.stringify(key)}; the settings are ${known.join(", ")}`);
  }
}
