import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lambda/config";
import { lazyUsageKeyResolver } from "../../lambda/usage/lazy-usage-key-resolver";

const BASE = { KINDE_DOMAIN: "https://acme.kinde.com", KINDE_M2M_CLIENT_ID: "id", KINDE_M2M_CLIENT_SECRET: "secret" };
const POOL_KEY = "FreePoolKey0123456789abcdefghij";
const USAGE_PLANS = JSON.stringify({ tiers: { free: { usagePlanId: "free123", poolKey: POOL_KEY } }, defaultTier: "free" });

describe("usage-plan metering loaded on first use", () => {
  it("is absent without usage plans", () => {
    expect(lazyUsageKeyResolver(loadConfig(BASE), undefined)).toBeUndefined();
  });

  it("meters by the tier's pool key once loaded, for every request after the first too", async () => {
    const resolver = lazyUsageKeyResolver(loadConfig({ ...BASE, USAGE_PLANS }), undefined);
    const identity = { principalId: "kp_1", userId: "kp_1", scopes: [] };
    const [first, second] = await Promise.all([resolver!.resolve(identity), resolver!.resolve(identity)]);
    expect(first).toMatchObject({ key: POOL_KEY, tier: "free", source: "pool" });
    expect(second).toEqual(first);
    expect(await resolver!.resolve({ principalId: "kp_2", userId: "kp_2", scopes: [] })).toMatchObject({ key: POOL_KEY, source: "pool" });
  });
});
