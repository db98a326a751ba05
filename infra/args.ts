import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { SETTING_DEFAULTS, type SETTINGS, type SettingName, type SettingValue } from "../lambda/settings/settings-table";
import type { RouteScopes } from "../lambda/policy/route-rules";
import type { UsagePlansSettings } from "../lambda/usage/usage-plans-schema";

/** The Kinde business whose user-level API keys are accepted, and the M2M application that verifies them. */
export interface KindeSettings {
  /** Base URL of the Kinde business, e.g. `https://acme.kinde.com` (`acme.kinde.com` means the same): https only, no path. */
  domain: string;
  /** Client id of the Kinde M2M application that holds the `read:api_keys` scope. */
  clientId: pulumi.Input<string>;
  /**
   * That application's client secret. Pass a Pulumi secret (`config.requireSecret(...)`): it is
   * stored in AWS Secrets Manager, and the function only ever receives the secret's ARN.
   */
  clientSecret: pulumi.Input<string>;
  /**
   * The Kinde APIs whose keys this gateway accepts (their ids, as Kinde's dashboard shows them). A
   * key is allowed only if Kinde lists one of them among the key's APIs; else it is refused as
   * `wrong_api`. Without it (and without `requiredScopes`) any active key of the business passes,
   * which preview refuses unless `acceptKeysForAnyApi` is set.
   */
  apiIds?: string[];
}

interface ProtectedApiCommon {
  /**
   * Key used in the names of this API's child resources (`<component>-<name>-authorizer`, ...).
   * Keep it stable: changing it replaces the API's authorizer. Defaults to `restApiId` when that
   * is a plain string, else to the entry's position in `apis`. Letters, digits, `-` and `_`.
   */
  name?: string;
  /**
   * Stages of this API that serve protected methods. Checked at preview time; reported in the
   * `apis` output so you know which stages to redeploy after attaching the authorizer.
   */
  stageNames?: string[];
}

/** What `deployStages` is given: the API's authorizer, as soon as it exists. */
export interface AttachedApi {
  /** Set it as `authorizerId` on methods with authorization `CUSTOM`. */
  authorizer: aws.apigateway.Authorizer;
  /** The API's gateway responses: make the deployment depend on them, or the stage will not show them. */
  gatewayResponses: aws.apigateway.Response[];
  /**
   * True when `usagePlans` is set: set it as `apiKeyRequired` on every method the authorizer
   * protects, or API Gateway meters nothing (and the RestApi needs `apiKeySource: "AUTHORIZER"`).
   */
  apiKeyRequired: boolean;
  /**
   * With `accessLogs`: set it as `accessLogSettings` on every stage returned (the component checks
   * that it was). Its destination waits for the account's CloudWatch role when the component sets it.
   */
  accessLogSettings?: pulumi.Output<AccessLogDestination>;
}

/** What a stage's `accessLogSettings` holds: the log group's ARN and Keygate's one-line JSON format. */
export interface AccessLogDestination {
  destinationArn: string;
  format: string;
}

/** A REST API defined in the same Pulumi program. */
export interface ProtectedRestApiResource extends ProtectedApiCommon {
  restApi: aws.apigateway.RestApi;
  restApiId?: never;
  /**
   * Creates the API's methods, deployment and stages once its authorizer exists, and returns the
   * stages. Required with `usagePlans`: API Gateway refuses a usage plan naming a stage that does
   * not exist yet, the stage cannot exist before the authorizer its methods use, and the function
   * behind the authorizer needs the plans' ids; the component calls this between the authorizer and
   * the plans. The stages returned must be exactly those of `stageNames`.
   */
  deployStages?: (api: AttachedApi) => aws.apigateway.Stage[];
}

/** A REST API defined elsewhere (another stack, the console, CloudFormation), named by its id. */
export interface ProtectedRestApiId extends ProtectedApiCommon {
  /** The REST API's id, e.g. `a1b2c3d4e5`. */
  restApiId: pulumi.Input<string>;
  restApi?: never;
  deployStages?: never;
}

export type ProtectedApi = ProtectedRestApiResource | ProtectedRestApiId;

