/**
 * `npm run bench`: the authorizer handler measured in-process, over the same loopback parts the
 * tests use (dynalite, the Kinde emulator). Prints latency percentiles per cache layer, the calls
 * each request costs, memory-hit throughput, and the bundle's size and load time.
 *
 * Numbers on a shared machine are noisy: read medians and percentiles, not single runs.
 */
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { authorizerFromConfig } from "../lambda/authorizer-from-config";
import { bundleAuthorizer, packageRoot } from "../lambda/bundle";
import { loadConfig } from "../lambda/config";
import { ensureCacheTable, localDynamoDbClient, startEmbeddedDynamoDb } from "../local/embedded-dynamodb";
import { KindeEmulator, type LocalKey } from "../local/kinde-emulator";
import { requestEvent } from "../test/support/aws-events";

const MEMORY_HITS = 50_000;
const DYNAMODB_HITS = 2_000;
const KINDE_MISSES = 1_000;

interface Row {
  path: string;
  runs: number;
  p50: number;
  p99: number;
  kindeCalls: number;
  getItems: number;
  putItems: number;
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const keys: LocalKey[] = Array.from({ length: KINDE_MISSES + 1 }, (_, i) => ({
    api_key: `k_live_bench_${String(i).padStart(6, "0")}_0123456789abcdef`,
    key_id: `api_key_${i}`,
    user_id: `kp_${i}`,
    scopes: ["read:profile"],
  }));
  const kinde = new KindeEmulator({ clientId: "bench", clientSecret: "bench-secret", keys: () => keys });
  const kindeUrl = await kinde.start();
  const dynamo = await startEmbeddedDynamoDb();
  await ensureCacheTable(localDynamoDbClient(dynamo.endpoint), "keygate-bench");
  Object.assign(process.env, { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local", AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint });

  const env = { KINDE_DOMAIN: kindeUrl, KINDE_M2M_CLIENT_ID: "bench", KINDE_M2M_CLIENT_SECRET: "bench-secret", CACHE_TABLE_NAME: "keygate-bench" };
  // Records are serialized as in production, but not written: the terminal is not what we measure.
  const silent = (record: object) => void JSON.stringify(record);
  const rows: Row[] = [];

  const measure = async (path: string, runs: number, invoke: (i: number) => Promise<unknown>): Promise<Row> => {
    const before = { kinde: kinde.calls.verify, get: dynamo.operations.get("GetItem") ?? 0, put: dynamo.operations.get("PutItem") ?? 0 };
    const samples = new Float64Array(runs);
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await invoke(i);
      samples[i] = performance.now() - started;
    }
    samples.sort();
    const row = {
      path,
      runs,
      p50: samples[Math.floor(runs * 0.5)]!,
      p99: samples[Math.floor(runs * 0.99)]!,
      kindeCalls: (kinde.calls.verify - before.kinde) / runs,
      getItems: ((dynamo.operations.get("GetItem") ?? 0) - before.get) / runs,
      putItems: ((dynamo.operations.get("PutItem") ?? 0) - before.put) / runs,
    };
    rows.push(row);
    return row;
  };

  // Kinde miss: every request a new key. Costs one verify call and one PutItem (after a GetItem miss).
  const misses = authorizerFromConfig(loadConfig(env), silent);
  await misses(requestEvent(`Bearer ${keys[KINDE_MISSES]!.api_key}`)); // warm up: M2M token, connections
  await measure("Kinde miss", KINDE_MISSES, (i) => misses(requestEvent(`Bearer ${keys[i]!.api_key}`)));

  // DynamoDB hit: the memory layer switched off, so every request reads the verdicts written above.
  const dynamoOnly = authorizerFromConfig(loadConfig({ ...env, MEMORY_CACHE_TTL_SECONDS: "0" }), silent);
  await measure("DynamoDB hit", DYNAMODB_HITS, (i) => dynamoOnly(requestEvent(`Bearer ${keys[i % KINDE_MISSES]!.api_key}`)));

  // Memory hit: one key, already verified. The event is built once, as API Gateway hands it over.
  const memory = authorizerFromConfig(loadConfig(env), silent);
  const event = requestEvent(`Bearer ${keys[0]!.api_key}`);
  await memory(event);
  for (let i = 0; i < 5_000; i++) await memory(event); // let the JIT settle
  await measure("memory hit", MEMORY_HITS, () => memory(event));

  // Memory hit with usage plans: the principal's usage key is also found in memory (here: the tier's pool key).
  const usagePlans = JSON.stringify({ tiers: { free: { usagePlanId: "bench01", poolKey: "BenchPoolKey0123456789abcdefghij" } }, defaultTier: "free" });
  const metered = authorizerFromConfig(loadConfig({ ...env, USAGE_PLANS: usagePlans }), silent);
  await metered(event);
  for (let i = 0; i < 5_000; i++) await metered(event);
  await measure("memory hit, usage plans", MEMORY_HITS, () => metered(event));

  const started = performance.now();
  let done = 0;
  while (performance.now() - started < 2_000) {
    await memory(event);
    done++;
  }
  const throughput = done / ((performance.now() - started) / 1000);

  await kinde.stop();
  await dynamo.stop();

  const bundlePath = join(packageRoot(), "dist", "authorizer", "index.mjs");
  const bundleBytes = (await bundleAuthorizer(bundlePath)).files[0]!.bytes;
  const loads = Array.from({ length: 5 }, () => bundleLoad(bundlePath, kindeUrl)).sort((a, b) => a.ms - b.ms);

  console.log("\nKeygate authorizer benchmark (in-process handler, loopback dynalite and Kinde emulator)\n");
  console.log("| path | runs | p50 ms | p99 ms | Kinde calls/req | GetItem/req | PutItem/req |");
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(`| ${r.path} | ${r.runs} | ${r.p50.toFixed(4)} | ${r.p99.toFixed(4)} | ${r.kindeCalls.toFixed(2)} | ${r.getItems.toFixed(2)} | ${r.putItems.toFixed(2)} |`);
  }
  console.log(`\nmemory-hit throughput, one core: ${Math.round(throughput).toLocaleString("en-US")} requests/s`);
  console.log(`bundle: ${(bundleBytes / 1024).toFixed(1)} KiB (${statSync(bundlePath).size} bytes), load time median ${loads[2]!.ms.toFixed(0)} ms, process RSS after load ${loads[2]!.rssMiB.toFixed(0)} MiB (node ${process.version})`);
  console.log(`machine: ${process.platform} ${process.arch}, ${(await import("node:os")).cpus().length} cores\n`);
}

/** Time and memory for a fresh Node process to import the bundle (a proxy for the init part of a cold start). */
function bundleLoad(bundlePath: string, kindeUrl: string): { ms: number; rssMiB: number } {
  const script = `const t=performance.now();await import(${JSON.stringify(`file://${bundlePath}`)});console.log(performance.now()-t, process.memoryUsage().rss/2**20)`;
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, KINDE_DOMAIN: kindeUrl, KINDE_M2M_CLIENT_ID: "bench", KINDE_M2M_CLIENT_SECRET: "bench-secret" },
    encoding: "utf8",
  });
  const [ms, rssMiB] = output.trim().split(" ").map(Number);
  return { ms: ms!, rssMiB: rssMiB! };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
