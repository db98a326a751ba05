import { describe, expect, it } from "vitest";
import { MemoryVerdictCache } from "../../lambda/cache/memory-verdict-cache";
import type { Verdict } from "../../lambda/verdict/verdict";

const LIFETIMES = { positiveMs: 300_000, negativeMs: 30_000 };
const T = Date.UTC(2026, 0, 1);
const positive = (verifiedAt: number, freshUntil = verifiedAt + 300_000): Verdict => ({ valid: true, userId: "kp_alice", scopes: [], verifiedAt, freshUntil });
const negative = (verifiedAt: number): Verdict => ({ valid: false, reason: "invalid_key", verifiedAt, freshUntil: verifiedAt + 30_000 });

describe("MemoryVerdictCache", () => {
  it("keeps negative verdicts apart: 100,000 bad keys do not evict a valid one", () => {
    const cache = new MemoryVerdictCache({ maxEntries: 1_000, ttlMs: 30_000, lifetimes: LIFETIMES });
    cache.remember("good", positive(T), T);
    for (let n = 0; n < 100_000; n++) cache.remember(`bad${n}`, negative(T), T);
    expect(cache.fresh("good", T + 1)).toMatchObject({ valid: true });
    expect(cache.fresh("bad99999", T + 1)).toMatchObject({ valid: false });
    expect(cache.fresh("bad0", T + 1)).toBeUndefined();
  });

  it("holds the newest verdict per key: a refusal replaces an older allow, not a newer one", () => {
    const cache = new MemoryVerdictCache({ maxEntries: 10, ttlMs: 30_000, lifetimes: LIFETIMES });
    cache.remember("k", positive(T), T);
    cache.remember("k", negative(T + 10), T + 10);
    expect(cache.any("k")).toMatchObject({ valid: false });
    cache.remember("k", positive(T + 5), T + 20);
    expect(cache.any("k")).toMatchObject({ valid: false });
    cache.remember("k", positive(T + 30), T + 30);
    expect(cache.any("k")).toMatchObject({ valid: true, verifiedAt: T + 30 });
  });

  it("bounds freshness by the lifetime in force and refuses verdicts from the future", () => {
    const cache = new MemoryVerdictCache({ maxEntries: 10, ttlMs: 3_600_000, lifetimes: { positiveMs: 60_000, negativeMs: 30_000 } });
    cache.remember("long", positive(T, T + 86_400_000), T);
    expect(cache.fresh("long", T + 59_999)).toBeDefined();
    expect(cache.fresh("long", T + 60_000)).toBeUndefined();
    cache.remember("future", positive(T + 5_001), T);
    expect(cache.any("future")).toBeUndefined();
    cache.remember("skewed", positive(T + 5_000), T);
    expect(cache.fresh("skewed", T)).toBeDefined();
  });
});
