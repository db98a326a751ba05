import { describe, expect, it } from "vitest";
import { methodThrottleMatches, periodStart, QuotaCounter, TokenBucket, UsagePlanLimiter } from "../../local/usage-plan-limiter";

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 10, 26, 12, 0, 0)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms), set: (t: number) => (now = t) };
}

describe("TokenBucket", () => {
  it("allows a burst, then refills at the rate", () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ rateLimit: 2, burstLimit: 3 }, clock.now());
    expect([1, 2, 3, 4].map(() => bucket.take(clock.now()))).toEqual([true, true, true, false]);
    clock.advance(499); // 0.998 tokens: not yet one
    expect(bucket.take(clock.now())).toBe(false);
    clock.advance(1);
    expect(bucket.take(clock.now())).toBe(true);
    clock.advance(10_000); // never more than the burst
    expect(bucket.available(clock.now())).toBe(3);
  });

  it("accepts fractional rates and a zero burst refuses everything", () => {
    const clock = manualClock();
    const slow = new TokenBucket({ rateLimit: 0.5, burstLimit: 1 }, clock.now());
    expect(slow.take(clock.now())).toBe(true);
    clock.advance(1_999);
    expect(slow.take(clock.now())).toBe(false);
    clock.advance(1);
    expect(slow.take(clock.now())).toBe(true);
    const closed = new TokenBucket({ rateLimit: 100, burstLimit: 0 }, clock.now());
    clock.advance(1_000);
    expect(closed.take(clock.now())).toBe(false);
  });

  it("does not mint tokens when the clock steps backwards", () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ rateLimit: 1, burstLimit: 1 }, clock.now());
    expect(bucket.take(clock.now())).toBe(true);
    clock.advance(-60_000);
    expect(bucket.take(clock.now())).toBe(false);
  });
});

describe("quota periods", () => {
  it("start at UTC midnight, on Sunday, and on the first of the month", () => {
    const wednesday = Date.UTC(2026, 10, 25, 17, 30); // 2026-11-25 is a Wednesday
    expect(new Date(periodStart("DAY", wednesday)).toISOString()).toBe("2026-11-25T00:00:00.000Z");
    expect(new Date(periodStart("WEEK", wednesday)).toISOString()).toBe("2026-11-22T00:00:00.000Z");
    expect(new Date(periodStart("MONTH", wednesday)).toISOString()).toBe("2026-11-01T00:00:00.000Z");
    // A week that starts in the previous month and year.
    expect(new Date(periodStart("WEEK", Date.UTC(2027, 0, 2))).toISOString()).toBe("2026-12-27T00:00:00.000Z");
  });

  it("counts up to the limit and resets in the next period", () => {
    const clock = manualClock(Date.UTC(2026, 10, 25, 23, 59));
    const quota = new QuotaCounter({ limit: 2, period: "DAY" }, clock.now());
    expect([quota.take(clock.now()), quota.take(clock.now()), quota.take(clock.now())]).toEqual([1, 0, undefined]);
    clock.set(Date.UTC(2026, 10, 26, 0, 0));
    expect(quota.take(clock.now())).toBe(1);
  });

  it("subtracts the offset in the first period only", () => {
    const clock = manualClock(Date.UTC(2026, 10, 25));
    const quota = new QuotaCounter({ limit: 5, period: "MONTH", offset: 3 }, clock.now());
    expect(quota.remaining(clock.now())).toBe(2);
    clock.set(Date.UTC(2026, 11, 1));
    expect(quota.remaining(clock.now())).toBe(5);
  });
});

