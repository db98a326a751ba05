/**
 * Usage plans on this machine, set up the way the Pulumi module sets them up in AWS: one plan per
 * tier with a shared pool key, a key of their own for each fixed user (with its mapping item in the
 * cache table), and an API Gateway control plane where the authorizer provisions keys for new users.
 * The gateway meters whatever key value ends up in a plan.
 */
import { type AttributeValue } from "@aws-sdk/client-dynamodb";
import { usagePlansVariable as deployedUsagePlansVariable } from "../infra/lambda-environment";
import { resolveUsagePlans, type UsagePlanContext } from "../infra/validate-usage-plans";
import { userMappingItem } from "../lambda/usage/user-mapping";
import { LocalApiGatewayControlPlane } from "./api-gateway-control-plane";
import type { UsagePlansSettings } from "./stack-config";
import { UsagePlanLimiter } from "./usage-plan-limiter";

export interface LocalTier {
  name: string;
  usagePlanId: string;
  poolKey: string;
}

export interface LocalUsagePlans {
  limiter: UsagePlanLimiter;
  controlPlane: LocalApiGatewayControlPlane;
  tiers: LocalTier[];
  /** The authorizer's USAGE_PLANS value. */
  variable: string;
  stop(): Promise<void>;
}

/** API Gateway plan ids are letters and digits; tier names may also hold `-` and `_`. */
function planIdFor(tier: string, index: number): string {
  return `plan${index}${tier.replace(/[^A-Za-z0-9]/g, "")}`.slice(0, 64);
}

/**
 * The authorizer's USAGE_PLANS value for these settings and the tiers' plans and pool keys, written by
 * the Pulumi module's own encoder (with its defaults), so the local function reads what AWS's would.
 */
export function usagePlansVariable(settings: UsagePlansSettings, context: UsagePlanContext, tiers: readonly LocalTier[]): string {
  const resolved = resolveUsagePlans(settings, context, (path, problem) => {
    // The settings were checked by the same rules when they were read; this only fails on a bug.
    throw new Error(`${path} ${problem}`);
  });
  if (!resolved) throw new Error("usagePlansVariable: no usage plans");
  return deployedUsagePlansVariable(resolved, Object.fromEntries(tiers.map((tier) => [tier.name, { usagePlanId: tier.usagePlanId, poolKey: tier.poolKey }])));
}

/** A USAGE_PLANS value with stand-in plans and keys, to have the authorizer check the settings before anything starts. */
export function usagePlansVariableForCheck(settings: UsagePlansSettings, context: UsagePlanContext): string {
  const tiers = Object.keys(settings.tiers).map((name, i) => ({ name, usagePlanId: planIdFor(name, i), poolKey: `checkpoolkey${String(i).padStart(12, "0")}` }));
  return usagePlansVariable(settings, context, tiers);
}

/**
 * Starts the plans of `settings` on the local API's one stage (`apiId:stage`), which every plan
 * covers, so a key is in one plan at most, as on a real stage.
 */
export async function startLocalUsagePlans(
  settings: UsagePlansSettings,
  context: UsagePlanContext,
  stage: string,
  writeMapping: (item: Record<string, AttributeValue>) => Promise<void>,
): Promise<LocalUsagePlans> {
  const limiter = new UsagePlanLimiter(settings.tiers);
  const plans = new Map(Object.keys(settings.tiers).map((name, i) => [planIdFor(name, i), name] as const));
  const controlPlane = new LocalApiGatewayControlPlane(
    [...plans.keys()].map((id) => ({ id, stages: [stage] })),
    (value, planIds) => (planIds[0] === undefined ? limiter.unregister(value) : limiter.register(value, plans.get(planIds[0])!)),
  );
  controlPlane.reportUsageFrom((value) => limiter.dailyUsage(value));
  await controlPlane.start();
  try {
    const tiers: LocalTier[] = [...plans].map(([usagePlanId, name]) => ({ name, usagePlanId, poolKey: controlPlane.addKey({ name: `keygate-pool-${name}` }, usagePlanId).value }));
    for (const [user, tierName] of Object.entries(settings.users)) {
      const tier = tiers.find((t) => t.name === tierName)!; // tier names were checked when the settings were read
      const key = controlPlane.addKey({ name: `keygate-${user}` }, tier.usagePlanId);
      await writeMapping(userMappingItem({ userId: user, apiKeyId: key.id, apiKeyValue: key.value, tier: tier.name, usagePlanId: tier.usagePlanId, fixed: true }));
    }
    return { limiter, controlPlane, tiers, variable: usagePlansVariable(settings, context, tiers), stop: () => controlPlane.stop() };
  } catch (error) {
    await controlPlane.stop();
    throw error;
  }
}
