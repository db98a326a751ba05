import type { DynamoDbVerdictStore } from "../cache/dynamodb-verdict-store";
import type { MemoryVerdictCache } from "../cache/memory-verdict-cache";
import { describeError, VerificationUnavailableError } from "../errors";
import { IpFailureBudgetExceededError, type IpFailureBudget } from "../flood/ip-failure-budget";
import { usableKeyMetadata, type UsableKeyMetadata } from "../kinde/key-metadata";
import { NOTHING_WRITTEN, type KeyMetadataResolver, type ResolvedKeyMetadata } from "../kinde/key-metadata-resolver";
import type { KindeVerifyClient } from "../kinde/verify-client";
import { newestVerdict, verdictFromKinde, type Verdict, type VerdictLifetimes } from "./verdict";

export type VerdictSource = "memory" | "dynamodb" | "kinde" | "stale";

/** The key's metadata as the verdict lookup found it: cached with the verdict, fetched for it, or why it could not be had. */
export type KeyMetadataOutcome = { resolved: ResolvedKeyMetadata } | { error: unknown };

export interface ResolvedVerdict {
  verdict: Verdict;
  source: VerdictSource;
  /**
   * Set when the rules need the key's metadata and it came with the verdict (cached with it, or fetched
   * before a verdict from Kinde was stored), or could not be fetched. Absent: the caller looks it up.
   */
  keyMetadata?: KeyMetadataOutcome;
  /** Set when the DynamoDB cache was skipped because it failed or was slow. */
  cacheError?: string;
  /** Set when the verdict is a stale fallback: why Kinde could not be asked. */
  upstreamError?: VerificationUnavailableError;
}

export interface VerdictResolverOptions {
  memory: MemoryVerdictCache;
  store?: Pick<DynamoDbVerdictStore, "get" | "put">;
  kinde: Pick<KindeVerifyClient, "verify">;
  lifetimes: VerdictLifetimes;
  staleIfErrorMs: number;
  /** Budget for one verification at Kinde, token, client secret and retry included. */
  verifyTimeoutMs: number;
  /** Refuses unknown keys from source IPs that sent too many failed ones; absent means no such limit. */
  ipFailureBudget?: IpFailureBudget;
  /**
   * The keys' metadata, for rules that need it (`needed`): fetched before a verdict from Kinde is
   * stored and stored with it, so that a hit is one read and a miss one write. Absent: verdicts carry none.
   */
  keyMetadata?: { resolver: Pick<KeyMetadataResolver, "resolveWithPendingWrite" | "ttlMs">; needed: (verdict: Verdict) => boolean };
  now?: () => number;
}

/** What DynamoDB said about a key: its item (fresh or not), or why it could not say. */
interface StoreRead {
  stored?: Verdict;
  cacheError?: string;
}

/**
 * Finds the verdict for a key, cheapest first: memory, DynamoDB, then Kinde. Concurrent misses for
 * one key share a single lookup, so Kinde calls grow with distinct keys, not with requests.
 *
 * The newest definitive verdict wins: a refusal from Kinde is stored even when the read before it
 * failed, and a stale positive verdict is served (while Kinde is unavailable) only when no newer
 * refusal is known, in memory or in the table.
 */
export class VerdictResolver {
  private readonly inFlight = new Map<string, Promise<ResolvedVerdict>>();
  private readonly now: () => number;

