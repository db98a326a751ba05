/**
 * Run-time provisioning over the real protocols: the cache table through dynalite, API Gateway
 * through the local control plane npm start runs (the stand-in, with faults injected) and the real
 * @aws-sdk/client-api-gateway. Each "container" is its own resolver (memory, penalty box, SDK
 * clients) sharing the table and the stand-in. After each case the stand-in's keys and plan
 * memberships, the mapping items and the key counter are checked exactly.
 */
import { APIGatewayClient, CreateApiKeyCommand, CreateUsagePlanKeyCommand, DeleteApiKeyCommand, DeleteUsagePlanKeyCommand, GetApiKeysCommand } from "@aws-sdk/client-api-gateway";
import { DynamoDBClient, PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../lambda/config";
import type { Identity } from "../../lambda/decision";
import { ProvisionedKeyCounter } from "../../lambda/usage/provisioned-key-counter";
import type { UsageEvent } from "../../lambda/usage/usage-events";
import { usageKeyResolverFromConfig } from "../../lambda/usage/usage-from-config";
import { decodeUserMapping, userMappingItem, type UserMapping } from "../../lambda/usage/user-mapping";
import type { LocalApiGatewayControlPlane } from "../../local/api-gateway-control-plane";
import { UNHURRIED_BUDGETS, useLoopbackAws } from "../support/loopback-aws";
import { closedPortUrl, startLoopbackServer, type LoopbackServer } from "../support/loopback-server";
import { releaseTogether } from "../support/release-together";
import { FREE_PLAN, FREE_POOL, PLANS, PRO_PLAN, PRO_POOL, startTwoTierControlPlane } from "../support/two-tiers";

const STAGES = ["puhdx84jy9:prod"];
/**
 * For the cases about provisionTimeoutMs running out (API Gateway hangs or is held): long enough for
 * the table reads before the first API Gateway call on a loaded machine, so only the hang can use it up.
 */
const EXPIRING_BUDGET_MS = 2_000;
/** Each API Gateway call's own bound in those cases: longer than EXPIRING_BUDGET_MS, so the budget runs out first. */
const HUNG_CALL_TIMEOUT_MS = 3_000;

const aws = useLoopbackAws("keygate-usage");
let standIn: LocalApiGatewayControlPlane;
let clock: number;
let poolKeyIds: string[];

beforeEach(async () => {
  // What Pulumi provisions: one pool key per tier, in the tier's plan.
  standIn = await startTwoTierControlPlane(STAGES);
  poolKeyIds = [FREE_POOL, PRO_POOL].map((value) => standIn.keys().find((key) => key.value === value)!.id);
  process.env.AWS_ENDPOINT_URL_API_GATEWAY = standIn.url;
  clock = Date.parse("2026-01-01T00:00:00Z");
});

afterEach(async () => {
  await standIn.stop();
});

/** One authorizer container's usage-key resolver; each API Gateway call is bounded by `apiCallTimeoutMs`. */
function container(plans: Record<string, unknown> = {}, env: Record<string, string> = {}, apiCallTimeoutMs = 10_000) {
  const events: UsageEvent[] = [];
  const config = loadConfig({
    KINDE_DOMAIN: "https://acme.kinde.com",
    KINDE_M2M_CLIENT_ID: "keygate-test",
    KINDE_M2M_CLIENT_SECRET: "unused",
    CACHE_TABLE_NAME: aws.tableName,
    USAGE_PLANS: JSON.stringify({ ...PLANS, ...plans }),
    ...UNHURRIED_BUDGETS,
    ...env,
  });
  const resolver = usageKeyResolverFromConfig(config, new DynamoDBClient({ maxAttempts: 1 }), {
    events: (event) => events.push(event),
    now: () => clock,
    apiCallTimeoutMs,
    deleteRetryDelaysMs: [10, 20],
  });
  if (!resolver) throw new Error("USAGE_PLANS is set, so there must be a resolver");
  return { resolver, events, resolve: (identity: Identity) => resolver.resolve(identity) };
}

function user(userId: string, scopes: string[] = []): Identity {
  return { principalId: userId, userId, scopes };
}

async function mappings(): Promise<UserMapping[]> {
  const { Items = [] } = await aws.client.send(new ScanCommand({ TableName: aws.tableName, ConsistentRead: true }));
  return Items.filter((item) => item.pk?.S?.startsWith("user#"))
    .map((item) => decodeUserMapping(item)!)
    .sort((a, b) => a.principal.localeCompare(b.principal));
}

async function provisionedCount(): Promise<number> {
  return new ProvisionedKeyCounter(aws.client, aws.tableName, 10_000).current();
}

/** Keys other than the pool keys. */
function userKeys() {
  return standIn.keys().filter((key) => !poolKeyIds.includes(key.id));
}

/**
 * The invariant after every case: each key the authorizer made is named by exactly one mapping
 * (current or retired), is enabled and sits in exactly the mapping's plan; the counter counts them.
 */
async function expectNothingOrphaned(extraKeyIds: string[] = []): Promise<void> {
  const recorded = await mappings();
  const named = new Map<string, string>();
  for (const m of recorded) {
    named.set(m.apiKeyId, m.usagePlanId);
    if (m.retired) named.set(m.retired.apiKeyId, "(retired)");
  }
  const memberships = standIn.memberships();
  for (const key of userKeys()) {
    if (extraKeyIds.includes(key.id)) continue;
    expect(named.has(key.id), `key ${key.id} (${key.name}) is named by no mapping`).toBe(true);
    expect(key.enabled).toBe(true);
    const plan = named.get(key.id);
    if (plan !== "(retired)") expect(memberships[key.id]).toEqual([plan]);
  }
  for (const id of named.keys()) expect(standIn.key(id), `mapping names missing key ${id}`).toBeDefined();
  expect(await provisionedCount()).toBe(recorded.filter((m) => !m.fixed).reduce((n, m) => n + (m.retired ? 2 : 1), 0) + extraKeyIds.length);
}

describe("provisioning a first key", () => {
  it("gives a new user an enabled key of their own in their tier's plan, and records it", async () => {
    const c = container();
    const result = await c.resolve(user("kp_alice"));
    const [key] = userKeys();
    expect(key).toMatchObject({ name: "keygate-kp_alice", description: "Keygate usage key for kp_alice, created by the authorizer", enabled: true });
    expect(result).toEqual({ key: key!.value, keyId: key!.id, tier: "free", source: "user" });
    expect(standIn.planKeys(FREE_PLAN)).toEqual([poolKeyIds[0], key!.id].sort());
    expect(standIn.planKeys(PRO_PLAN)).toEqual([poolKeyIds[1]]);
    expect(await mappings()).toEqual([
      { principal: "kp_alice", apiKeyId: key!.id, apiKeyValue: key!.value, tier: "free", usagePlanId: FREE_PLAN, fixed: false, updatedAt: clock },
    ]);
    expect(c.events).toEqual([{ event: "key_provisioned", principal: "kp_alice", api_key_id: key!.id, tier: "free", usage_plan_id: FREE_PLAN }]);
    await expectNothingOrphaned();
  });

  it("answers repeats from memory and other containers from the table, with no more API Gateway calls", async () => {
    const first = container();
    const provisioned = await first.resolve(user("kp_alice"));
    const calls = { ...standIn.calls };
    expect(await first.resolve(user("kp_alice"))).toEqual(provisioned);
    expect(await container().resolve(user("kp_alice"))).toEqual(provisioned);
    expect(standIn.calls).toEqual(calls);
    expect(calls).toMatchObject({ CreateApiKey: 1, CreateUsagePlanKey: 1, DeleteApiKey: 0 });
  });

  it("puts a key holding a tierScopes scope in that tier's plan", async () => {
    const result = await container().resolve(user("kp_bob", ["read:profile", "plan:pro"]));
    expect(result).toMatchObject({ tier: "pro", source: "user" });
    expect(standIn.planKeys(PRO_PLAN)).toEqual([poolKeyIds[1], result.keyId].sort());
    await expectNothingOrphaned();
  });

  it("meters an organization key as org:<code>, one key per organization", async () => {
    const c = container();
    const org: Identity = { principalId: "org:org_acme", orgCode: "org_acme", scopes: [] };
    const result = await c.resolve(org);
    expect(result).toMatchObject({ tier: "free", source: "user" });
    expect(userKeys().map((key) => key.name)).toEqual(["keygate-org:org_acme"]);
    expect((await mappings()).map((m) => m.principal)).toEqual(["org:org_acme"]);
  });

  it("serves the pool key and creates nothing when autoProvision is off", async () => {
    const result = await container({ autoProvision: false }).resolve(user("kp_alice", ["plan:pro"]));
    expect(result).toEqual({ key: PRO_POOL, tier: "pro", source: "pool" });
    expect(standIn.calls.CreateApiKey).toBe(0);
    expect(await mappings()).toEqual([]);
  });
});

describe("fixed assignments", () => {
  it("keeps a fixed user's key and tier whatever their scopes, with no API Gateway call", async () => {
    // What Pulumi does for users: {"kp_carol": "free"}: a key, its plan key, and the mapping item.
    const fixedKey = standIn.addKey({ name: "keygate-kp_carol", value: "CarolFixedKey0123456789abcdefgh" }, FREE_PLAN);
    await aws.client.send(
      new PutItemCommand({
        TableName: aws.tableName,
        Item: userMappingItem({ userId: "kp_carol", apiKeyId: fixedKey.id, apiKeyValue: fixedKey.value, tier: "free", usagePlanId: FREE_PLAN, fixed: true }),
      }),
    );
    for (const autoProvision of [true, false]) {
      const result = await container({ autoProvision }).resolve(user("kp_carol", ["plan:pro"]));
      expect(result).toEqual({ key: fixedKey.value, keyId: fixedKey.id, tier: "free", source: "fixed" });
    }
    expect(standIn.calls).toMatchObject({ CreateApiKey: 0, CreateUsagePlanKey: 0, DeleteApiKey: 0 });
    expect(standIn.memberships()[fixedKey.id]).toEqual([FREE_PLAN]);
    expect(await provisionedCount()).toBe(0);
  });
});

describe("concurrent first requests", () => {
  it("ends with exactly one key, used by every container, after five containers race for one new user", async () => {
    // Every container's CreateApiKey is held until all five have asked, so each has a key of its own
    // before any mapping is written: the race the conditional write must decide.
    const creations = standIn.hold("CreateApiKey");
    const containers = Array.from({ length: 5 }, () => container());
    const racing = Promise.all(containers.flatMap((c) => Array.from({ length: 10 }, () => c.resolve(user("kp_alice")))));
    await releaseTogether(creations, 5, racing);
    const results = await racing;
    await Promise.all(containers.map((c) => c.resolver.settled()));

    const [key, ...others] = userKeys();
    expect(others).toEqual([]);
    expect(new Set(results.map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify({ key: key!.value, keyId: key!.id, tier: "free", source: "user" })]));
    // One CreateApiKey per container (concurrent requests inside a container share one), the losers' keys deleted.
    expect(standIn.calls.CreateApiKey).toBe(5);
    expect(standIn.calls.DeleteApiKey).toBe(4);
    expect(standIn.planKeys(FREE_PLAN)).toEqual([poolKeyIds[0], key!.id].sort());
    const events = containers.flatMap((c) => c.events.map((e) => e.event));
    expect(events.filter((e) => e === "key_provisioned")).toHaveLength(1);
    expect(events.filter((e) => e === "key_discarded")).toHaveLength(4);
    await expectNothingOrphaned();
    // And every container goes on using the winner's key.
    for (const c of containers) expect((await c.resolve(user("kp_alice"))).key).toBe(key!.value);
  });

  it("gives a burst of new users keys as far as CreateApiKey's rate allows, and the pool key to the rest", async () => {
    // AWS allows 5 calls per second, bursting to 5; the stand-in's clock stands still, so exactly the burst gets through.
    standIn.limitKeyCallsPerSecond(5, () => 0);
    const c = container();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => c.resolve(user(`kp_user${i}`))));
    await c.resolver.settled();
    const own = results.filter((r) => r.source === "user");
    const pooled = results.filter((r) => r.source === "pool");
    expect(own).toHaveLength(5);
    expect(pooled).toHaveLength(7);
    for (const r of pooled) expect(r).toMatchObject({ key: FREE_POOL, tier: "free", error: expect.stringMatching(/^provision_throttled: CreateApiKey: TooManyRequestsException \(HTTP 429\)/) });
    expect(userKeys()).toHaveLength(own.length);
    await expectNothingOrphaned();
  });
});

