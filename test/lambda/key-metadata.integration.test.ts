/**
 * Binding keys to their Kinde API and type, over the real protocols: Kinde as the loopback emulator
 * (verify and `GET /api/v1/api_keys/{key_id}`), DynamoDB as dynalite. Also: a redirecting or
 * misaddressed Kinde is an outage, never an Allow and never a cached verdict.
 */
import { PutItemCommand, ScanCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clientSecretSource } from "../../lambda/kinde/client-secret";
import type { AuditRecord } from "../../lambda/audit/audit-log";
import { createAuthorizer } from "../../lambda/authorizer";
import { authorizerFromConfig } from "../../lambda/authorizer-from-config";
import { DynamoDbKeyMetadataStore } from "../../lambda/cache/dynamodb-key-metadata-store";
import { DynamoDbVerdictStore } from "../../lambda/cache/dynamodb-verdict-store";
import { MemoryVerdictCache } from "../../lambda/cache/memory-verdict-cache";
import { loadConfig } from "../../lambda/config";
import { needsKeyMetadata } from "../../lambda/decision";
import { KindeKeyMetadataClient } from "../../lambda/kinde/key-metadata-client";
import { KeyMetadataResolver } from "../../lambda/kinde/key-metadata-resolver";
import { M2MTokenProvider } from "../../lambda/kinde/m2m-token";
import { KindeVerifyClient } from "../../lambda/kinde/verify-client";
import type { Verdict } from "../../lambda/verdict/verdict";
import { VerdictResolver } from "../../lambda/verdict/verdict-resolver";
import { HeldCalls } from "../../local/held-calls";
import { LOCAL_KINDE_API_ID, type LocalKey } from "../../local/kinde-emulator";
import { requestEvent } from "../support/aws-events";
import { hashKey } from "../../lambda/key/fingerprint";
import { UNHURRIED_BUDGETS, useKindeEmulator, useLoopbackAws } from "../support/loopback-aws";
import { startLoopbackServer, type LoopbackServer } from "../support/loopback-server";

const CLIENT_SECRET = "m2m-secret-for-metadata";
const OUR_API = "api_ours_0123";
const USER = "k_live_meta_user_0123456789abcdef";
const OTHER_API = "k_live_meta_other_0123456789abcdef";
const ORG_WITH_USER = "k_live_meta_orguser_0123456789abcdef";
const ENVIRONMENT = "k_live_meta_env_0123456789abcdef";
const LEGACY = "k_live_meta_legacy_0123456789abcdef";
// USER after a rotation at Kinde: a new secret, the same key id.
const USER_ROTATED = "k_live_meta_user_rotated_0123456789abcdef";
const KEYS: LocalKey[] = [
  { api_key: USER, key_id: "api_key_user", user_id: "kp_user", scopes: ["read"], api_ids: [OUR_API], type: "user" },
  { api_key: USER_ROTATED, key_id: "api_key_user", user_id: "kp_user", scopes: ["read"], api_ids: [OUR_API], type: "user" },
  { api_key: OTHER_API, key_id: "api_key_other", user_id: "kp_other", scopes: ["read"], api_ids: ["api_someone_else"], type: "user" },
  // As in Kinde's own quick-start sample verify answer: an org_code and a user_id.
  { api_key: ORG_WITH_USER, key_id: "api_key_org", user_id: "kp_member", org_code: "org_acme", scopes: ["read"], api_ids: [OUR_API], type: "organization" },
  { api_key: ENVIRONMENT, key_id: "api_key_env", user_id: "kp_env", scopes: ["read"], api_ids: [OUR_API], type: "environment" },
  // Written before keys had metadata: issued for the local gateway's own API, a user key.
  { api_key: LEGACY, key_id: "api_key_legacy", user_id: "kp_legacy", scopes: ["read"] },
];

const kinde = useKindeEmulator({ clientId: "keygate-meta", clientSecret: CLIENT_SECRET, keys: () => KEYS, tokenLifetimeSeconds: 3600 });
const aws = useLoopbackAws("keygate-meta");

function container(env: Record<string, string> = {}, now?: () => number) {
  const records: AuditRecord[] = [];
  const config = loadConfig({
    KINDE_DOMAIN: kinde.url,
    KINDE_M2M_CLIENT_ID: "keygate-meta",
    KINDE_M2M_CLIENT_SECRET: CLIENT_SECRET,
    CACHE_TABLE_NAME: aws.tableName,
    ...env,
  });
  const handler = authorizerFromConfig(config, (record) => records.push(record), {}, now ? { now } : {});
  return { handler, records, last: () => records[records.length - 1]! };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the authorizer to throw");
}

