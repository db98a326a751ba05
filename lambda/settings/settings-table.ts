/**
 * Every Keygate setting, declared once: where it is read (the authorizer's environment variable,
 * the component's argument, the stack's `keygate:` key), what it holds, its default, and what it is
 * for. The authorizer's `loadConfig` and environment encoder, the component's defaults and checks,
 * the stack reader, `npm start`'s stack-file reader and docs/configuration.md are all derived from
 * this table: a setting added here is a setting everywhere.
 */
import type { UsagePlansSettings } from "../usage/usage-plans-schema";
import { boolean, integer, jsonObject, kindeOrigin, oneOf, oneOfNumbers, routeScopes, text, wordList, type SettingKind, type WordRule } from "./setting-kinds";

export interface SettingSpec<T = unknown> {
  readonly kind: SettingKind<T>;
  /**
   * The authorizer's environment variable. A `reference` is written by whoever builds the
   * environment (a resource's name or ARN, the secret, the encoded usage plans), not from the
   * setting's value; the authorizer still reads and checks it.
   */
  readonly env?: { readonly name: string; readonly reference?: true; readonly kind?: SettingKind<T> };
  /** Path of the component's argument, e.g. `cacheTtlSeconds`, `auditLog.retentionInDays`. */
  readonly arg?: string;
  /** The stack setting, `keygate:<stackKey>`. */
  readonly stackKey?: string;
  /** Unset means: no value (`undefined`), or required where `required` says so. */
  readonly default?: T;
  readonly required?: boolean;
  /** The value is a secret: never echoed, stored in Secrets Manager, passed as a Pulumi secret. */
  readonly secret?: boolean;
  /** Used by `npm start` (the authorizer's and the local gateway's settings); the others only shape a deployment. */
  readonly local?: boolean;
  /** One line for the configuration reference. */
  readonly doc: string;
}

// Checks each entry against its kind's value type, and keeps the entry's own type (which fields it sets).
const spec = <T, const S extends SettingSpec<T>>(setting: S & SettingSpec<T>): S => setting;

// The authorizer splits REQUIRED_SCOPES on spaces and commas, so a scope cannot contain either.
const SCOPE: WordRule = { pattern: /^[\x21-\x2b\x2d-\x7e]{1,128}$/, one: "a scope name", many: "scope names", rule: "1 to 128 printable characters without spaces or commas" };
// REST API ids are ten lower-case letters and digits.
export const REST_API_ID: WordRule = { pattern: /^[a-z0-9]{10}$/, one: "a REST API id", many: "REST API ids", rule: "ten lower-case letters and digits" };
// HTTP API (API Gateway v2) ids have the same shape: both kinds share the `<id>.execute-api` host names.
export const HTTP_API_ID: WordRule = { pattern: /^[a-z0-9]{10}$/, one: "an HTTP API id", many: "HTTP API ids", rule: "ten lower-case letters and digits" };
// API Gateway: "alphanumeric characters, hyphens, and underscores", at most 128.
const STAGE_NAME: WordRule = { pattern: /^[A-Za-z0-9_-]{1,128}$/, one: "a stage name", many: "stage names", rule: '1 to 128 letters, digits, "-" or "_"' };
// Kinde API ids as the Management API shows them: letters, digits and "_".
const KINDE_API_ID: WordRule = { pattern: /^[A-Za-z0-9_]{1,128}$/, one: "a Kinde API id", many: "Kinde API ids", rule: 'letters, digits and "_", as Kinde shows them' };
// The authorizer's function name, which the component uses as the tag's value: what Lambda allows in a name.
const STACK_TAG: WordRule = { pattern: /^[A-Za-z0-9_-]{1,64}$/, one: "a stack tag value", many: "stack tag values", rule: '1 to 64 letters, digits, "-" or "_"' };
const SECRET_ARN: WordRule = {
  pattern: /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/,
  one: "a Secrets Manager secret ARN",
  many: "Secrets Manager secret ARNs",
  rule: "`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME`",
};
// CloudWatch alarm actions take standard SNS topics (not FIFO ones).
const SNS_TOPIC_ARN: WordRule = {
  pattern: /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
  one: "an SNS topic ARN",
  many: "SNS topic ARNs",
  rule: "`arn:aws:sns:REGION:ACCOUNT:NAME` (a standard topic)",
};