describe("tier changes", () => {
  it("moves a user whose key now holds plan:pro to a new key in the pro plan, and retires the old key after the grace period", async () => {
    const c = container({ retiredKeyGraceSeconds: 600 });
    const free = await c.resolve(user("kp_alice"));
    const pro = await c.resolve(user("kp_alice", ["plan:pro"]));
    expect(pro).toMatchObject({ tier: "pro", source: "user" });
    expect(pro.keyId).not.toBe(free.keyId);
    expect(standIn.planKeys(PRO_PLAN)).toEqual([poolKeyIds[1], pro.keyId].sort());
    // The old key stays in the free plan: API Gateway may still have cached authorizer results naming it.
    expect(standIn.planKeys(FREE_PLAN)).toEqual([poolKeyIds[0], free.keyId].sort());
    expect(await mappings()).toEqual([
      { principal: "kp_alice", apiKeyId: pro.keyId, apiKeyValue: pro.key, tier: "pro", usagePlanId: PRO_PLAN, fixed: false, updatedAt: clock, retired: { apiKeyId: free.keyId, at: clock } },
    ]);
    expect(c.events.map((e) => e.event)).toEqual(["key_provisioned", "tier_changed"]);
    await expectNothingOrphaned();

    // Within the grace period, a second change waits: the user stays on the pro key.
    clock += 60_000;
    const early = await container({ retiredKeyGraceSeconds: 600 }).resolve(user("kp_alice"));
    expect(early).toMatchObject({ key: pro.key, tier: "pro", source: "user", error: expect.stringMatching(/^tier_change_deferred: the key replaced at .* is kept until/) });
    expect(standIn.calls.CreateApiKey).toBe(2);

    // After it, the next request deletes the old key and gives its slot back.
    clock += 600_000;
    const later = container({ retiredKeyGraceSeconds: 600 });
    expect(await later.resolve(user("kp_alice", ["plan:pro"]))).toMatchObject({ key: pro.key, source: "user" });
    await later.resolver.settled();
    expect(standIn.key(free.keyId!)).toBeUndefined();
    expect(standIn.planKeys(FREE_PLAN)).toEqual([poolKeyIds[0]]);
    expect(later.events).toEqual([{ event: "key_retired", principal: "kp_alice", api_key_id: free.keyId }]);
    expect((await mappings())[0]?.retired).toBeUndefined();
    await expectNothingOrphaned();
    expect(await provisionedCount()).toBe(1);
  });

  it("keeps serving the old key when the move fails, and moves the user on a later request", async () => {
    const c = container();
    const free = await c.resolve(user("kp_alice"));
    standIn.fail("CreateUsagePlanKey", "server-error", 1);
    const failed = await c.resolve(user("kp_alice", ["plan:pro"]));
    expect(failed).toMatchObject({ key: free.key, tier: "free", source: "user", error: expect.stringMatching(/^provision_failed: CreateUsagePlanKey: InternalFailure \(HTTP 500\)/) });
    await c.resolver.settled();
    // The new key that could not join the pro plan was deleted again.
    expect(userKeys().map((k) => k.id)).toEqual([free.keyId]);
    await expectNothingOrphaned();

    expect(await c.resolve(user("kp_alice", ["plan:pro"]))).toMatchObject({ key: free.key, error: expect.stringMatching(/^tier_change_deferred: next attempt after/) });
    clock += 31_000;
    expect(await c.resolve(user("kp_alice", ["plan:pro"]))).toMatchObject({ tier: "pro", source: "user" });
    await expectNothingOrphaned();
  });
});

