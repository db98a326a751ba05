/**
 * The local gateway as an HTTP API (KEYGATE_LOCAL_API=http), driven over HTTP: payload-2.0 events
 * to the built authorizer, simple responses, the demo backend behind a payload-2.0 Lambda
 * integration, 401 without a key, 403 for a refused key or route, route rules on the route key, a
 * per-route result cache, and no usage plans.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { formatBanner } from "../../local/console-output";
import type { LocalKey } from "../../local/kinde-emulator";
import { ALICE, BOB, REVOKED, STACK_YAML, startHarness, type Harness } from "./local-harness";

/** A key no other test presents, so no cache of the authorizer has a verdict for it. */
const ERIN: LocalKey = { ...ALICE, api_key: "k_live_test_erin_0123456789abcdef", key_id: "api_key_ffffffffffffffffffffffffffffffff", user_id: "kp_erin" };

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ stackYaml: STACK_YAML, keys: [ALICE, BOB, REVOKED, ERIN], env: { KEYGATE_LOCAL_API: "http" } });
});
afterAll(async () => {
  await harness?.stop();
});
beforeEach(() => {
  harness.requests.length = 0;
  harness.audit.length = 0;
  harness.local.cache.flush();
});

describe("KEYGATE_LOCAL_API=http", () => {
  it("says in the banner that an HTTP API runs, with its routes, its per-route cache and no usage plans", () => {
    const banner = formatBanner(harness.local, harness.dir, false);
    expect(banner).toMatch(/^Keygate local gateway on http:\/\/127\.0\.0\.1:\d+ {2}\(HTTP API keygatelocal, stage \$default, eu-west-1\)/);
    expect(banner).toContain("routes GET /whoami, GET /reports/{name}, POST /orders, GET /reports/{proxy+}, $default");
    expect(banner).toContain("gateway result cache 300 s per key and route");
    expect(banner).toMatch(/usage plans +none: HTTP APIs have no usage plans/);
    expect(harness.local.apiKind).toBe("http");
  });

  it("lets a valid key through, and the backend receives the context as requestContext.authorizer.lambda", async () => {
    const reply = await harness.call("/whoami", { key: ALICE.api_key });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({
      lambda: { user_id: "kp_alice", key_id: ALICE.key_id, scopes: "read:reports write:orders", verdict_source: "kinde" },
    });
    expect(reply.headers.get("apigw-requestid")).toBeTruthy();
    expect(harness.audit.at(-1)).toMatchObject({ decision: "allow", api_kind: "http", stage: "$default", route_key: "GET /whoami", method: "GET", path: "/whoami" });
    expect(harness.requests.at(-1)).toMatchObject({ status: 200, origin: "authorizer", userId: "kp_alice", source: "kinde" });
  });

  it("answers 401 without a key, without invoking the authorizer", async () => {
    const reply = await harness.call("/whoami");
    expect([reply.status, reply.json()]).toEqual([401, { message: "Unauthorized" }]);
    expect(harness.audit).toHaveLength(0);
    expect(harness.requests.at(-1)).toMatchObject({ origin: "gateway", reason: "missing_key" });
  });

  it("answers 403 for a refused key (the authorizer says isAuthorized false)", async () => {
    const reply = await harness.call("/whoami", { key: REVOKED.api_key });
    expect([reply.status, reply.json()]).toEqual([403, { message: "Forbidden" }]);
    expect(harness.audit.at(-1)).toMatchObject({ decision: "deny", reason: "inactive_key", api_kind: "http" });
    expect(harness.requests.at(-1)).toMatchObject({ status: 403, reason: "inactive_key" });
  });

  it("decides route rules on the route: 403 where a rule needs a scope the key lacks, including the catch-all route", async () => {
    expect((await harness.call("/reports/monthly", { key: BOB.api_key })).status).toBe(403);
    expect(harness.audit.at(-1)).toMatchObject({ reason: "route_scope_missing", route_key: "GET /reports/{name}" });
    expect((await harness.call("/whoami", { key: BOB.api_key })).status).toBe(200);
    // No route of its own: $default, which can receive what every rule covers.
    expect((await harness.call("/Reports/monthly", { key: BOB.api_key })).status).toBe(403);
    expect(harness.audit.at(-1)).toMatchObject({ reason: "route_scope_missing", route_key: "$default", path: "/Reports/monthly" });
    expect((await harness.call("/Reports/monthly", { key: ALICE.api_key })).status).toBe(200);
    expect((await harness.call("/orders", { key: ALICE.api_key, method: "POST" })).status).toBe(201);
  });

  it("keeps the gateway's cached answer per key and route", async () => {
    await harness.call("/whoami", { key: BOB.api_key });
    await harness.call("/whoami", { key: BOB.api_key });
    await harness.call("/reports/monthly", { key: BOB.api_key });
    await harness.call("/reports/yearly", { key: BOB.api_key });
    expect(harness.requests.map((r) => [r.status, r.origin])).toEqual([
      [200, "authorizer"],
      [200, "gateway-cache"],
      [403, "authorizer"],
      [403, "gateway-cache"],
    ]);
  });

  it("answers 500 while Kinde is unavailable, caches nothing, and lets the key in once Kinde is back", async () => {
    const kinde = harness.local.kinde;
    if (kinde.mode !== "emulator") throw new Error("expected the emulator");
    kinde.emulator.verifyMode = "server-error";
    try {
      const reply = await harness.call("/whoami", { key: ERIN.api_key });
      expect([reply.status, reply.json()]).toEqual([500, { message: "Internal Server Error" }]);
      expect(harness.audit.at(-1)).toMatchObject({ decision: "error", reason: "upstream_unavailable", api_kind: "http" });
    } finally {
      kinde.emulator.verifyMode = "normal";
    }
    expect((await harness.call("/whoami", { key: ERIN.api_key })).status).toBe(200);
    expect(harness.requests.map((r) => [r.status, r.origin])).toEqual([
      [500, "authorizer"],
      [200, "authorizer"],
    ]);
  });
});

describe("KEYGATE_LOCAL_API=http with usage plans in the stack", () => {
  it("meters nothing, and says why", async () => {
    const withPlans = await startHarness({
      stackYaml: `${STACK_YAML}  keygate:usagePlans:
    tiers:
      trickle:
        throttle: { rateLimit: 0.001, burstLimit: 2 }
    defaultTier: trickle
`,
      keys: [BOB],
      env: { KEYGATE_LOCAL_API: "http" },
    });
    try {
      expect(withPlans.local.usage).toBeUndefined();
      expect(formatBanner(withPlans.local, withPlans.dir, false)).toContain("(keygate:usagePlans applies to REST APIs only)");
      // A burst of 2 would refuse the third request on a REST API.
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await withPlans.call("/whoami", { key: BOB.api_key })).status);
      expect(statuses).toEqual([200, 200, 200, 200]);
    } finally {
      await withPlans.stop();
    }
  });

  it("refuses an unknown KEYGATE_LOCAL_API, naming the variable", async () => {
    await expect(startHarness({ env: { KEYGATE_LOCAL_API: "websocket" } })).rejects.toThrow('KEYGATE_LOCAL_API must be rest (a REST API, the default) or http (an HTTP API), not "websocket"');
  });
});