async function items(): Promise<Record<string, AttributeValue>[]> {
  const { Items } = await aws.client.send(new ScanCommand({ TableName: aws.tableName }));
  return Items ?? [];
}

describe("with KINDE_API_IDS", () => {
  const bound = { KINDE_API_IDS: `api_unrelated,${OUR_API}` };

  it("allows a user key issued for one of the APIs, and audits where the metadata came from", async () => {
    const c = container(bound);
    await expect(c.handler(requestEvent(`Bearer ${USER}`))).resolves.toMatchObject({ principalId: "kp_user" });
    expect(c.last()).toMatchObject({ decision: "allow", key_metadata_source: "kinde", key_type: "user" });
    await c.handler(requestEvent(`Bearer ${USER}`));
    // The container's verdict carries the metadata, and so does the DynamoDB item another container reads.
    expect(c.last()).toMatchObject({ decision: "allow", verdict_source: "memory", key_metadata_source: "with-verdict" });
    const other = container(bound);
    await other.handler(requestEvent(`Bearer ${USER}`));
    expect(other.last()).toMatchObject({ decision: "allow", verdict_source: "dynamodb", key_metadata_source: "with-verdict", key_type: "user" });
    expect(kinde.calls.keyMetadata).toBe(1);
  });

  it("refuses a key issued for another API of the business as wrong_api", async () => {
    const c = container(bound);
    expect((await rejection(c.handler(requestEvent(`Bearer ${OTHER_API}`)))).message).toBe("Unauthorized");
    expect(c.last()).toMatchObject({ decision: "deny", reason: "wrong_api", key_metadata_source: "kinde", key_id: "api_key_other" });
  });

  it("accepts a key written without metadata only for the local gateway's own API", async () => {
    expect((await rejection(container(bound).handler(requestEvent(`Bearer ${LEGACY}`)))).message).toBe("Unauthorized");
    await expect(container({ KINDE_API_IDS: LOCAL_KINDE_API_ID }).handler(requestEvent(`Bearer ${LEGACY}`))).resolves.toMatchObject({ principalId: "kp_legacy" });
  });

  it("stores only the key id, api_ids, type and created_on, for KEY_METADATA_TTL_SECONDS", async () => {
    const before = Date.now();
    await container({ ...bound, KEY_METADATA_TTL_SECONDS: "3600" }).handler(requestEvent(`Bearer ${USER}`));
    const item = (await items()).find((i) => i.pk?.S === "keymeta#api_key_user");
    expect(item).toBeDefined();
    expect(Object.keys(item!).sort()).toEqual(["apiIds", "createdOn", "expiresAt", "keyType", "pk", "usableUntil"]);
    expect(item!.apiIds).toEqual({ L: [{ S: OUR_API }] });
    const usableUntil = Number(item!.usableUntil!.N);
    expect(usableUntil).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(Number(item!.expiresAt!.N)).toBe(Math.ceil(usableUntil / 1000));
    expect(JSON.stringify(await items())).not.toContain(USER);
  });

  it("answers a failed metadata lookup with an error, never an Allow, and allows once Kinde answers", async () => {
    kinde.keyMetadataMode = "server-error";
    const c = container(bound);
    expect((await rejection(c.handler(requestEvent(`Bearer ${USER}`)))).message).toBe("Authorizer error: key verification is unavailable");
    expect(c.last()).toMatchObject({ decision: "error", reason: "upstream_unavailable", key_id: "api_key_user" });
    expect(c.last().upstream_error).toMatch(/^kinde_server_error: the key metadata endpoint answered 503/);
    // The verdict itself was stored, without metadata: the next request reads the metadata alone.
    const stored = (await items()).find((i) => i.pk?.S?.startsWith("verdict#"));
    expect(stored).toMatchObject({ valid: { BOOL: true } });
    expect(stored).not.toHaveProperty("keyApiIds");
    kinde.keyMetadataMode = "normal";
    await expect(c.handler(requestEvent(`Bearer ${USER}`))).resolves.toMatchObject({ principalId: "kp_user" });
    expect(c.last()).toMatchObject({ verdict_source: "memory", key_metadata_source: "kinde" });
  });
});

