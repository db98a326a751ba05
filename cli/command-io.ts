/**
 * What a subcommand may touch outside its arguments: passed in by the executable (cli/main.ts), so
 * tests run the command in-process. Its own module, so that the subcommands and the dispatcher
 * (cli/run.ts) both depend on it and never on each other the wrong way round.
 */
export interface CommandIo {
  /** One line of the report (stdout). */
  out(line: string): void;
  /** One line of diagnostics (stderr). */
  err(line: string): void;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Waits `ms` milliseconds; `invalidate` waits out the authorizer's memory lifetime with it. */
  wait(ms: number): Promise<void>;
  now(): number;
  /** Runs `pulumi` with these arguments and resolves with its stdout (rejects when it cannot run or fails). */
  pulumi(args: readonly string[]): Promise<string>;
}
