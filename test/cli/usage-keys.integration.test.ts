/**
 * `keygate keys --local` and `keygate cleanup --local` against a local Keygate with usage plans and
 * automatic provisioning: the authorizer creates keys at run time through the local control plane;
 * `keys` lists them with the fixed and pool keys Pulumi would manage; `cleanup` deletes only the
 * run-time ones (with their mapping items), and orphans outside this stack's plans only when asked.
 */
import { APIGatewayClient, CreateApiKeyCommand } from "@aws-sdk/client-api-gateway";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { localDynamoDbClient } from "../../local/embedded-dynamodb";
import { ALICE, BOB, INACTIVE, eventually, startHarness, type Harness } from "../local/local-harness";
import { runCli } from "./run-cli";

const DAVE = { ...INACTIVE, status: "active" };

const SETTINGS = `config:
  keygate:acceptKeysForAnyApi: true
  keygate:authorizerResultTtlSeconds: 300
  keygate:memoryCacheTtlSeconds: 1
  keygate:usagePlans:
    tiers:
      free: { quota: { limit: 100, period: DAY } }
      gold: { throttle: { rateLimit: 1000, burstLimit: 1000 } }
    defaultTier: free
    users: { kp_bob: gold }
    autoProvision: true
    provisionTimeoutMs: 10000
`;

let h: Harness;
let ghostId: string;
beforeAll(async () => {
  h = await startHarness({ stackYaml: SETTINGS, keys: [ALICE, BOB, DAVE] });
  for (const key of [ALICE, BOB, DAVE]) expect((await h.call("/whoami", { key: key.api_key })).status).toBe(200);
  h.local.cache.flush();
  const runtimeKeys = () => h.local.controlPlane.keys().filter((key) => key.description?.endsWith("created by the authorizer"));
  await eventually(async () => runtimeKeys().length === 2);
  // A key whose CreateApiKey succeeded but whose mapping was never written: named by nothing, in no plan.
  const client = new APIGatewayClient({ endpoint: h.local.controlPlane.url, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  const ghost = await client.send(new CreateApiKeyCommand({ name: "keygate-kp_ghost", description: "Keygate usage key for kp_ghost, created by the authorizer", enabled: true }));
  client.destroy();
  ghostId = ghost.id!;
});
afterAll(async () => {
  await h?.stop();
});

async function mapping(principal: string): Promise<Record<string, unknown> | undefined> {
  const client = localDynamoDbClient(h.local.dynamodb.endpoint);
  try {
    return (await client.send(new GetItemCommand({ TableName: h.local.dynamodb.tableName, Key: { pk: { S: `user#${principal}` } }, ConsistentRead: true }))).Item;
  } finally {
    client.destroy();
  }
}

interface ListedKey {
  id: string;
  principal?: string;
  tier?: string;
  origin: string;
  state: string;
  createdDate?: string;
  lastSeen?: string;
}

it("lists the keys Keygate made: user, tier, origin, state, created, last seen", async () => {
  const table = await runCli(["keys", "--local"], { cwd: h.dir });
  expect(table.code).toBe(0);
  expect(table.out.split("\n")[0]).toMatch(/^KEY ID +USER +TIER +ORIGIN +STATE +CREATED +LAST SEEN$/);
  expect(table.out).toMatch(/6 key\(s\); 3 created at run time/);

  const json = await runCli(["keys", "--local", "--json"], { cwd: h.dir });
  const listed = JSON.parse(json.out) as ListedKey[];
  const byUser = (principal: string) => listed.find((key) => key.principal === principal);
  expect(byUser("kp_alice")).toMatchObject({ tier: "free", origin: "runtime", state: "current" });
  expect(byUser("kp_dave")).toMatchObject({ tier: "free", origin: "runtime", state: "current" });
  expect(byUser("kp_bob")).toMatchObject({ tier: "gold", origin: "fixed", state: "current" });
  expect(byUser("kp_ghost")).toMatchObject({ origin: "runtime", state: "orphaned" });
  expect(listed.filter((key) => key.origin === "pool")).toHaveLength(2);
  expect(byUser("kp_alice")!.lastSeen).toMatch(/^\d{4}-\d\d-\d\dT/);
  expect(byUser("kp_alice")!.createdDate).toMatch(/^\d{4}-\d\d-\d\dT/);
  // Key values are never printed.
  for (const key of h.local.controlPlane.keys()) expect(`${table.out}${json.out}`).not.toContain(key.value);
});

it("cleanup lists what it would delete and changes nothing without --yes", async () => {
  const before = h.local.controlPlane.keys().length;
  const run = await runCli(["cleanup", "--local"], { cwd: h.dir });
  expect(run.code).toBe(0);
  expect(run.out).toMatch(/would delete \w+ \(keygate-kp_alice, current, tier free\)/);
  expect(run.out).toMatch(/would delete \w+ \(keygate-kp_dave, current, tier free\)/);
  expect(run.out).toMatch(new RegExp(`skipping ${ghostId} \\(keygate-kp_ghost\\): orphaned and in none of this stack's plans`));
  expect(run.out).toMatch(/Dry run .* 2 run-time key\(s\) to delete/);
  expect(h.local.controlPlane.keys()).toHaveLength(before);
});

it("cleanup --yes deletes the run-time keys and their mappings, and leaves what Pulumi manages", async () => {
  const run = await runCli(["cleanup", "--local", "--yes"], { cwd: h.dir });
  expect(run.err).toBe("");
  expect(run.code).toBe(0);
  expect(run.out).toMatch(/Deleted 2 of 2 run-time key\(s\)\./);
  const names = h.local.controlPlane.keys().map((key) => key.name).sort();
  expect(names).toEqual(["keygate-kp_bob", "keygate-kp_ghost", "keygate-pool-free", "keygate-pool-gold"]);
  expect(await mapping("kp_alice")).toBeUndefined();
  expect(await mapping("kp_dave")).toBeUndefined();
  expect(await mapping("kp_bob")).toMatchObject({ fixed: { BOOL: true } });

  expect(run.out).toMatch(/waiting 2 s to flush again/);
  expect(h.local.controlPlane.calls.FlushStageAuthorizersCache).toBe(2);

  const orphans = await runCli(["cleanup", "--local", "--yes", "--orphans", "--no-wait"], { cwd: h.dir });
  expect(orphans.code).toBe(0);
  expect(h.local.controlPlane.key(ghostId)).toBeUndefined();
});

it("leaves a working gateway: a user whose key was cleaned up gets a new one on their next request", async () => {
  // The gateway's cached policy (300 s) named the deleted key, and so did the container's memory (1 s
  // here): cleanup flushed, waited that out, and flushed again, so the very next request gets a new key.
  expect((await h.call("/whoami", { key: ALICE.api_key })).status).toBe(200);
  expect(await mapping("kp_alice")).toMatchObject({ fixed: { BOOL: false } });
});

it("has help on keys and cleanup", async () => {
  for (const command of ["keys", "cleanup"]) {
    const run = await runCli([command, "--help"], { cwd: h.dir });
    expect(run.code).toBe(0);
    expect(run.out).toMatch(new RegExp(`^Usage: keygate ${command}`));
  }
  expect((await runCli(["cleanup", "--local", "--yes", "extra"], { cwd: h.dir })).code).toBe(2);
});
