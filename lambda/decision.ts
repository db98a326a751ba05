import type { KeyMetadataLookup } from "./kinde/key-metadata";
import type { Verdict } from "./verdict/verdict";

export type DenyReason =
  | "invalid_key"
  | "inactive_key"
  | "org_key_not_allowed"
  | "missing_scope"
  /** The key was issued for none of the Kinde APIs this gateway accepts (`KINDE_API_IDS`). */
  | "wrong_api"
  | "environment_key_not_allowed"
  /** Kinde's metadata gives no type, or one Keygate does not know: never trusted. */
  | "key_type_not_allowed";

export interface Identity {
  principalId: string;
  userId?: string;
  orgCode?: string;
  keyId?: string;
  scopes: string[];
}

export type Decision = { allow: true; identity: Identity } | { allow: false; reason: DenyReason };

export interface DecisionRules {
  requiredScopes: readonly string[];
  allowOrgKeys: boolean;
  /** The Kinde APIs keys must belong to; empty or absent means any API of the business. */
  kindeApiIds?: readonly string[];
}

/**
 * Whether deciding on this verdict needs the key's metadata from Kinde. Always when the gateway is
 * bound to its APIs. Otherwise only when verify's answer names an organization: such a key may be an
 * organization key that also carries a user_id (Kinde's own sample verify answer has both), which only
 * the metadata's `type` tells apart. Keys verify describes as plain user keys cost no extra call.
 */
export function needsKeyMetadata(verdict: Verdict, rules: DecisionRules): boolean {
  return verdict.valid && ((rules.kindeApiIds?.length ?? 0) > 0 || verdict.orgCode !== undefined);
}

/**
 * Whether a verdict authenticates its caller under this deployment's rules. `keyMetadata` must be
 * given whenever `needsKeyMetadata` says so; without it the verify fields alone decide (today's rule:
 * a user_id makes a user key, else an org_code an organization key).
 */
export function decide(verdict: Verdict, rules: DecisionRules, keyMetadata?: KeyMetadataLookup): Decision {
  if (!verdict.valid) return { allow: false, reason: verdict.reason };
  if (keyMetadata === undefined && needsKeyMetadata(verdict, rules)) throw new Error("decide: these rules need the key's metadata");

  let owner: { principalId: string; userId?: string; orgCode?: string } | DenyReason;
  if (keyMetadata === undefined) owner = ownerFromVerify(verdict, rules);
  else if (!keyMetadata.found) owner = "invalid_key";
  else if (!belongsToAcceptedApi(keyMetadata.metadata.apiIds, rules.kindeApiIds ?? [])) owner = "wrong_api";
  else owner = ownerByType(keyMetadata.metadata.type, verdict, rules);
  if (typeof owner === "string") return { allow: false, reason: owner };

  const granted = new Set(verdict.scopes);
  if (!rules.requiredScopes.every((scope) => granted.has(scope))) return { allow: false, reason: "missing_scope" };
  return {
    allow: true,
    identity: {
      principalId: owner.principalId,
      scopes: verdict.scopes,
      ...(owner.userId ? { userId: owner.userId } : {}),
      ...(owner.orgCode ? { orgCode: owner.orgCode } : {}),
      ...(verdict.keyId ? { keyId: verdict.keyId } : {}),
    },
  };
}

function belongsToAcceptedApi(apiIds: readonly string[], accepted: readonly string[]): boolean {
  return accepted.length === 0 || apiIds.some((id) => accepted.includes(id));
}

type ValidVerdict = Extract<Verdict, { valid: true }>;
type Owner = { principalId: string; userId?: string; orgCode?: string } | DenyReason;

function ownerFromVerify(verdict: ValidVerdict, rules: DecisionRules): Owner {
  if (verdict.userId) return { principalId: verdict.userId, userId: verdict.userId, ...(verdict.orgCode ? { orgCode: verdict.orgCode } : {}) };
  if (verdict.orgCode && rules.allowOrgKeys) return organization(verdict.orgCode);
  return verdict.orgCode ? "org_key_not_allowed" : "invalid_key";
}

/** Kinde's own `type` decides; the verify fields only name the owner it implies. */
function ownerByType(type: string | undefined, verdict: ValidVerdict, rules: DecisionRules): Owner {
  switch (type) {
    case "user":
      return verdict.userId ? { principalId: verdict.userId, userId: verdict.userId, ...(verdict.orgCode ? { orgCode: verdict.orgCode } : {}) } : "invalid_key";
    case "organization":
      if (!rules.allowOrgKeys) return "org_key_not_allowed";
      // Named by its organization even when verify also gave a user_id: the key is not that user's.
      return verdict.orgCode ? organization(verdict.orgCode) : "invalid_key";
    case "environment":
      return "environment_key_not_allowed";
    default:
      return "key_type_not_allowed";
  }
}

function organization(orgCode: string): Owner {
  return { principalId: `org:${orgCode}`, orgCode };
}
