/**
 * Kinde traffic under load: 8 simulated Lambda containers serve 10,000 requests for 1,000 keys
 * (Zipf popularity, arrivals in bursts) through the real handler, against the loopback Kinde
 * emulator and dynalite. Simulated time runs on a fake clock over several cache lifetimes; each
 * burst is served by all containers at once, each container one request at a time, as Lambda
 * does, so containers really do race for the same keys.
 */
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { authorizerFromConfig } from "../lambda/authorizer-from-config";
import { loadConfig } from "../lambda/config";
import { requestEvent } from "../test/support/aws-events";
import { FakeClock } from "../test/support/fake-clock";
import { CLIENT_ID, CLIENT_SECRET, startLoopback, type Loopback } from "./support/loopback";
import { count, fixed, seededRandom, table, zipf } from "./support/stats";

const CONTAINERS = 8;
const REQUESTS = 10_000;
const KEYS = 1_000;
const ZIPF_EXPONENT = 1.0;
/** The positive verdict lifetime (CACHE_TTL_SECONDS, its default) and how many of them the traffic spans. */
const CACHE_TTL_SECONDS = 300;
const LIFETIMES = 3;
/** Bursts: sizes 1..MAX_BURST (mean about 25), each spread over BURST_SPREAD_MS, separated by idle gaps. */
const MAX_BURST = 50;
const BURST_SPREAD_MS = 200;

interface Arrival {
  at: number;
  key: number;
}

/** The traffic, the same in every run: bursts of Zipf-chosen keys over LIFETIMES cache lifetimes. */
function arrivals(start: number): Arrival[][] {
  const random = seededRandom(20261201);
  const rank = zipf(KEYS, ZIPF_EXPONENT, random);
  const sizes: number[] = [];
  for (let total = 0; total < REQUESTS; ) {
    const size = Math.min(REQUESTS - total, 1 + Math.floor(random() * MAX_BURST));
    sizes.push(size);
    total += size;
  }
  const span = LIFETIMES * CACHE_TTL_SECONDS * 1000;
  const gap = span / sizes.length;
  return sizes.map((size, b) => {
    // Bursts start at jittered points of the span, so some arrive close together and some far apart.
    const burstStart = start + Math.floor(b * gap + random() * gap * 0.9);
    return Array.from({ length: size }, () => ({ at: burstStart + Math.floor(random() * BURST_SPREAD_MS), key: rank() })).sort((a, b) => a.at - b.at);
  });
}

/** The most Kinde calls a shared cache allows: each key at most once per cache lifetime window. */
function distinctKeysPerLifetime(bursts: Arrival[][], start: number): number {
  const windows = new Map<number, Set<number>>();
  for (const burst of bursts) {
    for (const { at, key } of burst) {
      const window = Math.floor((at - start) / (CACHE_TTL_SECONDS * 1000));
      let keys = windows.get(window);
      if (!keys) windows.set(window, (keys = new Set()));
      keys.add(key);
    }
  }
  return [...windows.values()].reduce((sum, keys) => sum + keys.size, 0);
}

interface Strategy {
  name: string;
  about: string;
  env: (loopback: Loopback) => Promise<Record<string, string>>;
}

const STRATEGIES: Strategy[] = [
  {
    name: "Keygate",
    about: "memory, then the shared DynamoDB table, then Kinde (defaults)",
    env: async (loopback) => ({ CACHE_TABLE_NAME: await loopback.table("keygate-bench-traffic") }),
  },
  { name: "memory caching only", about: "each container's own memory, then Kinde", env: async () => ({}) },
  { name: "naive", about: "Kinde verifies every request", env: async () => ({ MEMORY_CACHE_TTL_SECONDS: "0" }) },
];

export async function kindeTraffic(): Promise<string> {
  const loopback = await startLoopback(KEYS);
  const saved = { ...process.env };
  try {
    Object.assign(process.env, loopback.awsEnvironment());
    const events = new Map<number, APIGatewayRequestAuthorizerEvent>();
    const eventFor = (key: number) => events.get(key) ?? events.set(key, requestEvent(`Bearer ${loopback.keys[key]!.api_key}`)).get(key)!;
    const start = Date.UTC(2026, 0, 1);
    const bursts = arrivals(start);
    const bound = distinctKeysPerLifetime(bursts, start);
    const distinct = new Set(bursts.flat().map((a) => a.key)).size;
    const rows: string[][] = [];

    for (const strategy of STRATEGIES) {
      const clock = new FakeClock(start);
      const env = {
        KINDE_DOMAIN: loopback.kinde.url,
        KINDE_M2M_CLIENT_ID: CLIENT_ID,
        KINDE_M2M_CLIENT_SECRET: CLIENT_SECRET,
        CACHE_TTL_SECONDS: String(CACHE_TTL_SECONDS),
        ...(await strategy.env(loopback)),
      };
      const silent = (record: object) => void JSON.stringify(record);
      const containers = Array.from({ length: CONTAINERS }, () => authorizerFromConfig(loadConfig(env), silent, {}, { now: clock.now }));
      const before = { verify: loopback.kinde.calls.verify, token: loopback.kinde.calls.token };
      let denied = 0;
      let next = 0;
      for (const burst of bursts) {
        clock.advance(burst[0]!.at - clock.now());
        // Each container takes the burst's next waiting request when it is free: one at a time, as in Lambda.
        const queue = [...burst];
        await Promise.all(
          containers.map(async (handler) => {
            for (let arrival = queue.shift(); arrival; arrival = queue.shift()) {
              await handler(eventFor(arrival.key), { awsRequestId: `r${next++}` }).catch(() => denied++);
            }
          }),
        );
      }
      if (denied > 0) throw new Error(`${strategy.name}: ${denied} requests were not allowed; every key is valid`);
      const verify = loopback.kinde.calls.verify - before.verify;
      rows.push([
        strategy.name,
        strategy.about,
        count(verify),
        fixed((verify / REQUESTS) * 1000, 1),
        count(loopback.kinde.calls.token - before.token),
        verify <= bound ? `yes (${count(verify)} ≤ ${count(bound)})` : `no (${count(verify)} > ${count(bound)})`,
      ]);
    }

    return [
      `## Kinde traffic under load: ${count(REQUESTS)} requests, ${CONTAINERS} containers, ${count(KEYS)} keys`,
      "",
      `Zipf popularity (exponent ${ZIPF_EXPONENT}); ${distinct} distinct keys were requested. Requests arrive in ${bursts.length} bursts of 1 to ${MAX_BURST} over ${LIFETIMES} positive-verdict lifetimes of ${CACHE_TTL_SECONDS} s (fake clock); all ${CONTAINERS} containers serve each burst at once, one request at a time each. Target for Keygate: Kinde calls at most the distinct keys per cache lifetime across all containers, here ${count(bound)}.`,
      "",
      table(["authorizer", "caching", "Kinde verify calls", "per 1,000 requests", "M2M token calls", "within the target"], rows),
    ].join("\n");
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await loopback.stop();
  }
}
