/**
 * Every row of the failure table (test/support/fault-table.ts), driven over the real protocols:
 * the Kinde emulator, dynalite (behind a stand-in that throttles or hangs), a Secrets Manager
 * stand-in. Each row's request must get the row's answer, make the row's number of Kinde calls,
 * leave the row's audit record, and end within the budgets configured for it (a generous bound).
 */
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../lambda/audit/audit-log";
import { authorizerFromConfig } from "../../lambda/authorizer-from-config";
import { loadConfig, type AuthorizerConfig } from "../../lambda/config";
import type { KindeEmulatorOptions, LocalKey } from "../../local/kinde-emulator";
import { requestEvent } from "../support/aws-events";
import { startDynamoDbStandIn, startSecretsManagerStandIn, type DynamoDbBehaviour } from "../support/aws-stand-ins";
import { FakeClock } from "../support/fake-clock";
import { FAULT_TABLE, type CallerAnswer, type FaultId, type FaultRow } from "../support/fault-table";
import { UNHURRIED_BUDGETS, useKindeEmulator, useLoopbackAws } from "../support/loopback-aws";
import { closedPortUrl, type LoopbackServer } from "../support/loopback-server";

const CLIENT_SECRET = "m2m-secret-before-rotation";
const ROTATED_SECRET = "m2m-secret-after-rotation";
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keygate-kinde-AbCdEf";
/** The key each row's measured request presents: valid at Kinde unless the row's fault says otherwise. */
const MEASURED = "k_live_measured_0123456789abcdef";
/** A second valid key, for a container's history before the measured request. */
const EARLIER = "k_live_earlier_0123456789abcdef";
const ACTIVE_KEYS: LocalKey[] = [
  { api_key: MEASURED, key_id: "api_key_measured", user_id: "kp_measured", scopes: ["read:profile"] },
  { api_key: EARLIER, key_id: "api_key_earlier", user_id: "kp_earlier", scopes: ["read:profile"] },
];
/** Beyond the configured budgets, for a loaded machine: the bound catches a wait outside them, not a slow one. */
const SLACK_MS = 1_000;
/** Budgets short enough that waiting them out is quick, for rows where something hangs. */
const SHORT_BUDGETS = { VERIFY_TIMEOUT_MS: "300", DYNAMODB_TIMEOUT_MS: "100" } as const;

let keys: LocalKey[] = ACTIVE_KEYS;
const kindeOptions: KindeEmulatorOptions = { clientId: "keygate-test", clientSecret: CLIENT_SECRET, keys: () => keys, tokenLifetimeSeconds: 3600 };
const kinde = useKindeEmulator(kindeOptions);
const aws = useLoopbackAws("keygate-fault-table");
const standIns: LoopbackServer[] = [];

beforeEach(() => {
  keys = ACTIVE_KEYS;
  kindeOptions.clientSecret = CLIENT_SECRET;
});
afterEach(async () => {
  await Promise.all(standIns.splice(0).map((server) => server.stop()));
});

type Env = Record<string, string>;

interface Container {
  config: AuthorizerConfig;
  clock: FakeClock;
  records: AuditRecord[];
  answer(apiKey: string): Promise<CallerAnswer | string>;
}

/** One authorizer container with its own clock; `random` 0 gives the breaker's shortest cool-downs. */
function container(env: Env): Container {
  const clock = new FakeClock(Date.now());
  const records: AuditRecord[] = [];
  const config = loadConfig({
    KINDE_DOMAIN: kinde.url,
    KINDE_M2M_CLIENT_ID: "keygate-test",
    KINDE_M2M_CLIENT_SECRET: CLIENT_SECRET,
    CACHE_TABLE_NAME: aws.tableName,
    REQUIRED_SCOPES: "read:profile",
    ...UNHURRIED_BUDGETS,
    ...env,
  });
  const handler = authorizerFromConfig(config, (record) => records.push(record), {}, { now: clock.now, random: () => 0 });
  const answer = (apiKey: string) =>
    handler(event(apiKey)).then(
      (): CallerAnswer => "allow",
      (error: Error) => (error.message === "Unauthorized" ? "401" : error.message === "Authorizer error: key verification is unavailable" ? "503" : error.message),
    );
  return { config, clock, records, answer };
}

function event(apiKey: string): APIGatewayRequestAuthorizerEvent {
  return requestEvent(`Bearer ${apiKey}`);
}

async function dynamoDb(behaviour: DynamoDbBehaviour): Promise<void> {
  const standIn = await startDynamoDbStandIn(aws.dynamo.endpoint, () => behaviour);
  standIns.push(standIn);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = standIn.url;
}

async function secretsManager(value: () => string, behaviour: { hang?: boolean } = {}) {
  const standIn = await startSecretsManagerStandIn(SECRET_ARN, value, behaviour);
  standIns.push(standIn.server);
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = standIn.server.url;
  return standIn;
}

const FROM_SECRETS_MANAGER = { KINDE_M2M_CLIENT_SECRET: "", KINDE_M2M_CLIENT_SECRET_ARN: SECRET_ARN } as const;

/** A row's fault brought about: the container's settings, its history before the measured request, and any further check. */
interface Arranged {
  env?: Env;
  /** What the container went through before the measured request (its Kinde calls are not counted). */
  history?: (c: Container) => Promise<void>;
  alsoCheck?: (c: Container) => void;
}

/** Breaks things before the container starts. */
type FaultDriver = () => Promise<Arranged> | Arranged;

const kindeVerify = (mode: typeof kinde.verifyMode): FaultDriver => () => {
  kinde.verifyMode = mode;
  return {};
};

