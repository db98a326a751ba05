/**
 * Generated requests against whole authorizer containers (authorizerFromConfig, every part real)
 * whose Kinde, DynamoDB and Secrets Manager are in-process fakes answering from generated scripts:
 * documented answers, undocumented ones, throttling, hangs, dropped connections. Time is simulated,
 * so budgets are measured exactly and hangs cost nothing. For every request:
 * - an Allow is backed by a documented positive verify answer Kinde gave for exactly the presented
 *   key (active, every required scope), and by its metadata (accepted API, allowed type) when needed;
 * - anything else is thrown as `Unauthorized` or the unavailability error, never another error;
 * - the authorizer context holds only strings, numbers and booleans;
 * - it ends within its budgets: verifyTimeoutMs plus a DynamoDB read and write, once for the
 *   verdict and once more when the key's metadata is needed.
 * And over the case: no raw key, M2M secret or M2M token in any audit line or stored item.
 */
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayAuthorizerResult } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AuthorizerHandler } from "../../lambda/authorizer";
import { authorizerFromConfig } from "../../lambda/authorizer-from-config";
import { loadConfig, type AuthorizerConfig } from "../../lambda/config";
import { asRestOutcome, authorizerEvent, requestSpecs, type RequestSpec } from "../support/generated-requests";
import { SimulatedTime } from "../support/simulated-time";

const RUNS = 10_000;
const KINDE = "https://keygate-property.kinde.com";
const CLIENT_SECRET = "m2m-property-secret-5b1e9d0c7a";
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keygate-kinde-PrOpTy";
const ACCEPTED_API = "api_gateway_accepted";
const OTHER_API = "api_gateway_other";
const POOL = ["k_live_pool_a_0123456789abcdef", "k_live_pool_b_fedcba9876543210", "k_live_pool_c_00ff00ff00ff00ff"];
const UNAVAILABLE = "Authorizer error: key verification is unavailable";

// ---------------------------------------------------------------------------------------------
// What the fakes answer: scripts consumed in order, from the start again when used up.

/** Milliseconds, or Infinity: no answer until the caller's signal gives up. */
const latency = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 50 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 3_000 }) },
  { weight: 1, arbitrary: fc.constant(Infinity) },
);

type HttpAnswer =
  | { kind: "http"; status: number; contentType?: string; body: string; rateLimitReset?: string; latency: number }
  | { kind: "reset"; latency: number };

const json = (value: unknown) => JSON.stringify(value);
const jsonTypes = fc.constantFrom("application/json", "application/json; charset=utf-8", "application/problem+json", "text/html", "text/plain", undefined);
const kindeError = json({ errors: [{ code: "INVALID_API_KEY", message: "Invalid API key" }] });

/** verify's 200 body for a good key, as Kinde documents it. */
const activeKeyBody = fc
  .record({
    key_id: fc.constantFrom("api_key_1", "api_key_2"),
    user_id: fc.constantFrom("kp_user_1", "kp_user_2"),
    org_code: fc.constantFrom("org_1", null),
    scopes: fc.constantFrom(["read", "write"], ["read"], ["write", "admin"]),
  })
  .map((fields) => json({ code: "API_KEY_VERIFIED", message: "API key verified", is_valid: true, status: "active", ...fields }));

/** verify's 200 body with fields in and out of Kinde's types. */
const anyVerifyBody = fc
  .record({
    is_valid: fc.oneof({ weight: 6, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom("true", 1, null) }),
    status: fc.constantFrom("active", "inactive", "revoked", "ACTIVE", null, undefined),
    key_id: fc.constantFrom("api_key_1", "api_key_2", "", null, undefined, 7),
    user_id: fc.constantFrom("kp_user_1", "kp_user_2", "", null, undefined),
    org_code: fc.constantFrom("org_1", null, undefined, ""),
    scopes: fc.oneof(fc.subarray(["read", "write", "admin"]), fc.constantFrom("read", [1, "read"], null)),
  })
  .map((body) => json(Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined))));

const verifyBody = fc.oneof({ weight: 3, arbitrary: activeKeyBody }, { weight: 2, arbitrary: anyVerifyBody });

