/**
 * Usage plans at the local gateway, keyed by the authorizer's `usageIdentifierKey` as API Gateway
 * meters them. The stand-in authorizer returns the usage key named in the bearer token
 * (`stub-usage-<key>`), as the real one will once it resolves per-user keys.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { STUB_AUTHORIZER, startHarness, type Harness } from "./local-harness";

const TIERS = `config:
  keygate:usagePlans:
    tiers:
      free:
        throttle: { rateLimit: 1000, burstLimit: 1000 }
        quota: { limit: 3, period: DAY }
      trickle:
        throttle: { rateLimit: 0.001, burstLimit: 2 }
    defaultTier: free
    tierScopes:
      "plan:trickle": trickle
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ stackYaml: TIERS, authorizerModule: STUB_AUTHORIZER });
  h.local.usage!.register("alicefreekey0000000000", "free");
  h.local.usage!.register("bobfreekey000000000000", "free");
  h.local.usage!.register("caroltricklekey0000000", "trickle");
});
afterAll(async () => {
  await h?.stop();
});

it("answers 429 Limit Exceeded once a tier's quota is used up, per key", async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await h.call(`/whoami?i=${i}`, { key: "stub-usage-alicefreekey0000000000" })).status);
  expect(statuses).toEqual([200, 200, 200, 429]);
  const refused = await h.call("/whoami", { key: "stub-usage-alicefreekey0000000000" });
  expect(refused.status).toBe(429);
  expect(refused.json()).toEqual({ message: "Limit Exceeded" });
  expect(h.requests.at(-1)).toMatchObject({ status: 429, reason: "quota_exceeded", usageTier: "free" });
  // Bob has his own quota in the same tier.
  expect((await h.call("/whoami", { key: "stub-usage-bobfreekey000000000000" })).status).toBe(200);
});

it("answers 429 Too Many Requests past the burst", async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await h.call("/whoami", { key: "stub-usage-caroltricklekey0000000" })).status);
  expect(statuses).toEqual([200, 200, 429]);
  expect(h.requests.at(-1)).toMatchObject({ reason: "throttled", usageTier: "trickle" });
  const last = await h.call("/whoami", { key: "stub-usage-caroltricklekey0000000" });
  expect(last.json()).toEqual({ message: "Too Many Requests" });
});

it("answers 403 when the authorizer returns no usage key, or a key in no plan", async () => {
  const none = await h.call("/whoami", { key: "stub-usage-none" });
  expect(none.status).toBe(403);
  expect(none.json()).toEqual({ message: "Forbidden" });
  expect(h.requests.at(-1)).toMatchObject({ reason: "no_usage_key" });
  const stranger = await h.call("/whoami", { key: "stub-usage-strangerkey00000000000" });
  expect(stranger.status).toBe(403);
  expect(h.requests.at(-1)).toMatchObject({ reason: "key_in_no_plan" });
});

it("meters requests served from the gateway cache too", async () => {
  h.local.usage!.register("davefreekey00000000000", "free");
  const statuses: number[] = [];
  for (const path of ["/a", "/b", "/c", "/d"]) statuses.push((await h.call(path, { key: "stub-usage-davefreekey00000000000" })).status);
  expect(statuses).toEqual([200, 200, 200, 429]);
  expect(h.requests.slice(-3).every((r) => r.origin === "gateway-cache")).toBe(true);
});
