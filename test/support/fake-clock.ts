/** A clock a test moves by hand. */
export class FakeClock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}

  readonly now = (): number => this.current;

  advance(ms: number): void {
    this.current += ms;
  }
}
