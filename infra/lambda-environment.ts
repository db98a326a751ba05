import type { ResolvedUsagePlans } from "./validate-usage-plans";

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
