import { LruCache } from "../cache/lru-cache";

/**
 * Principals whose last provisioning attempt failed: they are served the pool key until `until`
 * rather than calling API Gateway again on every request (CreateApiKey allows 5 calls per second).
 */
export class PenaltyBox {
  private readonly held: LruCache<{ until: number; reason: string }>;

  constructor(
    maxEntries: number,
    private readonly durationMs: number,
  ) {
    this.held = new LruCache(maxEntries);
  }

  hold(principal: string, reason: string, now: number): void {
    this.held.set(principal, { until: now + this.durationMs, reason });
  }

  heldFor(principal: string, now: number): { until: number; reason: string } | undefined {
    const entry = this.held.get(principal);
    if (entry && now < entry.until) return entry;
    if (entry) this.held.delete(principal);
    return undefined;
  }

  release(principal: string): void {
    this.held.delete(principal);
  }
}
