/**
 * What Kinde pays while it is down or while someone floods the gateway with made-up keys: Kinde calls
 * per 1,000 requests in one authorizer container, against the targets. The authorizer runs in-process
 * over the loopback Kinde emulator and dynalite; its clock is simulated, so a 60 s outage takes as long
 * as its requests do, not a minute.
 */
import { randomBytes } from "node:crypto";
import type { AuditRecord } from "../lambda/audit/audit-log";
import { authorizerFromConfig } from "../lambda/authorizer-from-config";
import { loadConfig } from "../lambda/config";
import { ensureCacheTable, localDynamoDbClient, startEmbeddedDynamoDb } from "../local/embedded-dynamodb";
import { KindeEmulator, type KindeEmulatorOptions, type LocalKey } from "../local/kinde-emulator";
import { requestEvent } from "../test/support/aws-events";
import { FakeClock } from "../test/support/fake-clock";

/** The targets: Kinde calls one container may make in a 60 s outage, and for a 2,000-key flood from one IP. */
export const OUTAGE_TARGET = 20;
export const FLOOD_TARGET = 25;

const OUTAGE_MS = 60_000;
const OUTAGE_REQUESTS = 1_000;
const WAVE = 10;
const FLOOD_KEYS = 2_000;
const FLOOD_WAVE = 50;
const FLOOD_IP = "198.51.100.66";
const CLIENT_SECRET = "bench-shield-secret";
const VALID: LocalKey = { api_key: "k_live_shield_valid_0123456789abcdef", key_id: "api_key_valid", user_id: "kp_valid", scopes: ["read:profile"] };

interface Measured {
  scenario: string;
  requests: number;
  kindeCalls: number;
  getItems: number;
  putItems: number;
  target: string;
  met: boolean;
  note?: string;
}

