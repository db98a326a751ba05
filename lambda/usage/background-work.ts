/**
 * Work that outlives the request that started it (provisioning past its budget, discarding a key that
 * lost a race, deleting a retired key). In Lambda it runs while the container handles later requests
 * and pauses while the container is frozen; `settled()` lets tests wait for it.
 */
export class BackgroundWork {
  private readonly pending = new Set<Promise<unknown>>();

  track(work: Promise<unknown>): void {
    // Failures are reported by whoever started the work; here they only must not become unhandled rejections.
    const tracked = work.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