describe("UsagePlanLimiter", () => {
  const tiers = {
    free: { throttle: { rateLimit: 1, burstLimit: 2 }, quota: { limit: 3, period: "DAY" as const } },
    pro: { throttle: { rateLimit: 100, burstLimit: 100 } },
  };

  it("refuses a request without a key, or with a key in no plan", () => {
    const limiter = new UsagePlanLimiter(tiers);
    expect(limiter.check(undefined)).toEqual({ ok: false, reason: "no_usage_key" });
    expect(limiter.check("")).toEqual({ ok: false, reason: "no_usage_key" });
    expect(limiter.check("unregisteredkey0000000000")).toEqual({ ok: false, reason: "key_in_no_plan" });
  });

  it("meters every key on its own: one user's burst does not spend another's", () => {
    const clock = manualClock();
    const limiter = new UsagePlanLimiter(tiers, clock.now);
    limiter.register("alicekey00000000000000", "free");
    limiter.register("bobkey0000000000000000", "free");
    expect(limiter.check("alicekey00000000000000").ok).toBe(true);
    expect(limiter.check("alicekey00000000000000").ok).toBe(true);
    expect(limiter.check("alicekey00000000000000")).toEqual({ ok: false, reason: "throttled", tier: "free" });
    expect(limiter.check("bobkey0000000000000000")).toEqual({ ok: true, tier: "free", remainingQuota: 2 });
  });

  it("answers quota_exceeded once the period's quota is used, without spending tokens", () => {
    const clock = manualClock();
    const limiter = new UsagePlanLimiter(tiers, clock.now);
    limiter.register("alicekey00000000000000", "free");
    const results = [];
    for (let i = 0; i < 5; i++) {
      results.push(limiter.check("alicekey00000000000000"));
      clock.advance(1_000);
    }
    expect(results.map((r) => (r.ok ? "ok" : r.reason))).toEqual(["ok", "ok", "ok", "quota_exceeded", "quota_exceeded"]);
    clock.set(Date.UTC(2026, 10, 27)); // the next day
    expect(limiter.check("alicekey00000000000000").ok).toBe(true);
  });

  it("keeps a tier without limits unlimited, and moves a key between tiers", () => {
    const clock = manualClock();
    const limiter = new UsagePlanLimiter(tiers, clock.now);
    limiter.register("carolkey00000000000000", "free");
    for (let i = 0; i < 2; i++) limiter.check("carolkey00000000000000");
    expect(limiter.check("carolkey00000000000000").ok).toBe(false);
    limiter.register("carolkey00000000000000", "pro");
    expect(limiter.tierOf("carolkey00000000000000")).toBe("pro");
    expect(limiter.check("carolkey00000000000000")).toEqual({ ok: true, tier: "pro" });
    expect(() => limiter.register("x", "gold")).toThrow(/unknown tier "gold"/);
    limiter.unregister("carolkey00000000000000");
    expect(limiter.check("carolkey00000000000000")).toEqual({ ok: false, reason: "key_in_no_plan" });
  });
});

describe("method throttles", () => {
  it.each([
    ["/orders/GET", "GET", "/orders", true],
    ["/orders/GET", "POST", "/orders", false],
    ["/orders/GET", "GET", "/orders/1", false],
    ["/orders/{id}/GET", "GET", "/orders/42", true],
    ["/orders/{id}/GET", "GET", "/orders/42/items", false],
    ["/files/{proxy+}/GET", "GET", "/files/a/b/c", true],
    ["/files/{proxy+}/GET", "GET", "/files", false],
    ["/*/GET", "GET", "/anything/at/all", true],
    ["/orders/*", "DELETE", "/orders", true],
    ["/orders/ANY", "PATCH", "/orders", true],
    ["//GET", "GET", "/", true],
  ])("%s covers %s %s: %s", (key, method, path, expected) => {
    expect(methodThrottleMatches(key, method, path)).toBe(expected);
  });

  it("replaces the tier's throttle for the methods it names, per key", () => {
    const clock = manualClock();
    const limiter = new UsagePlanLimiter(
      { free: { throttle: { rateLimit: 1000, burstLimit: 1000 }, methodThrottles: { "/orders/POST": { rateLimit: 0.001, burstLimit: 1 } } } },
      clock.now,
    );
    limiter.register("alicekey00000000000000", "free");
    limiter.register("bobkey0000000000000000", "free");
    const order = { method: "POST", path: "/orders" };
    expect(limiter.check("alicekey00000000000000", order).ok).toBe(true);
    expect(limiter.check("alicekey00000000000000", order)).toEqual({ ok: false, reason: "throttled", tier: "free" });
    expect(limiter.check("alicekey00000000000000", { method: "GET", path: "/orders" }).ok).toBe(true);
    expect(limiter.check("bobkey0000000000000000", order).ok).toBe(true);
  });
});
