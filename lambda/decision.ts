import type { Verdict } from "./verdict/verdict";

export type DenyReason = "invalid_key" | "inactive_key" | "org_key_not_allowed" | "missing_scope";

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
}

/** Whether a verdict authenticates its caller under this deployment's rules. */
export function decide(verdict: Verdict, rules: DecisionRules): Decision {
  if (!verdict.valid) return { allow: false, reason: verdict.reason };
  let principalId: string;
  if (verdict.userId) principalId = verdict.userId;
  else if (verdict.orgCode && rules.allowOrgKeys) principalId = `org:${verdict.orgCode}`;
  else return { allow: false, reason: verdict.orgCode ? "org_key_not_allowed" : "invalid_key" };

  const granted = new Set(verdict.scopes);
  if (!rules.requiredScopes.every((scope) => granted.has(scope))) return { allow: false, reason: "missing_scope" };
  return {
    allow: true,
    identity: {
      principalId,
      scopes: verdict.scopes,
      ...(verdict.userId ? { userId: verdict.userId } : {}),
      ...(verdict.orgCode ? { orgCode: verdict.orgCode } : {}),
      ...(verdict.keyId ? { keyId: verdict.keyId } : {}),
    },
  };
}
