import type { Verdict } from "../verdict/verdict";
import { LruCache } from "./lru-cache";

interface Entry {
  verdict: Verdict;
  /** Epoch ms: the entry answers alone until then, and never past the verdict's own freshness. */
  answersUntil: number;
}

/**
 * The container's own verdict cache. Entries live at most `ttlMs` so that a verdict removed from
 * (or replaced in) DynamoDB reaches every container within that time.
 */
export class MemoryVerdictCache {
  private readonly entries: LruCache<Entry>;

  constructor(
    maxEntries: number,
    private readonly ttlMs: number,
  ) {
    this.entries = new LruCache(maxEntries);
  }

  /** A verdict this cache may answer with now. */
  fresh(keyHash: string, now: number): Verdict | undefined {
    const entry = this.entries.get(keyHash);
    return entry && now < entry.answersUntil ? entry.verdict : undefined;
  }

  /** Whatever verdict is held, fresh or not: a candidate for stale-if-error. */
  any(keyHash: string): Verdict | undefined {
    return this.entries.get(keyHash)?.verdict;
  }

  remember(keyHash: string, verdict: Verdict, now: number): void {
    if (this.ttlMs <= 0) return;
    this.entries.set(keyHash, { verdict, answersUntil: Math.min(now + this.ttlMs, verdict.freshUntil) });
  }
}
