/**
 * The usage plans the run-time provisioning tests share: two tiers, `free` and `pro`, each with its
 * usage plan and pool key as Pulumi creates them, and the authorizer's USAGE_PLANS naming them.
 */
import { LocalApiGatewayControlPlane } from "../../local/api-gateway-control-plane";

export const FREE_PLAN = "free123";
export const PRO_PLAN = "pro456";
export const FREE_POOL = "FreePoolKey0123456789abcdefghij";
export const PRO_POOL = "ProPoolKey0123456789abcdefghijk";

/**
 * USAGE_PLANS: `plan:pro` places a user in pro, everyone else is free; provisioning on, bounded at
 * the most USAGE_PLANS allows (10 s), so a loaded machine never turns a provisioning case into a
 * timeout. A test about the bound expiring sets its own, with a stand-in that hangs.
 */
export const PLANS = {
  tiers: { free: { usagePlanId: FREE_PLAN, poolKey: FREE_POOL }, pro: { usagePlanId: PRO_PLAN, poolKey: PRO_POOL } },
  defaultTier: "free",
  tierScopes: { "plan:pro": "pro" },
  autoProvision: true,
  provisionTimeoutMs: 10_000,
};

/** A control plane with both plans on `stages` and, in each, its pool key: what Pulumi provisions. */
export async function startTwoTierControlPlane(stages: string[]): Promise<LocalApiGatewayControlPlane> {
  const controlPlane = await new LocalApiGatewayControlPlane([
    { id: FREE_PLAN, stages },
    { id: PRO_PLAN, stages },
  ]).start();
  controlPlane.addKey({ name: "keygate-pool-free", value: FREE_POOL }, FREE_PLAN);
  controlPlane.addKey({ name: "keygate-pool-pro", value: PRO_POOL }, PRO_PLAN);
  return controlPlane;
}
