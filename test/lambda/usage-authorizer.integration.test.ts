/**
 * Per-user usage plans through the whole authorizer (authorizerFromConfig with USAGE_PLANS): Kinde
 * through the loopback emulator, the cache table through dynalite, API Gateway through the local
 * control plane (the stand-in).
 * Checks the answer's `usageIdentifierKey` and the audit record's usage fields in every case.
 */
import { DynamoDBClient, PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../lambda/audit/audit-log";
import { createAuthorizer } from "../../lambda/authorizer";
import { authorizerFromConfig } from "../../lambda/authorizer-from-config";
import { loadConfig } from "../../lambda/config";
import type { UsageEvent } from "../../lambda/usage/usage-events";
import { userMappingItem } from "../../lambda/usage/user-mapping";
import type { LocalApiGatewayControlPlane } from "../../local/api-gateway-control-plane";
import type { LocalKey } from "../../local/kinde-emulator";
import { requestEvent, tokenEvent } from "../support/aws-events";
import { UNHURRIED_BUDGETS, useKindeEmulator, useLoopbackAws } from "../support/loopback-aws";
import { closedPortUrl } from "../support/loopback-server";
import { releaseTogether } from "../support/release-together";
import { FREE_PLAN, FREE_POOL, PLANS, PRO_PLAN, PRO_POOL, startTwoTierControlPlane } from "../support/two-tiers";

const CLIENT_SECRET = "m2m-secret-never-logged";
const ALICE = "k_live_alice_0123456789abcdef";
const ALICE_PRO = "k_live_alice_pro_0123456789abcdef";
const BOB_PRO = "k_live_bob_pro_0123456789abcdef";
const CAROL = "k_live_carol_0123456789abcdef";
const ORG = "k_live_org_0123456789abcdef";
const KEYS: LocalKey[] = [
  { api_key: ALICE, key_id: "api_key_alice", user_id: "kp_alice", scopes: ["read:profile"] },
  // A second key of the same user, which holds the pro tier's scope.
  { api_key: ALICE_PRO, key_id: "api_key_alice_pro", user_id: "kp_alice", scopes: ["read:profile", "plan:pro"] },
  { api_key: BOB_PRO, key_id: "api_key_bob", user_id: "kp_bob", scopes: ["plan:pro"] },
  { api_key: CAROL, key_id: "api_key_carol", user_id: "kp_carol", scopes: ["plan:pro"] },
  { api_key: ORG, key_id: "api_key_org", org_code: "org_acme", scopes: [] },
];
const STAGES = ["puhdx84jy9:prod", "ymy8tbxw7b:latest"];
/** For the cases about provisionTimeoutMs running out: long enough for the table reads on a loaded machine, so only API Gateway can use it up. */
const EXPIRING_BUDGET_MS = 2_000;

const kinde = useKindeEmulator({ clientId: "keygate-test", clientSecret: CLIENT_SECRET, keys: () => KEYS, tokenLifetimeSeconds: 3600 });
const aws = useLoopbackAws("keygate-usage-authorizer");
let standIn: LocalApiGatewayControlPlane;

beforeEach(async () => {
  standIn = await startTwoTierControlPlane(STAGES);
  process.env.AWS_ENDPOINT_URL_API_GATEWAY = standIn.url;
});

afterEach(async () => {
  await standIn.stop();
});

/** Checks waiting for background work, run again after every usage event any container writes. */
const eventWatchers = new Set<() => void>();

/** One authorizer container with usage plans configured. */
function container(plans: Record<string, unknown> | null = {}, env: Record<string, string> = {}) {
  const records: AuditRecord[] = [];
  const events: UsageEvent[] = [];
  const config = loadConfig({
    KINDE_DOMAIN: kinde.url,
    KINDE_M2M_CLIENT_ID: "keygate-test",
    KINDE_M2M_CLIENT_SECRET: CLIENT_SECRET,
    CACHE_TABLE_NAME: aws.tableName,
    ...(plans ? { USAGE_PLANS: JSON.stringify({ ...PLANS, ...plans }) } : {}),
    ...UNHURRIED_BUDGETS,
    ...env,
  });
  const handler = authorizerFromConfig(config, (record) => records.push(record), {
    events: (event) => {
      events.push(event);
      for (const watch of eventWatchers) watch();
    },
    apiCallTimeoutMs: 10_000,
    deleteRetryDelaysMs: [10, 20],
  });
  return { handler, records, events, last: () => records[records.length - 1]! };
}

/** Resolves once `done()` holds: the usage events record work the authorizer finishes after answering. */
function afterEvents(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const watch = () => {
      if (!done()) return;
      eventWatchers.delete(watch);
      resolve();
    };
    eventWatchers.add(watch);
    watch();
  });
}

function keyNamed(name: string) {
  const matching = standIn.keys().filter((key) => key.name === name);
  expect(matching).toHaveLength(1);
  return matching[0]!;
}