  constructor(private readonly options: VerdictResolverOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * `sourceIp`, when known, is charged for every key that turns out to be refused; once it has used
   * up its budget its unknown keys throw IpFailureBudgetExceededError without a Kinde call.
   */
  async resolve(keyHash: string, apiKey: string, sourceIp?: string): Promise<ResolvedVerdict> {
    return this.withCarriedKeyMetadata(await this.resolveVerdict(keyHash, apiKey, sourceIp));
  }

  private async resolveVerdict(keyHash: string, apiKey: string, sourceIp?: string): Promise<ResolvedVerdict> {
    const { memory, ipFailureBudget: budget } = this.options;
    const cached = memory.fresh(keyHash, this.now());
    if (cached) {
      if (budget && sourceIp !== undefined && !cached.valid) budget.settle(sourceIp, keyHash, true, this.now());
      return { verdict: cached, source: "memory" };
    }
    if (!budget || sourceIp === undefined) return this.shared(keyHash, apiKey);

    let read: StoreRead | undefined;
    if (budget.exhausted(sourceIp, keyHash, this.now()) && !this.inFlight.has(keyHash)) {
      // Over budget, only a key already known valid may still be verified at Kinde.
      read = await this.readStore(keyHash);
      const known = newestVerdict([memory.any(keyHash), read.stored]);
      if (read.stored && !read.stored.valid && this.now() < read.stored.freshUntil) return { verdict: read.stored, source: "dynamodb" };
      if (!known?.valid) throw new IpFailureBudgetExceededError();
    }
    budget.hold(sourceIp, keyHash, this.now());
    let failed = false;
    try {
      const resolved = await this.shared(keyHash, apiKey, read);
      failed = !resolved.verdict.valid;
      return resolved;
    } finally {
      budget.settle(sourceIp, keyHash, failed, this.now());
    }
  }

  private shared(keyHash: string, apiKey: string, read?: StoreRead): Promise<ResolvedVerdict> {
    let lookup = this.inFlight.get(keyHash);
    if (!lookup) {
      lookup = this.lookUp(keyHash, apiKey, read).finally(() => this.inFlight.delete(keyHash));
      this.inFlight.set(keyHash, lookup);
    }
    return lookup;
  }

  private async readStore(keyHash: string): Promise<StoreRead> {
    if (!this.options.store) return {};
    try {
      return { stored: await this.options.store.get(keyHash, this.now()) };
    } catch (error) {
      return { cacheError: describeError(error) };
    }
  }

  private async lookUp(keyHash: string, apiKey: string, earlierRead?: StoreRead): Promise<ResolvedVerdict> {
    const { memory, store } = this.options;
    const { stored, cacheError: readError } = earlierRead ?? (await this.readStore(keyHash));
    let cacheError = readError;
    // A fresh item loses to a newer refusal this container holds (its write to the table may have failed).
    if (stored && this.now() < stored.freshUntil && newestVerdict([stored, memory.any(keyHash)]) === stored) {
      memory.remember(keyHash, stored, this.now());
      return { verdict: stored, source: "dynamodb" };
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

    const metadata = await this.keyMetadataFor(verdict, stored, memory.any(keyHash));
    if (metadata.usable && verdict.valid) verdict = { ...verdict, keyMetadata: metadata.usable };

    memory.remember(keyHash, verdict, this.now());
    // After a failed read a positive verdict is not written (the cache is struggling, and a missing
    // positive costs only a Kinde call), but a refusal always is: it must reach every container.
    // The key's metadata item, when its lookup started one, is written alongside: one write round trip.
    const verdictWritten =
      store && (readError === undefined || !verdict.valid)
        ? store.put(keyHash, verdict).then(
            () => undefined,
            (error: unknown) => describeError(error),
          )
        : NOTHING_WRITTEN;
    const [verdictWriteError, metadataWriteError] = await Promise.all([verdictWritten, metadata.written]);
    cacheError = verdictWriteError ?? cacheError;
    let keyMetadata = metadata.outcome;
    if (keyMetadata && "resolved" in keyMetadata && metadataWriteError !== undefined) keyMetadata = { resolved: { ...keyMetadata.resolved, cacheError: metadataWriteError } };
    return { verdict, source: "kinde", ...(cacheError ? { cacheError } : {}), ...(keyMetadata ? { keyMetadata } : {}) };
  }

  /**
   * The key's metadata for a verdict just made at Kinde, when the rules need it: carried by the verdict
   * it replaces (a refresh), else from the resolver (memory, its DynamoDB item, Kinde's key read).
   */
  private async keyMetadataFor(
    verdict: Verdict,
    ...replaced: (Verdict | undefined)[]
  ): Promise<{ outcome?: KeyMetadataOutcome; usable?: UsableKeyMetadata; written: Promise<string | undefined> }> {
    const wanted = this.options.keyMetadata;
    if (!wanted || !verdict.valid || !wanted.needed(verdict)) return { written: NOTHING_WRITTEN };
    for (const earlier of replaced) {
      const carried = earlier?.valid ? usableKeyMetadata(earlier.keyMetadata, verdict.keyId, this.now(), wanted.resolver.ttlMs) : undefined;
      if (carried) return { outcome: { resolved: carriedLookup(carried) }, usable: carried, written: NOTHING_WRITTEN };
    }
    try {
      const { resolved, written } = await wanted.resolver.resolveWithPendingWrite(verdict.keyId);
      const usable = resolved.lookup.found && resolved.usableUntil !== undefined ? { metadata: resolved.lookup.metadata, usableUntil: resolved.usableUntil } : undefined;
      return { outcome: { resolved }, ...(usable ? { usable } : {}), written };
    } catch (error) {
      return { outcome: { error }, written: NOTHING_WRITTEN };
    }
  }

  /** A verdict read from a cache that carries the key's metadata, still usable, answers for it too. */
  private withCarriedKeyMetadata(resolved: ResolvedVerdict): ResolvedVerdict {
    const wanted = this.options.keyMetadata;
    const { verdict } = resolved;
    if (resolved.keyMetadata || !wanted || !verdict.valid || !wanted.needed(verdict)) return resolved;
    const carried = usableKeyMetadata(verdict.keyMetadata, verdict.keyId, this.now(), wanted.resolver.ttlMs);
    return carried ? { ...resolved, keyMetadata: { resolved: carriedLookup(carried) } } : resolved;
  }

  /**
   * The newest verdict known for the key, if it is positive and still inside its stale-if-error
   * window. A newer refusal, however old, means no fallback: Kinde's last word on the key was no.
   */
  private staleFallback(...candidates: (Verdict | undefined)[]): Verdict | undefined {
    const newest = newestVerdict(candidates);
    return newest?.valid && this.now() < newest.freshUntil + this.options.staleIfErrorMs ? newest : undefined;
  }
}

function carriedLookup(carried: UsableKeyMetadata): ResolvedKeyMetadata {
  return { lookup: { found: true, metadata: carried.metadata }, source: "with-verdict", usableUntil: carried.usableUntil };
}