const oddBodies = fc.oneof(
  fc.constantFrom("", "{", '{"is_valid":tr', "[]", '["API key verified"]', "null", "<!doctype html><p>Sign in</p>", kindeError, '{"errors":{"code":"ROUTE_NOT_FOUND"}}'),
  fc.json({ maxDepth: 2 }),
);

const verifyAnswer: fc.Arbitrary<HttpAnswer> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant("http" as const), status: fc.constant(200), contentType: fc.constant("application/json"), body: verifyBody, latency }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("http" as const), status: fc.constant(400), contentType: fc.constant("application/json"), body: fc.constant(kindeError), latency }) },
  // Undocumented but plausible for an unknown key: a 404 in Kinde's not_found_response shape, a refusal.
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("http" as const),
      status: fc.constant(404),
      contentType: fc.constant("application/json"),
      body: fc.constant(json({ errors: { code: "API_KEY_NOT_FOUND", message: "API key not found" } })),
      latency,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        kind: fc.constant("http" as const),
        status: fc.constantFrom(200, 201, 204, 301, 302, 307, 400, 401, 403, 404, 422, 429, 500, 502, 503),
        contentType: jsonTypes,
        body: fc.oneof(verifyBody, oddBodies),
        rateLimitReset: fc.constantFrom("7", "0", "abc", "-1", "100000", undefined),
        latency,
      },
      { requiredKeys: ["kind", "status", "body", "latency"] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reset" as const), latency }) },
);

const tokenAnswer: fc.Arbitrary<HttpAnswer> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("http" as const),
      status: fc.constant(200),
      contentType: fc.constant("application/json"),
      body: fc.constant("token"), // replaced by a fresh token when sent
      latency,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        kind: fc.constant("http" as const),
        status: fc.constantFrom(400, 401, 403, 429, 500, 503, 302),
        contentType: jsonTypes,
        body: fc.oneof(fc.constant(json({ error: "invalid_client" })), oddBodies),
        rateLimitReset: fc.constantFrom("7", "abc", undefined),
        latency,
      },
      { requiredKeys: ["kind", "status", "body", "latency"] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reset" as const), latency }) },
);

/** The key's metadata as GET /api/v1/api_keys/{id} sends it; the id is filled in when sent. */
const metadataBody = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom({ api_ids: [ACCEPTED_API], type: "user" }, { api_ids: [OTHER_API, ACCEPTED_API], type: "organization" }) },
  { weight: 2, arbitrary: anyMetadataBody() },
);

function anyMetadataBody() {
  return fc
  .record({
    api_ids: fc.oneof(fc.subarray([ACCEPTED_API, OTHER_API]), fc.constantFrom(null, [7], ACCEPTED_API)),
    type: fc.constantFrom("user", "organization", "environment", "robot", null, undefined, 3),
  })
  .map((key): Record<string, unknown> => Object.fromEntries(Object.entries(key).filter(([, value]) => value !== undefined)));
}

type MetadataAnswer = HttpAnswer | { kind: "metadata"; key: Record<string, unknown>; latency: number };

const metadataAnswer: fc.Arbitrary<MetadataAnswer> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("metadata" as const), key: metadataBody, latency }) },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        kind: fc.constant("http" as const),
        status: fc.constantFrom(200, 400, 401, 403, 404, 429, 500, 302),
        contentType: jsonTypes,
        body: fc.oneof(oddBodies, fc.constant(json({ errors: { code: "API_KEY_NOT_FOUND", message: "API key not found" } }))),
        latency,
      },
      { requiredKeys: ["kind", "status", "body", "latency"] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reset" as const), latency }) },
);

type StoreAnswer = { kind: "ok" | "throttled" | "unreachable"; latency: number };
const storeAnswer: fc.Arbitrary<StoreAnswer> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("ok" as const), latency }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom("throttled" as const, "unreachable" as const), latency: fc.integer({ min: 0, max: 50 }) }) },
);

type SecretAnswer = { fails: boolean; latency: number };
const secretSource = fc.oneof(
  fc.constant({ via: "direct" as const, script: [] as SecretAnswer[] }),
  fc.record({ via: fc.constant("secrets-manager" as const), script: fc.array(fc.record({ fails: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }), latency }), { minLength: 1, maxLength: 3 }) }),
);

