/**
 * The authorizer over the real protocols: DynamoDB through dynalite, Kinde through the loopback
 * emulator, Secrets Manager through a loopback stand-in. Each test gets its own cache table.
 */
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import type { APIGatewayAuthorizerResult } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../lambda/audit/audit-log";
import { authorizerFromConfig } from "../../lambda/authorizer-from-config";
import { DynamoDbVerdictStore } from "../../lambda/cache/dynamodb-verdict-store";
import { loadConfig } from "../../lambda/config";
import type { PolicyDocument } from "../../lambda/policy/build-policy";
import { evaluatePolicy } from "../../lambda/policy/evaluate-policy";
import { hashKey } from "../../lambda/key/fingerprint";
import { HeldCalls } from "../../local/held-calls";
import type { LocalKey } from "../../local/kinde-emulator";
import { fixture, requestEvent, tokenEvent } from "../support/aws-events";
import { UNHURRIED_BUDGETS, useKindeEmulator, useLoopbackAws } from "../support/loopback-aws";
import { closedPortUrl, startLoopbackServer, type LoopbackServer } from "../support/loopback-server";
import { releaseTogether } from "../support/release-together";

const CLIENT_SECRET = "m2m-secret-never-logged";
const ALICE = "k_live_alice_0123456789abcdef";
const BOB = "k_live_bob_0123456789abcdef";
const REVOKED = "k_live_revoked_0123456789abcdef";
const INACTIVE = "k_live_inactive_0123456789abcdef";
const ORG = "k_live_org_0123456789abcdef";
const UNKNOWN = "k_live_unknown_0123456789abcdef";
const KEYS: LocalKey[] = [
  { api_key: ALICE, key_id: "api_key_alice", user_id: "kp_alice", scopes: ["read:profile", "write:orders"] },
  { api_key: BOB, key_id: "api_key_bob", user_id: "kp_bob", scopes: ["read:profile"] },
  { api_key: REVOKED, key_id: "api_key_revoked", user_id: "kp_carol", status: "revoked" },
  { api_key: INACTIVE, key_id: "api_key_inactive", user_id: "kp_dave", status: "inactive" },
  { api_key: ORG, key_id: "api_key_org", org_code: "org_acme", scopes: ["read:profile"] },
];
const ALL_RAW_SECRETS = [CLIENT_SECRET, ...KEYS.map((k) => k.api_key), UNKNOWN];
const STAGE_ARN = "arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod";

const kinde = useKindeEmulator({ clientId: "keygate-test", clientSecret: CLIENT_SECRET, keys: () => KEYS, tokenLifetimeSeconds: 3600 });
const aws = useLoopbackAws("keygate-test");

