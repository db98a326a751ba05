import type { KindeVerifyAnswer } from "../kinde/verify-client";

/**
 * Kinde's verdict on one key, as cached. It records what Kinde said, not what this deployment
 * decides from it (required scopes, org keys): that is `decide()`'s job, on every request.
 * Times are epoch milliseconds.
 */
export type Verdict =
  | {
      valid: true;
      keyId?: string;
      userId?: string;
      orgCode?: string;
      scopes: string[];
      verifiedAt: number;
      /** Trusted until then; afterwards usable only as a stale fallback while Kinde is unavailable. */
      freshUntil: number;
    }
  | { valid: false; reason: "invalid_key" | "inactive_key"; verifiedAt: number; freshUntil: number };

export interface VerdictLifetimes {
  positiveMs: number;
  negativeMs: number;
}

export function verdictFromKinde(answer: KindeVerifyAnswer, now: number, lifetimes: VerdictLifetimes): Verdict {
  const negative = (reason: "invalid_key" | "inactive_key"): Verdict => ({ valid: false, reason, verifiedAt: now, freshUntil: now + lifetimes.negativeMs });
  if (answer.kind === "rejected") return negative("invalid_key");
  const body = answer.body;
  if (body.is_valid !== true) return negative(body.status !== undefined && body.status !== "active" ? "inactive_key" : "invalid_key");
  if (body.status !== "active") return negative("inactive_key");
  // A valid key must have an owner: a user (the mission) or an organization (allowed by option).
  if (!body.user_id && !body.org_code) return negative("invalid_key");
  return {
    valid: true,
    ...(body.key_id ? { keyId: body.key_id } : {}),
    ...(body.user_id ? { userId: body.user_id } : {}),
    ...(body.org_code ? { orgCode: body.org_code } : {}),
    scopes: body.scopes ?? [],
    verifiedAt: now,
    freshUntil: now + lifetimes.positiveMs,
  };
}
