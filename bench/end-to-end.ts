/**
 * End to end through the local gateway (`npm start`'s startKeygateLocal): HTTP requests on
 * 127.0.0.1 with a bounded number in flight, through API Gateway's authorizer result cache, the
 * authorizer bundle in its worker, dynalite and the Kinde emulator, to the demo backend. Each
 * answer's `x-amzn-RequestId` ties it to the gateway's log entry, so requests the result cache
 * answered and requests that invoked the authorizer get percentiles of their own.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startKeygateLocal, type KeygateLocal } from "../local/keygate-local";
import type { VerdictOrigin } from "../local/local-gateway";
import { benchKey } from "./support/loopback";
import { count, fixed, quantile, seededRandom, table, zipf } from "./support/stats";

const REQUESTS = 20_000;
const CONCURRENCY = 50;
const KEYS = 1_000;

interface Answer {
  status: number;
  requestId: string | undefined;
}

function get(agent: Agent, url: URL, authorization: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization } }, (res) => {
      res.resume();
      const requestId = res.headers["x-amzn-requestid"];
      res.on("end", () => resolve({ status: res.statusCode ?? 0, requestId: typeof requestId === "string" ? requestId : undefined }));
    });
    req.on("error", reject);
    req.end();
  });
}

export async function endToEnd(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "keygate-bench-e2e-"));
  const keysFile = join(dir, "keys.json");
  writeFileSync(keysFile, JSON.stringify(Array.from({ length: KEYS }, (_, i) => benchKey(i))));
  // The gateway's own settings: every key needs the scope the bench keys carry; no usage plans, so
  // nothing is throttled; and no failed-key budget per source IP, since every request here comes from 127.0.0.1.
  writeFileSync(join(dir, "Pulumi.dev.yaml"), "config:\n  keygate:requiredScopes:\n    - read:profile\n  keygate:failedKeysPerIpPerMinute: 0\n");
  const originOf = new Map<string, VerdictOrigin>();
  let gateway: KeygateLocal | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    gateway = await startKeygateLocal({
      port: 0,
      cwd: dir,
      env: { PATH: process.env.PATH, KEYGATE_LOCAL_KEYS: keysFile, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      auditLog: false,
      onRequest: (entry) => originOf.set(entry.requestId, entry.origin),
      onWarning: () => undefined,
    });
    const url = new URL("/whoami", gateway.url);
    const rank = zipf(KEYS, 1.0, seededRandom(11));
    const keys = Array.from({ length: REQUESTS }, () => `Bearer ${benchKey(rank()).api_key}`);
    const latencies = new Float64Array(REQUESTS);
    const origins: (VerdictOrigin | undefined)[] = new Array(REQUESTS);
    const statuses = new Map<number, number>();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < REQUESTS; i = next++) {
          const sent = performance.now();
          const answer = await get(agent, url, keys[i]!);
          latencies[i] = performance.now() - sent;
          origins[i] = answer.requestId === undefined ? undefined : originOf.get(answer.requestId);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const samples = Array.from(latencies);
    const of = (origin: VerdictOrigin) => samples.filter((_, index) => origins[index] === origin);
    const hits = of("gateway-cache");
    const misses = of("authorizer");
    const untraced = REQUESTS - hits.length - misses.length;
    const row = (label: string, part: readonly number[]): string[] =>
      part.length === 0
        ? [label, "0", "-", "-", "-", "-", "-"]
        : [label, count(part.length), `${fixed((part.length / REQUESTS) * 100, 1)} %`, fixed(quantile(part, 0.5), 2), fixed(quantile(part, 0.9), 2), fixed(quantile(part, 0.99), 2), fixed(Math.max(...part), 2)];
    return [
      `## End to end through the local gateway: ${count(REQUESTS)} requests, ${CONCURRENCY} in flight, 127.0.0.1`,
      "",
      `GET /whoami with ${count(KEYS)} keys (Zipf popularity), the gateway's result cache at its default of ${gateway.cache.ttlSeconds} s, the authorizer bundle in the gateway's worker, the Kinde emulator and dynalite. Settings: requiredScopes read:profile, no usage plans, failedKeysPerIpPerMinute 0 (every request comes from 127.0.0.1).`,
      `Statuses: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([status, n]) => `${status}: ${count(n)}`).join(", ")}; throughput ${count(REQUESTS / seconds)} requests/s.${untraced > 0 ? ` ${count(untraced)} answers could not be traced to the gateway's log and are in the first row only.` : ""}`,
      "",
      table(
        ["which requests", "count", "share", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        [row("all", samples), row("answered by the gateway's result cache (hit)", hits), row("authorizer invoked (miss)", misses)],
      ),
      "",
      "What these figures do not tell about AWS. One Node event loop runs the gateway, the Kinde emulator and dynalite",
      "here, and one worker thread the authorizer, as one container serving every invocation at once where Lambda would",
      "start more containers: a miss waits behind everything in flight, so its latency is mostly queueing, and the misses'",
      "percentiles measure this machine's load rather than the authorizer. There is no network between client, gateway,",
      "Lambda, DynamoDB and Kinde, no TLS and no cold start, and API Gateway's own overhead is not modelled. What they do",
      "tell: the share of requests the result cache answers for this key popularity (a hit never reaches the authorizer",
      "or its audit log), and that the local gateway stays correct under load (the statuses).",
    ].join("\n");
  } finally {
    agent.destroy();
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