/** Typed by the table's ids: a row without a driver, or a driver without a row, does not compile. */
const DRIVERS: Record<FaultId, FaultDriver> = {
  "refused-key": () => {
    keys = keys.map((key) => (key.api_key === MEASURED ? { ...key, status: "revoked" } : key));
    return {};
  },
  "unknown-key-404": () => {
    keys = keys.filter((key) => key.api_key !== MEASURED);
    kinde.unknownKeyAnswer = "404";
    return {};
  },
  "kinde-down": async () => ({ env: { KINDE_DOMAIN: await closedPortUrl() } }),
  "kinde-5xx": kindeVerify("server-error"),
  "kinde-429": kindeVerify("rate-limited"),
  "kinde-429-wait": () => {
    kinde.verifyMode = "rate-limited";
    return {
      history: async (c) => {
        expect(await c.answer(EARLIER)).toBe("503");
        c.clock.advance((kinde.rateLimitResetSeconds - 1) * 1000);
      },
    };
  },
  "kinde-hang": () => {
    kinde.verifyMode = "hang";
    return { env: SHORT_BUDGETS };
  },
  "kinde-reset": kindeVerify("reset"),
  "kinde-redirect": () => {
    // To the real verify endpoint: following it would be one more verify call.
    kinde.redirect = { endpoint: "verify", status: 307, location: `${kinde.url}/api/v1/api_keys/verify` };
    return {};
  },
  "kinde-bad-json": kindeVerify("malformed-json"),
  "kinde-route-not-found": kindeVerify("route-not-found"),
  "kinde-html": kindeVerify("html"),
  "token-refused": kindeVerify("always-401"),
  "token-credentials-refused": () => {
    kindeOptions.clientSecret = "not-keygates-secret";
    return {};
  },
  "token-endpoint-down": () => {
    kinde.tokenMode = "server-error";
    return {};
  },
  "token-rate-limited": () => {
    kinde.tokenMode = "rate-limited";
    return {};
  },
  "circuit-open": () => {
    kinde.verifyMode = "server-error";
    return {
      history: async (c) => {
        for (let n = 0; n < 5; n++) expect(await c.answer(`k_live_history_${n}_0123456789abcdef`)).toBe("503");
      },
    };
  },
  "stale-if-error": () => ({
    env: { STALE_IF_ERROR_SECONDS: "600" },
    history: async (c) => {
      expect(await c.answer(MEASURED)).toBe("allow");
      c.clock.advance(c.config.cacheTtlSeconds * 1000 + 1_000);
      kinde.verifyMode = "server-error";
    },
  }),
  "dynamodb-down": async () => {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = await closedPortUrl();
    return {};
  },
  "dynamodb-throttled": async () => {
    await dynamoDb("throttle");
    return {};
  },
  "dynamodb-hanging": async () => {
    await dynamoDb("hang");
    return { env: { DYNAMODB_TIMEOUT_MS: "100", VERIFY_TIMEOUT_MS: "3000" } };
  },
  "secrets-down": async () => {
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = await closedPortUrl();
    return { env: { ...FROM_SECRETS_MANAGER, ...SHORT_BUDGETS } };
  },
  "secrets-hanging": async () => {
    await secretsManager(() => CLIENT_SECRET, { hang: true });
    return { env: { ...FROM_SECRETS_MANAGER, ...SHORT_BUDGETS } };
  },
  "secrets-rotated": async () => {
    let current = CLIENT_SECRET;
    const standIn = await secretsManager(() => current);
    return {
      env: FROM_SECRETS_MANAGER,
      history: async (c) => {
        expect(await c.answer(EARLIER)).toBe("allow");
        current = ROTATED_SECRET;
        kindeOptions.clientSecret = ROTATED_SECRET;
        kinde.expireTokens(); // the token issued to the old secret runs out
        c.clock.advance(31_000);
      },
      alsoCheck: (c) => {
        expect(standIn.reads).toEqual([SECRET_ARN, SECRET_ARN]);
        expect(JSON.stringify(c.records)).not.toContain(ROTATED_SECRET);
      },
    };
  },
};

describe("the failure table", () => {
  const rows = (Object.entries(FAULT_TABLE) as [FaultId, FaultRow][]).map(([id, row]) => ({ id, ...row }));
  it.each(rows)("$id: $fault → $answer, $kindeCalls Kinde calls", async ({ id, ...row }) => {
    const arranged = await DRIVERS[id]();
    const c = container(arranged.env ?? {});
    await arranged.history?.(c);
    kinde.resetCounts();
    const before = c.records.length;

    const started = performance.now();
    const answer = await c.answer(MEASURED);
    const elapsedMs = performance.now() - started;

    expect(answer).toBe(row.answer);
    expect(kinde.calls.token + kinde.calls.verify + kinde.calls.keyMetadata).toBe(row.kindeCalls);
    expect(c.records).toHaveLength(before + 1);
    const record = c.records[before]!;
    expect(record.reason).toBe(row.audit.reason);
    if ("upstreamError" in row.audit) expect(record.upstream_error).toMatch(new RegExp(`^${row.audit.upstreamError}:`));
    else expect(record.upstream_error).toBeUndefined();
    if ("cacheError" in row.audit) expect(record.cache_error).toBeTruthy();
    // The budgets in force bound the request: one DynamoDB read, the verification (secret and token included), one write.
    expect(elapsedMs).toBeLessThan(c.config.verifyTimeoutMs + 2 * c.config.dynamoDbTimeoutMs + SLACK_MS);
    arranged.alsoCheck?.(c);
  });
});
