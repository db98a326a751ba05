/**
 * What the client sees when the authorizer fails: Keygate's deployed gateway responses (503 with
 * Retry-After), never a 401 that would blame the caller, and never a cached failure.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GATEWAY_RESPONSES } from "../../infra/gateway-responses";
import { ALICE, STUB_AUTHORIZER, startHarness, type Harness } from "./local-harness";

const failure = GATEWAY_RESPONSES.find((r) => r.responseType === "AUTHORIZER_FAILURE")!;
const configurationError = GATEWAY_RESPONSES.find((r) => r.responseType === "AUTHORIZER_CONFIGURATION_ERROR")!;

function expectDeployedResponse(reply: { status: number; headers: Headers; text: string }, definition: typeof failure): void {
  expect(reply.status).toBe(definition.statusCode);
  expect(reply.text).toBe(definition.body);
  for (const [name, value] of Object.entries(definition.headers)) expect(reply.headers.get(name)).toBe(value);
}

// "rate-limited" comes last: after a 429 the authorizer leaves Kinde alone until RateLimit-Reset has passed.
const KINDE_FAILURES = ["server-error", "malformed-json", "always-401", "reset", "hang", "rate-limited"] as const;

describe("with the real authorizer, when Kinde fails", () => {
  let h: Harness;
  // One key per case: a verdict cached by an earlier case must not hide Kinde's failure.
  const keyFor = (mode: string) => `k_live_test_${mode.replace(/-/g, "_")}_0123456789`;
  beforeAll(async () => {
    const keys = KINDE_FAILURES.map((mode, i) => ({ ...ALICE, api_key: keyFor(mode), key_id: `api_key_${String(i).repeat(32)}` }));
    h = await startHarness({ keys, stackYaml: "config:\n  keygate:verifyTimeoutMs: 1000\n" });
  });
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(() => {
    h.local.cache.flush();
    h.requests.length = 0;
    h.audit.length = 0;
  });

  it.each(KINDE_FAILURES)(
    "answers Keygate's 503 with Retry-After when Kinde is %s, and does not cache it",
    async (mode) => {
      const emulator = h.local.kinde.mode === "emulator" ? h.local.kinde.emulator : undefined;
      emulator!.verifyMode = mode;
      try {
        const reply = await h.call("/whoami", { key: keyFor(mode) });
        expectDeployedResponse(reply, failure);
        expect(reply.status).toBe(503);
        expect(reply.headers.get("retry-after")).toBe("5");
        expect(h.requests).toMatchObject([{ status: 503, origin: "authorizer", reason: "upstream_unavailable" }]);
        expect(h.local.cache.size).toBe(0);
      } finally {
        emulator!.verifyMode = "normal";
      }
      if (mode === "rate-limited") {
        // Kinde is back, but its RateLimit-Reset has not passed: still 503, and Kinde is not asked.
        const calls = h.local.kinde.mode === "emulator" ? h.local.kinde.emulator.calls.verify : 0;
        expectDeployedResponse(await h.call("/whoami", { key: keyFor(mode) }), failure);
        expect(h.local.kinde.mode === "emulator" ? h.local.kinde.emulator.calls.verify : -1).toBe(calls);
        return;
      }
      // Kinde is back: the very next request verifies again and passes.
      expect((await h.call("/whoami", { key: keyFor(mode) })).status).toBe(200);
    },
  );
});

describe("with an authorizer that misbehaves", () => {
  let h: Harness;
  beforeAll(async () => {
    // A stack without usage plans: the stand-in returns no usage key.
    h = await startHarness({ authorizerModule: STUB_AUTHORIZER, authorizerTimeoutMs: 1000, stackYaml: "config: {}\n" });
  });
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(() => {
    h.local.cache.flush();
    h.requests.length = 0;
  });

  it("answers 503 (AUTHORIZER_FAILURE) when it throws anything but Unauthorized", async () => {
    const reply = await h.call("/whoami", { key: "stub-throw" });
    expectDeployedResponse(reply, failure);
    expect(reply.headers.get("x-amzn-errortype")).toBe("AuthorizerFailureException");
    expect(h.requests).toMatchObject([{ status: 503, reason: "stub_stub-throw" }]);
  });

  it("answers 401 only for exactly Unauthorized", async () => {
    const reply = await h.call("/whoami", { key: "anything-else" });
    expect(reply.status).toBe(401);
  });

  it("answers 503 (AUTHORIZER_CONFIGURATION_ERROR) when it times out", async () => {
    const reply = await h.call("/whoami", { key: "stub-hang" });
    expectDeployedResponse(reply, configurationError);
    expect(h.requests).toMatchObject([{ status: 503 }]);
  });

  it.each([
    ["a context value that is an array", "stub-context-object"],
    ["a context value that is null", "stub-context-null"],
    ["no principalId", "stub-no-principal"],
    ["no policy", "stub-no-policy"],
    ["an Effect IAM does not know", "stub-bad-effect"],
    ["no result at all", "stub-undefined"],
  ])("answers 503 (AUTHORIZER_CONFIGURATION_ERROR) for a result with %s, and does not cache it", async (_label, key) => {
    const reply = await h.call("/whoami", { key });
    expectDeployedResponse(reply, configurationError);
    expect(h.requests[0]!.reason).toMatch(/^stub_|^malformed_result/);
    expect(h.local.cache.size).toBe(0);
  });

  it("starts a new container after one dies, answering 503 for the request it was serving", async () => {
    const crashed = await h.call("/whoami", { key: "stub-crash" });
    expectDeployedResponse(crashed, failure);
    const next = await h.call("/whoami", { key: "stub-typed-context" });
    expect(next.status).toBe(200);
  });

  it("hands numbers and booleans in the context to the backend as strings", async () => {
    const reply = await h.call("/whoami", { key: "stub-typed-context" });
    expect(reply.json()).toMatchObject({ principalId: "kp_stub", user_id: "kp_stub", count: "3", admin: "false" });
  });

  it("exposes a methodArn-only policy: the cached answer denies the second route", async () => {
    const first = await h.call("/whoami", { key: "stub-method-arn-only" });
    const second = await h.call("/reports/monthly", { key: "stub-method-arn-only" });
    expect([first.status, second.status]).toEqual([200, 403]);
    expect(h.requests.map((r) => [r.origin, r.reason ?? null])).toEqual([
      ["authorizer", null],
      ["gateway-cache", "no_matching_allow"],
    ]);
  });
});