const settings = fc.record({
  requiredScopes: fc.subarray(["read", "write"], { minLength: 1 }),
  kindeApiIds: fc.constantFrom([] as string[], [ACCEPTED_API]),
  allowOrgKeys: fc.boolean(),
  staleIfErrorSeconds: fc.constantFrom(0, 600),
  failedKeysPerIpPerMinute: fc.constantFrom(0, 1, 20),
  memoryCacheTtlSeconds: fc.constantFrom(0, 30),
  cacheTable: fc.boolean(),
  verifyTimeoutMs: fc.constantFrom(100, 300, 2_500),
  dynamoDbTimeoutMs: fc.constantFrom(10, 100, 250),
});

/** Answers of parts that work: quick, and in Kinde's documented shapes. */
const quick = fc.integer({ min: 0, max: 20 });
const healthy = {
  secret: fc.oneof(
    fc.constant({ via: "direct" as const, script: [] as SecretAnswer[] }),
    fc.record({ via: fc.constant("secrets-manager" as const), script: fc.tuple(fc.record({ fails: fc.constant(false), latency: quick })) }),
  ),
  token: fc.tuple(fc.record({ kind: fc.constant("http" as const), status: fc.constant(200), contentType: fc.constant("application/json"), body: fc.constant("token"), latency: quick })),
  verify: fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant("http" as const), status: fc.constant(200), contentType: fc.constant("application/json"), body: activeKeyBody, latency: quick }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("http" as const), status: fc.constant(400), contentType: fc.constant("application/json"), body: fc.constant(kindeError), latency: quick }) },
    ),
    { minLength: 1, maxLength: 6 },
  ),
  metadata: fc.array(fc.record({ kind: fc.constant("metadata" as const), key: metadataBody, latency: quick }), { minLength: 1, maxLength: 3 }),
  store: fc.array(fc.record({ kind: fc.constant("ok" as const), latency: quick }), { minLength: 1, maxLength: 2 }),
};
/** Answers of parts that may fail in any of the ways above. */
const faulty = {
  secret: secretSource,
  token: fc.array(tokenAnswer, { minLength: 1, maxLength: 3 }),
  verify: fc.array(verifyAnswer, { minLength: 1, maxLength: 6 }),
  metadata: fc.array(metadataAnswer, { minLength: 1, maxLength: 3 }),
  store: fc.array(storeAnswer, { minLength: 1, maxLength: 6 }),
};

/** A third of the cases run with every part working: Allows must be common, not a rare accident. */
const scenario = fc.oneof({ weight: 1, arbitrary: fc.constant(healthy) }, { weight: 2, arbitrary: fc.constant(faulty) }).chain((parts) =>
  fc.record({
    settings,
    secret: parts.secret as fc.Arbitrary<{ via: "direct" | "secrets-manager"; script: SecretAnswer[] }>,
    token: parts.token as fc.Arbitrary<HttpAnswer[]>,
    verify: parts.verify as fc.Arbitrary<HttpAnswer[]>,
    metadata: parts.metadata as fc.Arbitrary<MetadataAnswer[]>,
    store: parts.store as fc.Arbitrary<StoreAnswer[]>,
    breakerRandom: fc.double({ min: 0, max: 0.999, noNaN: true }),
    requests: fc.array(requestSpecs(POOL), { minLength: 1, maxLength: 5 }),
  }),
);
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

// ---------------------------------------------------------------------------------------------
// The fakes, and what they said.

/** A documented positive verify answer Kinde sent: the only thing an Allow may rest on. */
interface PositiveAnswer {
  apiKey: string;
  keyId?: string;
  userId?: string;
  orgCode?: string;
  scopes: string[];
}

class Script<T> {
  private next = 0;
  constructor(private readonly answers: readonly T[]) {}
  take(): T {
    return this.answers[this.next++ % this.answers.length]!;
  }
}

/** One case's world: Kinde, DynamoDB and Secrets Manager as fakes, on the case's simulated time. */
class FakeWorld {
  readonly positives: PositiveAnswer[] = [];
  /** Key id → the metadata Kinde sent for it (documented 200s only). */
  readonly metadata = new Map<string, { apiIds: unknown; type: unknown }[]>();
  readonly tokens: string[] = [];
  readonly storedItems: Record<string, AttributeValue>[] = [];
  private readonly table = new Map<string, Record<string, AttributeValue>>();
  private readonly token: Script<HttpAnswer>;
  private readonly verify: Script<HttpAnswer>;
  private readonly keyMetadata: Script<MetadataAnswer>;
  private readonly store: Script<StoreAnswer>;
  private readonly secret: Script<SecretAnswer>;