describe("the key's metadata stored with its verdict", () => {
  const bound = { KINDE_API_IDS: OUR_API, ...UNHURRIED_BUDGETS };
  const operations = () => ({ get: aws.dynamo.operations.get("GetItem") ?? 0, put: aws.dynamo.operations.get("PutItem") ?? 0 });
  /** DynamoDB calls made by `work`, by operation. */
  async function counted(work: () => Promise<unknown>): Promise<{ get: number; put: number }> {
    const before = operations();
    await work();
    const after = operations();
    return { get: after.get - before.get, put: after.put - before.put };
  }
  const verdictItem = async () => (await items()).find((i) => i.pk?.S?.startsWith("verdict#"));

  it("costs a first miss two reads and one round of writes; a DynamoDB hit one GetItem, a memory hit none", async () => {
    const before = Date.now();
    const first = container({ ...bound, KEY_METADATA_TTL_SECONDS: "3600" });
    // Verdict item (absent), metadata item by key id (absent), then the verdict item and the metadata item written together.
    expect(await counted(() => first.handler(requestEvent(`Bearer ${USER}`)))).toEqual({ get: 2, put: 2 });
    expect(first.last()).toMatchObject({ decision: "allow", verdict_source: "kinde", key_metadata_source: "kinde" });
    const item = await verdictItem();
    expect(item).toMatchObject({ keyId: { S: "api_key_user" }, keyApiIds: { L: [{ S: OUR_API }] }, keyType: { S: "user" } });
    expect(Number(item!.keyMetadataUsableUntil!.N)).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(Number(item!.keyMetadataUsableUntil!.N)).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(JSON.stringify(item)).not.toContain(USER);

    const second = container(bound);
    expect(await counted(() => second.handler(requestEvent(`Bearer ${USER}`)))).toEqual({ get: 1, put: 0 });
    expect(second.last()).toMatchObject({ decision: "allow", verdict_source: "dynamodb", key_metadata_source: "with-verdict", key_type: "user" });
    expect(await counted(() => second.handler(requestEvent(`Bearer ${USER}`)))).toEqual({ get: 0, put: 0 });
    expect(second.last()).toMatchObject({ decision: "allow", verdict_source: "memory", key_metadata_source: "with-verdict" });
    expect(kinde.calls).toMatchObject({ verify: 1, keyMetadata: 1 });
  });

  it("refuses a key of another API on a DynamoDB hit from the metadata the verdict carries", async () => {
    await rejection(container(bound).handler(requestEvent(`Bearer ${OTHER_API}`)));
    const c = container(bound);
    let refusal: Error | undefined;
    expect(await counted(async () => (refusal = await rejection(c.handler(requestEvent(`Bearer ${OTHER_API}`)))))).toEqual({ get: 1, put: 0 });
    expect(refusal?.message).toBe("Unauthorized");
    expect(c.last()).toMatchObject({ decision: "deny", reason: "wrong_api", verdict_source: "dynamodb", key_metadata_source: "with-verdict" });
    expect(kinde.calls.keyMetadata).toBe(1);
  });

  it("refreshes a verdict with one GetItem and one PutItem: the metadata comes from the verdict it replaces", async () => {
    let clock = Date.now();
    const env = { ...bound, CACHE_TTL_SECONDS: "60", STALE_IF_ERROR_SECONDS: "600" };
    await container(env, () => clock).handler(requestEvent(`Bearer ${USER}`));
    clock += 61_000;
    const later = container(env, () => clock);
    expect(await counted(() => later.handler(requestEvent(`Bearer ${USER}`)))).toEqual({ get: 1, put: 1 });
    expect(later.last()).toMatchObject({ decision: "allow", verdict_source: "kinde", key_metadata_source: "with-verdict" });
    expect(kinde.calls).toMatchObject({ verify: 2, keyMetadata: 1 });
    expect(Number((await verdictItem())!.verifiedAt!.N)).toBe(clock);
  });

  it("reads a rotated key's metadata from the item kept per key id, not from Kinde", async () => {
    await container(bound).handler(requestEvent(`Bearer ${USER}`));
    const c = container(bound);
    // Verdict item of the new secret (absent), metadata item (present); only the verdict is written.
    expect(await counted(() => c.handler(requestEvent(`Bearer ${USER_ROTATED}`)))).toEqual({ get: 2, put: 1 });
    expect(c.last()).toMatchObject({ decision: "allow", verdict_source: "kinde", key_metadata_source: "dynamodb" });
    expect(kinde.calls).toMatchObject({ verify: 2, keyMetadata: 1 });
    const rotated = (await items()).filter((i) => i.pk?.S?.startsWith("verdict#") && i.keyApiIds !== undefined);
    expect(rotated).toHaveLength(2);
  });

  it("still answers from a verdict item written without metadata, reading the metadata item beside it", async () => {
    const lifetimes = { positiveMs: 300_000, negativeMs: 30_000 };
    const store = new DynamoDbVerdictStore({ client: aws.client, tableName: aws.tableName, timeoutMs: 2_000, lifetimes, staleIfErrorMs: 0 });
    const now = Date.now();
    await store.put(hashKey(USER), { valid: true, keyId: "api_key_user", userId: "kp_user", scopes: ["read"], verifiedAt: now, freshUntil: now + 300_000 });
    await new DynamoDbKeyMetadataStore(aws.client, aws.tableName, 2_000).put({ metadata: { keyId: "api_key_user", apiIds: [OUR_API], type: "user" }, usableUntil: now + 3_600_000 });
    const c = container(bound);
    expect(await counted(() => c.handler(requestEvent(`Bearer ${USER}`)))).toEqual({ get: 2, put: 0 });
    expect(c.last()).toMatchObject({ decision: "allow", verdict_source: "dynamodb", key_metadata_source: "dynamodb" });
    expect(kinde.calls).toMatchObject({ verify: 0, keyMetadata: 0 });
  });

  it.each([
    ["expired", -1_000, "3600"],
    ["usable for longer than KEY_METADATA_TTL_SECONDS now allows", 86_400_000, "3600"],
  ])("does not use metadata carried by a verdict item when it is %s", async (_, usableFor, ttl) => {
    const lifetimes = { positiveMs: 300_000, negativeMs: 30_000 };
    const store = new DynamoDbVerdictStore({ client: aws.client, tableName: aws.tableName, timeoutMs: 2_000, lifetimes, staleIfErrorMs: 0 });
    const now = Date.now();
    // Carried metadata naming our API: were it used, the key would be allowed. Kinde says it belongs elsewhere.
    await store.put(hashKey(OTHER_API), {
      valid: true,
      keyId: "api_key_other",
      userId: "kp_other",
      scopes: ["read"],
      verifiedAt: now,
      freshUntil: now + 300_000,
      keyMetadata: { metadata: { keyId: "api_key_other", apiIds: [OUR_API], type: "user" }, usableUntil: now + usableFor },
    });
    const c = container({ ...bound, KEY_METADATA_TTL_SECONDS: ttl });
    expect((await rejection(c.handler(requestEvent(`Bearer ${OTHER_API}`)))).message).toBe("Unauthorized");
    expect(c.last()).toMatchObject({ decision: "deny", reason: "wrong_api", verdict_source: "dynamodb", key_metadata_source: "kinde" });
  });

  it.each<[string, Record<string, AttributeValue>]>([
    ["API ids that are not a list", { keyApiIds: { S: OUR_API } }],
    ["an API id that is not a string", { keyApiIds: { L: [{ N: "1" }] } }],
    ["a type that is not a string", { keyType: { N: "1" } }],
    ["no usable-until", { keyMetadataUsableUntil: { S: "later" } }],
  ])("reads a verdict item carrying metadata with %s as a verdict without metadata", async (_, corruption) => {
    await rejection(container(bound).handler(requestEvent(`Bearer ${OTHER_API}`)));
    const item = await verdictItem();
    // Were the carried metadata read, this key would belong to our API.
    await aws.client.send(new PutItemCommand({ TableName: aws.tableName, Item: { ...item!, keyApiIds: { L: [{ S: OUR_API }] }, ...corruption } }));
    const c = container(bound);
    expect((await rejection(c.handler(requestEvent(`Bearer ${OTHER_API}`)))).message).toBe("Unauthorized");
    expect(c.last()).toMatchObject({ decision: "deny", reason: "wrong_api", verdict_source: "dynamodb", key_metadata_source: "dynamodb" });
  });

  it("never lets an older verdict with metadata replace a newer one", async () => {
    const lifetimes = { positiveMs: 300_000, negativeMs: 30_000 };
    const store = new DynamoDbVerdictStore({ client: aws.client, tableName: aws.tableName, timeoutMs: 2_000, lifetimes, staleIfErrorMs: 0 });
    const now = Date.now();
    const verifications = (kinde.verifyHold = new HeldCalls());
    const c = container(bound, () => now);
    const answered = c.handler(requestEvent(`Bearer ${USER}`));
    await verifications.arrived(1);
    // Another container stores a refusal made after this container's verify was asked.
    await store.put(hashKey(USER), { valid: false, reason: "inactive_key", verifiedAt: now + 1_000, freshUntil: now + 31_000 });
    verifications.release();
    await expect(answered).resolves.toMatchObject({ principalId: "kp_user" });
    const item = await verdictItem();
    expect(item).toMatchObject({ valid: { BOOL: false }, verifiedAt: { N: String(now + 1_000) } });
    expect(item).not.toHaveProperty("keyApiIds");
  });
});

