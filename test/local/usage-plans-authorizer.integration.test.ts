/**
 * Usage plans end to end with the real authorizer: it names each request's API Gateway key
 * (a fixed user's key, a key it provisions through the local control plane, or the tier's pool key)
 * and the local gateway meters that key's tier, answering 429 past the quota.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalKey } from "../../local/kinde-emulator";
import { ALICE, BOB, startHarness, type Harness } from "./local-harness";

const CAROL: LocalKey = { ...ALICE, api_key: "k_live_test_carol_0123456789abcdef", key_id: "api_key_cccccccccccccccccccccccccccccccc", user_id: "kp_carol", scopes: ["plan:pro"] };
const DAVE: LocalKey = { ...ALICE, api_key: "k_live_test_dave_0123456789abcdefg", key_id: "api_key_dddddddddddddddddddddddddddddddd", user_id: "kp_dave", scopes: [] };

const stack = (autoProvision: boolean) => `config:
  keygate:authorizerResultTtlSeconds: 0
  keygate:dynamoDbTimeoutMs: 2000
  keygate:usagePlans:
    tiers:
      free: { quota: { limit: 3, period: DAY } }
      pro: { quota: { limit: 5, period: DAY } }
      gold: { throttle: { rateLimit: 1000, burstLimit: 1000 } }
    defaultTier: free
    tierScopes: { "plan:pro": pro }
    users: { kp_bob: gold }
    autoProvision: ${autoProvision}
    provisionTimeoutMs: 10000
`;

/** Status codes of `count` requests in a row for one key. */
async function statuses(h: Harness, key: string, count: number): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < count; i++) result.push((await h.call(`/whoami?n=${i}`, { key })).status);
  return result;
}

describe("without automatic provisioning: pool keys per tier, fixed users' own keys", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ stackYaml: stack(false), keys: [ALICE, BOB, CAROL, DAVE] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("runs the authorizer with the deployed function's timeout, the usage-key budget included", () => {
    // functionTimeoutSeconds, as the component computes it: verifyTimeoutMs 2500 (unset) + 2 × dynamoDbTimeoutMs 2000
    // + provisionTimeoutMs 10000 + 2000 for a cold start, rounded up to whole seconds.
    expect(h.local.authorizerTimeoutMs).toBe(19_000);
  });

  it("sets up one plan per tier with a pool key, and the fixed user's key", () => {
    const { controlPlane } = h.local.usagePlans!;
    const keys = controlPlane.keys();
    expect(keys.map((k) => k.name).sort()).toEqual(["keygate-kp_bob", "keygate-pool-free", "keygate-pool-gold", "keygate-pool-pro"]);
    expect(keys.every((k) => k.enabled && controlPlane.memberships()[k.id]!.length === 1)).toBe(true);
  });

  it("meters users without a key of their own under their tier's shared pool key: 429 once its quota is used", async () => {
    expect(await statuses(h, ALICE.api_key, 2)).toEqual([200, 200]);
    // Dave is in the same tier, so he shares the pool's quota: one left, then Limit Exceeded for both.
    expect(await statuses(h, DAVE.api_key, 2)).toEqual([200, 429]);
    const refused = await h.call("/whoami", { key: ALICE.api_key });
    expect(refused.status).toBe(429);
    expect(refused.json()).toEqual({ message: "Limit Exceeded" });
    expect(h.requests.at(-1)).toMatchObject({ status: 429, reason: "quota_exceeded", usageTier: "free", userId: "kp_alice" });
    expect(h.audit.at(-1)).toMatchObject({ decision: "allow", usage_tier: "free", usage_key_source: "pool" });
  });

  it("places a key in a tier by its scope", async () => {
    expect(await statuses(h, CAROL.api_key, 6)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(h.requests.at(-2)).toMatchObject({ usageTier: "pro" });
  });

  it("meters a fixed user under the key Pulumi would give them", async () => {
    expect(await statuses(h, BOB.api_key, 10)).toEqual(Array(10).fill(200));
    expect(h.requests.at(-1)).toMatchObject({ usageTier: "gold", userId: "kp_bob" });
    expect(h.audit.at(-1)).toMatchObject({ usage_tier: "gold", usage_key_source: "fixed" });
  });
});

describe("with automatic provisioning: each user gets a key of their own", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ stackYaml: stack(true), keys: [ALICE, DAVE] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("gives each user their own quota", async () => {
    expect(await statuses(h, ALICE.api_key, 4)).toEqual([200, 200, 200, 429]);
    expect(await statuses(h, DAVE.api_key, 3)).toEqual([200, 200, 200]);
    const records = h.audit.filter((r) => r.decision === "allow");
    expect(new Set(records.map((r) => r.usage_key_source))).toEqual(new Set(["user"]));
    // The authorizer created one key per user through the control plane, next to the pool and fixed keys.
    const names = h.local.usagePlans!.controlPlane.keys().map((k) => k.name ?? "");
    expect(names.filter((n) => !n.startsWith("keygate-pool-") && n !== "keygate-kp_bob")).toHaveLength(2);
  });
});
