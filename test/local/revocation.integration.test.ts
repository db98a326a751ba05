/**
 * Editing the keys file acts like a change at Kinde: the gateway follows once its cache windows
 * (gateway result cache, the authorizer's memory and DynamoDB verdicts) have passed. Short TTLs
 * keep the wait small; the test polls with a bounded number of attempts and asserts no timing.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { ALICE, eventually, startHarness, type Harness } from "./local-harness";

const SHORT_TTLS = `config:
  keygate:authorizerResultTtlSeconds: 1
  keygate:cacheTtlSeconds: 1
  keygate:negativeCacheTtlSeconds: 1
  keygate:memoryCacheTtlSeconds: 1
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ stackYaml: SHORT_TTLS, keys: [ALICE] });
});
afterAll(async () => {
  await h?.stop();
});

it("denies a revoked key once the cache windows pass, without a restart", async () => {
  expect((await h.call("/whoami", { key: ALICE.api_key })).status).toBe(200);
  h.writeKeys([{ ...ALICE, status: "revoked" }]);
  let last = 0;
  await eventually(async () => {
    last = (await h.call("/whoami", { key: ALICE.api_key })).status;
    return last !== 200;
  });
  expect(last).toBe(401);
  expect(h.audit.at(-1)).toMatchObject({ decision: "deny", reason: "inactive_key", verdict_source: "kinde" });
});

it("accepts a key added to the file once the negative verdict expires", async () => {
  const newcomer = { ...ALICE, api_key: "k_live_test_newcomer_0123456789ab", key_id: "api_key_ffffffffffffffffffffffffffffffff", user_id: "kp_newcomer" };
  expect((await h.call("/whoami", { key: newcomer.api_key })).status).toBe(401);
  h.writeKeys([{ ...ALICE, status: "revoked" }, newcomer]);
  let reply = await h.call("/whoami", { key: newcomer.api_key });
  await eventually(async () => {
    reply = await h.call("/whoami", { key: newcomer.api_key });
    return reply.status === 200;
  });
  expect(reply.json()).toMatchObject({ user_id: "kp_newcomer" });
});

it("keeps the last good keys while the file is broken, and says so once", async () => {
  const { writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  writeFileSync(join(h.dir, "keys.json"), '[{"api_key": "half-saved');
  h.local.cache.flush();
  const probe = { ...ALICE, api_key: "k_live_test_probe_0123456789abcdef" };
  // Unknown to the last good keys, so Kinde (the emulator) is asked and reads the broken file.
  expect((await h.call("/whoami", { key: probe.api_key })).status).toBe(401);
  expect((await h.call("/whoami", { key: `${probe.api_key}x` })).status).toBe(401);
  const complaints = h.warnings.filter((w) => w.includes("is not JSON"));
  expect(complaints).toHaveLength(1);
  expect(complaints[0]).toMatch(/still using the keys read before/);
});
