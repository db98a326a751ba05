/**
 * `keygate prune --local`: orphans are pruned once old enough (and, outside this stack's plans, only
 * with --orphans); with --unused-days, keys with no metered request in the window are pruned and keys
 * used in it are kept. The command's clock is moved forward instead of waiting days; API Gateway's
 * metering is the local gateway's, read through the control plane's GetUsage.
 */
import { APIGatewayClient, CreateApiKeyCommand } from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ALICE, INACTIVE, eventually, startHarness, type Harness } from "../local/local-harness";
import { runCli } from "./run-cli";

const DAVE = { ...INACTIVE, status: "active" };
const DAY_MS = 86_400_000;

const SETTINGS = `config:
  keygate:acceptKeysForAnyApi: true
  keygate:authorizerResultTtlSeconds: 0
  keygate:usagePlans:
    tiers:
      free: { quota: { limit: 100, period: DAY } }
    defaultTier: free
    autoProvision: true
    provisionTimeoutMs: 10000
`;

let h: Harness;
let ghostId: string;
const runtimeKeyNames = () => h.local.controlPlane.keys().filter((key) => key.description?.endsWith("created by the authorizer")).map((key) => key.name).sort();

beforeAll(async () => {
  h = await startHarness({ stackYaml: SETTINGS, keys: [ALICE, DAVE] });
  for (const key of [ALICE, DAVE]) expect((await h.call("/whoami", { key: key.api_key })).status).toBe(200);
  await eventually(async () => runtimeKeyNames().length === 2);
  const client = new APIGatewayClient({ endpoint: h.local.controlPlane.url, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  ghostId = (await client.send(new CreateApiKeyCommand({ name: "keygate-kp_ghost", description: "Keygate usage key for kp_ghost, created by the authorizer", enabled: true }))).id!;
  client.destroy();
});
afterAll(async () => {
  await h?.stop();
});

it("leaves a young orphan alone: its provisioning may still be under way", async () => {
  const run = await runCli(["prune", "--local", "--orphans"], { cwd: h.dir });
  expect(run.code).toBe(0);
  expect(run.out).toMatch(/Dry run .*: 0 key\(s\) to prune/);
});

it("keeps keys used within the window, and lists old orphans outside this stack's plans only with --orphans", async () => {
  const later = () => Date.now() + 2 * DAY_MS;
  const run = await runCli(["prune", "--local", "--unused-days", "7"], { cwd: h.dir, now: later });
  expect(run.code).toBe(0);
  expect(run.out).toMatch(new RegExp(`skipping ${ghostId} \\(keygate-kp_ghost\\): orphaned and in none of this stack's plans`));
  expect(run.out).toMatch(/Dry run .*: 0 key\(s\) to prune/);
});

it("prunes keys unused for N days and old orphans with --yes, and nothing Pulumi manages", async () => {
  const later = () => Date.now() + 5 * DAY_MS;
  const dry = await runCli(["prune", "--local", "--unused-days", "2", "--orphans"], { cwd: h.dir, now: later });
  expect(dry.out).toMatch(/would delete \w+ \(keygate-kp_alice, tier free\): no request in 2 day\(s\)/);
  expect(dry.out).toMatch(/would delete \w+ \(keygate-kp_dave, tier free\): no request in 2 day\(s\)/);
  expect(dry.out).toMatch(new RegExp(`would delete ${ghostId} \\(keygate-kp_ghost\\): orphaned: no mapping names it`));
  expect(runtimeKeyNames()).toEqual(["keygate-kp_alice", "keygate-kp_dave", "keygate-kp_ghost"]);

  const run = await runCli(["prune", "--local", "--unused-days", "2", "--orphans", "--yes"], { cwd: h.dir, now: later });
  expect(run.err).toBe("");
  expect(run.code).toBe(0);
  expect(run.out).toMatch(/Pruned 3 of 3 key\(s\)\./);
  expect(runtimeKeyNames()).toEqual([]);
  expect(h.local.controlPlane.keys().map((key) => key.name).sort()).toEqual(["keygate-pool-free"]);
});

it("has help, and refuses a malformed number", async () => {
  expect((await runCli(["prune", "--help"], { cwd: h.dir })).out).toMatch(/^Usage: keygate prune/);
  const bad = await runCli(["prune", "--local", "--unused-days", "soon"], { cwd: h.dir });
  expect(bad.code).toBe(2);
  expect(bad.err).toMatch(/--unused-days must be a number of 0 or more, not "soon"/);
});
