/**
 * The handler in this process, per cache layer: latency percentiles and what each request costs
 * in Kinde and DynamoDB calls, over the loopback services. This runs the sources, so DynamoDB is
 * reached through the AWS SDK's client rather than the bundle's own.
 */
import { authorizerFromConfig } from "../lambda/authorizer-from-config";
import { loadConfig } from "../lambda/config";
import { requestEvent } from "../test/support/aws-events";
import { CLIENT_ID, CLIENT_SECRET, startLoopback } from "./support/loopback";
import { count, fixed, quantile, table } from "./support/stats";

const MEMORY_HITS = 50_000;
const DYNAMODB_HITS = 2_000;
const KINDE_MISSES = 1_000;
const WARM_UP = 5_000;

export async function handlerLatency(): Promise<string> {
  const loopback = await startLoopback(KINDE_MISSES + 1);
  const saved = { ...process.env };
  try {
    Object.assign(process.env, loopback.awsEnvironment());
    const { kinde, dynamo, keys } = loopback;
    const env = { KINDE_DOMAIN: kinde.url, KINDE_M2M_CLIENT_ID: CLIENT_ID, KINDE_M2M_CLIENT_SECRET: CLIENT_SECRET, CACHE_TABLE_NAME: await loopback.table("keygate-bench-latency") };
    // Records are serialized as in production, but not written: the terminal is not what is measured.
    const silent = (record: object) => void JSON.stringify(record);
    const rows: string[][] = [];
    const measure = async (path: string, runs: number, invoke: (i: number) => Promise<unknown>) => {
      const before = { kinde: kinde.calls.verify, get: dynamo.operations.get("GetItem") ?? 0, put: dynamo.operations.get("PutItem") ?? 0 };
      const samples = new Array<number>(runs);
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        await invoke(i);
        samples[i] = performance.now() - started;
      }
      const per = (now: number, then: number) => fixed((now - then) / runs, 2);
      rows.push([path, count(runs), fixed(quantile(samples, 0.5), 4), fixed(quantile(samples, 0.99), 4), per(kinde.calls.verify, before.kinde), per(dynamo.operations.get("GetItem") ?? 0, before.get), per(dynamo.operations.get("PutItem") ?? 0, before.put)]);
    };
    const events = keys.map((key) => requestEvent(`Bearer ${key.api_key}`));

    // Kinde miss: every request a new key: one verify call, a GetItem miss and a PutItem.
    const misses = authorizerFromConfig(loadConfig(env), silent);
    await misses(events[KINDE_MISSES]!); // warm up: M2M token, connections
    await measure("Kinde miss", KINDE_MISSES, (i) => misses(events[i]!));

    // DynamoDB hit: the memory layer switched off, so every request reads the verdicts written above.
    const dynamoOnly = authorizerFromConfig(loadConfig({ ...env, MEMORY_CACHE_TTL_SECONDS: "0" }), silent);
    await measure("DynamoDB hit", DYNAMODB_HITS, (i) => dynamoOnly(events[i % KINDE_MISSES]!));

    // Memory hit: one key, already verified; the event is built once, as API Gateway hands it over.
    const memory = authorizerFromConfig(loadConfig(env), silent);
    const event = events[0]!;
    for (let i = 0; i < WARM_UP; i++) await memory(event); // let the JIT settle
    await measure("memory hit", MEMORY_HITS, () => memory(event));

    // Memory hit with usage plans: the principal's usage key is also found in memory (the tier's pool key).
    const usagePlans = JSON.stringify({ tiers: { free: { usagePlanId: "bench01", poolKey: "BenchPoolKey0123456789abcdefghij" } }, defaultTier: "free" });
    const metered = authorizerFromConfig(loadConfig({ ...env, USAGE_PLANS: usagePlans }), silent);
    for (let i = 0; i < WARM_UP; i++) await metered(event);
    await measure("memory hit, usage plans", MEMORY_HITS, () => metered(event));

    const started = performance.now();
    let done = 0;
    while (performance.now() - started < 2_000) {
      await memory(event);
      done++;
    }
    const throughput = done / ((performance.now() - started) / 1000);

    return [
      "## The handler in one process, per cache layer (loopback dynalite and Kinde emulator)",
      "",
      "The TypeScript sources run here, with the AWS SDK's DynamoDB client, as the bundle does (the end-to-end figures above are the bundle's).",
      "",
      table(["path", "runs", "p50 ms", "p99 ms", "Kinde calls/request", "GetItem/request", "PutItem/request"], rows),
      "",
      `Memory hits one after another on one core: ${count(throughput)} requests/s.`,
    ].join("\n");
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await loopback.stop();
  }
}
