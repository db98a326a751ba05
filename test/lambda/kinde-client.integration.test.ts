/** The Kinde client on its own, with a clock the test moves: token renewal and the 429 back-off. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { M2MTokenProvider } from "../../lambda/kinde/m2m-token";
import { KindeVerifyClient, MAX_RATE_LIMIT_BACKOFF_MS } from "../../lambda/kinde/verify-client";
import { KindeEmulator } from "../../local/kinde-emulator";

const KEY = "k_live_clock_0123456789abcdef";
const kinde = new KindeEmulator({
  clientId: "clock",
  clientSecret: "clock-secret",
  keys: () => [{ api_key: KEY, key_id: "api_key_c", user_id: "kp_c", scopes: [] }],
  tokenLifetimeSeconds: 3600,
});
let clock = 1_700_000_000_000;
const now = () => clock;

function client() {
  const tokens = new M2MTokenProvider(kinde.url, "clock", () => Promise.resolve("clock-secret"), now);
  return new KindeVerifyClient(kinde.url, tokens, now);
}
const budget = () => AbortSignal.timeout(5_000);

beforeAll(() => kinde.start());
afterAll(() => kinde.stop());
beforeEach(() => {
  kinde.verifyMode = "normal";
  kinde.resetCounts();
});

describe("the M2M token", () => {
  it("is kept until shortly before expires_in, then renewed", async () => {
    const verify = client();
    await verify.verify(KEY, budget());
    clock += 3_000_000; // 50 minutes: still well inside the hour
    await verify.verify(KEY, budget());
    expect(kinde.calls.token).toBe(1);
    clock += 570_000; // 59.5 minutes: inside the last minute, renewed early
    await verify.verify(KEY, budget());
    expect(kinde.calls.token).toBe(2);
  });
});

describe("after a 429", () => {
  it("makes no call until RateLimit-Reset has passed, capped at the maximum back-off", async () => {
    kinde.verifyMode = "rate-limited";
    kinde.rateLimitResetSeconds = 3600;
    const verify = client();
    await expect(verify.verify(KEY, budget())).rejects.toThrow(/^kinde_rate_limited: Kinde answered 429 \(reset in 3600s\)/);
    kinde.verifyMode = "normal";

    clock += MAX_RATE_LIMIT_BACKOFF_MS - 1_000;
    await expect(verify.verify(KEY, budget())).rejects.toThrow(/^kinde_rate_limited: backing off until /);
    expect(kinde.calls.verify).toBe(1);

    clock += 2_000;
    await expect(verify.verify(KEY, budget())).resolves.toMatchObject({ kind: "answered", body: { is_valid: true, user_id: "kp_c" } });
    expect(kinde.calls.verify).toBe(2);
  });

  it("backs off for the reset Kinde gives when it is shorter", async () => {
    kinde.verifyMode = "rate-limited";
    kinde.rateLimitResetSeconds = 2;
    const verify = client();
    await expect(verify.verify(KEY, budget())).rejects.toThrow(/kinde_rate_limited/);
    kinde.verifyMode = "normal";
    clock += 1_500;
    await expect(verify.verify(KEY, budget())).rejects.toThrow(/backing off/);
    clock += 1_000;
    await expect(verify.verify(KEY, budget())).resolves.toMatchObject({ kind: "answered" });
  });
});
