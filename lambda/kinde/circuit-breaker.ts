import { VerificationUnavailableError } from "../errors";
import type { KindeVerifyAnswer, KindeVerifyClient } from "./verify-client";

export type BreakerState = "closed" | "open" | "half_open";

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** The first cool-down; each further failed probe doubles it, up to `maxCooldownMs`. */
  baseCooldownMs: number;
  maxCooldownMs: number;
  /** Longest wait a RateLimit-Reset can impose, whatever it says. */
  maxRateLimitWaitMs: number;
  now: () => number;
  /** In [0, 1): spreads cool-downs so that containers opened together do not probe together. */
  random: () => number;
}

export const DEFAULT_BREAKER: Omit<CircuitBreakerOptions, "now" | "random"> = {
  failureThreshold: 5,
  baseCooldownMs: 2_000,
  maxCooldownMs: 30_000,
  maxRateLimitWaitMs: 60_000,
};

type Verify = Pick<KindeVerifyClient, "verify">;

/**
 * Shields Kinde, and callers' time, from a Kinde that is failing. After `failureThreshold`
 * consecutive failures (any VerificationUnavailableError: 5xx, timeout, reset, refused M2M
 * credentials, an answer that is not Kinde's, 429) calls fail at once with `kinde_circuit_open`
 * for a cool-down that grows with each failed probe, capped and jittered. After it one probe goes
 * through (half open); its success closes the breaker, its failure opens it again for longer. A 429
 * carrying RateLimit-Reset opens it at once for at least that long. Per container.
 *
 * Only failures of Kinde itself count. Kinde refusing a key (`rejected`: any 4xx about the key in
 * Kinde's error JSON, see verify-client.ts) is an answer, and closes the breaker like any other: the
 * caller controls the key, so a count of refused keys would let made-up keys open the breaker and
 * turn good keys away.
 *
 * Callers' stale-if-error still applies: the resolver treats `kinde_circuit_open` as any other
 * unavailability.
 */
export class CircuitBreaker implements Verify {
  private consecutiveFailures = 0;
  /** Cool-downs served since the breaker last closed: the exponent of the next one. */
  private openings = 0;
  private openUntil = 0;
  private probing = false;

  constructor(
    private readonly kinde: Verify,
    private readonly options: CircuitBreakerOptions,
  ) {}

  state(): BreakerState {
    if (this.consecutiveFailures < this.options.failureThreshold && this.openUntil === 0) return "closed";
    return this.options.now() < this.openUntil || this.probing ? "open" : "half_open";
  }

  async verify(apiKey: string, signal: AbortSignal): Promise<KindeVerifyAnswer> {
    const state = this.state();
    if (state === "open") {
      throw new VerificationUnavailableError(
        "kinde_circuit_open",
        this.probing ? "a probe of Kinde is in flight" : `not calling Kinde until ${new Date(this.openUntil).toISOString()} after repeated failures`,
      );
    }
    const probe = state === "half_open";
    if (probe) this.probing = true;
    try {
      const answer = await this.kinde.verify(apiKey, signal);
      this.close();
      return answer;
    } catch (error) {
      if (error instanceof VerificationUnavailableError) this.fail(error);
      throw error;
    } finally {
      if (probe) this.probing = false;
    }
  }

  private close(): void {
    this.consecutiveFailures = 0;
    this.openings = 0;
    this.openUntil = 0;
  }

  private fail(error: VerificationUnavailableError): void {
    this.consecutiveFailures++;
    const { failureThreshold, baseCooldownMs, maxCooldownMs, maxRateLimitWaitMs, now, random } = this.options;
    const rateLimitWait = error.retryAfterMs === undefined ? 0 : Math.min(error.retryAfterMs, maxRateLimitWaitMs);
    if (this.consecutiveFailures < failureThreshold && rateLimitWait === 0) return;
    if (now() < this.openUntil) {
      // Calls that were already in flight when it opened: they do not lengthen the cool-down, Kinde's own word may.
      this.openUntil = Math.max(this.openUntil, now() + rateLimitWait);
      return;
    }
    const ceiling = Math.min(baseCooldownMs * 2 ** this.openings, maxCooldownMs);
    // "Equal jitter": at least half the cool-down, so the growth is kept, plus a random share of the rest.
    const cooldown = ceiling / 2 + (random() * ceiling) / 2;
    this.openings++;
    this.openUntil = now() + Math.max(cooldown, rateLimitWait);
  }
}
