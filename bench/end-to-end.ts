/**
 * End to end through the local gateway (`npm start`'s startKeygateLocal): HTTP requests on
 * 127.0.0.1 with a bounded number in flight, through API Gateway's authorizer result cache, the
 * authorizer bundle in its worker, dynalite and the Kinde emulator, to the demo backend.
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

function get(agent: Agent, url: URL, authorization: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
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
  const origins = new Map<VerdictOrigin, number>();
  let gateway: KeygateLocal | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    gateway = await startKeygateLocal({
      port: 0,
      cwd: dir,
      env: { PATH: process.env.PATH, KEYGATE_LOCAL_KEYS: keysFile, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      auditLog: false,
      onRequest: (entry) => origins.set(entry.origin, (origins.get(entry.origin) ?? 0) + 1),
      onWarning: () => undefined,
    });
    const url = new URL("/whoami", gateway.url);
    const rank = zipf(KEYS, 1.0, seededRandom(11));
    const keys = Array.from({ length: REQUESTS }, () => `Bearer ${benchKey(rank()).api_key}`);
    const latencies = new Float64Array(REQUESTS);
    const statuses = new Map<number, number>();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < REQUESTS; i = next++) {
          const sent = performance.now();
          const status = await get(agent, url, keys[i]!);
          latencies[i] = performance.now() - sent;
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const samples = Array.from(latencies);
    const cached = origins.get("gateway-cache") ?? 0;
    const invoked = origins.get("authorizer") ?? 0;
    return [
      `## End to end through the local gateway: ${count(REQUESTS)} requests, ${CONCURRENCY} in flight, 127.0.0.1`,
      "",
      `GET /whoami with ${count(KEYS)} keys (Zipf popularity), the gateway's result cache at its default of ${gateway.cache.ttlSeconds} s, the authorizer bundle in the gateway's worker, the Kinde emulator and dynalite. Settings: requiredScopes read:profile, no usage plans, failedKeysPerIpPerMinute 0 (every request comes from 127.0.0.1).`,
      "",
      table(
        ["requests", "statuses", "p50 ms", "p99 ms", "throughput requests/s", "answered by the gateway's result cache", "authorizer invoked"],
        [
          [
            count(REQUESTS),
            [...statuses].sort((a, b) => a[0] - b[0]).map(([status, n]) => `${status}: ${count(n)}`).join(", "),
            fixed(quantile(samples, 0.5), 2),
            fixed(quantile(samples, 0.99), 2),
            count(REQUESTS / seconds),
            `${count(cached)} (${fixed((cached / REQUESTS) * 100, 1)} %)`,
            count(invoked),
          ],
        ],
      ),
    ].join("\n");
  } finally {
    agent.destroy();
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