interface ProtectedHttpApiCommon {
  /**
   * Key used in the names of this API's child resources (`<component>-<name>-authorizer`, ...).
   * Keep it stable: changing it replaces the API's authorizer. Defaults to `apiId` when that is a
   * plain string, else to `http-<position in httpApis>`. Letters, digits, `-` and `_`; unique
   * across `apis` and `httpApis`.
   */
  name?: string;
}

/** An HTTP API (API Gateway v2, `protocolType: "HTTP"`) defined in the same Pulumi program. */
export interface ProtectedHttpApiResource extends ProtectedHttpApiCommon {
  api: aws.apigatewayv2.Api;
  apiId?: never;
}

/** An HTTP API defined elsewhere (another stack, the console, CloudFormation), named by its id. */
export interface ProtectedHttpApiId extends ProtectedHttpApiCommon {
  /** The HTTP API's id, e.g. `f1g2h3i4j5`. */
  apiId: pulumi.Input<string>;
  api?: never;
}

/**
 * An HTTP API to protect. The component creates its authorizer; its routes are yours: give each
 * protected `aws.apigatewayv2.Route` `authorizationType: "CUSTOM"` and the authorizer's id.
 */
export type ProtectedHttpApi = ProtectedHttpApiResource | ProtectedHttpApiId;

export interface CacheTableSettings {
  /** Point-in-time recovery. The table only holds cached verdicts, so it is off by default. */
  pointInTimeRecovery?: boolean;
  /** DynamoDB deletion protection. Off by default: losing the cache only costs Kinde calls. */
  deletionProtection?: boolean;
}

export interface AuditLogSettings {
  /** Days the audit records are kept: one of CloudWatch's allowed values (0 = never expire). Default 365. */
  retentionInDays?: number;
  /**
   * KMS key to encrypt the audit log group with. Its key policy must allow the CloudWatch Logs
   * service principal of this Region to use it.
   */
  kmsKeyArn?: pulumi.Input<string>;
  /** A metric filter counting decisions by `decision` and `reason` (namespace `Keygate`). Default true. */
  metrics?: boolean;
}

/** An AWS WAF web ACL in front of the protected stages, for floods that should never reach the authorizer. */
export interface WafSettings {
  /**
   * Requests one source IP may send in any 5 minutes, across all protected stages, before AWS WAF
   * blocks it (403) until its rate falls below the limit (10..2000000000). Every API in `apis` needs
   * `stageNames`. Unset: no web ACL. REST APIs only: AWS WAF cannot be associated with an HTTP
   * API's stage, so the APIs in `httpApis` are not covered.
   */
  requestsPerFiveMinutesPerIp?: number;
}

/**
 * API Gateway access logs: one JSON line per request, including the requests API Gateway's result
 * cache answers without calling the authorizer (docs/operations.md, "Who is calling").
 */
export interface AccessLogSettings {
  /**
   * Turn them on for the stages `deployStages` creates (they must set the `accessLogSettings` they
   * are given); stages defined elsewhere can use the `accessLogSettings` output. Default false.
   */
  enabled?: boolean;
  /** Days the access logs are kept: one of CloudWatch's allowed values (0 = never expire). Default 90. */
  retentionInDays?: number;
  /**
   * Required with `enabled`. REST API access logs need the API Gateway CloudWatch role of the account,
   * one per account and Region. `existing`: the account already has one. `create`: create a role and
   * set it for the whole account and Region, replacing any role set before; it is kept when the
   * component is deleted, since every API of the account and Region logs through it.
   */
  cloudWatchRole?: "create" | "existing";
}

/** CloudWatch alarms on the authorizer (docs/operations.md says what each means and what to do). */
export interface AlarmSettings {
  /** Create the alarms. Default true. */
  enabled?: boolean;
  /** SNS topic (standard, not FIFO) notified when an alarm fires and when it recovers. Default: none, the alarms only change state. */
  topicArn?: pulumi.Input<string>;
  /** `upstream_unavailable` answers (503) in five minutes that raise the verification-unavailable alarm (1..1000000). Default 10. */
  unavailablePerFiveMinutes?: number;
  /** Denials in five minutes that raise the denial-spike alarm (1..100000000). Default 1000: set it above your normal refusals. */
  denialsPerFiveMinutes?: number;
  /** p99 duration of the authorizer, milliseconds, that raises the latency alarm when exceeded for 15 minutes (10..900000). Default 1000. */
  p99LatencyMs?: number;
}