describe("when API Gateway pushes back", () => {
  it("serves the pool key on 429, holds off for retryAfterSeconds, then provisions", async () => {
    standIn.fail("CreateApiKey", "throttle", 1);
    const c = container();
    expect(await c.resolve(user("kp_alice"))).toEqual({
      key: FREE_POOL,
      tier: "free",
      source: "pool",
      error: "provision_throttled: CreateApiKey: TooManyRequestsException (HTTP 429): Too Many Requests",
    });
    expect(userKeys()).toEqual([]);
    expect(await provisionedCount()).toBe(0);

    // The penalty box: no API Gateway call until retryAfterSeconds have passed.
    expect(await c.resolve(user("kp_alice"))).toMatchObject({ key: FREE_POOL, source: "pool", error: expect.stringMatching(/^provision_backoff: next attempt after 2026-01-01T00:00:30\.000Z; the last one: provision_throttled/) });
    expect(standIn.calls.CreateApiKey).toBe(1);

    clock += 30_000;
    const later = await c.resolve(user("kp_alice"));
    expect(later).toMatchObject({ tier: "free", source: "user" });
    expect(later.key).toBe(userKeys()[0]!.value);
    await expectNothingOrphaned();
  });

  it("serves the pool key at maxProvisionedKeys and creates no key", async () => {
    const c = container({ maxProvisionedKeys: 1 });
    expect(await c.resolve(user("kp_alice"))).toMatchObject({ source: "user" });
    const calls = { ...standIn.calls };
    expect(await c.resolve(user("kp_bob", ["plan:pro"]))).toEqual({
      key: PRO_POOL,
      tier: "pro",
      source: "pool",
      error: "key_ceiling: 1 keys are provisioned (maxProvisionedKeys)",
    });
    expect(standIn.calls).toEqual(calls);
    expect(userKeys().map((k) => k.name)).toEqual(["keygate-kp_alice"]);
    await expectNothingOrphaned();
    expect(await provisionedCount()).toBe(1);
  });

  it("deletes a key that could not join its plan, so nothing is orphaned", async () => {
    standIn.fail("CreateUsagePlanKey", "throttle", 1);
    const c = container();
    expect(await c.resolve(user("kp_alice"))).toMatchObject({ key: FREE_POOL, source: "pool", error: expect.stringMatching(/^provision_throttled: CreateUsagePlanKey/) });
    await c.resolver.settled();
    expect(userKeys()).toEqual([]);
    expect(standIn.calls).toMatchObject({ CreateApiKey: 1, CreateUsagePlanKey: 1, DeleteApiKey: 1 });
    expect(c.events.map((e) => e.event)).toEqual(["key_discarded"]);
    await expectNothingOrphaned();
  });

  it("retries a throttled delete, and reports a key it cannot delete as a possible orphan", async () => {
    standIn.fail("CreateUsagePlanKey", "server-error", 2);
    standIn.fail("DeleteApiKey", "throttle", 2);
    const c = container();
    await c.resolve(user("kp_alice"));
    await c.resolver.settled();
    expect(userKeys()).toEqual([]); // deleted at the third attempt
    expect(standIn.calls.DeleteApiKey).toBe(3);

    standIn.fail("DeleteApiKey", "throttle");
    clock += 30_000;
    await c.resolve(user("kp_alice"));
    await c.resolver.settled();
    const [orphan] = userKeys();
    expect(c.events.at(-1)).toEqual({
      event: "possible_orphan",
      principal: "kp_alice",
      api_key_id: orphan!.id,
      detail: expect.stringMatching(/^CreateUsagePlanKey failed: .*; deleting the key failed: TooManyRequestsException .*; its counter slot is kept$/),
    });
    expect(standIn.memberships()[orphan!.id]).toEqual([]);
    await expectNothingOrphaned([orphan!.id]);
  });
});

