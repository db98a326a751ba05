import type { UsagePlansConfig } from "./usage-plans-config";
import type { UserMapping } from "./user-mapping";

/** The tier a key's scopes place its principal in: the first `tierScopes` entry the key holds, else the default. */
export function tierForScopes(scopes: readonly string[], config: Pick<UsagePlansConfig, "tierScopes" | "defaultTier">): string {
  const granted = new Set(scopes);
  for (const [scope, tier] of config.tierScopes) if (granted.has(scope)) return tier;
  return config.defaultTier;
}

/** A fixed assignment (written by Pulumi) wins over anything the key's scopes say. */
export function resolveTier(
  mapping: Pick<UserMapping, "fixed" | "tier"> | undefined,
  scopes: readonly string[],
  config: Pick<UsagePlansConfig, "tierScopes" | "defaultTier">,
): string {
  return mapping?.fixed ? mapping.tier : tierForScopes(scopes, config);
}
