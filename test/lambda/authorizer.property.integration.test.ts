/**
 * The property test's invariants (see authorizer.property.test.ts) over the real protocols, in fewer
 * cases: the Kinde emulator holding generated keys (status, owner, scopes, APIs, type) and switching
 * between its documented answers and its failure modes, dynalite as the cache table. An Allow must
 * be for a key the emulator holds as active, with every required scope, of an accepted API and an
 * allowed type; anything else is `Unauthorized` or the unavailability error; the context is scalar;
 * no raw key or secret reaches an audit line or the table.
 */
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import type { APIGatewayAuthorizerResult } from "aws-lambda";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import type { AuthorizerHandler } from "../../lambda/authorizer";
import { authorizerFromConfig } from "../../lambda/authorizer-from-config";
import { loadConfig, type AuthorizerConfig } from "../../lambda/config";
import { ensureCacheTable } from "../../local/embedded-dynamodb";
import { keyMetadataOf, type KeyMetadataMode, type KindeEmulatorOptions, type LocalKey, type VerifyMode } from "../../local/kinde-emulator";
import { FakeClock } from "../support/fake-clock";
import { asRestOutcome, authorizerEvent, requestSpecs, type RequestSpec } from "../support/generated-requests";
import { UNHURRIED_BUDGETS, useKindeEmulator, useLoopbackAws } from "../support/loopback-aws";

const RUNS = 150;
const CLIENT_SECRET = "m2m-property-secret-over-loopback";
const ACCEPTED_API = "api_gateway_accepted";
const OTHER_API = "api_gateway_other";
const POOL = ["k_live_loop_a_0123456789abcdef", "k_live_loop_b_fedcba9876543210", "k_live_loop_c_00ff00ff00ff00ff"];
const UNAVAILABLE = "Authorizer error: key verification is unavailable";

let keys: LocalKey[] = [];
const kindeOptions: KindeEmulatorOptions = { clientId: "keygate-property", clientSecret: CLIENT_SECRET, keys: () => keys, tokenLifetimeSeconds: 3600 };
const kinde = useKindeEmulator(kindeOptions);
const aws = useLoopbackAws("keygate-property");

beforeEach(() => {
  keys = [];
});

/** A key the emulator holds as good for this gateway. */
const goodKey = fc.record({
  held: fc.constant(true),
  status: fc.constant("active"),
  userId: fc.constantFrom("kp_user_1", "kp_user_2"),
  orgCode: fc.constant(null),
  scopes: fc.constant(["read", "write"]),
  apiIds: fc.constant([ACCEPTED_API]),
  type: fc.constantFrom("user", undefined),
});

const anyKey = fc.record({
  held: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  status: fc.constantFrom("active", "active", "inactive", "revoked", "ACTIVE"),
  userId: fc.constantFrom("kp_user_1", "kp_user_2", null),
  orgCode: fc.constantFrom("org_1", null, null),
  scopes: fc.subarray(["read", "write", "admin"]),
  apiIds: fc.subarray([ACCEPTED_API, OTHER_API]),
  type: fc.constantFrom("user", "user", "organization", "environment", "robot", undefined),
});

const keyTruth = fc.oneof({ weight: 2, arbitrary: goodKey }, { weight: 3, arbitrary: anyKey });

/** What the emulator does for one group of requests: mostly its documented answers. */
const modes = fc.record({
  verify: fc.oneof(
    { weight: 6, arbitrary: fc.constant<VerifyMode>("normal") },
    { weight: 2, arbitrary: fc.constantFrom<VerifyMode>("always-401", "rate-limited", "server-error", "reset", "malformed-json", "wrong-shape", "route-not-found", "unprocessable", "html") },
  ),
  keyMetadata: fc.oneof(
    { weight: 6, arbitrary: fc.constant<KeyMetadataMode>("normal") },
    { weight: 1, arbitrary: fc.constantFrom<KeyMetadataMode>("always-401", "forbidden", "rate-limited", "server-error", "route-not-found", "html") },
  ),
  unknownKeyAnswer: fc.constantFrom("200-invalid" as const, "400" as const, "404" as const),
});

