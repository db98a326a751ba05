/**
 * `keygate invalidate --local` against a running local Keygate: the revoked key's verdicts leave the
 * table, the gateway's result cache is flushed, and a request that a warm container still answers
 * from memory during the window (re-filling the gateway's cache) is undone by the second pass. The
 * memory lifetime is set short (3 s) so the command's own wait stays short.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { localDynamoDbClient } from "../../local/embedded-dynamodb";
import { ALICE, BOB, startHarness, type Harness } from "../local/local-harness";
import { runCli } from "./run-cli";

const SETTINGS = `config:
  keygate:authorizerResultTtlSeconds: 300
  keygate:cacheTtlSeconds: 300
  keygate:memoryCacheTtlSeconds: 3
  keygate:acceptKeysForAnyApi: true
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ stackYaml: SETTINGS, keys: [ALICE, BOB] });
});
afterAll(async () => {
  await h?.stop();
});

async function verdictOwners(): Promise<string[]> {
  const client = localDynamoDbClient(h.local.dynamodb.endpoint);
  try {
    const { Items } = await client.send(new ScanCommand({ TableName: h.local.dynamodb.tableName }));
    return (Items ?? []).filter((item) => item.pk?.S?.startsWith("verdict#")).map((item) => item.keyId?.S ?? "?").sort();
  } finally {
    client.destroy();
  }
}

it("finds npm start through .keygate/local.json, which names endpoints and never a key", () => {
  const recorded = readFileSync(join(h.dir, ".keygate", "local.json"), "utf8");
  expect(JSON.parse(recorded)).toMatchObject({ gatewayUrl: h.local.url, controlPlaneUrl: h.local.controlPlane.url, dynamodb: { endpoint: h.local.dynamodb.endpoint } });
  for (const key of [ALICE, BOB]) expect(recorded).not.toContain(key.api_key);
});

it("changes nothing without --yes, and says what it would do", async () => {
  expect((await h.call("/whoami", { key: BOB.api_key })).status).toBe(200);
  const run = await runCli(["invalidate", "--local", "--user", BOB.user_id!], { cwd: h.dir });
  expect(run.code).toBe(0);
  expect(run.out).toMatch(/Dry run .* 1 cached verdict\(s\) of user kp_bob/);
  expect(run.out).toMatch(/wait 4 s \(MEMORY_CACHE_TTL_SECONDS 3 \+ 1\)/);
  expect(await verdictOwners()).toContain(BOB.key_id);
  expect(h.local.cache.size).toBeGreaterThan(0);
});

it("refuses a revoked key once the command returns, though a warm container allowed it again during the window", async () => {
  expect((await h.call("/whoami", { key: ALICE.api_key })).status).toBe(200);
  expect(await verdictOwners()).toContain(ALICE.key_id);
  h.writeKeys([{ ...ALICE, status: "revoked" }, BOB]);

  const duringWindow: { status: number; gatewayCached: number; verdicts: string[] }[] = [];
  const run = await runCli(["invalidate", "--local", "--key-id", ALICE.key_id, "--yes"], {
    cwd: h.dir,
    wait: async (ms) => {
      // After the first pass: the table no longer holds the verdict and the gateway's cache is empty,
      // but the container's memory still answers Allow, and the gateway caches that answer again.
      const verdicts = await verdictOwners();
      const reply = await h.call("/whoami", { key: ALICE.api_key });
      duringWindow.push({ status: reply.status, gatewayCached: h.local.cache.size, verdicts });
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
  });

  expect(run.err).toBe("");
  expect(run.code).toBe(0);
  expect(duringWindow).toHaveLength(1);
  expect(duringWindow[0]!.verdicts).not.toContain(ALICE.key_id);
  expect(duringWindow[0]!.status).toBe(200);
  expect(duringWindow[0]!.gatewayCached).toBeGreaterThan(0);
  expect(h.audit.at(-1)).toMatchObject({ decision: "allow", verdict_source: "memory" });

  // The second pass flushed the Allow cached during the window: the next request asks Kinde.
  expect((await h.call("/whoami", { key: ALICE.api_key })).status).toBe(401);
  expect(h.audit.at(-1)).toMatchObject({ decision: "deny", verdict_source: "kinde" });
  expect(run.out).toMatch(/Removed 1 cached verdict\(s\) of key api_key_a+; flushed 1 of 1 stage\(s\)/);
  expect(run.out).toMatch(/Waiting 4 s/);
  expect(run.out).toMatch(/Worst case remaining: none/);
  // Other keys' verdicts stay.
  expect(await verdictOwners()).toContain(BOB.key_id);
  expect(h.local.controlPlane.calls.FlushStageAuthorizersCache).toBe(2);
});

it("exits 2 on a usage mistake, and explains", async () => {
  const both = await runCli(["invalidate", "--local", "--key-id", "a", "--user", "b"], { cwd: h.dir });
  expect(both.code).toBe(2);
  expect(both.err).toMatch(/exactly one of --key-id <id> or --user <user_id>/);
  const unknown = await runCli(["invalidate", "--local", "--key", "a"], { cwd: h.dir });
  expect(unknown.code).toBe(2);
  expect(unknown.err).toMatch(/unknown option --key; did you mean --key-id\?/);
  const elsewhere = await runCli(["invalidate", "--local", "--key-id", "a"], { cwd: "/" });
  expect(elsewhere.code).toBe(2);
  expect(elsewhere.err).toMatch(/no running npm start recorded in \/\.keygate\/local\.json/);
});
