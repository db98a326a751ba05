/**
 * A barrier in front of a stand-in's calls. Each call waits at `pass()` until `release()`; whoever
 * drives the stand-in can wait until a number of calls are held, then let them all go on together.
 * Races are then decided by the order the test chooses, not by how fast a loaded machine runs.
 */
export class HeldCalls {
  private heldSoFar = 0;
  private released = false;
  private readonly arrivals: { count: number; resolve: () => void }[] = [];
  private readonly opened: Promise<void>;
  private open: () => void = () => undefined;

  constructor() {
    this.opened = new Promise((resolve) => (this.open = resolve));
  }

  /** Calls held so far, including those released since. */
  get held(): number {
    return this.heldSoFar;
  }

  /** Resolves once `count` calls have been held (at once if they have). */
  arrived(count: number): Promise<void> {
    if (this.heldSoFar >= count) return Promise.resolve();
    return new Promise((resolve) => this.arrivals.push({ count, resolve }));
  }

  /** Lets every held call go on; later calls pass straight through. */
  release(): void {
    this.released = true;
    this.open();
  }

  /** Where a call waits; the stand-in calls it before it applies and answers the call. */
  async pass(): Promise<void> {
    if (this.released) return;
    this.heldSoFar++;
    for (const arrival of this.arrivals.filter((a) => this.heldSoFar >= a.count)) {
      this.arrivals.splice(this.arrivals.indexOf(arrival), 1);
      arrival.resolve();
    }
    await this.opened;
  }
}
