/**
 * Time that passes only when the test says so, for code that waits on timers and aborts: a clock
 * (`now`), `timeout(ms)` standing in for AbortSignal.timeout, `sleep(ms, signal)` for a stand-in's
 * latency, and `settle(work)`, which runs the work to its end, jumping from one due timer to the
 * next whenever nothing else can happen. Thousands of requests with hangs and budgets in them then
 * take no real time, and how long each took is exact.
 */

interface Timer {
  at: number;
  order: number;
  fire: () => void;
}

/** Macrotask turns given to the work before time moves on: a fake Response's body is read over a few. */
const TURNS_BEFORE_TIME_MOVES = 2;

export class SimulatedTime {
  private current: number;
  private timers: Timer[] = [];
  private created = 0;

  constructor(private readonly start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  readonly now = (): number => this.current;

  /** A signal aborted with a TimeoutError (as AbortSignal.timeout's is) once `ms` have passed. */
  readonly timeout = (ms: number): AbortSignal => {
    const controller = new AbortController();
    this.schedule(ms, () => controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")));
    return controller.signal;
  };

  /** Resolves after `ms` (never, for Infinity), or rejects with the signal's reason as soon as it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (Number.isFinite(ms)) {
        this.schedule(ms, () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        });
      }
    });
  }

  /** Moves the clock by hand, firing the timers that fall due on the way. */
  advance(ms: number): void {
    const until = this.current + ms;
    for (let next = this.due(until); next; next = this.due(until)) {
      this.current = Math.max(this.current, next.at);
      next.fire();
    }
    this.current = until;
  }

  /**
   * Runs until `work` settles. When it is still pending and nothing but time can move it, the clock
   * jumps to the next timer. Pending with no timer left means it waits on something no budget bounds:
   * that throws.
   */
  async settle<T>(work: Promise<T>): Promise<T> {
    let done = false;
    work.then(
      () => (done = true),
      () => (done = true),
    );
    for (;;) {
      for (let turn = 0; turn < TURNS_BEFORE_TIME_MOVES; turn++) await new Promise((resolve) => setImmediate(resolve));
      if (done) return work;
      const next = this.due(Infinity);
      if (!next) throw new Error(`still waiting at ${this.current - this.start} ms with no timer left: a wait no budget bounds`);
      this.current = Math.max(this.current, next.at);
      next.fire();
    }
  }

  private schedule(ms: number, fire: () => void): void {
    this.timers.push({ at: this.current + ms, order: this.created++, fire });
  }

  /** Removes and returns the earliest timer due by `until`. */
  private due(until: number): Timer | undefined {
    let earliest: Timer | undefined;
    for (const timer of this.timers) {
      if (timer.at <= until && (!earliest || timer.at < earliest.at || (timer.at === earliest.at && timer.order < earliest.order))) earliest = timer;
    }
    if (earliest) this.timers.splice(this.timers.indexOf(earliest), 1);
    return earliest;
  }
}