export type { UsagePlansSettings, UsageQuota, UsageQuotaPeriod, UsageThrottle, UsageTier } from "../lambda/usage/usage-plans-schema";

export interface UserKeyAuthorizerArgs {
  kinde: KindeSettings;
  /**
   * REST APIs to protect. Each gets a Lambda authorizer, a permission to invoke the function and
   * Keygate's gateway responses. May be empty when APIs are defined with OpenAPI instead: see the
   * `openApiSecurityScheme` output.
   */
  apis?: ProtectedApi[];
  /**
   * HTTP APIs (API Gateway v2) to protect. Each gets a `REQUEST` authorizer with payload format 2.0
   * and simple responses (`httpApiAuthorizerIds`), and a permission to invoke the function through
   * it. HTTP APIs have no usage plans and no AWS WAF association: `usagePlans` and `waf` apply to
   * the REST APIs in `apis` only. `apis`, `httpApis` or both may be given.
   */
  httpApis?: ProtectedHttpApi[];
  /**
   * For REST APIs defined with OpenAPI: also create a role API Gateway assumes to invoke the
   * authorizer, and export `openApiSecurityScheme`, an `x-amazon-apigateway-authorizer` security
   * scheme ready to paste into the definition. Default false.
   */
  openApi?: boolean;

  /** Lifetime of a positive verdict in the shared cache, seconds (1..86400). Default 300. */
  cacheTtlSeconds?: number;
  /** Lifetime of a negative verdict (invalid, revoked, unknown key), seconds (1..86400). Default 30. */
  negativeCacheTtlSeconds?: number;
  /** Lifetime of a verdict in one container's memory, seconds (0..86400; capped at `cacheTtlSeconds`). Default 30. */
  memoryCacheTtlSeconds?: number;
  /** Most verdicts one container keeps in memory (1..1000000). Default 10000. */
  memoryCacheMaxEntries?: number;
  /**
   * While Kinde is unreachable, keep allowing a key whose positive verdict expired less than this
   * many seconds ago (0..86400). Default 0: never allow without a fresh verdict.
   */
  staleIfErrorSeconds?: number;
  /** Budget for one Kinde verification including retries, milliseconds (100..30000). Default 2500. */
  verifyTimeoutMs?: number;
  /** Budget for one DynamoDB call before the cache is skipped, milliseconds (10..2000). Default 250. */
  dynamoDbTimeoutMs?: number;
  /**
   * Distinct failed keys one source IP may present per minute in one container before its unknown
   * keys are refused without asking Kinde (0..10000; 0 turns it off). Default 20.
   */
  failedKeysPerIpPerMinute?: number;
  /** How long a key's metadata (its APIs, type, creation date) is cached, seconds (60..604800). Default 86400. */
  keyMetadataTtlSeconds?: number;
  /**
   * Accept a deployment with neither `kinde.apiIds` nor `requiredScopes`: any active key issued for
   * any API of the Kinde business then passes. Default false, and preview refuses such a deployment.
   */
  acceptKeysForAnyApi?: boolean;
  /** Scopes every key must carry, e.g. `["api:access"]`. Default none. */
  requiredScopes?: string[];
  /** Accept organization-level keys (principal `org:<org_code>`). Default false: user keys only. */
  allowOrgKeys?: boolean;
  /**
   * Scopes a key needs per route, e.g. `{"GET /profile/*": "read:profile", "POST /orders": ["write:orders"]}`.
   * Routes without a rule are open to every authenticated key.
   */
  routeScopes?: RouteScopes;

  /**
   * For REST APIs: `REQUEST` (default: the function sees headers, source IP and user agent) or
   * `TOKEN`. An HTTP API's authorizer is always `REQUEST`, with payload format 2.0.
   */
  authorizerType?: "REQUEST" | "TOKEN";
  /**
   * How long API Gateway reuses an answer for the same `Authorization` header, seconds (0..3600;
   * 0 disables the gateway cache). Default 300. A revoked key stays usable this long. On an HTTP
   * API with `routeScopes`, answers are cached per header and route (`$context.routeKey`), so a
   * key costs one invocation per route it calls in each TTL rather than one per TTL.
   */
  authorizerResultTtlSeconds?: number;
  /** Lambda memory, MB (128..10240). Default 256. */
  memorySizeMb?: number;

