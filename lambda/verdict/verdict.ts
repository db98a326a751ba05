import type { UsableKeyMetadata } from "../kinde/key-metadata";
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
      /**
       * The key's metadata (by `keyId`), when the rules needed it as the verdict was made: cached with
       * the verdict so that a hit needs no second lookup. It keeps its own lifetime, checked on use.
       */
      keyMetadata?: UsableKeyMetadata;
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

/**
 * How far ahead of this container's clock a `verifiedAt` may be and still be believed. Lambda hosts
 * keep their clocks synchronised (Amazon Time Sync) to well under a second, so 5 s covers any honest
 * writer; a stamp further ahead is corrupt or forged, and trusting it would stretch the verdict's
 * freshness by however far ahead it claims to be.
 */
export const MAX_CLOCK_SKEW_MS = 5_000;

/** How long a verdict may be trusted, by the settings in force now (not those it was written under). */
export function lifetimeOf(verdict: Verdict, lifetimes: VerdictLifetimes): number {
  return verdict.valid ? lifetimes.positiveMs : lifetimes.negativeMs;
}

/**
 * The verdict as this container may use it: fresh no longer than `verifiedAt` plus the current
 * lifetime, so lowering CACHE_TTL_SECONDS shortens verdicts already stored. A verdict stamped in
 * the future is not a verdict at all.
 */
export function boundedVerdict(verdict: Verdict, lifetimes: VerdictLifetimes, now: number): Verdict | undefined {
  if (verdict.verifiedAt > now + MAX_CLOCK_SKEW_MS) return undefined;
  const freshUntil = Math.min(verdict.freshUntil, verdict.verifiedAt + lifetimeOf(verdict, lifetimes));
  return freshUntil === verdict.freshUntil ? verdict : { ...verdict, freshUntil };
}

/** The newest of some verdicts by `verifiedAt`; on a tie a refusal wins, so doubt never turns into an allow. */
export function newestVerdict(candidates: readonly (Verdict | undefined)[]): Verdict | undefined {
  let newest: Verdict | undefined;
  for (const candidate of candidates) {
    if (!candidate) continue;
    if (!newest || candidate.verifiedAt > newest.verifiedAt || (candidate.verifiedAt === newest.verifiedAt && !candidate.valid)) newest = candidate;
  }
  return newest;
}