/** Runs the outage and flood scenarios and returns the lines to print. */
export async function kindeShieldBench(): Promise<string[]> {
  const savedEnv = { ...process.env };
  const kindeOptions: KindeEmulatorOptions = { clientId: "bench-shield", clientSecret: CLIENT_SECRET, keys: () => [VALID] };
  const kinde = new KindeEmulator(kindeOptions);
  const kindeUrl = await kinde.start();
  const dynamo = await startEmbeddedDynamoDb();
  const rows: Measured[] = [];
  try {
    Object.assign(process.env, { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local", AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint });
    let tables = 0;
    const container = async (env: Record<string, string> = {}) => {
      const tableName = `keygate-shield-${++tables}`;
      await ensureCacheTable(localDynamoDbClient(dynamo.endpoint), tableName);
      const clock = new FakeClock(Date.now());
      const records: AuditRecord[] = [];
      const config = loadConfig({
        KINDE_DOMAIN: kindeUrl,
        KINDE_M2M_CLIENT_ID: "bench-shield",
        KINDE_M2M_CLIENT_SECRET: CLIENT_SECRET,
        CACHE_TABLE_NAME: tableName,
        REQUIRED_SCOPES: "read:profile",
        ...env,
      });
      const handler = authorizerFromConfig(config, (record) => records.push(record), {}, { now: clock.now });
      const answer = (apiKey: string, sourceIp?: string) => {
        const event = requestEvent(`Bearer ${apiKey}`);
        if (sourceIp !== undefined) event.requestContext.identity.sourceIp = sourceIp;
        return handler(event).then(
          () => "allow",
          (error: Error) => (error.message === "Unauthorized" ? "401" : "503"),
        );
      };
      return { clock, records, answer };
    };
    const counting = async (work: () => Promise<string | undefined>) => {
      kinde.resetCounts();
      const before = { get: dynamo.operations.get("GetItem") ?? 0, put: dynamo.operations.get("PutItem") ?? 0 };
      const note = await work();
      return {
        kindeCalls: kinde.calls.token + kinde.calls.verify + kinde.calls.keyMetadata,
        getItems: (dynamo.operations.get("GetItem") ?? 0) - before.get,
        putItems: (dynamo.operations.get("PutItem") ?? 0) - before.put,
        ...(note ? { note } : {}),
      };
    };

    const outages: [string, () => void, Record<string, string>][] = [
      ["Kinde answering 503", () => (kinde.verifyMode = "server-error"), {}],
      ["Kinde dropping connections", () => (kinde.verifyMode = "reset"), {}],
      ["Kinde hanging (VERIFY_TIMEOUT_MS=100)", () => (kinde.verifyMode = "hang"), { VERIFY_TIMEOUT_MS: "100" }],
      ["M2M credentials refused", () => (kindeOptions.clientSecret = "rotated-elsewhere"), {}],
      ["token endpoint answering 503", () => (kinde.tokenMode = "server-error"), {}],
    ];
    for (const [name, breakKinde, env] of outages) {
      kinde.verifyMode = "normal";
      kinde.tokenMode = "normal";
      kindeOptions.clientSecret = CLIENT_SECRET;
      breakKinde();
      const c = await container(env);
      // A new key with every request: each one misses every cache and would need Kinde.
      const counted = await counting(async () => {
        for (let sent = 0; sent < OUTAGE_REQUESTS; sent += WAVE) {
          await Promise.all(Array.from({ length: WAVE }, () => c.answer(randomKey())));
          c.clock.advance(OUTAGE_MS / (OUTAGE_REQUESTS / WAVE));
        }
        return undefined;
      });
      rows.push({ scenario: `60 s outage: ${name}`, requests: OUTAGE_REQUESTS, ...counted, target: `≤ ${OUTAGE_TARGET} per container per outage`, met: counted.kindeCalls <= OUTAGE_TARGET });
    }

    kinde.verifyMode = "normal";
    kinde.tokenMode = "normal";
    kindeOptions.clientSecret = CLIENT_SECRET;
    const flooded = await container();
    const counted = await counting(async () => {
      let valid = "not sent";
      for (let sent = 0; sent < FLOOD_KEYS; sent += FLOOD_WAVE) {
        const wave = Promise.all(Array.from({ length: FLOOD_WAVE }, () => flooded.answer(randomKey(), FLOOD_IP)));
        if (sent === FLOOD_KEYS / 2) valid = await flooded.answer(VALID.api_key, "203.0.113.10");
        await wave;
        flooded.clock.advance(500);
      }
      return `a valid key from another IP mid-flood: ${valid === "allow" ? "allowed" : valid}`;
    });
    rows.push({
      scenario: `bad-key flood: ${FLOOD_KEYS.toLocaleString("en-US")} random keys from one IP`,
      requests: FLOOD_KEYS + 1,
      ...counted,
      target: `≤ ${FLOOD_TARGET} for the flood`,
      met: counted.kindeCalls <= FLOOD_TARGET && counted.note === "a valid key from another IP mid-flood: allowed",
    });
  } finally {
    await kinde.stop();
    await dynamo.stop();
    process.env = savedEnv;
  }
  return render(rows);
}

function randomKey(): string {
  return `k_live_${randomBytes(16).toString("hex")}`;
}

function render(rows: Measured[]): string[] {
  const per1000 = (count: number, requests: number) => ((count * 1000) / requests).toFixed(1);
  return [
    "## Kinde shield: Kinde calls in one container (loopback Kinde emulator and dynalite, simulated clock)",
    "",
    "| scenario | requests | Kinde calls | per 1,000 requests | target | met | GetItem per 1,000 | PutItem per 1,000 |",
    "|---|---:|---:|---:|---|---|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.requests.toLocaleString("en-US")} | ${r.kindeCalls} | ${per1000(r.kindeCalls, r.requests)} | ${r.target} | ${r.met ? "yes" : "NO"} | ${per1000(r.getItems, r.requests)} | ${per1000(r.putItems, r.requests)} |`,
    ),
    ...rows.filter((r) => r.note).map((r) => `${r.scenario}: ${r.note}`),
  ];
}
