/** The circuit breaker in front of Kinde, driven by a scripted Kinde and a clock moved by hand. */
import { describe, expect, it } from "vitest";
import { VerificationUnavailableError } from "../../lambda/errors";
import { CircuitBreaker, DEFAULT_BREAKER } from "../../lambda/kinde/circuit-breaker";
import type { KindeVerifyAnswer } from "../../lambda/kinde/verify-client";
import { FakeClock } from "../support/fake-clock";

const ANSWER: KindeVerifyAnswer = { kind: "rejected", status: 404 };
const signal = () => new AbortController().signal;

function setup(random = () => 0.5) {
  const clock = new FakeClock();
  const kinde = { calls: 0, failure: undefined as VerificationUnavailableError | undefined };
  const breaker = new CircuitBreaker(
    {
      verify: () => {
        kinde.calls++;
        return kinde.failure ? Promise.reject(kinde.failure) : Promise.resolve(ANSWER);
      },
    },
    { ...DEFAULT_BREAKER, now: clock.now, random },
  );
  const attempt = () => breaker.verify("k", signal()).then(() => "answered", (error: VerificationUnavailableError) => error.code);
  return { clock, kinde, breaker, attempt };
}

describe("CircuitBreaker", () => {
  it("opens after 5 consecutive failures and then fails at once, without calling Kinde", async () => {
    const { kinde, breaker, attempt } = setup();
    kinde.failure = new VerificationUnavailableError("kinde_server_error", "Kinde answered 500");
    for (let n = 0; n < 5; n++) expect(await attempt()).toBe("kinde_server_error");
    expect(breaker.state()).toBe("open");
    for (let n = 0; n < 100; n++) expect(await attempt()).toBe("kinde_circuit_open");
    expect(kinde.calls).toBe(5);
  });

  it("does not open on failures that a success interrupts", async () => {
    const { kinde, breaker, attempt } = setup();
    for (let round = 0; round < 3; round++) {
      kinde.failure = new VerificationUnavailableError("kinde_timeout", "timed out");
      for (let n = 0; n < 4; n++) await attempt();
      kinde.failure = undefined;
      expect(await attempt()).toBe("answered");
    }
    expect(breaker.state()).toBe("closed");
  });

  it("never counts Kinde's refusals of keys: made-up keys between failures keep it closed", async () => {
    const { kinde, breaker, attempt } = setup();
    for (let round = 0; round < 20; round++) {
      kinde.failure = new VerificationUnavailableError("kinde_server_error", "Kinde answered 502");
      for (let n = 0; n < 4; n++) expect(await attempt()).toBe("kinde_server_error");
      kinde.failure = undefined; // Kinde answers the next key with a refusal (ANSWER: a 404 about the key)
      for (let n = 0; n < 12; n++) expect(await attempt()).toBe("answered");
    }
    expect(breaker.state()).toBe("closed");
  });

  it("lets one probe through after the cool-down; its success closes the breaker", async () => {
    const { clock, kinde, breaker, attempt } = setup();
    kinde.failure = new VerificationUnavailableError("kinde_unreachable", "reset");
    for (let n = 0; n < 5; n++) await attempt();
    clock.advance(1_499); // base 2 s, jitter 0.5: 1.5 s
    expect(await attempt()).toBe("kinde_circuit_open");
    clock.advance(1);
    expect(breaker.state()).toBe("half_open");
    kinde.failure = undefined;
    expect(await attempt()).toBe("answered");
    expect(breaker.state()).toBe("closed");
    expect(kinde.calls).toBe(6);
  });

  it("holds other callers while the probe is in flight", async () => {
    const clock = new FakeClock();
    let release: (() => void) | undefined;
    let calls = 0;
    const breaker = new CircuitBreaker(
      {
        verify: () => {
          calls++;
          if (calls <= 5) return Promise.reject(new VerificationUnavailableError("kinde_server_error", "500"));
          return new Promise<KindeVerifyAnswer>((resolve) => (release = () => resolve(ANSWER)));
        },
      },
      { ...DEFAULT_BREAKER, now: clock.now, random: () => 0 },
    );
    for (let n = 0; n < 5; n++) await breaker.verify("k", signal()).catch(() => undefined);
    clock.advance(60_000);
    const probe = breaker.verify("k", signal());
    await expect(breaker.verify("k", signal())).rejects.toMatchObject({ code: "kinde_circuit_open" });
    expect(breaker.state()).toBe("open");
    release?.();
    await probe;
    expect(calls).toBe(6);
    expect(breaker.state()).toBe("closed");
  });

  it("grows the cool-down with each failed probe, up to its cap, with jitter inside [half, whole]", async () => {
    for (const [random, expected] of [
      [0, [1_000, 2_000, 4_000, 8_000, 15_000, 15_000]],
      [0.999_999, [2_000, 4_000, 8_000, 16_000, 30_000, 30_000]],
    ] as const) {
      const { clock, kinde, breaker, attempt } = setup(() => random);
      kinde.failure = new VerificationUnavailableError("kinde_server_error", "500");
      for (let n = 0; n < 5; n++) await attempt();
      for (const cooldown of expected) {
        clock.advance(Math.floor(cooldown) - 1);
        expect(breaker.state()).toBe("open");
        clock.advance(1);
        expect(breaker.state()).toBe("half_open");
        await attempt();
      }
    }
  });

  it("opens at once for as long as a 429's RateLimit-Reset asks", async () => {
    const { clock, kinde, breaker, attempt } = setup();
    kinde.failure = new VerificationUnavailableError("kinde_rate_limited", "Kinde answered 429", 20_000);
    await attempt();
    expect(breaker.state()).toBe("open");
    clock.advance(19_999);
    expect(await attempt()).toBe("kinde_circuit_open");
    clock.advance(1);
    kinde.failure = undefined;
    expect(await attempt()).toBe("answered");
    expect(kinde.calls).toBe(2);
  });

  it("makes at most 20 Kinde calls during a 60 s outage, however many requests arrive", async () => {
    // random 0 gives the shortest cool-downs: the most probes.
    const { clock, kinde, attempt } = setup(() => 0);
    kinde.failure = new VerificationUnavailableError("kinde_server_error", "500");
    for (let tick = 0; tick < 600; tick++) {
      await Promise.all(Array.from({ length: 10 }, attempt));
      clock.advance(100);
    }
    expect(kinde.calls).toBeLessThanOrEqual(20);
  });
});
