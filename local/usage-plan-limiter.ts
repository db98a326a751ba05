/**
 * Usage plans as API Gateway enforces them behind a Lambda authorizer (`apiKeySource = AUTHORIZER`):
 * the authorizer names an API key by its value (`usageIdentifierKey`), the key belongs to one plan
 * (a Keygate tier) on the stage, and each key has its own token bucket and its own quota counter.
 */

export interface ThrottleSettings {
  /** Steady rate, requests per second (API Gateway accepts fractions). */
  rateLimit: number;
  /** Bucket size: how many requests may arrive at once after a quiet spell. */
  burstLimit: number;
}

export type QuotaPeriod = "DAY" | "WEEK" | "MONTH";

export interface QuotaSettings {
  limit: number;
  period: QuotaPeriod;
  /** Requests subtracted from the limit in the first period (API Gateway's `QuotaSettings.offset`). */
  offset?: number;
}

export interface TierSettings {
  throttle?: ThrottleSettings;
  quota?: QuotaSettings;
  /**
   * Throttles for single methods, keyed as API Gateway keys them: `/<resource path>/<METHOD>`, e.g.
   * `/orders/{id}/GET`; `*` as the path or the method matches every one. For a matching method it
   * replaces the tier's throttle; each key has its own bucket per method throttle.
   */
  methodThrottles?: Record<string, ThrottleSettings>;
}

export type UsageVerdict =
  | { ok: true; tier: string; remainingQuota?: number }
  /** No key from the authorizer, or a key in no plan of this stage: API Gateway answers 403. */
  | { ok: false; reason: "no_usage_key" | "key_in_no_plan"; tier?: undefined }
  /** Rate or burst exceeded (THROTTLED), or the period's quota is used up (QUOTA_EXCEEDED): 429. */
  | { ok: false; reason: "throttled" | "quota_exceeded"; tier: string };

/** A token bucket: `burstLimit` tokens at most, refilled at `rateLimit` per second. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly settings: ThrottleSettings,
    now: number,
  ) {
    this.tokens = settings.burstLimit;
    this.updatedAt = now;
  }

  /** Takes one token if there is one. `now` is epoch milliseconds. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  private refill(now: number): void {
    // A clock that steps backwards must not mint tokens.
    const elapsed = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.settings.burstLimit, this.tokens + elapsed * this.settings.rateLimit);
    this.updatedAt = Math.max(now, this.updatedAt);
  }
}

/** Start of the quota period holding `now`, in UTC as API Gateway counts (weeks start on Sunday). */
export function periodStart(period: QuotaPeriod, now: number): number {
  const d = new Date(now);
  switch (period) {
    case "DAY":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    case "WEEK":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - d.getUTCDay());
    case "MONTH":
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
}

/** Requests counted against one key's quota, reset at each period boundary. */
export class QuotaCounter {
  private used = 0;
  private currentPeriod: number;
  private readonly firstPeriod: number;

  constructor(
    private readonly settings: QuotaSettings,
    now: number,
  ) {
    this.firstPeriod = periodStart(settings.period, now);
    this.currentPeriod = this.firstPeriod;
  }

  /** Counts one request if the quota allows it; returns what is left afterwards, or undefined when exhausted. */
  take(now: number): number | undefined {
    const limit = this.limitAt(now);
    if (this.used >= limit) return undefined;
    this.used += 1;
    return limit - this.used;
  }

  remaining(now: number): number {
    return Math.max(0, this.limitAt(now) - this.used);
  }

  private limitAt(now: number): number {
    const period = periodStart(this.settings.period, now);
    if (period > this.currentPeriod) {
      this.currentPeriod = period;
      this.used = 0;
    }
    const offset = this.currentPeriod === this.firstPeriod ? (this.settings.offset ?? 0) : 0;
    return Math.max(0, this.settings.limit - offset);
  }
}

interface KeyState {
  tier: string;
  bucket?: TokenBucket;
  methodBuckets?: Map<string, TokenBucket>;
  quota?: QuotaCounter;
}