describe("key types from Kinde's metadata", () => {
  it.each<Record<string, string>>([{}, { KINDE_API_IDS: OUR_API }])("refuses an organization key carrying a user_id unless ALLOW_ORG_KEYS (%j)", async (env) => {
    const c = container(env);
    expect((await rejection(c.handler(requestEvent(`Bearer ${ORG_WITH_USER}`)))).message).toBe("Unauthorized");
    expect(c.last()).toMatchObject({ decision: "deny", reason: "org_key_not_allowed", key_type: "organization" });

    const allowed = await container({ ...env, ALLOW_ORG_KEYS: "true" }).handler(requestEvent(`Bearer ${ORG_WITH_USER}`));
    expect(allowed.principalId).toBe("org:org_acme");
    expect(allowed.context).not.toHaveProperty("user_id");
  });

  it("refuses an environment key, even with organization keys allowed", async () => {
    const c = container({ KINDE_API_IDS: OUR_API, ALLOW_ORG_KEYS: "true" });
    expect((await rejection(c.handler(requestEvent(`Bearer ${ENVIRONMENT}`)))).message).toBe("Unauthorized");
    expect(c.last()).toMatchObject({ decision: "deny", reason: "environment_key_not_allowed", key_type: "environment" });
  });

  it("asks nothing more of Kinde for a plain user key when no API ids are set", async () => {
    await expect(container().handler(requestEvent(`Bearer ${USER}`))).resolves.toMatchObject({ principalId: "kp_user" });
    expect(kinde.calls).toEqual({ token: 1, verify: 1, keyMetadata: 0 });
  });
});