const scenario = fc.record({
  truths: fc.tuple(keyTruth, keyTruth, keyTruth),
  settings: fc.record({
    requiredScopes: fc.subarray(["read", "write"], { minLength: 1 }),
    kindeApiIds: fc.constantFrom([] as string[], [ACCEPTED_API]),
    allowOrgKeys: fc.boolean(),
    staleIfErrorSeconds: fc.constantFrom(0, 600),
    memoryCacheTtlSeconds: fc.constantFrom(0, 30),
  }),
  modes: fc.array(modes, { minLength: 5, maxLength: 5 }),
  requests: fc.array(requestSpecs(POOL), { minLength: 1, maxLength: 5 }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** Why this Allow is not for an active key the rules accept; undefined when it is. */
function unjustifiedAllow(result: APIGatewayAuthorizerResult, presented: string[], config: AuthorizerConfig): string | undefined {
  const principal = result.principalId;
  const backed = keys.some((key) => {
    if (!presented.includes(key.api_key) || (key.status ?? "active") !== "active") return false;
    if (!config.requiredScopes.every((scope) => key.scopes?.includes(scope))) return false;
    const asUser = typeof key.user_id === "string" && principal === key.user_id;
    const asOrg = typeof key.org_code === "string" && principal === `org:${key.org_code}` && config.allowOrgKeys;
    const metadata = keyMetadataOf(key);
    if (config.kindeApiIds.length > 0 && !metadata.api_ids.some((id) => config.kindeApiIds.includes(id))) return false;
    if (config.kindeApiIds.length === 0 && !key.org_code) return asUser;
    return (metadata.type === "user" && asUser) || (metadata.type === "organization" && asOrg);
  });
  return backed ? undefined : `allowed ${principal} for ${JSON.stringify(presented)}, which the emulator does not hold as an acceptable active key`;
}

let cases = 0;
/** Allows seen across the run: a run that never allows would prove nothing about Allows. */
let allowed = 0;

async function runScenario(s: Scenario): Promise<string[]> {
  keys = s.truths.flatMap((truth, index) =>
    truth.held
      ? [
          {
            api_key: POOL[index]!,
            key_id: `api_key_${index}`,
            user_id: truth.userId,
            org_code: truth.orgCode,
            scopes: [...truth.scopes],
            status: truth.status,
            api_ids: [...truth.apiIds],
            ...(truth.type ? { type: truth.type } : {}),
          },
        ]
      : [],
  );
  // A table of the case's own: verdicts must not carry over from a case where the same key meant something else.
  const tableName = `${aws.tableName}-case-${++cases}`;
  await ensureCacheTable(aws.client, tableName);
  const st = s.settings;
  const config = loadConfig({
    KINDE_DOMAIN: kinde.url,
    KINDE_M2M_CLIENT_ID: "keygate-property",
    KINDE_M2M_CLIENT_SECRET: CLIENT_SECRET,
    CACHE_TABLE_NAME: tableName,
    REQUIRED_SCOPES: st.requiredScopes.join(","),
    KINDE_API_IDS: st.kindeApiIds.join(","),
    ALLOW_ORG_KEYS: String(st.allowOrgKeys),
    STALE_IF_ERROR_SECONDS: String(st.staleIfErrorSeconds),
    MEMORY_CACHE_TTL_SECONDS: String(st.memoryCacheTtlSeconds),
    ...UNHURRIED_BUDGETS,
  });
  const clock = new FakeClock(Date.now());
  const auditLines: string[] = [];
  const containers: AuthorizerHandler[] = [];
  const container = (index: number) =>
    (containers[index] ??= authorizerFromConfig(config, (record) => auditLines.push(JSON.stringify(record)), {}, { now: clock.now, random: () => 0.5 }));
  const problems: string[] = [];

  const groups: RequestSpec[][] = [];
  for (const spec of s.requests) {
    if (spec.together && groups.length > 0) groups[groups.length - 1]!.push(spec);
    else groups.push([spec]);
  }
  for (const [index, group] of groups.entries()) {
    const mode = s.modes[index]!;
    kinde.verifyMode = mode.verify;
    kinde.keyMetadataMode = mode.keyMetadata;
    kinde.unknownKeyAnswer = mode.unknownKeyAnswer;
    clock.advance(group[0]!.gapMs);
    await Promise.all(
      group.map(async (spec) => {
        const { event, presented } = authorizerEvent(spec);
        try {
          const result = await container(spec.container)(event).then(asRestOutcome);
          allowed++;
          const wrong = unjustifiedAllow(result, presented, config);
          if (wrong) problems.push(wrong);
          for (const [name, value] of Object.entries(result.context ?? {})) {
            if (!["string", "number", "boolean"].includes(typeof value)) problems.push(`context.${name} is ${typeof value}`);
          }
        } catch (error) {
          const message = (error as Error).message;
          if (message !== "Unauthorized" && message !== UNAVAILABLE) problems.push(`threw ${JSON.stringify(message)}`);
        }
      }),
    );
  }

  const { Items = [] } = await aws.client.send(new ScanCommand({ TableName: tableName }));
  const written = [...auditLines, ...Items.map((item) => JSON.stringify(item))];
  const secrets = [CLIENT_SECRET, ...POOL, ...s.requests.map((r) => r.key).filter((key) => key.length >= 12)];
  for (const secret of secrets) {
    if (written.some((line) => line.includes(secret))) problems.push(`${JSON.stringify(secret.slice(0, 12))}… appears in an audit line or a stored item`);
  }
  return problems;
}

describe("the authorizer over the Kinde emulator and dynalite, with generated keys, events and emulator modes", () => {
  it(`allows only active keys the rules accept, throws only its two errors, keeps keys and secrets out of logs and the table (${RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        expect(await runScenario(s)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
    expect(allowed).toBeGreaterThan(RUNS / 10);
  }, 120_000);
});
