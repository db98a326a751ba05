import type { DynamoDbKeyMetadataStore } from "../cache/dynamodb-key-metadata-store";
import { LruCache } from "../cache/lru-cache";
import { describeError, VerificationUnavailableError } from "../errors";
import type { KindeKeyMetadataClient } from "./key-metadata-client";
import type { KeyMetadata, KeyMetadataLookup } from "./key-metadata";

export type KeyMetadataSource = "memory" | "dynamodb" | "kinde";

export interface ResolvedKeyMetadata {
  lookup: KeyMetadataLookup;
  source: KeyMetadataSource;
  /** Set when the DynamoDB cache was skipped because it failed or was slow. */
  cacheError?: string;
}

export interface KeyMetadataResolverOptions {
  kinde: Pick<KindeKeyMetadataClient, "get">;
  store?: DynamoDbKeyMetadataStore;
  memoryMaxEntries: number;
  /** How long fetched metadata is used: `KEY_METADATA_TTL_SECONDS`. */
  ttlMs: number;
  /** Budget for one lookup at Kinde, token included. */
  timeoutMs: number;
  now?: () => number;
}

/**
 * A key's metadata, cheapest first: memory, DynamoDB, then Kinde. It never changes for a key id, so
 * it is kept far longer than verdicts: Kinde is asked at most once per key id per lifetime, however
 * often the verdict is refreshed. Concurrent misses share one lookup. A documented "no such key" is
 * returned but never cached (it is rare, and a cached one would outlive a retry).
 */
export class KeyMetadataResolver {
  private readonly memory: LruCache<{ metadata: KeyMetadata; usableUntil: number }>;
  private readonly inFlight = new Map<string, Promise<ResolvedKeyMetadata>>();
  private readonly now: () => number;

  constructor(private readonly options: KeyMetadataResolverOptions) {
    this.memory = new LruCache(options.memoryMaxEntries);
    this.now = options.now ?? Date.now;
  }

  /** Throws VerificationUnavailableError when the metadata cannot be had: the caller must not allow. */
  resolve(keyId: string | undefined): Promise<ResolvedKeyMetadata> {
    if (keyId === undefined) {
      return Promise.reject(new VerificationUnavailableError("kinde_bad_response", "the verify answer has no key_id, which the key's metadata is read by"));
    }
    const held = this.memory.get(keyId);
    if (held && this.now() < held.usableUntil) return Promise.resolve({ lookup: { found: true, metadata: held.metadata }, source: "memory" });
    let lookup = this.inFlight.get(keyId);
    if (!lookup) {
      lookup = this.lookUp(keyId).finally(() => this.inFlight.delete(keyId));
      this.inFlight.set(keyId, lookup);
    }
    return lookup;
  }

  private async lookUp(keyId: string): Promise<ResolvedKeyMetadata> {
    const { store } = this.options;
    let cacheError: string | undefined;
    if (store) {
      try {
        const stored = await store.get(keyId, this.now());
        if (stored) {
          this.memory.set(keyId, stored);
          return { lookup: { found: true, metadata: stored.metadata }, source: "dynamodb" };
        }
      } catch (error) {
        cacheError = describeError(error);
      }
    }
    const lookup = await this.options.kinde.get(keyId, AbortSignal.timeout(this.options.timeoutMs));
    if (lookup.found) {
      const stored = { metadata: lookup.metadata, usableUntil: this.now() + this.options.ttlMs };
      this.memory.set(keyId, stored);
      if (store && cacheError === undefined) {
        try {
          await store.put(stored);
        } catch (error) {
          cacheError = describeError(error);
        }
      }
    }
    return { lookup, source: "kinde", ...(cacheError ? { cacheError } : {}) };
  }
}
