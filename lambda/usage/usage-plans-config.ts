/**
 * The run-time half of per-user usage plans, as the `USAGE_PLANS` environment variable describes it.
 * Tiers live here rather than in DynamoDB so that a DynamoDB outage still leaves every tier's pool key
 * at hand; fixed user assignments live in the cache table instead (the 4 KB limit on a function's
 * environment could not hold them).
 */
import { readUsagePlanOptions, TIER_SCOPE, tierNameProblem, USAGE_PLAN_OPTIONS } from "./usage-plans-schema";

export interface UsageTier {
  /** The usage plan (one per tier) that user keys of this tier are added to. */
  usagePlanId: string;
  /** Value of the tier's shared API Gateway key: served when a user has no key of their own. */
  poolKey: string;
}

export interface UsagePlansConfig {
  tiers: Readonly<Record<string, UsageTier>>;
  defaultTier: string;
  /** Kinde scopes that place a key's principal in a tier, in the order they are tried. */
  tierScopes: ReadonlyArray<readonly [scope: string, tier: string]>;
  /** Give each new principal a key of their own at their first request. */
  autoProvision: boolean;
  /** Ceiling on keys created at run time, across all containers (API Gateway stops at 10,000 per account and Region). */
  maxProvisionedKeys: number;
  /** The longest a request may wait for its principal's key to be looked up or provisioned. */
  provisionTimeoutMs: number;
  /** After a failed attempt, a principal is served the pool key this long before the next attempt. */
  retryAfterSeconds: number;
  /**
   * A key replaced by a tier change stays in its old plan this long before it is deleted: API Gateway's
   * authorizer result cache (up to 3600 s) may still name it.
   */
  retiredKeyGraceSeconds: number;
}

export const USAGE_PLANS_EXAMPLE =
  '{"tiers": {"free": {"usagePlanId": "abc123", "poolKey": "<the free pool key value>"}}, "defaultTier": "free"}';

const USAGE_PLAN_ID = /^[A-Za-z0-9]{1,64}$/;
// API Gateway's own rule for key values: 20 to 128 alphanumeric characters.
const KEY_VALUE = /^[A-Za-z0-9]{20,128}$/;
const SETTINGS = new Set(["tiers", "defaultTier", "tierScopes", ...Object.keys(USAGE_PLAN_OPTIONS)]);

/** Checks parsed `USAGE_PLANS` JSON; each message names the setting at fault and never echoes a key value. */
export function parseUsagePlans(value: unknown): UsagePlansConfig {
  const root = object(value, "the value", `must be a JSON object such as ${USAGE_PLANS_EXAMPLE}`);
  for (const name of Object.keys(root)) {
    if (!SETTINGS.has(name)) throw new Error(`unknown setting "${name}"; the settings are ${[...SETTINGS].join(", ")}`);
  }

  const tiers = parseTiers(root.tiers);
  const tierNames = Object.keys(tiers);
  const defaultTier = root.defaultTier ?? (tierNames.length === 1 ? tierNames[0] : undefined);
  if (typeof defaultTier !== "string") throw new Error(`defaultTier is required with several tiers; one of ${tierNames.join(", ")}`);
  if (!Object.hasOwn(tiers, defaultTier)) throw new Error(`defaultTier: "${defaultTier}" is not a tier; the tiers are ${tierNames.join(", ")}`);

  return {
    tiers,
    defaultTier,
    tierScopes: parseTierScopes(root.tierScopes, tiers),
    ...readUsagePlanOptions(root, (option, problem) => {
      throw new Error(`${option}: ${problem}`);
    }),
  };
}

function parseTiers(value: unknown): Record<string, UsageTier> {
  const raw = object(value, "tiers", 'must be an object of tiers such as {"free": {"usagePlanId": "abc123", "poolKey": "..."}}');
  const entries = Object.entries(raw);
  if (entries.length === 0) throw new Error("tiers: name at least one tier");
  const tiers: Record<string, UsageTier> = {};
  const plans = new Map<string, string>();
  const poolKeys = new Map<string, string>();
  for (const [name, settings] of entries) {
    const nameProblem = tierNameProblem(name);
    if (nameProblem) throw new Error(`tiers: "${name}" ${nameProblem}`);
    const tier = object(settings, `tiers.${name}`, 'must be an object such as {"usagePlanId": "abc123", "poolKey": "..."}');
    for (const field of Object.keys(tier)) {
      if (field !== "usagePlanId" && field !== "poolKey") throw new Error(`tiers.${name}: unknown setting "${field}"; a tier has usagePlanId and poolKey`);
    }
    const { usagePlanId, poolKey } = tier;
    if (typeof usagePlanId !== "string" || !USAGE_PLAN_ID.test(usagePlanId)) throw new Error(`tiers.${name}.usagePlanId: must be a usage plan id such as "abc123"`);
    // The pool key is always required: without it a user with no key of their own would get API Gateway's 403.
    if (typeof poolKey !== "string" || !KEY_VALUE.test(poolKey)) {
      throw new Error(`tiers.${name}.poolKey: must be the value (not the id) of the tier's pool key: 20 to 128 letters and digits`);
    }
    // Two tiers sharing a plan or a pool key is a copy-and-paste slip, and would meter them as one.
    if (plans.has(usagePlanId)) throw new Error(`tiers.${name}.usagePlanId: tier "${plans.get(usagePlanId)}" uses the same plan`);
    if (poolKeys.has(poolKey)) throw new Error(`tiers.${name}.poolKey: tier "${poolKeys.get(poolKey)}" uses the same pool key`);
    plans.set(usagePlanId, name);
    poolKeys.set(poolKey, name);
    tiers[name] = { usagePlanId, poolKey };
  }
  return tiers;
}

function parseTierScopes(value: unknown, tiers: Record<string, UsageTier>): [string, string][] {
  if (value === undefined) return [];
  const raw = object(value, "tierScopes", 'must be an object such as {"plan:pro": "pro"}');
  return Object.entries(raw).map(([scope, tier]): [string, string] => {
    if (!TIER_SCOPE.test(scope)) throw new Error(`tierScopes: "${scope}" is not a scope (no spaces, at most 128 characters)`);
    if (typeof tier !== "string" || !Object.hasOwn(tiers, tier)) {
      throw new Error(`tierScopes."${scope}": ${JSON.stringify(tier)} is not a tier; the tiers are ${Object.keys(tiers).join(", ")}`);
    }
    return [scope, tier];
  });
}

function object(value: unknown, name: string, expectation: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${name} ${expectation}`);
  return value as Record<string, unknown>;
}