/** One authorizer "container": its own memory cache and token, sharing Kinde and DynamoDB. */
function container(env: Record<string, string> = {}) {
  const records: AuditRecord[] = [];
  const config = loadConfig({
    KINDE_DOMAIN: kinde.url,
    KINDE_M2M_CLIENT_ID: "keygate-test",
    KINDE_M2M_CLIENT_SECRET: CLIENT_SECRET,
    CACHE_TABLE_NAME: aws.tableName,
    ...UNHURRIED_BUDGETS,
    ...env,
  });
  const handler = authorizerFromConfig(config, (record) => records.push(record));
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

async function scanTable(): Promise<string> {
  const { Items } = await aws.client.send(new ScanCommand({ TableName: aws.tableName }));
  return JSON.stringify(Items ?? []);
}

describe("authenticating", () => {
  it("allows a valid user key with a stage-wide policy, the user in context and a full audit record", async () => {
    const c = container();
    const result = await c.handler(requestEvent(`Bearer ${ALICE}`), { awsRequestId: "lambda-req-1" });
    expect(result).toEqual<APIGatewayAuthorizerResult>({
      principalId: "kp_alice",
      policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: [`${STAGE_ARN}/*/*`] }] },
      context: { user_id: "kp_alice", key_id: "api_key_alice", scopes: "read:profile write:orders", verdict_source: "kinde" },
    });
    expect(c.last()).toMatchObject({
      decision: "allow",
      reason: "allowed",
      user_id: "kp_alice",
      key_id: "api_key_alice",
      key_fingerprint: hashKey(ALICE).slice(0, 12),
      verdict_source: "kinde",
      api_id: "puhdx84jy9",
      stage: "prod",
      method: "POST",
      path: "/lambda-request",
      source_ip: "15.248.3.126",
      user_agent: "HTTPie/3.2.2",
      request_id: "141d6671-99b4-40ca-9997-7a22f01eac74",
      function_request_id: "lambda-req-1",
      cold_start: true,
    });
    expect(typeof c.last().latency_ms).toBe("number");
    for (const value of Object.values(result.context ?? {})) expect(["string", "number", "boolean"]).toContain(typeof value);
  });

  it("allows a TOKEN event, taking partition, region and stage from its method ARN", async () => {
    const result = await container().handler(tokenEvent(`Bearer ${BOB}`));
    expect(result.principalId).toBe("kp_bob");
    expect(result.policyDocument.Statement).toEqual([
      { Action: "execute-api:Invoke", Effect: "Allow", Resource: ["arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/*/*"] },
    ]);
  });

  it("answers the AWS sample REQUEST event (no Authorization header) with 401 and no Kinde call", async () => {
    const c = container();
    expect((await rejection(c.handler(fixture("request-event.aws-lambda-go.json")))).message).toBe("Unauthorized");
    expect(c.last()).toMatchObject({ decision: "deny", reason: "missing_key", api_id: "s4x3opwd6i", stage: "test" });
    expect(kinde.calls.verify).toBe(0);
  });

  it.each([
    ["Basic abc", "malformed_key"],
    ["Bearer two words", "malformed_key"],
    [`Bearer ${"x".repeat(600)}`, "malformed_key"],
    ["", "missing_key"],
  ])("rejects %j at once as %s, without calling Kinde", async (header, reason) => {
    const c = container();
    expect((await rejection(c.handler(requestEvent(header)))).message).toBe("Unauthorized");
    expect(c.last()).toMatchObject({ decision: "deny", reason });
    expect(kinde.calls.token + kinde.calls.verify).toBe(0);
  });

  it("answers an event without a valid method ARN with an error, never a policy", async () => {
    const c = container();
    const error = await rejection(c.handler(requestEvent(`Bearer ${ALICE}`, { methodArn: "arn:aws:lambda:eu-west-1:123456789012:function:x" })));
    expect(error.message).not.toBe("Unauthorized");
    expect(c.last()).toMatchObject({ decision: "error", reason: "bad_method_arn" });
    expect(kinde.calls.verify).toBe(0);
  });

  it.each(["400", "404", "200-invalid"] as const)("denies an unknown key that Kinde answers with %s", async (answer) => {
    kinde.unknownKeyAnswer = answer;
    const c = container();
    expect((await rejection(c.handler(requestEvent(`Bearer ${UNKNOWN}`)))).message).toBe("Unauthorized");
    expect(c.last()).toMatchObject({ decision: "deny", reason: "invalid_key", verdict_source: "kinde" });
  });

  it.each([
    [REVOKED, "inactive_key"],
    [INACTIVE, "inactive_key"],
    [ORG, "org_key_not_allowed"],
  ])("denies %s as %s", async (key, reason) => {
    const c = container();
    expect((await rejection(c.handler(requestEvent(`Bearer ${key}`)))).message).toBe("Unauthorized");
    expect(c.last()).toMatchObject({ decision: "deny", reason });
  });

  it("allows organization keys when ALLOW_ORG_KEYS is true, as org:<code>", async () => {
    const result = await container({ ALLOW_ORG_KEYS: "true" }).handler(requestEvent(`Bearer ${ORG}`));
    expect(result.principalId).toBe("org:org_acme");
    expect(result.context).toEqual({ org_code: "org_acme", key_id: "api_key_org", scopes: "read:profile", verdict_source: "kinde" });
  });

  it("denies a key lacking a REQUIRED_SCOPES scope with 401", async () => {
    const c = container({ REQUIRED_SCOPES: "read:profile write:orders" });
    await expect(c.handler(requestEvent(`Bearer ${ALICE}`))).resolves.toMatchObject({ principalId: "kp_alice" });
    expect((await rejection(c.handler(requestEvent(`Bearer ${BOB}`)))).message).toBe("Unauthorized");
    expect(c.last()).toMatchObject({ decision: "deny", reason: "missing_scope", user_id: "kp_bob" });
  });

  it("with ROUTE_SCOPES, denies the routes a key lacks scopes for and audits this route's outcome", async () => {
    const c = container({ ROUTE_SCOPES: '{"POST /lambda-request": "write:orders", "GET /profile/*": "read:profile"}' });
    const bob = await c.handler(requestEvent(`Bearer ${BOB}`));
    expect(bob.policyDocument.Statement).toEqual([
      { Action: "execute-api:Invoke", Effect: "Allow", Resource: [`${STAGE_ARN}/*/*`] },
      // The rule's method ARNs, and, since the rule applies to the route API Gateway resolved, every path of its verb.
      { Action: "execute-api:Invoke", Effect: "Deny", Resource: [`${STAGE_ARN}/POST/lambda-request`, `${STAGE_ARN}/POST/lambda-request/`, `${STAGE_ARN}/POST/*`] },
    ]);
    expect(c.last()).toMatchObject({ decision: "deny", reason: "route_scope_missing", user_id: "kp_bob" });
    const alice = await c.handler(requestEvent(`Bearer ${ALICE}`));
    expect(alice.policyDocument.Statement).toHaveLength(1);
    expect(c.last()).toMatchObject({ decision: "allow", reason: "allowed" });
  });
});