/** Whether a method throttle key (`/<resource path>/<METHOD>`) covers a request. */
export function methodThrottleMatches(throttleKey: string, method: string, path: string): boolean {
  const slash = throttleKey.lastIndexOf("/");
  const keyMethod = throttleKey.slice(slash + 1).toUpperCase();
  const keyPath = throttleKey.slice(0, slash) || "/";
  if (keyMethod !== "*" && keyMethod !== "ANY" && keyMethod !== method.toUpperCase()) return false;
  if (keyPath === "/*") return true;
  const want = keyPath.split("/").filter(Boolean);
  const got = path.split("/").filter(Boolean);
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (/^\{[^}]+\+\}$/.test(segment)) return got.length > i; // a greedy path parameter takes the rest
    if (i >= got.length) return false;
    if (/^\{[^}]+\}$/.test(segment)) continue;
    if (segment !== got[i]) return false;
  }
  return want.length === got.length;
}

/**
 * Meters requests per usage-plan key. Keys are registered with their tier (as a `UsagePlanKey`
 * puts an API key into a plan); a key's bucket and counter are created on its first request.
 */
export class UsagePlanLimiter {
  private readonly keys = new Map<string, KeyState>();
  /** Requests let through, by key value and UTC day (YYYY-MM-DD): what GetUsage reports. */
  private readonly usedByDay = new Map<string, Map<string, number>>();

  constructor(
    readonly tiers: Readonly<Record<string, TierSettings>>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Puts a key into a tier's plan; moving it to another tier starts its counters afresh, as a new plan would. */
  register(keyValue: string, tier: string): void {
    if (!Object.hasOwn(this.tiers, tier)) throw new Error(`unknown tier "${tier}"; the tiers are ${Object.keys(this.tiers).join(", ")}`);
    if (this.keys.get(keyValue)?.tier === tier) return;
    this.keys.set(keyValue, { tier });
  }

  unregister(keyValue: string): void {
    this.keys.delete(keyValue);
  }

  /** Requests let through under the key, by UTC day (YYYY-MM-DD). */
  dailyUsage(keyValue: string): ReadonlyMap<string, number> {
    return this.usedByDay.get(keyValue) ?? new Map();
  }

  private countUse(keyValue: string, now: number): void {
    const day = new Date(now).toISOString().slice(0, 10);
    const days = this.usedByDay.get(keyValue) ?? new Map<string, number>();
    days.set(day, (days.get(day) ?? 0) + 1);
    this.usedByDay.set(keyValue, days);
  }

  tierOf(keyValue: string): string | undefined {
    return this.keys.get(keyValue)?.tier;
  }

  /** Decides one request made under `usageIdentifierKey` (for `route`, when method throttles apply), and counts it if it may pass. */
  check(usageIdentifierKey: string | undefined, route?: { method: string; path: string }): UsageVerdict {
    if (usageIdentifierKey === undefined || usageIdentifierKey === "") return { ok: false, reason: "no_usage_key" };
    const state = this.keys.get(usageIdentifierKey);
    if (!state) return { ok: false, reason: "key_in_no_plan" };
    const settings = this.tiers[state.tier] ?? {};
    const now = this.now();
    if (settings.quota) {
      state.quota ??= new QuotaCounter(settings.quota, now);
      // An exhausted quota is checked first so that a rejected request never spends a token.
      if (state.quota.remaining(now) <= 0) return { ok: false, reason: "quota_exceeded", tier: state.tier };
    }
    const methodThrottle = route ? Object.entries(settings.methodThrottles ?? {}).find(([key]) => methodThrottleMatches(key, route.method, route.path)) : undefined;
    if (methodThrottle) {
      const [key, throttle] = methodThrottle;
      state.methodBuckets ??= new Map();
      let bucket = state.methodBuckets.get(key);
      if (!bucket) state.methodBuckets.set(key, (bucket = new TokenBucket(throttle, now)));
      if (!bucket.take(now)) return { ok: false, reason: "throttled", tier: state.tier };
    } else if (settings.throttle) {
      state.bucket ??= new TokenBucket(settings.throttle, now);
      if (!state.bucket.take(now)) return { ok: false, reason: "throttled", tier: state.tier };
    }
    const remainingQuota = state.quota?.take(now);
    this.countUse(usageIdentifierKey, now);
    return remainingQuota === undefined ? { ok: true, tier: state.tier } : { ok: true, tier: state.tier, remainingQuota };
  }
}
