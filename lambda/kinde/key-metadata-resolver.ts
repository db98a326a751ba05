import type { DynamoDbKeyMetadataStore } from "../cache/dynamodb-key-metadata-store";
import { LruCache } from "../cache/lru-cache";
import { describeError, VerificationUnavailableError } from "../errors";
import type { KindeKeyMetadataClient } from "./key-metadata-client";
import type { KeyMetadataLookup, UsableKeyMetadata } from "./key-metadata";

/** Where a key's metadata came from: this resolver's memory, its DynamoDB item, Kinde, or the verdict it was cached with. */
export type KeyMetadataSource = "memory" | "dynamodb" | "kinde" | "with-verdict";

export interface ResolvedKeyMetadata {
  lookup: KeyMetadataLookup;
  source: KeyMetadataSource;
  /** When found: the epoch ms until which it may be used, counted from Kinde's answer, wherever it was cached since. */
  usableUntil?: number;
  /** Set when the DynamoDB cache was skipped because it failed or was slow. */
  cacheError?: string;
}

/** Metadata resolved, and the write of its DynamoDB item that the lookup started (settling with why it failed, if it did). */
export interface ResolvedKeyMetadataWithPendingWrite {
  resolved: ResolvedKeyMetadata;
  written: Promise<string | undefined>;
}

export interface KeyMetadataResolverOptions {
  kinde: Pick<KindeKeyMetadataClient, "get">;
  store?: Pick<DynamoDbKeyMetadataStore, "get" | "put">;
  memoryMaxEntries: number;
  /** How long fetched metadata is used: `KEY_METADATA_TTL_SECONDS`. */
  ttlMs: number;
  /** Budget for one lookup at Kinde, token included. */
  timeoutMs: number;
  now?: () => number;
}

/** A write that was not needed: settles at once, with no error. */
export const NOTHING_WRITTEN: Promise<string | undefined> = Promise.resolve(undefined);

/**
 * A key's metadata, cheapest first: memory, DynamoDB, then Kinde. It never changes for a key id, so
 * it is kept far longer than verdicts: Kinde is asked at most once per key id per lifetime, however
 * often the verdict is refreshed or the key rotated. Concurrent misses share one lookup. A documented
 * "no such key" is returned but never cached (it is rare, and a cached one would outlive a retry).
 */
export class KeyMetadataResolver {
  private readonly memory: LruCache<UsableKeyMetadata>;
  private readonly inFlight = new Map<string, Promise<ResolvedKeyMetadataWithPendingWrite>>();
  private readonly now: () => number;

  constructor(private readonly options: KeyMetadataResolverOptions) {
    this.memory = new LruCache(options.memoryMaxEntries);
    this.now = options.now ?? Date.now;
  }

  /** How long fetched metadata is used, for callers that cache it elsewhere (with a verdict). */
  get ttlMs(): number {
    return this.options.ttlMs;
  }

  /** Throws VerificationUnavailableError when the metadata cannot be had: the caller must not allow. */
  async resolve(keyId: string | undefined): Promise<ResolvedKeyMetadata> {
    const { resolved, written } = await this.resolveWithPendingWrite(keyId);
    const writeError = await written;
    return writeError === undefined ? resolved : { ...resolved, cacheError: writeError };
  }

  /**
   * As `resolve`, without waiting for the DynamoDB item written after a read at Kinde: a caller with a
   * write of its own (the verdict) runs both at once, so the request pays one write round trip.
   */
  resolveWithPendingWrite(keyId: string | undefined): Promise<ResolvedKeyMetadataWithPendingWrite> {
    if (keyId === undefined) {
      return Promise.reject(new VerificationUnavailableError("kinde_bad_response", "the verify answer has no key_id, which the key's metadata is read by"));
    }
    const held = this.memory.get(keyId);
    if (held && this.now() < held.usableUntil) {
      return Promise.resolve({ resolved: { lookup: { found: true, metadata: held.metadata }, source: "memory", usableUntil: held.usableUntil }, written: NOTHING_WRITTEN });
    }
    let lookup = this.inFlight.get(keyId);
    if (!lookup) {
      lookup = this.lookUp(keyId).finally(() => this.inFlight.delete(keyId));
      this.inFlight.set(keyId, lookup);
    }
    return lookup;
  }

  private async lookUp(keyId: string): Promise<ResolvedKeyMetadataWithPendingWrite> {
    const { store } = this.options;
    let cacheError: string | undefined;
    if (store) {
      try {
        const stored = await store.get(keyId, this.now());
        if (stored) {
          this.memory.set(keyId, stored);
          return { resolved: { lookup: { found: true, metadata: stored.metadata }, source: "dynamodb", usableUntil: stored.usableUntil }, written: NOTHING_WRITTEN };
        }
      } catch (error) {
        cacheError = describeError(error);
      }
    }
    const lookup = await this.options.kinde.get(keyId, AbortSignal.timeout(this.options.timeoutMs));
    if (!lookup.found) return { resolved: { lookup, source: "kinde", ...(cacheError ? { cacheError } : {}) }, written: NOTHING_WRITTEN };
    const stored = { metadata: lookup.metadata, usableUntil: this.now() + this.options.ttlMs };
    this.memory.set(keyId, stored);
    // After a failed read the item is not written: the cache is struggling, and a missing item costs one Kinde read.
    const written =
      store && cacheError === undefined
        ? store.put(stored).then(
            () => undefined,
            (error: unknown) => describeError(error),
          )
        : NOTHING_WRITTEN;
    return { resolved: { lookup, source: "kinde", usableUntil: stored.usableUntil, ...(cacheError ? { cacheError } : {}) }, written };
  }
}