describe("the answer's usageIdentifierKey", () => {
  it("is a new user's own key, in the default tier's plan, and the audit says so", async () => {
    const c = container();
    const result = await c.handler(requestEvent(`Bearer ${ALICE}`));
    const key = keyNamed("keygate-kp_alice");
    expect(result.usageIdentifierKey).toBe(key.value);
    expect(standIn.memberships()[key.id]).toEqual([FREE_PLAN]);
    expect(c.last()).toMatchObject({ decision: "allow", reason: "allowed", user_id: "kp_alice", usage_tier: "free", usage_key_source: "user", usage_key_id: key.id });
    expect(c.last().usage_error).toBeUndefined();
    // The key value is the metering handle: it goes to API Gateway only, never into the logs.
    expect(JSON.stringify(c.records) + JSON.stringify(c.events)).not.toContain(key.value);
  });

  it("is in the pro plan for a key holding plan:pro, for TOKEN events too", async () => {
    const c = container();
    const result = await c.handler(tokenEvent(`Bearer ${BOB_PRO}`));
    const key = keyNamed("keygate-kp_bob");
    expect(result.usageIdentifierKey).toBe(key.value);
    expect(standIn.memberships()[key.id]).toEqual([PRO_PLAN]);
    expect(c.last()).toMatchObject({ usage_tier: "pro", usage_key_source: "user" });
  });

  it("is a fixed user's Pulumi key, whatever their key's scopes", async () => {
    const fixed = standIn.addKey({ name: "keygate-kp_carol", value: "CarolFixedKey0123456789abcdefgh" }, FREE_PLAN);
    await aws.client.send(
      new PutItemCommand({
        TableName: aws.tableName,
        Item: userMappingItem({ userId: "kp_carol", apiKeyId: fixed.id, apiKeyValue: fixed.value, tier: "free", usagePlanId: FREE_PLAN, fixed: true }),
      }),
    );
    const c = container();
    expect((await c.handler(requestEvent(`Bearer ${CAROL}`))).usageIdentifierKey).toBe(fixed.value);
    expect(c.last()).toMatchObject({ usage_tier: "free", usage_key_source: "fixed", usage_key_id: fixed.id });
    expect(standIn.calls.CreateApiKey).toBe(0);
  });

  it("is the same winner's key for concurrent first requests in three containers", async () => {
    // Each container's CreateApiKey is held until all three have asked: three keys, and one mapping can name only one.
    const creations = standIn.hold("CreateApiKey");
    const containers = [container(), container(), container()];
    const racing = Promise.all(containers.flatMap((c) => [c.handler(requestEvent(`Bearer ${ALICE}`)), c.handler(requestEvent(`Bearer ${ALICE}`))]));
    await releaseTogether(creations, 3, racing);
    const results = await racing;
    // The two losing keys are deleted after the answers, in the background.
    await afterEvents(() => containers.flatMap((c) => c.events).filter((e) => e.event === "key_discarded").length === 2);
    const key = keyNamed("keygate-kp_alice");
    expect(results.map((r) => r.usageIdentifierKey)).toEqual(Array(6).fill(key.value));
    for (const c of containers) for (const record of c.records) expect(record).toMatchObject({ usage_key_source: "user", usage_key_id: key.id });
  });

  it("moves to a pro key when the user calls with a key holding plan:pro", async () => {
    const c = container();
    const free = await c.handler(requestEvent(`Bearer ${ALICE}`));
    const pro = await c.handler(requestEvent(`Bearer ${ALICE_PRO}`));
    expect(pro.usageIdentifierKey).not.toBe(free.usageIdentifierKey);
    const proKey = standIn.keys().find((key) => key.value === pro.usageIdentifierKey)!;
    expect(standIn.memberships()[proKey.id]).toEqual([PRO_PLAN]);
    expect(c.last()).toMatchObject({ usage_tier: "pro", usage_key_source: "user", usage_key_id: proKey.id });
    expect(c.events.map((e) => e.event)).toEqual(["key_provisioned", "tier_changed"]);
  });

  it("is the organization's key for an org key under ALLOW_ORG_KEYS", async () => {
    const c = container({}, { ALLOW_ORG_KEYS: "true" });
    const result = await c.handler(requestEvent(`Bearer ${ORG}`));
    expect(result.principalId).toBe("org:org_acme");
    expect(result.usageIdentifierKey).toBe(keyNamed("keygate-org:org_acme").value);
  });

  it("is the tier's pool key when autoProvision is off", async () => {
    const c = container({ autoProvision: false });
    expect((await c.handler(requestEvent(`Bearer ${ALICE}`))).usageIdentifierKey).toBe(FREE_POOL);
    expect((await c.handler(requestEvent(`Bearer ${BOB_PRO}`))).usageIdentifierKey).toBe(PRO_POOL);
    expect(c.last()).toMatchObject({ usage_tier: "pro", usage_key_source: "pool" });
    expect(c.last().usage_error).toBeUndefined();
    expect(standIn.calls.CreateApiKey).toBe(0);
  });

  it("is absent without USAGE_PLANS", async () => {
    const c = container(null);
    const result = await c.handler(requestEvent(`Bearer ${ALICE}`));
    expect(result).not.toHaveProperty("usageIdentifierKey");
    expect(c.last()).not.toHaveProperty("usage_key_source");
  });
});

