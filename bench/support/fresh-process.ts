/**
 * One fresh Node process importing a bundle, as Lambda's init does, and optionally invoking its
 * handler once, as Lambda's first invocation after init does. The process measures itself, so
 * Node's own start-up is not in the figures. `node` is the Node binary to run (by default this
 * one), so that the same measurement runs on Lambda's Node too.
 */
import { execFile } from "node:child_process";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface FreshProcessResult {
  /** Wall time of `await import(bundle)`, ms. */
  importMs: number;
  /** CPU time (user + system) the import took, ms: less disturbed by other work on the machine. */
  importCpuMs: number;
  /** Wall time of the first handler call, ms, when one was made. */
  firstCallMs?: number;
  /** CPU time of the import and the first call together, ms. */
  totalCpuMs?: number;
  /** What the first call threw, if it did. */
  firstCallError?: string;
  /** Resident set size after the import (and the call), bytes. */
  rssBytes: number;
  /** What the bundle printed (its log lines), before the figures. */
  output: string;
}

export async function importInFreshProcess(bundle: string, env: Record<string, string>, event?: unknown, node: string = process.execPath): Promise<FreshProcessResult> {
  const script = `
    const cpu = process.cpuUsage();
    const started = performance.now();
    const module = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    const importMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const result = { importMs, importCpuMs: (used.user + used.system) / 1000 };
    const event = ${JSON.stringify(event ?? null)};
    if (event) {
      const called = performance.now();
      try { await module.handler(event, { awsRequestId: "bench" }); } catch (error) { result.firstCallError = String(error); }
      result.firstCallMs = performance.now() - called;
      const all = process.cpuUsage(cpu);
      result.totalCpuMs = (all.user + all.system) / 1000;
    }
    result.rssBytes = process.memoryUsage().rss;
    process.stdout.write("\\n" + JSON.stringify(result) + "\\n");`;
  const { stdout } = await run(node, ["--input-type=module", "-e", script], { env: { PATH: process.env.PATH ?? "", ...env }, maxBuffer: 16 * 1024 * 1024 });
  // The handler's own log lines come first.
  const lines = stdout.trim().split("\n");
  return { ...(JSON.parse(lines.pop()!) as Omit<FreshProcessResult, "output">), output: lines.join("\n") };
}