describe("metadata lifetime", () => {
  it.each([
    ["looked up beside the verdict", false],
    ["stored with the verdict", true],
  ])("is fetched once per key id per KEY_METADATA_TTL_SECONDS across many verdict refreshes, in every container (%s)", async (_, withVerdict) => {
    const start = 1_900_000_000_000;
    let clock = start;
    const now = () => clock;
    const ttlMs = 3_600_000;
    const verdictLifetimeMs = 60_000;
    const container = () => {
      const tokens = new M2MTokenProvider(kinde.url, "keygate-meta", clientSecretSource({ clientSecret: CLIENT_SECRET }), now);
      const records: AuditRecord[] = [];
      const config = { requiredScopes: [], allowOrgKeys: false, routeRules: [], kindeApiIds: [OUR_API] };
      const keyMetadata = new KeyMetadataResolver({
        kinde: new KindeKeyMetadataClient(kinde.url, tokens),
        store: new DynamoDbKeyMetadataStore(aws.client, aws.tableName, 1_000),
        memoryMaxEntries: 100,
        ttlMs,
        timeoutMs: 5_000,
        now,
      });
      const handler = createAuthorizer({
        config,
        verdicts: new VerdictResolver({
          memory: new MemoryVerdictCache({ maxEntries: 100, ttlMs: 30_000, lifetimes: { positiveMs: verdictLifetimeMs, negativeMs: 30_000 } }),
          store: new DynamoDbVerdictStore({ client: aws.client, tableName: aws.tableName, timeoutMs: 1_000, lifetimes: { positiveMs: verdictLifetimeMs, negativeMs: 30_000 }, staleIfErrorMs: 0 }),
          kinde: new KindeVerifyClient(kinde.url, tokens, now),
          lifetimes: { positiveMs: verdictLifetimeMs, negativeMs: 30_000 },
          staleIfErrorMs: 0,
          verifyTimeoutMs: 5_000,
          ...(withVerdict ? { keyMetadata: { resolver: keyMetadata, needed: (verdict: Verdict) => needsKeyMetadata(verdict, config) } } : {}),
          now,
        }),
        keyMetadata,
        audit: (record) => records.push(record),
      });
      return { handler, records };
    };

    const first = container();
    const second = container();
    // An hour of verdict refreshes, each just after the last verdict expired, alternating between two containers.
    const step = verdictLifetimeMs + 1_000;
    const refreshes = Math.floor(ttlMs / step) - 1;
    for (let i = 0; i < refreshes; i++) {
      await expect((i % 2 === 0 ? first : second).handler(requestEvent(`Bearer ${USER}`))).resolves.toMatchObject({ principalId: "kp_user" });
      clock += step;
    }
    expect(kinde.calls.verify).toBe(refreshes);
    expect(kinde.calls.keyMetadata).toBe(1);
    expect(first.records[0]).toMatchObject({ key_metadata_source: "kinde" });
    expect(second.records[0]).toMatchObject({ key_metadata_source: "dynamodb" });
    // The first container's next refresh: its own expired verdict carries the metadata, or its memory holds it by key id.
    expect(first.records[1]).toMatchObject({ key_metadata_source: withVerdict ? "with-verdict" : "memory" });

    // Past its lifetime the metadata is read again, once, and shared again.
    clock = start + ttlMs;
    await first.handler(requestEvent(`Bearer ${USER}`));
    await second.handler(requestEvent(`Bearer ${USER}`));
    await container().handler(requestEvent(`Bearer ${USER}`));
    expect(kinde.calls.keyMetadata).toBe(2);
  });
});

