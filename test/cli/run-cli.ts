/** Runs the `keygate` command in-process, as its executable does, with what it prints captured. */
import { runKeygate } from "../../cli/run";
import type { CommandIo } from "../../cli/command-io";

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export interface CliOptions {
  cwd: string;
  /** Default: waits for real (the command waits out the authorizer's memory lifetime). */
  wait?: (ms: number) => Promise<void>;
  /** The command's clock (epoch ms); default Date.now. */
  now?: () => number;
  /** Default: pulumi cannot run here. */
  pulumi?: (args: readonly string[]) => Promise<string>;
}

export async function runCli(argv: readonly string[], options: CliOptions): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    cwd: options.cwd,
    env: {},
    wait: options.wait ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    now: options.now ?? (() => Date.now()),
    pulumi: options.pulumi ?? (() => Promise.reject(new Error("pulumi: command not found"))),
  };
  const code = await runKeygate(argv, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}
