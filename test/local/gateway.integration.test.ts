/**
 * The local gateway in front of the real, built authorizer, over HTTP on loopback, with a stack
 * file and a keys file made here.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { KindeEmulator } from "../../local/kinde-emulator";
import { ALICE, BOB, INACTIVE, ORG, REVOKED, STACK_YAML, startHarness, type Harness } from "./local-harness";

let h: Harness;
let kinde: KindeEmulator;

beforeAll(async () => {
  h = await startHarness({ stackYaml: STACK_YAML, keys: [ALICE, BOB, REVOKED, INACTIVE, ORG] });
  if (h.local.kinde.mode !== "emulator") throw new Error("expected the Kinde emulator");
  kinde = h.local.kinde.emulator;
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => {
  // Every test starts with an empty gateway cache, as after FlushStageAuthorizersCache.
  h.local.cache.flush();
  h.audit.length = 0;
  h.requests.length = 0;
});

describe("settings from the stack file", () => {
  it("uses the stack's region and rules, and falls back to the emulator for an encrypted secret", () => {
    expect(h.local.settingsSource).toMatchObject({ kind: "stack-file", stack: "test" });
    expect(h.local.stage.region).toBe("eu-west-1");
    expect(h.local.kinde.mode).toBe("emulator");
    expect(h.local.notes.join("\n")).toMatch(/kindeClientSecret is encrypted.*KINDE_M2M_CLIENT_SECRET.*local Kinde emulator/);
  });
});

describe("authentication", () => {
  it("answers 401 without an Authorization header, without invoking the authorizer", async () => {
    const verifyCalls = kinde.calls.verify;
    const variants: Record<string, string>[] = [{}, { Authorization: "" }, { Authorization: "   " }];
    for (const headers of variants) {
      const reply = await h.call("/whoami", { headers });
      expect(reply.status).toBe(401);
      expect(reply.json()).toEqual({ message: "Unauthorized" });
      expect(reply.headers.get("www-authenticate")).toBe("Bearer");
    }
    expect(h.audit).toHaveLength(0);
    expect(kinde.calls.verify).toBe(verifyCalls);
    expect(h.requests.map((r) => [r.status, r.origin, r.reason])).toEqual([
      [401, "gateway", "missing_key"],
      [401, "gateway", "missing_key"],
      [401, "gateway", "missing_key"],
    ]);
  });

  it.each([
    ["an unknown key", "k_live_test_unknown_0123456789ab", "invalid_key"],
    ["a revoked key", REVOKED.api_key, "inactive_key"],
    ["an inactive key", INACTIVE.api_key, "inactive_key"],
    ["an organization key (org keys are off)", ORG.api_key, "org_key_not_allowed"],
    ["a malformed key", "two words", "malformed_key"],
  ])("answers 401 for %s", async (_label, key, reason) => {
    const reply = await h.call("/whoami", { key });
    expect(reply.status).toBe(401);
    expect(reply.json()).toEqual({ message: "Unauthorized" });
    expect(reply.headers.get("www-authenticate")).toBe("Bearer");
    expect(h.audit).toMatchObject([{ decision: "deny", reason }]);
    expect(h.requests).toMatchObject([{ status: 401, origin: "authorizer", reason }]);
  });

  it("answers 200 with the key's user_id, handing the context to the backend as strings", async () => {
    const reply = await h.call("/whoami", { key: ALICE.api_key });
    expect(reply.status).toBe(200);
    const body = reply.json() as Record<string, unknown>;
    expect(body).toMatchObject({
      principalId: "kp_alice",
      user_id: "kp_alice",
      key_id: ALICE.key_id,
      scopes: "read:reports write:orders",
      verdict_source: "kinde",
    });
    for (const [name, value] of Object.entries(body)) {
      if (name !== "integrationLatency") expect(typeof value, name).toBe("string");
    }
    expect(h.requests).toMatchObject([{ status: 200, userId: "kp_alice", origin: "authorizer", source: "kinde" }]);
    expect(reply.headers.get("x-amzn-requestid")).toBe(h.requests[0]!.requestId);
  });

  it("builds a REQUEST event the authorizer can audit: method, path, source IP, request id", async () => {
    await h.call("/orders?x=1", { key: ALICE.api_key, method: "POST", body: '{"item":1}', headers: { "User-Agent": "harness/1" } });
    expect(h.audit).toHaveLength(1);
    expect(h.audit[0]).toMatchObject({
      decision: "allow",
      api_id: h.local.stage.apiId,
      stage: h.local.stage.stage,
      method: "POST",
      path: "/orders",
      source_ip: "127.0.0.1",
      user_agent: "harness/1",
      request_id: h.requests[0]!.requestId,
    });
    // Never the raw key in the audit trail.
    expect(JSON.stringify(h.audit)).not.toContain(ALICE.api_key);
  });
});

describe("authorization and the gateway cache", () => {
  it("answers 403 for a route whose scope the key lacks", async () => {
    const reply = await h.call("/reports/monthly", { key: BOB.api_key });
    expect(reply.status).toBe(403);
    expect(reply.json()).toEqual({ message: "Forbidden" });
    expect(h.requests).toMatchObject([{ status: 403, userId: "kp_bob", reason: "explicit_deny" }]);
  });

  it("re-evaluates the cached policy for other paths of the same route, and invokes the authorizer once more for another route", async () => {
    // With route rules the answer is cached per key and route: /reports/monthly and /reports/annual
    // both reach GET /reports/{name}, /whoami and /whoami/ GET /whoami; POST /orders is a resource of its own.
    const first = await h.call("/whoami", { key: BOB.api_key });
    const verifyCalls = kinde.calls.verify;
    const second = await h.call("/reports/monthly", { key: BOB.api_key });
    const third = await h.call("/reports/annual", { key: BOB.api_key });
    const fourth = await h.call("/whoami/", { key: BOB.api_key });
    const fifth = await h.call("/orders", { key: BOB.api_key, method: "POST" });
    expect([first.status, second.status, third.status, fourth.status, fifth.status]).toEqual([200, 403, 403, 200, 403]);
    expect(h.audit).toHaveLength(3); // one invocation per route
    expect(kinde.calls.verify).toBe(verifyCalls); // the later ones from the authorizer's own memory
    expect(h.requests.map((r) => r.origin)).toEqual(["authorizer", "authorizer", "gateway-cache", "gateway-cache", "authorizer"]);
  });

  it("serves every path of a route a key may call from one cached answer", async () => {
    // All three reach the catch-all /{proxy+}, where alice holds every rule's scopes.
    expect((await h.call("/profile", { key: ALICE.api_key })).status).toBe(200);
    const replies = await Promise.all(["/a/b", "/Reports/c"].map(async (path) => (await h.call(path, { key: ALICE.api_key })).status));
    expect(replies).toEqual([200, 200]);
    expect(h.requests.map((r) => r.origin)).toEqual(["authorizer", "gateway-cache", "gateway-cache"]);
    const more = await h.call("/orders", { key: ALICE.api_key, method: "POST" });
    expect(more.status).toBe(201);
    expect(h.requests.at(-1)).toMatchObject({ origin: "authorizer", userId: "kp_alice" });
  });

  it("caches the authorizer's 401 too, by the exact header value", async () => {
    // Both reach the same route, /{proxy+}.
    await h.call("/profile", { key: REVOKED.api_key });
    const again = await h.call("/x/y", { key: REVOKED.api_key });
    expect(again.status).toBe(401);
    expect(h.requests.map((r) => [r.origin, r.reason])).toEqual([
      ["authorizer", "inactive_key"],
      ["gateway-cache", "inactive_key"],
    ]);
    // A different header value is a different cache entry (here: another scheme spelling).
    const other = await h.call("/profile", { headers: { Authorization: `bearer ${REVOKED.api_key}` } });
    expect(other.status).toBe(401);
    expect(h.requests.at(-1)!.origin).toBe("authorizer");
  });
});

describe("the gateway itself", () => {
  it("answers concurrent requests for one key each on its own, asking Kinde at most once", async () => {
    h.local.cache.flush();
    const before = kinde.calls.verify;
    const replies = await Promise.all(Array.from({ length: 20 }, () => h.call("/whoami", { key: ALICE.api_key })));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(kinde.calls.verify - before).toBeLessThanOrEqual(1);
    // Each request is answered as its own: its own request id, its own log line.
    expect(new Set(replies.map((r) => r.headers.get("x-amzn-requestid"))).size).toBe(20);
    expect(h.requests).toHaveLength(20);
  });

  it("refuses a body over API Gateway's 10 MB limit with 413", async () => {
    const reply = await h.call("/orders", { key: ALICE.api_key, method: "POST", body: "x".repeat(10 * 1024 * 1024 + 1) });
    expect(reply.status).toBe(413);
    expect(h.audit).toHaveLength(0);
  });

  it("keeps serving after a client hangs up mid-request", async () => {
    const { request } = await import("node:http");
    await new Promise<void>((resolve) => {
      const req = request(`${h.local.url}/whoami`, { method: "POST", headers: { Authorization: `Bearer ${ALICE.api_key}`, "Content-Length": "100" } });
      req.on("error", () => resolve());
      // Hang up as soon as part of the promised 100-byte body is on its way.
      req.write("partial", () => {
        req.destroy();
        resolve();
      });
    });
    expect((await h.call("/whoami", { key: ALICE.api_key })).status).toBe(200);
  });
});

describe("with a TOKEN authorizer (keygate:authorizerType TOKEN)", () => {
  let t: Harness;
  beforeAll(async () => {
    t = await startHarness({ stackYaml: `${STACK_YAML}  keygate:authorizerType: TOKEN\n`, keys: [ALICE, BOB] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("sends the header value as authorizationToken and enforces the same rules", async () => {
    expect((await t.call("/whoami", { key: ALICE.api_key })).json()).toMatchObject({ user_id: "kp_alice" });
    expect((await t.call("/reports/x", { key: BOB.api_key })).status).toBe(403);
    expect((await t.call("/whoami")).status).toBe(401);
    // A TOKEN event carries no request details: the audit record has only what the method ARN gives.
    expect(t.audit[0]).toMatchObject({ decision: "allow", method: "GET", path: "/whoami" });
    expect(t.audit[0]).not.toHaveProperty("source_ip");
  });
});
