/**
 * Keygate while things break or are abused, over the real protocols (dynalite, the Kinde emulator,
 * a Secrets Manager stand-in on loopback), each authorizer "container" with a clock the test moves.
 */
import { GetItemCommand, PutItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../lambda/audit/audit-log";
import { authorizerFromConfig } from "../../lambda/authorizer-from-config";
import { itemKey } from "../../lambda/cache/dynamodb-verdict-store";
import { loadConfig } from "../../lambda/config";
import { hashKey } from "../../lambda/key/fingerprint";
import type { KindeEmulatorOptions, LocalKey } from "../../local/kinde-emulator";
import { requestEvent } from "../support/aws-events";
import { startDynamoDbStandIn, startSecretsManagerStandIn } from "../support/aws-stand-ins";
import { FakeClock } from "../support/fake-clock";
import { useKindeEmulator, useLoopbackAws } from "../support/loopback-aws";
import { type LoopbackServer } from "../support/loopback-server";

const CLIENT_SECRET = "m2m-secret-before-rotation";
const ROTATED_SECRET = "m2m-secret-after-rotation";
const ALICE = "k_live_alice_0123456789abcdef";
const BOB = "k_live_bob_0123456789abcdef";
const UNKNOWN = "k_live_unknown_0123456789abcdef";
const ACTIVE_KEYS: LocalKey[] = [
  { api_key: ALICE, key_id: "api_key_alice", user_id: "kp_alice", scopes: ["read:profile"] },
  { api_key: BOB, key_id: "api_key_bob", user_id: "kp_bob", scopes: ["read:profile"] },
];
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keygate-kinde-AbCdEf";
const UNAVAILABLE = "Authorizer error: key verification is unavailable";

let keys: LocalKey[] = ACTIVE_KEYS;
// The emulator reads these options on every request: a test rotates the secret by changing them.
const kindeOptions: KindeEmulatorOptions = { clientId: "keygate-test", clientSecret: CLIENT_SECRET, keys: () => keys, tokenLifetimeSeconds: 3600 };
const kinde = useKindeEmulator(kindeOptions);
const aws = useLoopbackAws("keygate-faults");

beforeEach(() => {
  keys = ACTIVE_KEYS;
  kindeOptions.clientSecret = CLIENT_SECRET;
});

function revoke(apiKey: string): void {
  keys = keys.map((key) => (key.api_key === apiKey ? { ...key, status: "revoked" } : key));
}

/** One authorizer container: its own memory, breaker, budget and token, sharing Kinde and DynamoDB. */
function container(env: Record<string, string> = {}, clock = new FakeClock(Date.now())) {
  const records: AuditRecord[] = [];
  const config = loadConfig({
    KINDE_DOMAIN: kinde.url,
    KINDE_M2M_CLIENT_ID: "keygate-test",
    KINDE_M2M_CLIENT_SECRET: CLIENT_SECRET,
    CACHE_TABLE_NAME: aws.tableName,
    ...env,
  });
  // random 0: the shortest cool-downs, so the most probes the breaker can let through.
  const handler = authorizerFromConfig(config, (record) => records.push(record), {}, { now: clock.now, random: () => 0 });
  /** "allow", "401" or "503", as API Gateway would answer. */
  const answer = (apiKey: string, sourceIp?: string): Promise<string> =>
    handler(event(apiKey, sourceIp)).then(
      () => "allow",
      (error: Error) => (error.message === "Unauthorized" ? "401" : error.message === UNAVAILABLE ? "503" : error.message),
    );
  return { handler, records, answer, clock, last: () => records[records.length - 1]! };
}

function event(apiKey: string, sourceIp?: string): APIGatewayRequestAuthorizerEvent {
  const e = requestEvent(`Bearer ${apiKey}`);
  if (sourceIp !== undefined) e.requestContext.identity.sourceIp = sourceIp;
  return e;
}

const randomKey = () => `k_live_${randomBytes(16).toString("hex")}`;
const kindeCalls = () => kinde.calls.verify + kinde.calls.token;

describe("the newest definitive verdict wins", () => {
  let proxy: LoopbackServer | undefined;
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  it("a revocation learnt while DynamoDB reads throttle is stored, and no container falls back to the old allow", async () => {
    const stale = { STALE_IF_ERROR_SECONDS: "600" };
    const clock = new FakeClock(Date.now());
    const a = container(stale, clock);
    expect(await a.answer(ALICE)).toBe("allow");

    // B's DynamoDB throttles every read but takes writes (a proxy in front of dynalite).
    const dynalite = aws.dynamo.endpoint;
    proxy = await startDynamoDbStandIn(dynalite, (operation) => (operation === "GetItem" ? "throttle" : "forward"));
    revoke(ALICE);
    clock.advance(301_000); // A's verdict is past its freshness, inside its stale window
    process.env.AWS_ENDPOINT_URL_DYNAMODB = proxy.url;
    const b = container(stale, clock);
    expect(await b.answer(ALICE)).toBe("401");
    expect(b.last()).toMatchObject({ reason: "inactive_key", verdict_source: "kinde" });
    expect(b.last().cache_error).toMatch(/Throttling/);
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynalite;

    // The refusal is stored, and kept as long as A's allow could be served stale.
    const { Item } = await aws.client.send(new GetItemCommand({ TableName: aws.tableName, Key: { pk: { S: itemKey(hashKey(ALICE)) } } }));
    expect(Item?.valid?.BOOL).toBe(false);
    expect(Number(Item?.expiresAt?.N) * 1000).toBeGreaterThanOrEqual(clock.now() + 300_000 + 600_000);

    // Kinde now fails. While the refusal is fresh every container answers it; after that, with A's
    // allow still inside its stale window (until 900 s), none allows the key again.
    kinde.verifyMode = "server-error";
    for (const [seconds, expected] of [
      [1, "401"],
      [60, "503"],
      [400, "503"],
    ] as const) {
      clock.advance(seconds * 1000);
      const c = container(stale, clock);
      expect([await a.answer(ALICE), await b.answer(ALICE), await c.answer(ALICE)]).toEqual([expected, expected, expected]);
    }
    expect(a.records.some((r) => r.reason === "stale_allow")).toBe(false);
  });
});

describe("stored verdicts are bounded on read", () => {
  it("lowering CACHE_TTL_SECONDS shortens verdicts already stored", async () => {
    const clock = new FakeClock(Date.now());
    expect(await container({ CACHE_TTL_SECONDS: "86400" }, clock).answer(ALICE)).toBe("allow");
    revoke(ALICE);
    const redeployed = container({ CACHE_TTL_SECONDS: "60", MEMORY_CACHE_TTL_SECONDS: "0" }, clock);
    clock.advance(59_000);
    expect(await redeployed.answer(ALICE)).toBe("allow");
    expect(redeployed.last().verdict_source).toBe("dynamodb");
    clock.advance(1_000);
    expect(await redeployed.answer(ALICE)).toBe("401");
    expect(redeployed.last()).toMatchObject({ reason: "inactive_key", verdict_source: "kinde" });
  });

  const now = Date.now();
  const good: Record<string, AttributeValue> = {
    valid: { BOOL: true },
    userId: { S: "kp_mallory" },
    scopes: { L: [{ S: "read:profile" }] },
    verifiedAt: { N: String(now) },
    freshUntil: { N: String(now + 300_000) },
    expiresAt: { N: String(Math.ceil((now + 300_000) / 1000)) },
  };
  const { expiresAt: _, ...withoutExpiresAt } = good;
  it.each([
    ["a verifiedAt 6 s in the future", { ...good, verifiedAt: { N: String(now + 6_000) } }],
    ["no expiresAt", withoutExpiresAt],
    ["a fractional expiresAt", { ...good, expiresAt: { N: String((now + 300_500) / 1000) } }],
    ["an expiresAt stored as a string", { ...good, expiresAt: { S: String(Math.ceil((now + 300_000) / 1000)) } }],
    ["valid stored as a string", { ...good, valid: { S: "true" } }],
    ["a verifiedAt stored as a string", { ...good, verifiedAt: { S: String(now) } }],
    ["a scope that is not a string", { ...good, scopes: { L: [{ S: "read:profile" }, { N: "1" }] } }],
    ["a freshUntil stored as a string", { ...good, freshUntil: { S: String(now + 300_000) } }],
  ])("treats an item with %s as a miss", async (_name, item) => {
    await aws.client.send(new PutItemCommand({ TableName: aws.tableName, Item: { pk: { S: itemKey(hashKey(UNKNOWN)) }, ...item } }));
    const c = container({}, new FakeClock(now));
    expect(await c.answer(UNKNOWN)).toBe("401");
    expect(c.last().verdict_source).toBe("kinde");
  });

  it("cannot even store a userId or keyId that is not a string: the table's indexes refuse it", async () => {
    for (const item of [{ ...good, userId: { N: "7" } }, { ...good, keyId: { N: "7" } }]) {
      await expect(aws.client.send(new PutItemCommand({ TableName: aws.tableName, Item: { pk: { S: itemKey(hashKey(UNKNOWN)) }, ...item } }))).rejects.toThrow(/Type mismatch for Index Key/);
    }
  });

  it("still reads the well-formed item those cases were made from", async () => {
    await aws.client.send(new PutItemCommand({ TableName: aws.tableName, Item: { pk: { S: itemKey(hashKey(UNKNOWN)) }, ...good } }));
    const c = container({}, new FakeClock(now));
    expect(await c.answer(UNKNOWN)).toBe("allow");
    expect(c.last().verdict_source).toBe("dynamodb");
  });
});

describe("the circuit breaker shields Kinde", () => {
  it.each([
    ["answering 500s", () => (kinde.verifyMode = "server-error")],
    ["dropping connections", () => (kinde.verifyMode = "reset")],
    ["answering with something that is not Kinde's JSON", () => (kinde.verifyMode = "wrong-shape")],
    ["refusing the M2M credentials", () => (kindeOptions.clientSecret = "not-ours")],
    ["hanging", () => (kinde.verifyMode = "hang")],
  ])("makes at most 20 Kinde calls in a 60 s outage of Kinde %s, across 1,000 requests", async (_name, breakKinde) => {
    breakKinde();
    const c = container({ VERIFY_TIMEOUT_MS: "100" });
    const answers: string[] = [];
    for (let wave = 0; wave < 100; wave++) {
      answers.push(...(await Promise.all(Array.from({ length: 10 }, () => c.answer(randomKey())))));
      c.clock.advance(600);
    }
    expect(answers.every((a) => a === "503")).toBe(true);
    expect(kindeCalls()).toBeLessThanOrEqual(20);
    expect(c.records.filter((r) => r.breaker === "open").length).toBeGreaterThan(900);
    expect(c.records.filter((r) => r.upstream_error?.startsWith("kinde_circuit_open")).length).toBeGreaterThan(900);
    expect(c.last().breaker).toBe("open");
  });

  it("still allows from stale verdicts while open, and closes when a probe succeeds", async () => {
    const c = container({ STALE_IF_ERROR_SECONDS: "600" });
    expect(await c.answer(ALICE)).toBe("allow");
    c.clock.advance(300_000);
    kinde.verifyMode = "server-error";
    for (let n = 0; n < 10; n++) expect(await c.answer(ALICE)).toBe("allow");
    expect(c.last()).toMatchObject({ reason: "stale_allow", breaker: "open" });
    kinde.verifyMode = "normal";
    c.clock.advance(60_000);
    expect(await c.answer(ALICE)).toBe("allow");
    expect(c.last()).toMatchObject({ reason: "allowed", verdict_source: "kinde" });
    expect(c.last().breaker).toBeUndefined();
  });
});

describe("a flood of made-up keys", () => {
  it("from one IP costs at most 25 Kinde calls for 2,000 keys, while a valid key from elsewhere is verified and allowed", async () => {
    const c = container();
    const flooder = "198.51.100.66";
    const answers: string[] = [];
    let valid: string | undefined;
    for (let wave = 0; wave < 40; wave++) {
      const requests = Array.from({ length: 50 }, () => c.answer(randomKey(), flooder));
      if (wave === 20) valid = await c.answer(BOB, "203.0.113.10");
      answers.push(...(await Promise.all(requests)));
      c.clock.advance(500);
    }
    expect(answers).toHaveLength(2_000);
    expect(answers.every((a) => a === "401")).toBe(true);
    expect(valid).toBe("allow");
    expect(c.records.find((r) => r.user_id === "kp_bob")).toMatchObject({ decision: "allow", verdict_source: "kinde", source_ip: "203.0.113.10" });
    expect(kindeCalls()).toBeLessThanOrEqual(25);
    const refused = c.records.filter((r) => r.reason === "ip_failure_budget");
    expect(refused.length).toBeGreaterThan(1_900);
    expect(refused[0]).toMatchObject({ decision: "deny", source_ip: flooder });
  });

  it("that Kinde answers with 404 API_KEY_NOT_FOUND, twelve from twelve addresses, cost a good key nothing", async () => {
    kinde.unknownKeyAnswer = "404";
    const c = container();
    // One key per address: no address comes near its budget of failed keys, so only Kinde's answers decide.
    const madeUp = Array.from({ length: 12 }, (_, n) => ({ key: randomKey(), ip: `198.51.100.${n + 1}` }));
    for (const { key, ip } of madeUp) expect(await c.answer(key, ip)).toBe("401");
    expect(kinde.calls.verify).toBe(12);
    expect(c.records.map((r) => [r.reason, r.verdict_source, r.breaker])).toEqual(madeUp.map(() => ["invalid_key", "kinde", undefined]));

    expect(await c.answer(BOB, "203.0.113.10")).toBe("allow");
    expect(c.last()).toMatchObject({ decision: "allow", reason: "allowed", user_id: "kp_bob", verdict_source: "kinde" });
    expect(c.last().breaker).toBeUndefined();

    // Every refusal was remembered: asked again, no made-up key reaches Kinde.
    for (const { key, ip } of madeUp) expect(await c.answer(key, ip)).toBe("401");
    expect(kinde.calls.verify).toBe(13);
  });

  it("can be turned off with FAILED_KEYS_PER_IP_PER_MINUTE=0", async () => {
    const c = container({ FAILED_KEYS_PER_IP_PER_MINUTE: "0" });
    for (let n = 0; n < 30; n++) expect(await c.answer(randomKey(), "198.51.100.66")).toBe("401");
    expect(kinde.calls.verify).toBe(30);
  });
});

describe("the client secret from Secrets Manager", () => {
  let secrets: LoopbackServer | undefined;
  afterEach(async () => {
    await secrets?.stop();
    secrets = undefined;
  });

  /** A Secrets Manager stand-in serving `value()`, or never answering while `hang` is set. */
  async function standIn(value: () => string, behaviour: { hang?: boolean; gate?: Promise<void> } = {}) {
    const started = await startSecretsManagerStandIn(SECRET_ARN, value, behaviour);
    secrets = started.server;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.url;
    return started.reads;
  }
  const fromArn = { KINDE_M2M_CLIENT_SECRET: "", KINDE_M2M_CLIENT_SECRET_ARN: SECRET_ARN };

  it("ends within the verification budget when Secrets Manager hangs", async () => {
    await standIn(() => CLIENT_SECRET, { hang: true });
    const c = container({ ...fromArn, VERIFY_TIMEOUT_MS: "300", DYNAMODB_TIMEOUT_MS: "100" });
    const started = performance.now();
    expect(await c.answer(ALICE)).toBe("503");
    const elapsed = performance.now() - started;
    expect(c.last().upstream_error).toMatch(/^client_secret_unavailable/);
    // A bound, not a benchmark: 300 + 2 × 100 ms nominal, far below the 2 s the read used to take alone.
    expect(elapsed).toBeLessThan(1_500);
  });

  it("shares one read among concurrent requests", async () => {
    let open: () => void = () => undefined;
    const reads = await standIn(() => CLIENT_SECRET, { gate: new Promise<void>((resolve) => (open = resolve)) });
    const c = container(fromArn);
    const answers = Promise.all([ALICE, BOB, ALICE, BOB].map((key) => c.answer(key)));
    // Let the requests reach the stand-in, then answer them all at once.
    while (reads.length === 0) await new Promise((resolve) => setImmediate(resolve));
    open();
    expect(await answers).toEqual(["allow", "allow", "allow", "allow"]);
    expect(reads).toHaveLength(1);
  });

  it("picks up a rotated secret in a warm container, from the first request after the old token expired", async () => {
    let current = CLIENT_SECRET;
    const reads = await standIn(() => current);
    const c = container({ ...fromArn, MEMORY_CACHE_TTL_SECONDS: "0" });
    expect(await c.answer(ALICE)).toBe("allow");

    current = ROTATED_SECRET;
    kindeOptions.clientSecret = ROTATED_SECRET;
    kinde.expireTokens(); // the token issued to the old secret runs out
    c.clock.advance(31_000);
    kinde.resetCounts();
    // Kinde refuses the old secret; the secret is read again and the token asked for once more, inside this request.
    expect(await c.answer(BOB)).toBe("allow");
    expect(c.last()).toMatchObject({ decision: "allow", verdict_source: "kinde" });
    expect(kinde.calls.token).toBe(2);
    expect(await c.answer(UNKNOWN)).toBe("401");
    expect(reads).toEqual([SECRET_ARN, SECRET_ARN]);
    expect(JSON.stringify(c.records)).not.toContain(ROTATED_SECRET);
  });
});