describe("route rules decided on the route API Gateway resolved", () => {
  const RULES = { ROUTE_SCOPES: '{"POST /lambda-request": "write:orders"}' };

  it.each(["%6Cambda-request", "/lambda-request", "lambda-request/", "Lambda-request", "x/../lambda-request"])(
    "denies a REQUEST routed to the rule's resource whatever its path's spelling in the method ARN (%s)",
    async (spelling) => {
      const c = container(RULES);
      const event = requestEvent(`Bearer ${BOB}`, { methodArn: `${STAGE_ARN}/POST/${spelling}` });
      const result = await c.handler(event);
      expect(evaluatePolicy(result.policyDocument as PolicyDocument, event.methodArn)).toBe("explicit-deny");
      expect(c.last()).toMatchObject({ decision: "deny", reason: "route_scope_missing" });
    },
  );

  it("leaves a route the rule does not name alone, and the other verbs of the named one", async () => {
    const c = container(RULES);
    const other = { ...requestEvent(`Bearer ${BOB}`, { methodArn: `${STAGE_ARN}/GET/reports/x` }), resource: "/reports/{name}", httpMethod: "GET" };
    const result = await c.handler(other);
    expect(evaluatePolicy(result.policyDocument as PolicyDocument, other.methodArn)).toBe("allow");
    expect(c.last()).toMatchObject({ decision: "allow", reason: "allowed" });
    const get = { ...requestEvent(`Bearer ${BOB}`, { methodArn: `${STAGE_ARN}/GET/lambda-request` }), httpMethod: "GET" };
    expect(evaluatePolicy((await c.handler(get)).policyDocument as PolicyDocument, get.methodArn)).toBe("allow");
  });

  it.each(["Lambda-request", "%4Cambda-request", "x/y"])(
    "denies a REQUEST routed to the catch-all /{proxy+}, which can serve the rule's path, whatever its path (%s)",
    async (spelling) => {
      const c = container(RULES);
      const event = { ...requestEvent(`Bearer ${BOB}`, { methodArn: `${STAGE_ARN}/POST/${spelling}` }), resource: "/{proxy+}", httpMethod: "POST" };
      const result = await c.handler(event);
      expect(evaluatePolicy(result.policyDocument as PolicyDocument, event.methodArn)).toBe("explicit-deny");
      expect(c.last()).toMatchObject({ decision: "deny", reason: "route_scope_missing" });
      const get = { ...event, methodArn: `${STAGE_ARN}/GET/${spelling}`, httpMethod: "GET" };
      expect(evaluatePolicy((await c.handler(get)).policyDocument as PolicyDocument, get.methodArn)).toBe("allow");
    },
  );

  it("with a TOKEN event, which names no route, denies by method ARN only", async () => {
    const c = container(RULES);
    const result = await c.handler({ ...tokenEvent(`Bearer ${BOB}`), methodArn: `${STAGE_ARN}/POST/lambda-request` });
    expect(result.policyDocument.Statement).toEqual([
      { Action: "execute-api:Invoke", Effect: "Allow", Resource: [`${STAGE_ARN}/*/*`] },
      { Action: "execute-api:Invoke", Effect: "Deny", Resource: [`${STAGE_ARN}/POST/lambda-request`, `${STAGE_ARN}/POST/lambda-request/`] },
    ]);
    expect(c.last()).toMatchObject({ decision: "deny", reason: "route_scope_missing" });
  });
});

