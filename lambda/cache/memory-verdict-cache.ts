import { boundedVerdict, MAX_CLOCK_SKEW_MS, newestVerdict, type Verdict, type VerdictLifetimes } from "../verdict/verdict";
import { LruCache } from "./lru-cache";

interface Entry {
  verdict: Verdict;
  /** Epoch ms: the entry answers alone until then, and never past the verdict's own freshness. */
  answersUntil: number;
}

export interface MemoryVerdictCacheOptions {
  /** Bound on positive verdicts held. */
  maxEntries: number;
  /** Bound on negative verdicts held, in an LRU of their own: a flood of bad keys never evicts a good one. */
  maxNegativeEntries?: number;
  /** How long an entry answers without asking DynamoDB; 0 turns the memory cache off. */
  ttlMs: number;
  /** The verdict lifetimes in force, which bound every entry read. */
  lifetimes: VerdictLifetimes;
}

/**
 * The container's own verdict cache. Entries live at most `ttlMs` so that a verdict removed from
 * (or replaced in) DynamoDB reaches every container within that time. A key has at most one entry:
 * the newest verdict, positive or negative.
 */
export class MemoryVerdictCache {
  private readonly positives: LruCache<Entry>;
  private readonly negatives: LruCache<Entry>;
  private readonly ttlMs: number;
  private readonly lifetimes: VerdictLifetimes;

  constructor(options: MemoryVerdictCacheOptions) {
    this.positives = new LruCache(options.maxEntries);
    this.negatives = new LruCache(options.maxNegativeEntries ?? options.maxEntries);
    this.ttlMs = options.ttlMs;
    this.lifetimes = options.lifetimes;
  }

  /** A verdict this cache may answer with now. */
  fresh(keyHash: string, now: number): Verdict | undefined {
    const entry = this.entry(keyHash);
    if (!entry || entry.verdict.verifiedAt > now + MAX_CLOCK_SKEW_MS) return undefined;
    return now < entry.answersUntil && now < entry.verdict.freshUntil ? entry.verdict : undefined;
  }

  /** Whatever verdict is held, fresh or not: a candidate for stale-if-error, or a refusal newer than one. */
  any(keyHash: string): Verdict | undefined {
    return this.entry(keyHash)?.verdict;
  }

  /** Holds the verdict unless a newer one is held already; a verdict replaces any older one of the other kind. */
  remember(keyHash: string, verdict: Verdict, now: number): void {
    if (this.ttlMs <= 0) return;
    const bounded = boundedVerdict(verdict, this.lifetimes, now);
    if (!bounded) return;
    const held = this.entry(keyHash);
    if (held && newestVerdict([bounded, held.verdict]) === held.verdict && held.verdict !== bounded) return;
    (bounded.valid ? this.negatives : this.positives).delete(keyHash);
    (bounded.valid ? this.positives : this.negatives).set(keyHash, { verdict: bounded, answersUntil: Math.min(now + this.ttlMs, bounded.freshUntil) });
  }

  private entry(keyHash: string): Entry | undefined {
    return this.positives.get(keyHash) ?? this.negatives.get(keyHash);
  }
}