  cacheTable?: CacheTableSettings;
  auditLog?: AuditLogSettings;
  /**
   * Per-user throttles and quotas through API Gateway usage plans. Every API in `apis` then needs
   * `stageNames` (the stages the plans cover), and a `restApi` of this program needs `deployStages`
   * and `apiKeySource: "AUTHORIZER"`. Default: none, requests are not metered per user. REST APIs
   * only: HTTP APIs have no usage plans, so with `httpApis` alone preview refuses this, and with
   * both the plans meter the REST APIs only (preview warns).
   */
  usagePlans?: UsagePlansSettings;
  /**
   * An AWS WAF web ACL with a rate limit per source IP on every protected stage of the REST APIs in
   * `apis`. Default: none. AWS WAF cannot be associated with an HTTP API's stage: with `httpApis`
   * alone preview refuses this, and with both the HTTP APIs are left out (preview warns); put
   * CloudFront with AWS WAF in front of an HTTP API instead.
   */
  waf?: WafSettings;
  /** Alarms on the authorizer: on by default; `{ enabled: false }` turns them off, `topicArn` sends them somewhere. */
  alarms?: AlarmSettings;
  /** A CloudWatch dashboard for the authorizer (its URL is the `dashboardUrl` output). Default true. */
  dashboard?: boolean;
  /**
   * Contributor Insights rules on the audit log group: top users and top APIs (REST and HTTP) by
   * requests, top key fingerprints and top source IPs by denials. Default true; they are billed per rule and per matched record.
   */
  contributorInsights?: boolean;
  /** Saved CloudWatch Logs Insights queries over the audit log and the access logs (docs/operations.md). Default true. */
  savedQueries?: boolean;
  /** API Gateway access logs for every caller, cache hits included. Default: off. */
  accessLogs?: AccessLogSettings;
  /** Tags for every taggable resource. Never put a secret here. */
  tags?: Record<string, string>;
}

/** The defaults of the component's settings, from the settings table (lambda/settings/settings-table.ts). */
export const DEFAULTS = SETTING_DEFAULTS;

/**
 * Compile-time check that every argument the settings table names exists here with the table's
 * type: a setting added to the table without its documented argument (or with another type) fails
 * the build. Values that Pulumi resolves later (`Input<string>`) count as their resolved type.
 */
type ArgAt<A, P extends string> = P extends `${infer Head}.${infer Rest}` ? (Head extends keyof A ? ArgAt<NonNullable<A[Head]>, Rest> : never) : P extends keyof A ? A[P] : never;
type Resolved<T> = T extends pulumi.Input<infer U> ? U : T;
type ArgMismatches = {
  [N in SettingName]: (typeof SETTINGS)[N] extends { arg: infer P extends string }
    ? [Resolved<Exclude<ArgAt<UserKeyAuthorizerArgs, P>, undefined>>] extends [SettingValue<N>]
      ? [SettingValue<N>] extends [Resolved<Exclude<ArgAt<UserKeyAuthorizerArgs, P>, undefined>>]
        ? never
        : N
      : N
    : never;
}[SettingName];
const argsMatchTheSettingsTable: [ArgMismatches] extends [never] ? true : ArgMismatches = true;
void argsMatchTheSettingsTable;

/** The Lambda runtime and architecture: a current Node LTS on Graviton. */
export const LAMBDA_RUNTIME = "nodejs22.x";
export const LAMBDA_ARCHITECTURE = "arm64";

/**
 * The function's timeout for its settings. It must outlive the longest path through it: a Kinde
 * verification (with retries), a DynamoDB read and write, the usage-key lookup when usage plans
 * are on (it follows the verification and is bounded by `provisionTimeoutMs`), plus slack for a
 * cold start that fetches the secret. The component gives it to the deployed function, and
 * `npm start` to the local one (the authorizer's own configuration has the same fields).
 */
export function functionTimeoutSeconds(settings: { verifyTimeoutMs: number; dynamoDbTimeoutMs: number; usagePlans?: { provisionTimeoutMs: number } }): number {
  const usageKeyTimeoutMs = settings.usagePlans?.provisionTimeoutMs ?? 0;
  return Math.max(5, Math.ceil((settings.verifyTimeoutMs + 2 * settings.dynamoDbTimeoutMs + usageKeyTimeoutMs + 2_000) / 1_000));
}