describe("a Kinde that is not Kinde", () => {
  let elsewhere: LoopbackServer;
  const received: string[] = [];
  beforeAll(async () => {
    elsewhere = await startLoopbackServer((req: IncomingMessage, res) => {
      received.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ access_token: "forged", expires_in: 3600, is_valid: true, status: "active", key_id: "api_key_user", user_id: "kp_attacker", api_key: { api_ids: [OUR_API], type: "user" } }));
    });
  });
  afterAll(() => elsewhere.stop());
  beforeEach(() => {
    received.length = 0;
  });

  it.each([
    ["token", 308],
    ["verify", 307],
    ["key-metadata", 307],
  ] as const)("redirecting its %s endpoint (%i) gets nothing sent elsewhere and no Allow", async (endpoint, status) => {
    kinde.redirect = { endpoint, status, location: `${elsewhere.url}/steal` };
    const c = container({ KINDE_API_IDS: OUR_API });
    const error = await rejection(c.handler(requestEvent(`Bearer ${USER}`)));
    expect(error.message).toBe("Authorizer error: key verification is unavailable");
    expect(c.last()).toMatchObject({ decision: "error", reason: "upstream_unavailable" });
    expect(c.last().upstream_error).toMatch(new RegExp(`^kinde_redirect: .*HTTP ${status}`));
    expect(received).toEqual([]);
    // Whatever failed was not remembered: no verdict when verify could not be asked, no metadata when it could not be read.
    expect(JSON.stringify(await items())).not.toContain(endpoint === "key-metadata" ? "keymeta#" : "verdict#");
  });

  it("answering verify with its 404 route-not-found is an outage with a configuration hint, not a cached 401", async () => {
    kinde.verifyMode = "route-not-found";
    const c = container();
    const error = await rejection(c.handler(requestEvent(`Bearer ${USER}`)));
    expect(error.message).toBe("Authorizer error: key verification is unavailable");
    expect(c.last()).toMatchObject({ decision: "error", reason: "upstream_unavailable" });
    expect(c.last().upstream_error).toMatch(/^kinde_unexpected_status: Kinde answered 404 ROUTE_NOT_FOUND.*check KINDE_DOMAIN/);
    expect(await items()).toEqual([]);
    // Nothing was remembered either: once Kinde answers, the key works at once.
    kinde.verifyMode = "normal";
    await expect(c.handler(requestEvent(`Bearer ${USER}`))).resolves.toMatchObject({ principalId: "kp_user" });
  });

  it("answering verify with an HTML page is an outage, with nothing cached", async () => {
    kinde.verifyMode = "html";
    const c = container();
    expect((await rejection(c.handler(requestEvent(`Bearer ${USER}`)))).message).toBe("Authorizer error: key verification is unavailable");
    expect(c.last().upstream_error).toMatch(/KINDE_DOMAIN/);
    expect(await items()).toEqual([]);
  });
});