  constructor(
    readonly time: SimulatedTime,
    s: Scenario,
  ) {
    this.token = new Script(s.token);
    this.verify = new Script(s.verify);
    this.keyMetadata = new Script(s.metadata);
    this.store = new Script(s.store);
    this.secret = new Script(s.secret.script);
  }

  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const signal = init.signal ?? undefined;
    if (url.origin !== KINDE) throw new TypeError("fetch failed");
    if (url.pathname === "/oauth2/token") {
      const form = new URLSearchParams(String(init.body));
      const answer = this.token.take();
      if (form.get("client_secret") !== CLIENT_SECRET) return this.respond({ kind: "http", status: 401, contentType: "application/json", body: json({ error: "invalid_client" }), latency: answer.latency }, signal);
      if (answer.kind === "http" && answer.status === 200) {
        const token = `m2m_token_${this.tokens.length}_c0ffee`;
        this.tokens.push(token);
        return this.respond({ ...answer, body: json({ access_token: token, token_type: "bearer", expires_in: 3600 }) }, signal);
      }
      return this.respond(answer, signal);
    }
    if (url.pathname === "/api/v1/api_keys/verify") {
      const apiKey = (JSON.parse(String(init.body)) as { api_key: string }).api_key;
      const answer = this.verify.take();
      const response = await this.respond(answer, signal);
      if (answer.kind === "http") this.notePositive(apiKey, answer);
      return response;
    }
    const keyId = decodeURIComponent(url.pathname.slice("/api/v1/api_keys/".length));
    const answer = this.keyMetadata.take();
    if (answer.kind !== "metadata") return this.respond(answer, signal);
    const body = { code: "OK", message: "Success", api_key: { id: keyId, ...answer.key } };
    const response = await this.respond({ kind: "http", status: 200, contentType: "application/json", body: json(body), latency: answer.latency }, signal);
    this.metadata.set(keyId, [...(this.metadata.get(keyId) ?? []), { apiIds: answer.key.api_ids, type: answer.key.type }]);
    return response;
  };

  /** The DynamoDB client: GetItem and PutItem (with the verdict store's condition) on one table. */
  readonly dynamodb = {
    send: async (command: unknown, options: { abortSignal?: AbortSignal } = {}): Promise<unknown> => {
      const answer = this.store.take();
      await this.time.sleep(answer.latency, options.abortSignal);
      if (answer.kind === "throttled") throw Object.assign(new Error("Rate of requests exceeds the allowed throughput."), { name: "ThrottlingException" });
      if (answer.kind === "unreachable") throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { name: "Error" });
      if (command instanceof GetItemCommand) return { Item: this.table.get(command.input.Key!.pk!.S!) };
      if (command instanceof PutItemCommand) {
        const item = command.input.Item!;
        const held = this.table.get(item.pk!.S!);
        const condition = command.input.ConditionExpression;
        if (condition !== undefined && held !== undefined) {
          if (condition !== "attribute_not_exists(pk) OR verifiedAt < :verifiedAt") throw new Error(`the fake does not know the condition ${condition}`);
          if (!(Number(held.verifiedAt?.N) < Number(command.input.ExpressionAttributeValues![":verifiedAt"]!.N))) {
            throw new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });
          }
        }
        this.storedItems.push(item);
        this.table.set(item.pk!.S!, item);
        return {};
      }
      throw new Error(`the fake does not know ${String(command)}`);
    },
  };

  readonly readSecret = async (signal: AbortSignal): Promise<string> => {
    const answer = this.secret.take();
    await this.time.sleep(answer.latency, signal);
    if (answer.fails) throw new Error("AccessDeniedException");
    return CLIENT_SECRET;
  };

  private async respond(answer: HttpAnswer, signal: AbortSignal | undefined): Promise<Response> {
    await this.time.sleep(answer.latency, signal);
    if (answer.kind === "reset") throw new TypeError("fetch failed", { cause: new Error("other side closed") });
    const headers: Record<string, string> = {};
    if (answer.contentType !== undefined) headers["content-type"] = answer.contentType;
    if (answer.rateLimitReset !== undefined) headers["ratelimit-reset"] = answer.rateLimitReset;
    if (answer.status >= 300 && answer.status < 400) headers.location = "https://elsewhere.example/api/v1/api_keys/verify";
    const nullBody = answer.status === 204 || answer.status === 304;
    return new Response(nullBody ? null : answer.body, { status: answer.status, headers });
  }

  /** Kinde said yes: HTTP 200, a JSON object, `is_valid: true`, status active. Looser than Keygate, never stricter. */
  private notePositive(apiKey: string, answer: Extract<HttpAnswer, { kind: "http" }>): void {
    if (answer.status !== 200) return;
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch {
      return;
    }
    if (typeof body !== "object" || body === null) return;
    const b = body as Record<string, unknown>;
    if (b.is_valid !== true || b.status !== "active") return;
    const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
    this.positives.push({
      apiKey,
      keyId: text(b.key_id),
      userId: text(b.user_id),
      orgCode: text(b.org_code),
      scopes: Array.isArray(b.scopes) ? b.scopes.filter((s): s is string => typeof s === "string") : [],
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The invariants.

/** Why this Allow is not backed by what Kinde said; undefined when it is. */
function unjustifiedAllow(result: APIGatewayAuthorizerResult, presented: string[], config: AuthorizerConfig, world: FakeWorld): string | undefined {
  const principal = result.principalId;
  const backed = world.positives.some((answer) => {
    if (!presented.includes(answer.apiKey)) return false;
    if (!config.requiredScopes.every((scope) => answer.scopes.includes(scope))) return false;
    const asUser = answer.userId !== undefined && principal === answer.userId;
    const asOrg = answer.orgCode !== undefined && principal === `org:${answer.orgCode}` && config.allowOrgKeys;
    if (!asUser && !asOrg) return false;
    const metadataNeeded = config.kindeApiIds.length > 0 || answer.orgCode !== undefined;
    if (!metadataNeeded) return asUser;
    return (world.metadata.get(answer.keyId ?? "") ?? []).some(({ apiIds, type }) => {
      const accepted = config.kindeApiIds.length === 0 || (Array.isArray(apiIds) && apiIds.some((id) => config.kindeApiIds.includes(id as string)));
      return accepted && ((type === "user" && asUser) || (type === "organization" && asOrg));
    });
  });
  return backed ? undefined : `allowed ${principal} for ${JSON.stringify(presented)} without a documented positive answer from Kinde that permits it`;
}

function nonScalarContext(result: APIGatewayAuthorizerResult): string | undefined {
  for (const [name, value] of Object.entries(result.context ?? {})) {
    if (!["string", "number", "boolean"].includes(typeof value)) return `context.${name} is ${value === null ? "null" : typeof value}`;
  }
  return typeof result.principalId === "string" ? undefined : "principalId is not a string";
}

/**
 * The request's budget: one lookup (verifyTimeoutMs, a DynamoDB read and write) for the verdict, and
 * one more for the key's metadata when it may be needed: the gateway is bound to APIs, or Kinde
 * vouched for the key naming an organization.
 */
function budgetOf(config: AuthorizerConfig, presented: string[], world: FakeWorld): number {
  const oneLookup = config.verifyTimeoutMs + 2 * config.dynamoDbTimeoutMs;
  const metadata = config.kindeApiIds.length > 0 || world.positives.some((answer) => presented.includes(answer.apiKey) && answer.orgCode !== undefined);
  return metadata ? 2 * oneLookup : oneLookup;
}

async function runScenario(s: Scenario, time: SimulatedTime): Promise<void> {
  const world = new FakeWorld(time, s);
  currentWorld = world;
  const st = s.settings;
  const config = loadConfig({
    KINDE_DOMAIN: KINDE,
    KINDE_M2M_CLIENT_ID: "keygate-property",
    ...(s.secret.via === "direct" ? { KINDE_M2M_CLIENT_SECRET: CLIENT_SECRET } : { KINDE_M2M_CLIENT_SECRET_ARN: SECRET_ARN }),
    ...(st.cacheTable ? { CACHE_TABLE_NAME: "keygate-property" } : {}),
    REQUIRED_SCOPES: st.requiredScopes.join(","),
    KINDE_API_IDS: st.kindeApiIds.join(","),
    ALLOW_ORG_KEYS: String(st.allowOrgKeys),
    STALE_IF_ERROR_SECONDS: String(st.staleIfErrorSeconds),
    FAILED_KEYS_PER_IP_PER_MINUTE: String(st.failedKeysPerIpPerMinute),
    MEMORY_CACHE_TTL_SECONDS: String(st.memoryCacheTtlSeconds),
    VERIFY_TIMEOUT_MS: String(st.verifyTimeoutMs),
    DYNAMODB_TIMEOUT_MS: String(st.dynamoDbTimeoutMs),
  });
  const auditLines: string[] = [];
  // Built on first use: most cases need one container only.
  const containers: AuthorizerHandler[] = [];
  const container = (index: number) =>
    (containers[index] ??= authorizerFromConfig(config, (record) => auditLines.push(JSON.stringify(record)), {}, {
      now: time.now,
      random: () => s.breakerRandom,
      // The fake speaks the two commands the stores send; the SDK client's other members are never used.
      dynamodb: world.dynamodb as unknown as DynamoDBClient,
      readSecret: world.readSecret,
    }));
  const problems: string[] = [];

  // Requests marked `together` run concurrently with the one before them.
  const groups: RequestSpec[][] = [];
  for (const spec of s.requests) {
    if (spec.together && groups.length > 0) groups[groups.length - 1]!.push(spec);
    else groups.push([spec]);
  }
  for (const group of groups) {
    time.advance(group[0]!.gapMs);
    const runs = group.map(async (spec) => {
      const { event, presented } = authorizerEvent(spec);
      const started = time.now();
      const outcome = await container(spec.container)(event).then(asRestOutcome).then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
      const took = time.now() - started;
      const budget = budgetOf(config, presented, world);
      if (took > budget) problems.push(`took ${took} ms of a ${budget} ms budget`);
      if ("error" in outcome) {
        const message = (outcome.error as Error).message;
        tally[message === "Unauthorized" ? "unauthorized" : "unavailable"]++;
        if (took >= config.verifyTimeoutMs) tally.waitedOutABudget++;
        if (message !== "Unauthorized" && message !== UNAVAILABLE) problems.push(`threw ${JSON.stringify(message)}`);
        return;
      }
      tally.allowed++;
      const wrong = unjustifiedAllow(outcome.result, presented, config, world) ?? nonScalarContext(outcome.result);
      if (wrong) problems.push(wrong);
    });
    await time.settle(Promise.all(runs));
  }

  const secrets = [CLIENT_SECRET, ...world.tokens, ...POOL, ...s.requests.map((r) => r.key).filter((key) => key.length >= 12)];
  const written = [...auditLines, ...world.storedItems.map((item) => JSON.stringify(item))];
  for (const secret of secrets) {
    if (written.some((line) => line.includes(secret))) problems.push(`${JSON.stringify(secret.slice(0, 12))}… appears in an audit line or a stored item`);
  }
  expect(problems).toEqual([]);
}

/** How the generated requests ended, so a run that never allows, refuses or times out cannot pass unnoticed. */
const tally = { allowed: 0, unauthorized: 0, unavailable: 0, waitedOutABudget: 0 };

let currentWorld: FakeWorld | undefined;
let currentTime = new SimulatedTime();

describe("the authorizer, over generated events and Kinde, DynamoDB and Secrets Manager answers", () => {
  beforeAll(() => {
    vi.stubGlobal("fetch", (input: string | URL | Request, init?: RequestInit) => {
      if (!currentWorld) throw new Error("no case is running");
      return currentWorld.fetch(input, init);
    });
    vi.spyOn(AbortSignal, "timeout").mockImplementation((ms: number) => currentTime.timeout(ms));
  });
  afterAll(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it(`allows only what Kinde vouched for, throws only its two errors, keeps its budgets and secrets (${RUNS.toLocaleString("en-US")} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        currentTime = new SimulatedTime();
        await runScenario(s, currentTime);
      }),
      { numRuns: RUNS },
    );
    const requests = tally.allowed + tally.unauthorized + tally.unavailable;
    for (const share of [tally.allowed, tally.unauthorized, tally.unavailable]) expect(share).toBeGreaterThan(requests / 20);
    expect(tally.waitedOutABudget).toBeGreaterThan(0);

  }, 120_000);
});