describe("the pool key when provisioning cannot happen", () => {
  it("on 429 from API Gateway: allowed under the pool key, with the reason in the audit", async () => {
    standIn.fail("CreateApiKey", "throttle");
    const c = container();
    const result = await c.handler(requestEvent(`Bearer ${BOB_PRO}`));
    expect(result.principalId).toBe("kp_bob");
    expect(result.usageIdentifierKey).toBe(PRO_POOL);
    expect(c.last()).toMatchObject({ decision: "allow", reason: "allowed", usage_tier: "pro", usage_key_source: "pool" });
    expect(c.last().usage_error).toMatch(/^provision_throttled: CreateApiKey: TooManyRequestsException/);
    expect(c.last()).not.toHaveProperty("usage_key_id");
  });

  it("at maxProvisionedKeys", async () => {
    const c = container({ maxProvisionedKeys: 0 });
    expect((await c.handler(requestEvent(`Bearer ${ALICE}`))).usageIdentifierKey).toBe(FREE_POOL);
    expect(c.last().usage_error).toBe("key_ceiling: 0 keys are provisioned (maxProvisionedKeys)");
    expect(standIn.calls.CreateApiKey).toBe(0);
  });

  it("when API Gateway is down, within the bound", async () => {
    process.env.AWS_ENDPOINT_URL_API_GATEWAY = await closedPortUrl();
    const c = container();
    const started = performance.now();
    expect((await c.handler(requestEvent(`Bearer ${ALICE}`))).usageIdentifierKey).toBe(FREE_POOL);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(c.last()).toMatchObject({ decision: "allow", usage_key_source: "pool" });
    expect(c.last().usage_error).toMatch(/^provision_failed: CreateApiKey: .*ECONNREFUSED/);
  });

  it("when API Gateway hangs, within the bound", async () => {
    standIn.fail("CreateApiKey", "hang");
    const c = container({ provisionTimeoutMs: EXPIRING_BUDGET_MS });
    const started = performance.now();
    expect((await c.handler(requestEvent(`Bearer ${ALICE}`))).usageIdentifierKey).toBe(FREE_POOL);
    expect(performance.now() - started).toBeLessThan(EXPIRING_BUDGET_MS + 5_000);
    expect(c.last().usage_error).toMatch(/^provision_timeout/);
  });

  it("when DynamoDB is down: Kinde still decides, the request is metered under the pool key", async () => {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = await closedPortUrl();
    const c = container();
    const result = await c.handler(requestEvent(`Bearer ${BOB_PRO}`));
    expect(result.usageIdentifierKey).toBe(PRO_POOL);
    expect(c.last()).toMatchObject({ decision: "allow", verdict_source: "kinde", usage_tier: "pro", usage_key_source: "pool" });
    expect(c.last().usage_error).toMatch(/^store_unavailable/);
    expect(standIn.calls.CreateApiKey).toBe(0);
  });

  it("never turns a failing usage resolver into an error", async () => {
    const records: AuditRecord[] = [];
    const handler = createAuthorizer({
      config: { requiredScopes: [], allowOrgKeys: false, routeRules: [] },
      verdicts: { resolve: () => Promise.resolve({ verdict: { valid: true, userId: "kp_alice", scopes: [], verifiedAt: 0, freshUntil: Date.now() + 60_000 }, source: "memory" }) },
      audit: (record) => records.push(record),
      usage: { resolve: () => Promise.reject(new Error("a bug")) },
    });
    const result = await handler(requestEvent(`Bearer ${ALICE}`));
    expect(result.principalId).toBe("kp_alice");
    expect(result).not.toHaveProperty("usageIdentifierKey");
    expect(records[0]).toMatchObject({ decision: "allow", usage_error: "usage_internal: Error: a bug" });
  });
});

describe("state", () => {
  it("keeps mapping items free of Kinde keys and of expiry", async () => {
    const c = container();
    await c.handler(requestEvent(`Bearer ${ALICE}`));
    const { Items = [] } = await new DynamoDBClient({ maxAttempts: 1 }).send(new ScanCommand({ TableName: aws.tableName }));
    const mapping = Items.find((item) => item.pk?.S === "user#kp_alice")!;
    expect(mapping).toBeDefined();
    expect(mapping).not.toHaveProperty("expiresAt");
    expect(JSON.stringify(Items)).not.toContain(ALICE);
  });
});
