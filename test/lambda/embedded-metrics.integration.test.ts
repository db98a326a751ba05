/**
 * The metrics as CloudWatch would get them: the deployable bundle runs in a fresh Node process, as
 * Lambda runs it, against the Kinde emulator, dynalite and the local API Gateway control plane, and
 * every line it prints is checked as an EMF document.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleAuthorizer } from "../../lambda/bundle";
import { LocalApiGatewayControlPlane } from "../../local/api-gateway-control-plane";
import { ensureCacheTable, localDynamoDbClient, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from "../../local/embedded-dynamodb";
import { KindeEmulator } from "../../local/kinde-emulator";
import { requestEvent } from "../support/aws-events";
import { bundleNode } from "../support/bundle-node";
import { emfDatapoints, emfDimensionNames, emfProblems } from "../support/emf-validator";

const run = promisify(execFile);
const KEY = "k_live_metrics_0123456789abcdef";
const OTHER_KEY = "k_live_metrics_fedcba9876543210";
const API_ID = "api_metrics";
const CREATED_ON = "2025-03-04T05:06:07+00:00";

let dir: string;
let bundle: string;
let kinde: KindeEmulator;
let dynamo: EmbeddedDynamoDb;
let apiGateway: LocalApiGatewayControlPlane;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keygate-emf-"));
  bundle = join(dir, "index.mjs");
  await bundleAuthorizer(bundle);
  kinde = new KindeEmulator({
    clientId: "emf",
    clientSecret: "emf-secret",
    keys: () => [
      { api_key: KEY, key_id: "api_key_m", user_id: "kp_m", scopes: ["s"], api_ids: [API_ID], created_on: CREATED_ON },
      { api_key: OTHER_KEY, key_id: "api_key_o", user_id: "kp_o", scopes: ["s"], api_ids: [API_ID] },
    ],
  });
  await kinde.start();
  dynamo = await startEmbeddedDynamoDb();
  await ensureCacheTable(localDynamoDbClient(dynamo.endpoint), "keygate-emf");
  apiGateway = await new LocalApiGatewayControlPlane([{ id: "free123", stages: ["puhdx84jy9:prod"] }]).start();
  apiGateway.addKey({ name: "keygate-pool-free", value: "FreePoolKey0123456789abcdefghij" }, "free123");
}, 120_000);

afterAll(async () => {
  await kinde?.stop();
  await dynamo?.stop();
  await apiGateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Imports the bundle in a fresh Node process and calls its handler with each event in turn; returns what it printed. */
async function invokeAll(events: unknown[]): Promise<string[]> {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    for (const event of ${JSON.stringify(events)}) await handler(event, { awsRequestId: "r" }).catch(() => undefined);`;
  const { stdout } = await run(bundleNode(), ["--input-type=module", "-e", script], {
    env: {
      PATH: process.env.PATH,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      KINDE_DOMAIN: kinde.url,
      KINDE_M2M_CLIENT_ID: "emf",
      KINDE_M2M_CLIENT_SECRET: "emf-secret",
      KINDE_API_IDS: API_ID,
      CACHE_TABLE_NAME: "keygate-emf",
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_API_GATEWAY: apiGateway.url,
      USAGE_PLANS: JSON.stringify({ tiers: { free: { usagePlanId: "free123", poolKey: "FreePoolKey0123456789abcdefghij" } }, defaultTier: "free", autoProvision: true, provisionTimeoutMs: 3000 }),
    },
  });
  return stdout.trim().split("\n");
}

const ALLOWED_DIMENSIONS = new Set(["decision", "reason", "verdict_source", "breaker", "usage_key_source", "usage_error_code", "event"]);

describe("the authorizer's EMF lines", () => {
  it("are valid EMF for allows, memory hits, refusals, key provisioning and an unavailable Kinde", async () => {
    const before = Date.now();
    const lines = await invokeAll([requestEvent(`Bearer ${KEY}`), requestEvent(`Bearer ${KEY}`), requestEvent("Bearer k_live_nobody_0123456789"), requestEvent()]);
    kinde.verifyMode = "server-error";
    let outage: string[];
    try {
      outage = await invokeAll([requestEvent(`Bearer ${OTHER_KEY}`)]);
    } finally {
      kinde.verifyMode = "normal";
    }
    const all = [...lines, ...outage];
    const now = Date.now();

    for (const line of all) {
      expect(emfProblems(line, now), line).toEqual([]);
      for (const name of emfDimensionNames(line)) expect(ALLOWED_DIMENSIONS, `${name} in ${line}`).toContain(name);
      const timestamp = (JSON.parse(line) as { _aws: { Timestamp: number } })._aws.Timestamp;
      expect(timestamp).toBeGreaterThanOrEqual(before);
      expect(timestamp).toBeLessThanOrEqual(now);
    }
    expect(all.join("\n")).not.toContain(KEY);

    const records = all.map((line) => JSON.parse(line) as Record<string, unknown>);
    const decisions = records.filter((record) => record.message === "authorizer decision");
    expect(decisions.map((record) => [record.decision, record.reason, record.verdict_source ?? "-"])).toEqual([
      ["allow", "allowed", "kinde"],
      ["allow", "allowed", "memory"],
      ["deny", "invalid_key", "kinde"],
      ["deny", "missing_key", "-"],
      ["error", "upstream_unavailable", "-"],
    ]);
    expect(decisions[0]).toMatchObject({ key_created_on: CREATED_ON, key_type: "user" });
    const days = (at: number) => Math.floor((at - Date.parse(CREATED_ON)) / 86_400_000);
    expect([days(before), days(now)]).toContain(decisions[0]!.key_age_days);

    const decisionPoints = decisions.map((record) => emfDatapoints(JSON.stringify(record)));
    expect(decisionPoints[0]).toMatchObject({ "Decisions{decision=allow,reason=allowed}": 1, "Verdicts{verdict_source=kinde}": 1, "KindeCalls{}": 1, "UsageKeys{usage_key_source=user}": 1 });
    expect(decisionPoints[1]).toMatchObject({ "Verdicts{verdict_source=memory}": 1 });
    expect(Object.keys(decisionPoints[1]!).some((key) => key.startsWith("KindeCalls"))).toBe(false);
    expect(decisionPoints[3]).toMatchObject({ "Decisions{decision=deny,reason=missing_key}": 1, "Decisions{}": 1 });
    expect(decisionPoints[4]).toMatchObject({ "Decisions{decision=error,reason=upstream_unavailable}": 1 });

    const provisioned = records.filter((record) => record.message === "usage key event" && record.event === "key_provisioned");
    expect(provisioned).toHaveLength(1);
    expect(emfDatapoints(JSON.stringify(provisioned[0]))).toEqual({ "UsageKeyEvents{event=key_provisioned}": 1 });
  }, 60_000);
});