describe("caching", () => {
  it("answers a repeat from memory, then a second container from DynamoDB without calling Kinde", async () => {
    const first = container();
    await first.handler(requestEvent(`Bearer ${ALICE}`));
    const again = await first.handler(requestEvent(`Bearer ${ALICE}`));
    expect(again.context?.verdict_source).toBe("memory");
    expect(first.last()).toMatchObject({ verdict_source: "memory", cold_start: false });
    expect(kinde.calls.verify).toBe(1);

    const second = container();
    const before = { get: aws.dynamo.operations.get("GetItem") ?? 0, put: aws.dynamo.operations.get("PutItem") ?? 0 };
    const shared = await second.handler(requestEvent(`Bearer ${ALICE}`));
    expect(aws.dynamo.operations.get("GetItem")).toBe(before.get + 1);
    expect(aws.dynamo.operations.get("PutItem") ?? 0).toBe(before.put);
    expect(shared.context?.verdict_source).toBe("dynamodb");
    expect(shared.principalId).toBe("kp_alice");
    expect(kinde.calls).toEqual({ token: 1, verify: 1, keyMetadata: 0 });
  });

  it("caches negative verdicts too", async () => {
    const first = container();
    await rejection(first.handler(requestEvent(`Bearer ${UNKNOWN}`)));
    await rejection(first.handler(requestEvent(`Bearer ${UNKNOWN}`)));
    await rejection(container().handler(requestEvent(`Bearer ${UNKNOWN}`)));
    expect(kinde.calls.verify).toBe(1);
  });

  it("makes one Kinde call for 50 concurrent misses on one key", async () => {
    // Kinde's answer is held until the lookup has reached it: all 50 requests miss while it is open.
    const verifications = (kinde.verifyHold = new HeldCalls());
    const c = container();
    const pending = Promise.all(Array.from({ length: 50 }, () => c.handler(requestEvent(`Bearer ${ALICE}`))));
    await releaseTogether(verifications, 1, pending);
    const results = await pending;
    expect(results.every((r) => r.principalId === "kp_alice" && r.context?.verdict_source === "kinde")).toBe(true);
    expect(kinde.calls).toEqual({ token: 1, verify: 1, keyMetadata: 0 });
    expect(await scanTable()).toContain(`verdict#${hashKey(ALICE)}`);
  });

  it("reuses one M2M token for many keys", async () => {
    const c = container();
    for (const key of [ALICE, BOB, REVOKED, UNKNOWN]) await c.handler(requestEvent(`Bearer ${key}`)).catch(() => undefined);
    expect(kinde.calls).toEqual({ token: 1, verify: 4, keyMetadata: 0 });
  });

  it("does not trust an expired DynamoDB item", async () => {
    // An allow for the revoked key, expired an hour ago but not yet removed by DynamoDB's TTL.
    const store = new DynamoDbVerdictStore({ client: aws.client, tableName: aws.tableName, timeoutMs: 1000, lifetimes: { positiveMs: 300_000, negativeMs: 30_000 }, staleIfErrorMs: 0 });
    const anHourAgo = Date.now() - 3_600_000;
    await store.put(hashKey(REVOKED), { valid: true, userId: "kp_carol", scopes: [], verifiedAt: anHourAgo - 300_000, freshUntil: anHourAgo });
    expect((await scanTable()).includes("kp_carol")).toBe(true);
    const c = container();
    expect((await rejection(c.handler(requestEvent(`Bearer ${REVOKED}`)))).message).toBe("Unauthorized");
    expect(c.last()).toMatchObject({ reason: "inactive_key", verdict_source: "kinde" });
  });

  it("does not fall back to an item past its expiresAt, even with a long stale window", async () => {
    const store = new DynamoDbVerdictStore({ client: aws.client, tableName: aws.tableName, timeoutMs: 1000, lifetimes: { positiveMs: 300_000, negativeMs: 30_000 }, staleIfErrorMs: 0 }); // written with no stale window
    const anHourAgo = Date.now() - 3_600_000;
    await store.put(hashKey(ALICE), { valid: true, userId: "kp_alice", scopes: [], verifiedAt: anHourAgo - 300_000, freshUntil: anHourAgo });
    kinde.verifyMode = "server-error";
    const c = container({ STALE_IF_ERROR_SECONDS: "86400" });
    expect((await rejection(c.handler(requestEvent(`Bearer ${ALICE}`)))).message).toBe("Authorizer error: key verification is unavailable");
  });

  it("keeps no raw key or secret in DynamoDB, and logs none", async () => {
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      written.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      const c = container();
      for (const key of [ALICE, BOB, REVOKED, INACTIVE, ORG, UNKNOWN]) await c.handler(requestEvent(`Bearer ${key}`)).catch(() => undefined);
      kinde.verifyMode = "always-401";
      await c.handler(requestEvent("Bearer k_live_fresh_key_for_error_path")).catch(() => undefined);
      const everything = (await scanTable()) + JSON.stringify(c.records) + written.join("");
      expect(c.records.length).toBe(7);
      for (const secret of [...ALL_RAW_SECRETS, "k_live_fresh_key_for_error_path"]) expect(everything).not.toContain(secret);
      expect(await scanTable()).toContain(`verdict#${hashKey(ALICE)}`);
    } finally {
      process.stdout.write = write;
    }
  });
});

