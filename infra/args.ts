import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

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

/** API Gateway's token bucket: a steady rate and the most requests let through at once. */
export interface UsageThrottle {
  /** Requests per second, 0 or more; fractions are allowed (0.5 = one request every two seconds). */
  rateLimit: number;
  /** Bucket size: whole requests, 0 or more. */
  burstLimit: number;
}

export type UsageQuotaPeriod = "DAY" | "WEEK" | "MONTH";

/** Requests per period, counted per API Gateway key across every stage of the plan. */
export interface UsageQuota {
  /** Whole requests per period, at least 1. */
  limit: number;
  period: UsageQuotaPeriod;
  /** Requests taken off the limit in the first period only (0..limit). Default 0. */
  offset?: number;
}

/** One tier: one usage plan, whose throttle and quota apply to each user's key separately. */
export interface UsageTier {
  /** Per key. Without it, a key is throttled only by the account's and stages' own limits. */
  throttle?: UsageThrottle;
  /** Per key. Without it, requests are counted but not capped. */
  quota?: UsageQuota;
  /**
   * Throttles for single methods, keyed as API Gateway keys them: `/<resource path>/<METHOD>`, e.g.
   * `"/orders/{id}/GET"`; `*` as the path or the method matches every one. Applied on every stage
   * the plan covers.
   */
  methodThrottles?: Record<string, UsageThrottle>;
}

/**
 * Per-user usage plans: each user gets an API Gateway key of their own in the plan of their tier, so
 * the throttle and quota are theirs, not shared. See "Per-user usage plans" in README.md.
 */
export interface UsagePlansSettings {
  /** One usage plan per tier, by tier name (1 to 64 letters, digits, `-` or `_`). */
  tiers: Record<string, UsageTier>;
  /** The tier of a user no scope or fixed assignment places elsewhere. Required with several tiers. */
  defaultTier?: string;
  /** A Kinde key scope that places its user in a tier, e.g. `{"plan:pro": "pro"}`; tried in order. */
  tierScopes?: Record<string, string>;
  /**
   * Fixed assignments, user id (`kp_...`, or `org:<org_code>` with `allowOrgKeys`) to tier: Pulumi
   * creates each user's key, adds it to the tier's plan and records it in the cache table.
   */
  users?: Record<string, string>;
  /** Give every other user a key of their own at their first request. Default false: they share their tier's pool key. */
  autoProvision?: boolean;
  /**
   * Most keys the authorizer creates at run time (0..10000). Default 9000. With the pool keys and
   * the fixed users it must stay within API Gateway's 10,000 keys per account and Region.
   */
  maxProvisionedKeys?: number;
  /** Most a request waits for its user's key to be looked up or created, milliseconds (10..10000). Default 1000. */
  provisionTimeoutMs?: number;
  /** After a failed attempt, a user is served the pool key this long before the next one, seconds (1..3600). Default 30. */
  retryAfterSeconds?: number;
  /**
   * How long a tier change's old key stays in its old plan before it is deleted, seconds
   * (0..86400; at least `authorizerResultTtlSeconds`). Default 3600.
   */
  retiredKeyGraceSeconds?: number;
}

export interface UserKeyAuthorizerArgs {
  kinde: KindeSettings;
  /**
   * REST APIs to protect. Each gets a Lambda authorizer, a permission to invoke the function and
   * Keygate's gateway responses. May be empty when APIs are defined with OpenAPI instead: see the
   * `openApiSecurityScheme` output.
   */
  apis?: ProtectedApi[];
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
  /**
   * While Kinde is unreachable, keep allowing a key whose positive verdict expired less than this
   * many seconds ago (0..86400). Default 0: never allow without a fresh verdict.
   */
  staleIfErrorSeconds?: number;
  /** Budget for one Kinde verification including retries, milliseconds (100..30000). Default 2500. */
  verifyTimeoutMs?: number;
  /** Budget for one DynamoDB call before the cache is skipped, milliseconds (10..2000). Default 250. */
  dynamoDbTimeoutMs?: number;
  /** Scopes every key must carry, e.g. `["api:access"]`. Default none. */
  requiredScopes?: string[];
  /** Accept organization-level keys (principal `org:<org_code>`). Default false: user keys only. */
  allowOrgKeys?: boolean;
  /**
   * Scopes a key needs per route, e.g. `{"GET /profile/*": "read:profile", "POST /orders": ["write:orders"]}`.
   * Routes without a rule are open to every authenticated key.
   */
  routeScopes?: Record<string, string | string[]>;

  /** `REQUEST` (default: the function sees headers, source IP and user agent) or `TOKEN`. */
  authorizerType?: "REQUEST" | "TOKEN";
  /**
   * How long API Gateway reuses an answer for the same `Authorization` header, seconds (0..3600;
   * 0 disables the gateway cache). Default 300. A revoked key stays usable this long.
   */
  authorizerResultTtlSeconds?: number;
  /** Lambda memory, MB (128..10240). Default 256. */
  memorySizeMb?: number;

  cacheTable?: CacheTableSettings;
  auditLog?: AuditLogSettings;
  /**
   * Per-user throttles and quotas through API Gateway usage plans. Every API in `apis` then needs
   * `stageNames` (the stages the plans cover), and a `restApi` of this program needs `deployStages`
   * and `apiKeySource: "AUTHORIZER"`. Default: none, requests are not metered per user.
   */
  usagePlans?: UsagePlansSettings;
  /** Tags for every taggable resource. Never put a secret here. */
  tags?: Record<string, string>;
}

export const DEFAULTS = {
  cacheTtlSeconds: 300,
  negativeCacheTtlSeconds: 30,
  memoryCacheTtlSeconds: 30,
  staleIfErrorSeconds: 0,
  verifyTimeoutMs: 2_500,
  dynamoDbTimeoutMs: 250,
  allowOrgKeys: false,
  authorizerType: "REQUEST",
  authorizerResultTtlSeconds: 300,
  memorySizeMb: 256,
  auditLogRetentionInDays: 365,
  auditLogMetrics: true,
  pointInTimeRecovery: false,
  deletionProtection: false,
} as const;

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