describe("the keys' tags", () => {
  const STACK = "keygate-authorizer-0a1b2c3d";
  const AUTHORIZER_TAGS = { "keygate:stack": STACK, "keygate:created-by": "authorizer" };

  it("tags every key it creates with its deployment's stack (KEYGATE_STACK_TAG) and created-by authorizer", async () => {
    const c = container({}, { KEYGATE_STACK_TAG: STACK });
    await c.resolve(user("kp_alice"));
    await c.resolve(user("org:org_acme"));
    expect(userKeys().map((key) => key.tags)).toEqual([AUTHORIZER_TAGS, AUTHORIZER_TAGS]);
    await expectNothingOrphaned();
  });

  it("creates keys untagged when no stack is named (npm start)", async () => {
    await container().resolve(user("kp_alice"));
    expect(userKeys().map((key) => key.tags)).toEqual([{}]);
  });

  it("can still retire and discard its own keys when the role may delete only keys with its tags", async () => {
    standIn.deleteOnlyKeysTagged(AUTHORIZER_TAGS);
    const env = { KEYGATE_STACK_TAG: STACK };
    const c = container({ retiredKeyGraceSeconds: 600 }, env);
    const free = await c.resolve(user("kp_alice"));
    await c.resolve(user("kp_alice", ["plan:pro"]));
    clock += 660_000;
    const later = container({ retiredKeyGraceSeconds: 600 }, env);
    await later.resolve(user("kp_alice", ["plan:pro"]));
    await later.resolver.settled();
    expect(standIn.key(free.keyId!)).toBeUndefined();
    expect(later.events.map((e) => e.event)).toEqual(["key_retired"]);

    standIn.fail("CreateUsagePlanKey", "server-error", 1);
    const discarding = container({}, env);
    await discarding.resolve(user("kp_bob"));
    await discarding.resolver.settled();
    expect(discarding.events.map((e) => e.event)).toEqual(["key_discarded"]);
    await expectNothingOrphaned();
  });

  it("is refused, as IAM refuses it, when deleting a key without its tags: a pool key, another deployment's key, an untagged one", async () => {
    standIn.deleteOnlyKeysTagged(AUTHORIZER_TAGS);
    const other = standIn.addKey({ name: "keygate-kp_x", tags: { "keygate:stack": "keygate-authorizer-ffffffff", "keygate:created-by": "authorizer" } });
    const pulumis = standIn.addKey({ name: "keygate-kp_y", tags: { "keygate:stack": STACK, "keygate:created-by": "pulumi" } });
    for (const id of [poolKeyIds[0]!, other.id, pulumis.id, "nosuchkey1"]) {
      await expect(new APIGatewayClient({ maxAttempts: 1 }).send(new DeleteApiKeyCommand({ apiKey: id })), id).rejects.toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } });
    }
    expect(standIn.key(poolKeyIds[0]!)).toBeDefined();
    expect(standIn.key(other.id)).toBeDefined();
    expect(standIn.key(pulumis.id)).toBeDefined();
  });

  it("a key the authorizer created untagged cannot be discarded under that policy, and is reported as a possible orphan", async () => {
    standIn.deleteOnlyKeysTagged(AUTHORIZER_TAGS);
    standIn.fail("CreateUsagePlanKey", "server-error", 1);
    const c = container();
    await c.resolve(user("kp_alice"));
    await c.resolver.settled();
    const [orphan] = userKeys();
    expect(c.events.at(-1)).toMatchObject({ event: "possible_orphan", api_key_id: orphan!.id, detail: expect.stringMatching(/AccessDeniedException/) });
    await expectNothingOrphaned([orphan!.id]);
  });

  it("refuses tags API Gateway would refuse", async () => {
    const create = (tags: Record<string, string>) => new APIGatewayClient({ maxAttempts: 1 }).send(new CreateApiKeyCommand({ name: "k", tags }));
    await expect(create({ "aws:stack": "x" })).rejects.toMatchObject({ name: "BadRequestException" });
    await expect(create({ stack: "x".repeat(257) })).rejects.toMatchObject({ name: "BadRequestException" });
    const created = await create({ "keygate:stack": STACK });
    expect(created.tags).toEqual({ "keygate:stack": STACK });
    expect(standIn.key(created.id!)?.tags).toEqual({ "keygate:stack": STACK });
  });
});