/** CloudWatch Logs accepts only these retention periods; 0 means never expire. */
export const LOG_RETENTION_DAYS = [0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const tags = jsonObject<Record<string, string>>("tag keys to string values", (value, problem) => {
  for (const [key, tag] of Object.entries(value)) {
    if (key === "" || typeof tag !== "string") return problem(`has ${JSON.stringify(key)}: tag keys must be non-empty and values strings`);
  }
  return { ...(value as Record<string, string>) };
});

/** `usagePlans` as written; its shape is checked by the component's usage-plan rules (docs/usage-plans.md). */
const usagePlans = jsonObject<UsagePlansSettings>("tiers, defaultTier, tierScopes, users, autoProvision, ... (docs/usage-plans.md)", (value) => value as unknown as UsagePlansSettings);

export const SETTINGS = {
  kindeDomain: spec({
    kind: kindeOrigin({ loopbackHttp: false }),
    env: { name: "KINDE_DOMAIN", kind: kindeOrigin({ loopbackHttp: true }) },
    arg: "kinde.domain",
    stackKey: "kindeDomain",
    required: true,
    local: true,
    doc: "The Kinde business whose API keys are accepted.",
  }),
  clientId: spec({
    kind: text(),
    env: { name: "KINDE_M2M_CLIENT_ID", reference: true },
    arg: "kinde.clientId",
    stackKey: "kindeClientId",
    required: true,
    local: true,
    doc: "Client id of the Kinde M2M application that holds the `read:api_keys` scope.",
  }),
  clientSecret: spec({
    kind: text({ secret: true }),
    env: { name: "KINDE_M2M_CLIENT_SECRET", reference: true },
    arg: "kinde.clientSecret",
    stackKey: "kindeClientSecret",
    required: true,
    secret: true,
    local: true,
    doc: "That application's client secret. Deployed, it is kept in Secrets Manager and the function gets only its ARN; the variable is for local use.",
  }),
  clientSecretArn: spec({
    kind: text({ word: SECRET_ARN }),
    env: { name: "KINDE_M2M_CLIENT_SECRET_ARN", reference: true },
    doc: "Set by the component: the Secrets Manager secret holding the client secret.",
  }),
  cacheTableName: spec({
    kind: text(),
    env: { name: "CACHE_TABLE_NAME", reference: true },
    doc: "Set by the component: the DynamoDB verdict cache table. Unset means memory-only caching.",
  }),
  stackTag: spec({
    kind: text({ word: STACK_TAG }),
    env: { name: "KEYGATE_STACK_TAG", reference: true },
    doc: "Set by the component with usage plans (the function's name): the `keygate:stack` tag's value on every API key Keygate creates (docs/deploy.md). The authorizer's role may delete only the keys it created with it. Unset (local use): the authorizer creates keys untagged.",
  }),
  cacheTtlSeconds: spec({
    kind: integer(1, 86_400),
    env: { name: "CACHE_TTL_SECONDS" },
    arg: "cacheTtlSeconds",
    stackKey: "cacheTtlSeconds",
    default: 300,
    local: true,
    doc: "Lifetime of a positive verdict in the shared cache, seconds.",
  }),
  negativeCacheTtlSeconds: spec({
    kind: integer(1, 86_400),
    env: { name: "NEGATIVE_CACHE_TTL_SECONDS" },
    arg: "negativeCacheTtlSeconds",
    stackKey: "negativeCacheTtlSeconds",
    default: 30,
    local: true,
    doc: "Lifetime of a negative verdict (invalid, revoked or unknown key), seconds.",
  }),
  memoryCacheTtlSeconds: spec({
    kind: integer(0, 86_400),
    env: { name: "MEMORY_CACHE_TTL_SECONDS" },
    arg: "memoryCacheTtlSeconds",
    stackKey: "memoryCacheTtlSeconds",
    default: 30,
    local: true,
    doc: "Lifetime of a verdict in one container's memory, seconds; capped at `cacheTtlSeconds`.",
  }),
  memoryCacheMaxEntries: spec({
    kind: integer(1, 1_000_000),
    env: { name: "MEMORY_CACHE_MAX_ENTRIES" },
    arg: "memoryCacheMaxEntries",
    stackKey: "memoryCacheMaxEntries",
    default: 10_000,
    local: true,
    doc: "Most verdicts one container keeps in memory.",
  }),
  staleIfErrorSeconds: spec({
    kind: integer(0, 86_400),
    env: { name: "STALE_IF_ERROR_SECONDS" },
    arg: "staleIfErrorSeconds",
    stackKey: "staleIfErrorSeconds",
    default: 0,
    local: true,
    doc: "While Kinde is unreachable, keep allowing a key whose positive verdict expired less than this long ago, seconds. 0: never allow without a fresh verdict.",
  }),
  verifyTimeoutMs: spec({
    kind: integer(100, 30_000),
    env: { name: "VERIFY_TIMEOUT_MS" },
    arg: "verifyTimeoutMs",
    stackKey: "verifyTimeoutMs",
    default: 2_500,
    local: true,
    doc: "Budget for one Kinde verification including retries, milliseconds.",
  }),
  dynamoDbTimeoutMs: spec({
    kind: integer(10, 2_000),
    env: { name: "DYNAMODB_TIMEOUT_MS" },
    arg: "dynamoDbTimeoutMs",
    stackKey: "dynamoDbTimeoutMs",
    default: 250,
    local: true,
    doc: "Budget for one DynamoDB call before the shared cache is skipped, milliseconds.",
  }),
  failedKeysPerIpPerMinute: spec({
    // Above 10,000 a per-container budget no longer shields Kinde; 0 is for callers that all share one address.
    kind: integer(0, 10_000),
    env: { name: "FAILED_KEYS_PER_IP_PER_MINUTE" },
    arg: "failedKeysPerIpPerMinute",
    stackKey: "failedKeysPerIpPerMinute",
    default: 20,
    local: true,
    doc: "Distinct failed keys one source IP may present per minute (per container) before its unknown keys are refused without asking Kinde (`ip_failure_budget`). 0 turns the budget off, for callers that all arrive through one address.",
  }),
  kindeApiIds: spec({
    kind: wordList(KINDE_API_ID, "merge"),
    env: { name: "KINDE_API_IDS" },
    arg: "kinde.apiIds",
    stackKey: "kindeApiIds",
    default: [] as string[],
    local: true,
    doc: "The Kinde APIs whose keys this gateway accepts: a key is allowed only if Kinde lists one of them in the key's `api_ids` (else `wrong_api`).",
  }),
  keyMetadataTtlSeconds: spec({
    // A minute at least, so no setting makes it a call per request; a week at most, so a wrong answer heals.
    kind: integer(60, 604_800),
    env: { name: "KEY_METADATA_TTL_SECONDS" },
    arg: "keyMetadataTtlSeconds",
    stackKey: "keyMetadataTtlSeconds",
    default: 86_400,
    local: true,
    doc: "How long a key's metadata (its APIs, type and creation date, which never change for a key id) is kept, seconds.",
  }),
  acceptKeysForAnyApi: spec({
    kind: boolean,
    env: { name: "ACCEPT_KEYS_FOR_ANY_API" },
    arg: "acceptKeysForAnyApi",
    stackKey: "acceptKeysForAnyApi",
    default: false,
    local: true,
    doc: "Opt in to a deployment with neither `kindeApiIds` nor `requiredScopes`, which accepts an active key issued for any API of the Kinde business.",
  }),
  requiredScopes: spec({
    kind: wordList(SCOPE, "merge"),
    env: { name: "REQUIRED_SCOPES" },
    arg: "requiredScopes",
    stackKey: "requiredScopes",
    default: [] as string[],
    local: true,
    doc: "Scopes every key must carry, e.g. `api:access`.",
  }),
  allowOrgKeys: spec({
    kind: boolean,
    env: { name: "ALLOW_ORG_KEYS" },
    arg: "allowOrgKeys",
    stackKey: "allowOrgKeys",
    default: false,
    local: true,
    doc: "Accept organization-level keys (principal `org:<org_code>`). Default: user keys only.",
  }),
  routeScopes: spec({
    kind: routeScopes,
    env: { name: "ROUTE_SCOPES" },
    arg: "routeScopes",
    stackKey: "routeScopes",
    default: {},
    local: true,
    doc: "Scopes a key needs per route (docs/route-rules.md). Routes without a rule are open to every authenticated key.",
  }),
  usagePlans: spec({
    kind: usagePlans,
    env: { name: "USAGE_PLANS", reference: true },
    arg: "usagePlans",
    stackKey: "usagePlans",
    local: true,
    doc: "Per-user throttles and quotas through API Gateway usage plans (docs/usage-plans.md), on REST APIs only: HTTP APIs have no usage plans. Unset: requests are not metered per user.",
  }),
  authorizerType: spec({
    kind: oneOf(["REQUEST", "TOKEN"] as const),
    arg: "authorizerType",
    stackKey: "authorizerType",
    default: "REQUEST",
    local: true,
    doc: "`REQUEST` (the function sees headers and source IP) or `TOKEN`, for REST APIs; an HTTP API's authorizer is always `REQUEST` with payload 2.0.",
  }),
  authorizerResultTtlSeconds: spec({
    // API Gateway's limit for the authorizer result cache.
    kind: integer(0, 3_600),
    arg: "authorizerResultTtlSeconds",
    stackKey: "authorizerResultTtlSeconds",
    default: 300,
    local: true,
    doc: "How long API Gateway reuses an answer for the same `Authorization` header (on an HTTP API with route rules, the same header and route), seconds; 0 disables it. A revoked key stays usable this long.",
  }),
  openApi: spec({
    kind: boolean,
    arg: "openApi",
    stackKey: "openApi",
    default: false,
    doc: "Also create the role and the `openApiSecurityScheme` output for REST APIs defined with OpenAPI.",
  }),
  memorySizeMb: spec({
    // Lambda's limits.
    kind: integer(128, 10_240),
    arg: "memorySizeMb",
    stackKey: "memorySizeMb",
    default: 256,
    doc: "The function's memory, MB.",
  }),
  wafRequestsPerFiveMinutesPerIp: spec({
    // AWS WAF's bounds for a rate-based rule's limit: at least 10 ("The lowest limit setting allowed is 10",
    // https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html),
    // at most 2,000,000,000 (RateBasedStatement.Limit in the AWS WAFV2 API Reference).
    kind: integer(10, 2_000_000_000),
    arg: "waf.requestsPerFiveMinutesPerIp",
    stackKey: "wafRequestsPerFiveMinutesPerIp",
    doc: "Put an AWS WAF web ACL on every protected stage that blocks a source IP above this many requests in any 5 minutes (docs/deploy.md). Unset: no web ACL. Needs `stageNames` on every API. REST APIs only: AWS WAF cannot be associated with an HTTP API's stage.",
  }),
  auditLogRetentionInDays: spec({
    kind: oneOfNumbers(LOG_RETENTION_DAYS, "CloudWatch's retention periods, 0 = never expire"),
    arg: "auditLog.retentionInDays",
    stackKey: "auditLogRetentionDays",
    default: 365,
    doc: "Days the audit records are kept.",
  }),
  auditLogKmsKeyArn: spec({
    kind: text(),
    arg: "auditLog.kmsKeyArn",
    stackKey: "auditLogKmsKeyArn",
    doc: "KMS key to encrypt the audit log group with; its key policy must allow CloudWatch Logs in this Region.",
  }),
  auditLogMetrics: spec({
    kind: boolean,
    arg: "auditLog.metrics",
    stackKey: "auditLogMetrics",
    default: true,
    doc: "A metric filter counting decisions by `decision` and `reason` (namespace `Keygate`).",
  }),
  alarmsEnabled: spec({
    kind: boolean,
    arg: "alarms.enabled",
    stackKey: "alarms",
    default: true,
    doc: "CloudWatch alarms on the authorizer: failing or timing out, verification unavailable, a spike of denials, throttling, p99 latency (docs/operations.md).",
  }),
  alarmTopicArn: spec({
    kind: text({ word: SNS_TOPIC_ARN }),
    arg: "alarms.topicArn",
    stackKey: "alarmTopicArn",
    doc: "SNS topic the alarms notify when they fire and when they recover. Unset: the alarms only change state.",
  }),
  alarmUnavailablePerFiveMinutes: spec({
    kind: integer(1, 1_000_000),
    arg: "alarms.unavailablePerFiveMinutes",
    stackKey: "alarmUnavailablePerFiveMinutes",
    default: 10,
    doc: "Requests answered 503 because Kinde could not be asked (`upstream_unavailable`) in five minutes that raise the verification-unavailable alarm.",
  }),
  alarmDenialsPerFiveMinutes: spec({
    kind: integer(1, 100_000_000),
    arg: "alarms.denialsPerFiveMinutes",
    stackKey: "alarmDenialsPerFiveMinutes",
    default: 1_000,
    doc: "Denials in five minutes that raise the denial-spike alarm (a brute-force signal); set it above your normal rate of refused requests.",
  }),
  alarmP99LatencyMs: spec({
    kind: integer(10, 900_000),
    arg: "alarms.p99LatencyMs",
    stackKey: "alarmP99LatencyMs",
    default: 1_000,
    doc: "The authorizer's p99 duration, milliseconds, above which (for 15 minutes) the latency alarm fires.",
  }),
  dashboard: spec({
    kind: boolean,
    arg: "dashboard",
    stackKey: "dashboard",
    default: true,
    doc: "A CloudWatch dashboard of decisions (overall and per REST or HTTP API), verdict sources, Kinde calls, latency, top users and top refused keys and addresses; its URL is the `dashboardUrl` output.",
  }),
  contributorInsights: spec({
    kind: boolean,
    arg: "contributorInsights",
    stackKey: "contributorInsights",
    default: true,
    doc: "Contributor Insights rules on the audit log: top users and top APIs (REST and HTTP) by requests, top key fingerprints and source IPs by denials (billed per rule and matched record).",
  }),
  savedQueries: spec({
    kind: boolean,
    arg: "savedQueries",
    stackKey: "savedQueries",
    default: true,
    doc: "Saved Logs Insights queries for the audit log (a user's decisions, denials by reason, decisions by API, a key's last use, idle and old keys).",
  }),
  accessLogs: spec({
    kind: boolean,
    arg: "accessLogs.enabled",
    stackKey: "accessLogs",
    default: false,
    doc: "API Gateway access logs (JSON, one line per request, cache hits included) for the stages the component deploys, with the authorizer's `user_id` and `key_id`, the status and the latencies; needs `accessLogCloudWatchRole` (docs/operations.md).",
  }),
  accessLogRetentionInDays: spec({
    kind: oneOfNumbers(LOG_RETENTION_DAYS, "CloudWatch's retention periods, 0 = never expire"),
    arg: "accessLogs.retentionInDays",
    stackKey: "accessLogRetentionDays",
    default: 90,
    doc: "Days the access logs are kept.",
  }),
  accessLogCloudWatchRole: spec({
    kind: oneOf(["create", "existing"] as const),
    arg: "accessLogs.cloudWatchRole",
    stackKey: "accessLogCloudWatchRole",
    doc: "Required with access logs. REST API access logs need the account's API Gateway CloudWatch role, one per account and Region: `existing` when the account already has one; `create` to create it and set it for the whole account and Region (every API there then logs through it; kept when the stack is destroyed).",
  }),
  pointInTimeRecovery: spec({
    kind: boolean,
    arg: "cacheTable.pointInTimeRecovery",
    stackKey: "cacheTablePointInTimeRecovery",
    default: false,
    doc: "Point-in-time recovery for the cache table (it only holds cached verdicts).",
  }),
  deletionProtection: spec({
    kind: boolean,
    arg: "cacheTable.deletionProtection",
    stackKey: "cacheTableDeletionProtection",
    default: false,
    doc: "Deletion protection for the cache table (losing it only costs Kinde calls).",
  }),
  tags: spec({
    kind: tags,
    arg: "tags",
    stackKey: "tags",
    doc: "Tags for every taggable resource. Never put a secret here.",
  }),
  restApiIds: spec({
    kind: wordList(REST_API_ID, "refuse"),
    stackKey: "restApiIds",
    default: [] as string[],
    doc: "Stack only: ids of existing REST APIs to protect. Empty, with `httpApiIds` empty too: the stack creates and protects a demo API.",
  }),
  httpApiIds: spec({
    kind: wordList(HTTP_API_ID, "refuse"),
    stackKey: "httpApiIds",
    default: [] as string[],
    doc: "Stack only: ids of existing HTTP APIs (API Gateway v2) to protect; each gets a payload-2.0 authorizer, whose id is in the `httpApis` output, for its routes to name (docs/attach.md).",
  }),
  stageNames: spec({
    kind: wordList(STAGE_NAME, "refuse"),
    stackKey: "stageNames",
    default: [] as string[],
    doc: "Stack only: the stages of those APIs that serve protected methods (required with usage plans).",
  }),
  demoApi: spec({
    kind: boolean,
    stackKey: "demoApi",
    default: true,
    doc: "Stack only: create and protect the demo API when `restApiIds` and `httpApiIds` are empty.",
  }),
  demoStageName: spec({
    kind: text({ word: STAGE_NAME }),
    stackKey: "demoStageName",
    default: "demo",
    doc: "Stack only: the demo API's stage.",
  }),
};

export type SettingName = keyof typeof SETTINGS;

/** The value type of a setting. */
export type SettingValue<N extends SettingName> = (typeof SETTINGS)[N]["kind"] extends SettingKind<infer T> ? T : never;

/** Every setting's stack key, `keygate:<key>`. */
export const STACK_KEYS: readonly string[] = Object.values(SETTINGS).flatMap((setting: SettingSpec) => (setting.stackKey ? [setting.stackKey] : []));

/** The settings that have a default, and the default. */
export const SETTING_DEFAULTS = Object.fromEntries(
  Object.entries(SETTINGS).flatMap(([name, setting]: [string, SettingSpec]) => (setting.default !== undefined ? [[name, setting.default]] : [])),
) as { readonly [N in SettingName as (typeof SETTINGS)[N] extends { default: unknown } ? N : never]: SettingValue<N> };
