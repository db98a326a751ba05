/**
 * Memory: the resident set of a fresh process after importing Keygate's bundle, and after its
 * handler has served 100,000 distinct keys (every one a Kinde miss, so each container's memory
 * caches fill to their bound). The cache table is left out here: 100,000 writes to dynalite would
 * measure dynalite; the DynamoDB client itself is loaded in both figures.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { bundleAuthorizer } from "../lambda/bundle";
import { requestEvent } from "../test/support/aws-events";
import { CLIENT_ID, CLIENT_SECRET, startLoopback } from "./support/loopback";
import { count, mib, table } from "./support/stats";

const run = promisify(execFile);
const DISTINCT_KEYS = 100_000;
const IN_FLIGHT = 16;
/**
 * V8's old-space limit for the child, MB: half of a 128 MB function, so that the figure after
 * 100,000 keys is what the authorizer keeps, not garbage a roomier heap had no reason to collect.
 */
const HEAP_LIMIT_MB = 64;

export async function memory(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "keygate-bench-memory-"));
  const loopback = await startLoopback(DISTINCT_KEYS);
  try {
    const bundle = join(dir, "index.mjs");
    await bundleAuthorizer(bundle);
    const template = requestEvent("Bearer KEY");
    // The child serves the keys with IN_FLIGHT requests at once, as a container behind a busy
    // gateway would over its life, and reports its RSS after the import and at the end.
    const script = `
      const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      const afterLoad = process.memoryUsage().rss;
      const template = ${JSON.stringify(template)};
      let next = 0, failed = 0;
      await Promise.all(Array.from({ length: ${IN_FLIGHT} }, async () => {
        for (let i = next++; i < ${DISTINCT_KEYS}; i = next++) {
          const authorization = "Bearer k_live_bench_" + String(i).padStart(6, "0") + "_0123456789abcdef";
          const event = { ...template, headers: { ...template.headers, Authorization: authorization }, multiValueHeaders: { ...template.multiValueHeaders, Authorization: [authorization] } };
          await handler(event, { awsRequestId: "m" + i }).catch(() => failed++);
        }
      }));
      globalThis.gc?.();
      process.stdout.write("\\n" + JSON.stringify({ afterLoad, afterKeys: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed, failed }) + "\\n");`;
    const env = {
      PATH: process.env.PATH ?? "",
      ...loopback.awsEnvironment(),
      KINDE_DOMAIN: loopback.kinde.url,
      KINDE_M2M_CLIENT_ID: CLIENT_ID,
      KINDE_M2M_CLIENT_SECRET: CLIENT_SECRET,
      // Every key arrives from the event's one source IP.
      FAILED_KEYS_PER_IP_PER_MINUTE: "0",
    };
    // Audit records go to /dev/null's equivalent: the pipe is drained and only the last line kept.
    const { stdout } = await run(process.execPath, [`--max-old-space-size=${HEAP_LIMIT_MB}`, "--expose-gc", "--input-type=module", "-e", script], { env, maxBuffer: 1024 * 1024 * 1024 });
    const result = JSON.parse(stdout.trim().split("\n").pop()!) as { afterLoad: number; afterKeys: number; heapUsed: number; failed: number };
    if (result.failed > 0) throw new Error(`${result.failed} of the ${DISTINCT_KEYS} keys were not allowed; every key is valid`);
    return [
      `## Memory: one container's resident set (RSS)`,
      "",
      `A fresh process imports Keygate's bundle, then its handler serves ${count(DISTINCT_KEYS)} distinct keys (${IN_FLIGHT} in flight, every one a Kinde miss at the loopback emulator; memory caches at their default bound of 10,000 verdicts; no cache table), with V8's old space limited to ${HEAP_LIMIT_MB} MB (\`--max-old-space-size=${HEAP_LIMIT_MB}\`, half of a 128 MB function).`,
      "",
      table(
        ["after import MiB", `after ${count(DISTINCT_KEYS)} distinct keys MiB`, "heap in use at the end MiB"],
        [[mib(result.afterLoad), mib(result.afterKeys), mib(result.heapUsed)]],
      ),
    ].join("\n");
  } finally {
    await loopback.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