describe("when API Gateway is slow, hangs or is down", () => {
  it("serves the pool key within provisionTimeoutMs, lets slow provisioning finish in the background, then uses the key", async () => {
    // CreateApiKey is held until the request has been answered: provisioning outlives the budget.
    const creation = standIn.hold("CreateApiKey");
    const c = container({ provisionTimeoutMs: EXPIRING_BUDGET_MS });
    const started = performance.now();
    const first = await c.resolve(user("kp_alice"));
    expect(performance.now() - started).toBeLessThan(EXPIRING_BUDGET_MS + 5_000);
    expect(first).toMatchObject({ key: FREE_POOL, source: "pool", error: `provision_timeout: not done within ${EXPIRING_BUDGET_MS} ms; it goes on in the background` });
    await creation.arrived(1);
    creation.release();
    await c.resolver.settled();
    const [key] = userKeys();
    expect(await c.resolve(user("kp_alice"))).toEqual({ key: key!.value, keyId: key!.id, tier: "free", source: "user" });
    await expectNothingOrphaned();
  });

  it("serves the pool key within the bound when API Gateway hangs, and keeps the slot of a key that may exist", async () => {
    standIn.fail("CreateApiKey", "hang");
    const c = container({ provisionTimeoutMs: EXPIRING_BUDGET_MS }, {}, HUNG_CALL_TIMEOUT_MS);
    const started = performance.now();
    expect(await c.resolve(user("kp_alice"))).toMatchObject({ key: FREE_POOL, source: "pool", error: expect.stringMatching(/^provision_timeout/) });
    expect(performance.now() - started).toBeLessThan(EXPIRING_BUDGET_MS + 5_000);
    await c.resolver.settled(); // the call itself is abandoned after apiCallTimeoutMs
    expect(userKeys()).toEqual([]);
    expect(c.events).toEqual([
      { event: "possible_orphan", principal: "kp_alice", usage_plan_id: FREE_PLAN, detail: expect.stringMatching(/^CreateApiKey may have created a key named keygate-kp_alice: AbortError/) },
    ]);
    // Nothing was created here, but the caller cannot know that: the counter errs high, never low.
    expect(await provisionedCount()).toBe(1);
    expect(await mappings()).toEqual([]);
  });

  it("reports the key a timed-out CreateApiKey did create", async () => {
    standIn.fail("CreateApiKey", "apply-then-hang", 1);
    const c = container({ provisionTimeoutMs: EXPIRING_BUDGET_MS }, {}, HUNG_CALL_TIMEOUT_MS);
    expect(await c.resolve(user("kp_alice"))).toMatchObject({ source: "pool", error: expect.stringMatching(/^provision_timeout/) });
    await c.resolver.settled();
    const [orphan] = userKeys();
    expect(orphan).toMatchObject({ name: "keygate-kp_alice" });
    expect(c.events.map((e) => e.event)).toEqual(["possible_orphan"]);
    await expectNothingOrphaned([orphan!.id]);

    // A later attempt provisions normally; the orphan stays findable by its name until cleaned up.
    standIn.heal();
    clock += 30_000;
    expect(await c.resolve(user("kp_alice"))).toMatchObject({ source: "user" });
    await expectNothingOrphaned([orphan!.id]);
  });

  it("serves the pool key when API Gateway is unreachable, and gives the slot back", async () => {
    process.env.AWS_ENDPOINT_URL_API_GATEWAY = await closedPortUrl();
    const c = container();
    const started = performance.now();
    expect(await c.resolve(user("kp_alice", ["plan:pro"]))).toMatchObject({
      key: PRO_POOL,
      tier: "pro",
      source: "pool",
      error: expect.stringMatching(/^provision_failed: CreateApiKey: Error: connect ECONNREFUSED/),
    });
    expect(performance.now() - started).toBeLessThan(5_000);
    await c.resolver.settled();
    expect(await provisionedCount()).toBe(0);
    expect(c.events).toEqual([]);
    expect(standIn.calls.CreateApiKey).toBe(0);
  });
});