describe("when Kinde fails", () => {
  it("fetches a new M2M token once when Kinde refuses an expired one", async () => {
    const c = container();
    await c.handler(requestEvent(`Bearer ${ALICE}`));
    kinde.expireTokens();
    const result = await c.handler(requestEvent(`Bearer ${BOB}`));
    expect(result.principalId).toBe("kp_bob");
    expect(kinde.calls).toEqual({ token: 2, verify: 3, keyMetadata: 0 });
  });

  it("treats a second 401 as Keygate's misconfiguration: an error, not the caller's 401", async () => {
    kinde.verifyMode = "always-401";
    const c = container();
    const error = await rejection(c.handler(requestEvent(`Bearer ${ALICE}`)));
    expect(error.message).not.toBe("Unauthorized");
    expect(c.last()).toMatchObject({ decision: "error", reason: "upstream_unavailable" });
    expect(c.last().upstream_error).toMatch(/^kinde_auth_failed: .*read:api_keys/);
    expect(kinde.calls).toEqual({ token: 2, verify: 2, keyMetadata: 0 });
  });

  it("answers a 429 with an error, then spares Kinde until RateLimit-Reset has passed", async () => {
    kinde.verifyMode = "rate-limited";
    kinde.rateLimitResetSeconds = 30;
    const c = container();
    const error = await rejection(c.handler(requestEvent(`Bearer ${ALICE}`)));
    expect(error.message).toBe("Authorizer error: key verification is unavailable");
    expect(c.last().upstream_error).toMatch(/^kinde_rate_limited: Kinde answered 429 \(reset in 30s\)/);
    kinde.verifyMode = "normal";
    // Another key inside the window fails fast, without a call: asking again would only prolong the limit.
    // The circuit breaker opens for RateLimit-Reset and answers before the verify client's own back-off would.
    await rejection(c.handler(requestEvent(`Bearer ${BOB}`)));
    expect(c.last()).toMatchObject({ decision: "error", reason: "upstream_unavailable", breaker: "open" });
    expect(c.last().upstream_error).toMatch(/^kinde_circuit_open: /);
    expect(kinde.calls.verify).toBe(1);
  });

  it.each([
    ["server-error", /^kinde_server_error: Kinde answered 503/],
    ["reset", /^kinde_unreachable/],
    ["malformed-json", /^kinde_bad_response: the verify response is not JSON/],
    ["wrong-shape", /^kinde_bad_response: the verify response is not the documented object/],
  ] as const)("answers %s with an error (API Gateway 500, mapped to 503), never a verdict", async (mode, cause) => {
    kinde.verifyMode = mode;
    const c = container();
    const error = await rejection(c.handler(requestEvent(`Bearer ${ALICE}`)));
    expect(error.message).toBe("Authorizer error: key verification is unavailable");
    expect(c.last()).toMatchObject({ decision: "error", reason: "upstream_unavailable", key_fingerprint: hashKey(ALICE).slice(0, 12) });
    expect(c.last().upstream_error).toMatch(cause);
    // Nothing was cached: once Kinde recovers, the key works at once.
    kinde.verifyMode = "normal";
    await expect(c.handler(requestEvent(`Bearer ${ALICE}`))).resolves.toMatchObject({ principalId: "kp_alice" });
  });

  it("ends within VERIFY_TIMEOUT_MS when Kinde hangs", async () => {
    kinde.verifyMode = "hang";
    const c = container({ VERIFY_TIMEOUT_MS: "200" });
    const started = performance.now();
    const error = await rejection(c.handler(requestEvent(`Bearer ${ALICE}`)));
    const elapsed = performance.now() - started;
    expect(error.message).not.toBe("Unauthorized");
    expect(c.last().upstream_error).toMatch(/^kinde_timeout/);
    // A bound, not a benchmark: far above the 200 ms budget, far below a hung request.
    expect(elapsed).toBeLessThan(5_000);
  });

  it("answers an unreachable Kinde with an error", async () => {
    const c = container({ KINDE_DOMAIN: await closedPortUrl() });
    expect((await rejection(c.handler(requestEvent(`Bearer ${ALICE}`)))).message).not.toBe("Unauthorized");
    expect(c.last().upstream_error).toMatch(/^kinde_unreachable: the M2M token request failed/);
  });

  it("allows from a recently expired positive verdict within STALE_IF_ERROR_SECONDS, and says so", async () => {
    const store = new DynamoDbVerdictStore({ client: aws.client, tableName: aws.tableName, timeoutMs: 1000, lifetimes: { positiveMs: 300_000, negativeMs: 30_000 }, staleIfErrorMs: 600_000 });
    const expired = Date.now() - 60_000;
    await store.put(hashKey(ALICE), { valid: true, userId: "kp_alice", keyId: "api_key_alice", scopes: ["read:profile"], verifiedAt: expired - 300_000, freshUntil: expired });
    kinde.verifyMode = "server-error";

    const stale = container({ STALE_IF_ERROR_SECONDS: "600" });
    const result = await stale.handler(requestEvent(`Bearer ${ALICE}`));
    expect(result.principalId).toBe("kp_alice");
    expect(result.context?.verdict_source).toBe("stale");
    expect(stale.last()).toMatchObject({ decision: "allow", reason: "stale_allow", verdict_source: "stale" });
    expect(stale.last().upstream_error).toMatch(/^kinde_server_error/);

    const tooOld = container({ STALE_IF_ERROR_SECONDS: "30" });
    expect((await rejection(tooOld.handler(requestEvent(`Bearer ${ALICE}`)))).message).not.toBe("Unauthorized");
    const off = container();
    expect((await rejection(off.handler(requestEvent(`Bearer ${ALICE}`)))).message).not.toBe("Unauthorized");
  });

  it("never allows from a stale negative verdict, nor turns it into an allow", async () => {
    const store = new DynamoDbVerdictStore({ client: aws.client, tableName: aws.tableName, timeoutMs: 1000, lifetimes: { positiveMs: 300_000, negativeMs: 30_000 }, staleIfErrorMs: 600_000 });
    const expired = Date.now() - 1_000;
    await store.put(hashKey(UNKNOWN), { valid: false, reason: "invalid_key", verifiedAt: expired - 30_000, freshUntil: expired });
    kinde.verifyMode = "server-error";
    const c = container({ STALE_IF_ERROR_SECONDS: "600" });
    expect((await rejection(c.handler(requestEvent(`Bearer ${UNKNOWN}`)))).message).toBe("Authorizer error: key verification is unavailable");
  });
});

