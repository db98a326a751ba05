import type { DynamoDbVerdictStore } from "../cache/dynamodb-verdict-store";
import type { MemoryVerdictCache } from "../cache/memory-verdict-cache";
import { VerificationUnavailableError } from "../errors";
import type { KindeVerifyClient } from "../kinde/verify-client";
import { verdictFromKinde, type Verdict, type VerdictLifetimes } from "./verdict";

export type VerdictSource = "memory" | "dynamodb" | "kinde" | "stale";

export interface ResolvedVerdict {
  verdict: Verdict;
  source: VerdictSource;
  /** Set when the DynamoDB cache was skipped because it failed or was slow. */
  cacheError?: string;
  /** Set when the verdict is a stale fallback: why Kinde could not be asked. */
  upstreamError?: VerificationUnavailableError;
}

export interface VerdictResolverOptions {
  memory: MemoryVerdictCache;
  store?: DynamoDbVerdictStore;
  kinde: Pick<KindeVerifyClient, "verify">;
  lifetimes: VerdictLifetimes;
  staleIfErrorMs: number;
  /** Budget for one verification at Kinde, token and retry included. */
  verifyTimeoutMs: number;
  now?: () => number;
}

/**
 * Finds the verdict for a key, cheapest first: memory, DynamoDB, then Kinde. Concurrent misses for
 * one key share a single lookup, so Kinde calls grow with distinct keys, not with requests.
 */
export class VerdictResolver {
  private readonly inFlight = new Map<string, Promise<ResolvedVerdict>>();
  private readonly now: () => number;

  constructor(private readonly options: VerdictResolverOptions) {
    this.now = options.now ?? Date.now;
  }

  resolve(keyHash: string, apiKey: string): Promise<ResolvedVerdict> {
    const cached = this.options.memory.fresh(keyHash, this.now());
    if (cached) return Promise.resolve({ verdict: cached, source: "memory" });
    let lookup = this.inFlight.get(keyHash);
    if (!lookup) {
      lookup = this.lookUp(keyHash, apiKey).finally(() => this.inFlight.delete(keyHash));
      this.inFlight.set(keyHash, lookup);
    }
    return lookup;
  }

  private async lookUp(keyHash: string, apiKey: string): Promise<ResolvedVerdict> {
    const { memory, store } = this.options;
    let stored: Verdict | undefined;
    let cacheError: string | undefined;
    if (store) {
      try {
        stored = await store.get(keyHash, this.now());
      } catch (error) {
        cacheError = describe(error);
      }
      if (stored && this.now() < stored.freshUntil) {
        memory.remember(keyHash, stored, this.now());
        return { verdict: stored, source: "dynamodb" };
      }
    }

    let verdict: Verdict;
    try {
      const answer = await this.options.kinde.verify(apiKey, AbortSignal.timeout(this.options.verifyTimeoutMs));
      verdict = verdictFromKinde(answer, this.now(), this.options.lifetimes);
    } catch (error) {
      if (!(error instanceof VerificationUnavailableError)) throw error;
      const fallback = this.staleFallback(memory.any(keyHash), stored);
      if (fallback) return { verdict: fallback, source: "stale", upstreamError: error, ...(cacheError ? { cacheError } : {}) };
      throw error;
    }

    memory.remember(keyHash, verdict, this.now());
    if (store && cacheError === undefined) {
      try {
        await store.put(keyHash, verdict);
      } catch (error) {
        cacheError = describe(error);
      }
    }
    return { verdict, source: "kinde", ...(cacheError ? { cacheError } : {}) };
  }

  /** The newest positive verdict still inside its stale-if-error window, if any. */
  private staleFallback(...candidates: (Verdict | undefined)[]): Verdict | undefined {
    const now = this.now();
    return candidates
      .filter((v): v is Verdict => v !== undefined && v.valid && now < v.freshUntil + this.options.staleIfErrorMs)
      .sort((a, b) => b.verifiedAt - a.verifiedAt)[0];
  }
}

function describe(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? "Error"}: ${e.message ?? String(error)}`.slice(0, 300);
}