describe("when DynamoDB fails", () => {
  let broken: LoopbackServer | undefined;
  afterEach(async () => {
    await broken?.stop();
    broken = undefined;
  });

  it("serves the pool key and never calls API Gateway when the table is unreachable", async () => {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = await closedPortUrl();
    const c = container();
    expect(await c.resolve(user("kp_alice", ["plan:pro"]))).toMatchObject({ key: PRO_POOL, tier: "pro", source: "pool", error: expect.stringMatching(/^store_unavailable: .*ECONNREFUSED/) });
    expect(standIn.calls.CreateApiKey).toBe(0);
  });

  it("serves the pool key within the bound when the table hangs", async () => {
    broken = await startLoopbackServer(() => undefined);
    process.env.AWS_ENDPOINT_URL_DYNAMODB = broken.url;
    const c = container({ provisionTimeoutMs: 300 });
    const started = performance.now();
    expect(await c.resolve(user("kp_alice"))).toMatchObject({ key: FREE_POOL, source: "pool", error: expect.stringMatching(/^store_unavailable/) });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(standIn.calls.CreateApiKey).toBe(0);
  });

  it("leaves an item it cannot read alone, serving the pool key", async () => {
    await aws.client.send(new PutItemCommand({ TableName: aws.tableName, Item: { pk: { S: "user#kp_alice" }, apiKeyId: { S: "x" } } }));
    expect(await container().resolve(user("kp_alice"))).toMatchObject({ key: FREE_POOL, source: "pool", error: expect.stringMatching(/^mapping_unreadable: the item user#kp_alice/) });
    expect(standIn.calls.CreateApiKey).toBe(0);
  });
});

describe("the stand-in checks requests as API Gateway does", () => {
  function client() {
    return new APIGatewayClient({ maxAttempts: 1 });
  }

  it("refuses a key in two plans of the same stage, an unknown key type, and unknown ids", async () => {
    const key = standIn.addKey({ name: "k" }, FREE_PLAN);
    await expect(client().send(new CreateUsagePlanKeyCommand({ usagePlanId: PRO_PLAN, keyId: key.id, keyType: "API_KEY" }))).rejects.toMatchObject({
      name: "ConflictException",
      message: expect.stringMatching(/cannot reference multiple Usage Plans with the same API Stage: puhdx84jy9:prod/),
    });
    await expect(client().send(new CreateUsagePlanKeyCommand({ usagePlanId: PRO_PLAN, keyId: key.id, keyType: "OTHER" }))).rejects.toMatchObject({ name: "BadRequestException" });
    await expect(client().send(new CreateUsagePlanKeyCommand({ usagePlanId: "nope", keyId: key.id, keyType: "API_KEY" }))).rejects.toMatchObject({ name: "NotFoundException" });
    await expect(client().send(new DeleteUsagePlanKeyCommand({ usagePlanId: PRO_PLAN, keyId: key.id }))).rejects.toMatchObject({ name: "NotFoundException" });
    await client().send(new DeleteUsagePlanKeyCommand({ usagePlanId: FREE_PLAN, keyId: key.id }));
    await client().send(new CreateUsagePlanKeyCommand({ usagePlanId: PRO_PLAN, keyId: key.id, keyType: "API_KEY" }));
    expect(standIn.memberships()[key.id]).toEqual([PRO_PLAN]);
  });

  it("lists keys by name, with values only when asked", async () => {
    standIn.addKey({ name: "keygate-kp_x", value: "ValueOfKeyX0123456789abcdef" });
    const plain = await client().send(new GetApiKeysCommand({ nameQuery: "keygate-kp_x" }));
    expect(plain.items?.map((k) => [k.name, k.value])).toEqual([["keygate-kp_x", undefined]]);
    const withValues = await client().send(new GetApiKeysCommand({ nameQuery: "keygate-kp_x", includeValues: true }));
    expect(withValues.items?.[0]?.value).toBe("ValueOfKeyX0123456789abcdef");
  });

  it("refuses unsigned requests", async () => {
    const response = await fetch(`${standIn.url}/apikeys`, { method: "POST", body: "{}" });
    expect(response.status).toBe(403);
    expect(response.headers.get("x-amzn-errortype")).toMatch(/^MissingAuthenticationTokenException:/);
  });
});