describe("when DynamoDB fails", () => {
  let standIn: LoopbackServer | undefined;
  afterEach(async () => {
    await standIn?.stop();
    standIn = undefined;
  });

  it("carries on with Kinde when DynamoDB is unreachable", async () => {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = await closedPortUrl();
    const c = container();
    expect((await c.handler(requestEvent(`Bearer ${ALICE}`))).principalId).toBe("kp_alice");
    expect(c.last()).toMatchObject({ decision: "allow", verdict_source: "kinde" });
    expect(c.last().cache_error).toBeTruthy();
  });

  it("skips DynamoDB after DYNAMODB_TIMEOUT_MS when it hangs", async () => {
    standIn = await startLoopbackServer(() => undefined);
    process.env.AWS_ENDPOINT_URL_DYNAMODB = standIn.url;
    const c = container({ DYNAMODB_TIMEOUT_MS: "100" });
    const started = performance.now();
    expect((await c.handler(requestEvent(`Bearer ${ALICE}`))).principalId).toBe("kp_alice");
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(c.last().cache_error).toBeTruthy();
  });

  it("carries on with Kinde when DynamoDB throttles", async () => {
    let requests = 0;
    standIn = await startLoopbackServer((req, res) => {
      requests++;
      req.resume();
      res.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
      res.end(JSON.stringify({ __type: "com.amazonaws.dynamodb.v20120810#ThrottlingException", message: "Rate of requests exceeds the allowed throughput." }));
    });
    process.env.AWS_ENDPOINT_URL_DYNAMODB = standIn.url;
    const c = container();
    expect((await c.handler(requestEvent(`Bearer ${ALICE}`))).principalId).toBe("kp_alice");
    expect(c.last().cache_error).toMatch(/Throttling/);
    expect(requests).toBe(1); // one GetItem, no retries; no PutItem into a failing cache
  });
});

describe("reading the client secret from Secrets Manager", () => {
  it("reads it once per container and never shows it", async () => {
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keygate-kinde-AbCdEf";
    const requested: string[] = [];
    const secrets = await startLoopbackServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        requested.push(`${String(req.headers["x-amz-target"])} ${(JSON.parse(body) as { SecretId: string }).SecretId}`);
        res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify({ ARN: arn, Name: "keygate-kinde", SecretString: CLIENT_SECRET, VersionId: "v1" }));
      });
    });
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.url;
    try {
      const c = container({ KINDE_M2M_CLIENT_SECRET: "", KINDE_M2M_CLIENT_SECRET_ARN: arn });
      await c.handler(requestEvent(`Bearer ${ALICE}`));
      kinde.expireTokens();
      await c.handler(requestEvent(`Bearer ${BOB}`));
      expect(requested).toEqual([`secretsmanager.GetSecretValue ${arn}`]);
      expect(kinde.calls.token).toBe(2);
      expect(JSON.stringify(c.records)).not.toContain(CLIENT_SECRET);
    } finally {
      await secrets.stop();
    }
  });
});
