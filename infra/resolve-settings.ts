import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadConfig } from "../lambda/config";
import { parseRouteScopes } from "../lambda/policy/route-rules";
import { DEFAULTS, functionTimeoutSeconds, type AttachedApi, type ProtectedApi, type UserKeyAuthorizerArgs } from "./args";
import { authorizerEnvironment, SETTING_FOR_VARIABLE, usagePlansVariable } from "./lambda-environment";
import { resolveUsagePlans, type ResolvedUsagePlans } from "./validate-usage-plans";

/**
 * The component's rules for its arguments, without Pulumi: `pulumi preview` applies them through
 * validate-args.ts, and `npm start` applies them to a stack file (infra/stack-settings.ts) without
 * loading Pulumi. A bad setting is reported through `fail`, by its path below the arguments.
 */

/** Turns a path into the component's arguments (`cacheTtlSeconds`, `apis[0].stageNames`) into the name the user knows. */
export type SettingNamer = (path: string) => string;
export const componentSettingName: SettingNamer = (path) => `args.${path}`;

interface Range {
  min: number;
  max: number;
}

/**
 * Numeric ranges. Those the authorizer also reads must match lambda/config.ts exactly (a test
 * checks them against it), so that a value accepted here never fails the function at start-up.
 */
export const SETTING_RANGES = {
  cacheTtlSeconds: { min: 1, max: 86_400 },
  negativeCacheTtlSeconds: { min: 1, max: 86_400 },
  memoryCacheTtlSeconds: { min: 0, max: 86_400 },
  staleIfErrorSeconds: { min: 0, max: 86_400 },
  verifyTimeoutMs: { min: 100, max: 30_000 },
  dynamoDbTimeoutMs: { min: 10, max: 2_000 },
  // API Gateway's limit for the authorizer result cache.
  authorizerResultTtlSeconds: { min: 0, max: 3_600 },
  // Lambda's limits.
  memorySizeMb: { min: 128, max: 10_240 },
} as const satisfies Record<string, Range>;

/** CloudWatch Logs accepts only these retention periods; 0 means never expire. */
export const LOG_RETENTION_DAYS = [0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

// API Gateway: "alphanumeric characters, hyphens, and underscores", at most 128.
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
// REST API ids are ten lower-case letters and digits.
const REST_API_ID = /^[a-z0-9]{10}$/;
const API_KEY_NAME = /^[A-Za-z0-9_-]{1,64}$/;
// The authorizer splits REQUIRED_SCOPES on spaces and commas, so a scope cannot contain either.
const SCOPE = /^[\x21-\x2b\x2d-\x7e]{1,128}$/;
// Lambda allows 4 KB for all environment variables together; leave room for the others.
const MAX_ROUTE_SCOPES_BYTES = 3_000;
const MAX_ENVIRONMENT_BYTES = 4_096;

export interface ResolvedApi {
  /** Stable key for child resource names. */
  key: string;
  restApi?: aws.apigateway.RestApi;
  restApiId?: pulumi.Input<string>;
  stageNames: string[];
  /** For a `restApi`: creates its stages once its authorizer exists. */
  deployStages?: (api: AttachedApi) => aws.apigateway.Stage[];
}

/** The component's arguments, checked and with every default applied. */
export interface ResolvedSettings {
  kindeDomain: string;
  clientId: pulumi.Input<string>;
  clientSecret: pulumi.Input<string>;
  apis: ResolvedApi[];
  openApi: boolean;
  cacheTtlSeconds: number;
  negativeCacheTtlSeconds: number;
  memoryCacheTtlSeconds: number;
  staleIfErrorSeconds: number;
  verifyTimeoutMs: number;
  dynamoDbTimeoutMs: number;
  requiredScopes: string[];
  allowOrgKeys: boolean;
  /** `ROUTE_SCOPES` as the authorizer reads it; undefined when there are no rules. */
  routeScopesJson?: string;
  authorizerType: "REQUEST" | "TOKEN";
  authorizerResultTtlSeconds: number;
  memorySizeMb: number;
  timeoutSeconds: number;
  pointInTimeRecovery: boolean;
  deletionProtection: boolean;
  auditLogRetentionInDays: number;
  auditLogKmsKeyArn?: pulumi.Input<string>;
  auditLogMetrics: boolean;
  /** Undefined when `usagePlans` is unset. */
  usagePlans?: ResolvedUsagePlans;
  /** Undefined rather than {} when there are none, so an untagged deployment shows no tag changes. */
  tags: Record<string, string> | undefined;
}

/** Reports a bad setting by its path below the component's arguments (`cacheTtlSeconds`, `apis[0].stageNames`). */
export type Fail = (path: string, problem: string) => never;

/**
 * What only a Pulumi program can tell apart: its resources, and values known once it runs. The
 * component passes Pulumi's own checks (validate-args.ts); arguments read from a stack file hold
 * plain values only (`PLAIN_VALUES`).
 */
export interface ProgramValues {
  /** An `aws.apigateway.RestApi` of this program. */
  isRestApi(value: unknown): boolean;
  /** A Pulumi Output, checked when it resolves rather than now. */
  isOutput(value: unknown): boolean;
  /** Runs `check` on a value that is not a plain string (an Output, a promise) once it resolves. */
  whenResolved(value: pulumi.Input<string>, check: (resolved: unknown) => string): pulumi.Input<string>;
}

/** For arguments that are plain data, such as a stack file read without Pulumi: no resources, no Outputs. */
export const PLAIN_VALUES: ProgramValues = {
  isRestApi: () => false,
  isOutput: () => false,
  whenResolved: (value, check) => check(value),
};

/**
 * Checks the arguments before any resource exists, so a bad value stops `pulumi preview` with a
 * message naming the setting instead of failing halfway through `pulumi up` or, worse, at the
 * function's first cold start.
 */
export function checkSettings(args: UserKeyAuthorizerArgs, fail: Fail, program: ProgramValues): ResolvedSettings {
  if (typeof args !== "object" || args === null) fail("kinde", "is required");
  if (typeof args.kinde !== "object" || args.kinde === null) fail("kinde", "is required: { domain, clientId, clientSecret }");

  const number = (path: keyof typeof SETTING_RANGES, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    const { min, max } = SETTING_RANGES[path];
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      fail(path, `must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
    }
    return value as number;
  };
  const flag = (path: string, value: unknown, fallback: boolean): boolean => {
    if (value === undefined) return fallback;
    if (typeof value !== "boolean") fail(path, `must be true or false (got ${JSON.stringify(value)})`);
    return value as boolean;
  };

  const verifyTimeoutMs = number("verifyTimeoutMs", args.verifyTimeoutMs, DEFAULTS.verifyTimeoutMs);
  const dynamoDbTimeoutMs = number("dynamoDbTimeoutMs", args.dynamoDbTimeoutMs, DEFAULTS.dynamoDbTimeoutMs);
  const apis = resolveApis(args.apis, fail, program);
  const openApi = flag("openApi", args.openApi, false);
  if (apis.length === 0 && !openApi) {
    fail("apis", "is empty and openApi is off: name at least one REST API to protect (or set openApi for APIs defined with OpenAPI)");
  }

  const allowOrgKeys = flag("allowOrgKeys", args.allowOrgKeys, DEFAULTS.allowOrgKeys);
  const authorizerResultTtlSeconds = number("authorizerResultTtlSeconds", args.authorizerResultTtlSeconds, DEFAULTS.authorizerResultTtlSeconds);
  const usagePlans = resolveUsagePlans(args.usagePlans, { allowOrgKeys, authorizerResultTtlSeconds }, fail);
  if (usagePlans) checkApisForUsagePlans(apis, fail);

  const settings: ResolvedSettings = {
    kindeDomain: kindeDomain(args.kinde.domain, fail),
    clientId: nonEmpty(args.kinde.clientId, "kinde.clientId", fail, program),
    clientSecret: nonEmpty(args.kinde.clientSecret, "kinde.clientSecret", fail, program),
    apis,
    openApi,
    cacheTtlSeconds: number("cacheTtlSeconds", args.cacheTtlSeconds, DEFAULTS.cacheTtlSeconds),
    negativeCacheTtlSeconds: number("negativeCacheTtlSeconds", args.negativeCacheTtlSeconds, DEFAULTS.negativeCacheTtlSeconds),
    memoryCacheTtlSeconds: number("memoryCacheTtlSeconds", args.memoryCacheTtlSeconds, DEFAULTS.memoryCacheTtlSeconds),
    staleIfErrorSeconds: number("staleIfErrorSeconds", args.staleIfErrorSeconds, DEFAULTS.staleIfErrorSeconds),
    verifyTimeoutMs,
    dynamoDbTimeoutMs,
    requiredScopes: requiredScopes(args.requiredScopes, fail),
    allowOrgKeys,
    routeScopesJson: routeScopesJson(args.routeScopes, fail),
    authorizerType: authorizerType(args.authorizerType, fail),
    authorizerResultTtlSeconds,
    memorySizeMb: number("memorySizeMb", args.memorySizeMb, DEFAULTS.memorySizeMb),
    timeoutSeconds: functionTimeoutSeconds({ verifyTimeoutMs, dynamoDbTimeoutMs, usagePlans }),
    pointInTimeRecovery: flag("cacheTable.pointInTimeRecovery", args.cacheTable?.pointInTimeRecovery, DEFAULTS.pointInTimeRecovery),
    deletionProtection: flag("cacheTable.deletionProtection", args.cacheTable?.deletionProtection, DEFAULTS.deletionProtection),
    auditLogRetentionInDays: retentionDays(args.auditLog?.retentionInDays, fail),
    auditLogKmsKeyArn: args.auditLog?.kmsKeyArn,
    auditLogMetrics: flag("auditLog.metrics", args.auditLog?.metrics, DEFAULTS.auditLogMetrics),
    ...(usagePlans ? { usagePlans } : {}),
    tags: tags(args.tags, fail),
  };
  checkWithAuthorizerConfig(settings, fail);
  return settings;
}

function kindeDomain(value: unknown, fail: Fail): string {
  if (typeof value !== "string" || value.trim() === "") return fail("kinde.domain", "is required, e.g. https://acme.kinde.com");
  // `acme.kinde.com` is how Kinde's dashboard shows the domain: read it as https://acme.kinde.com.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim()) ? value.trim() : `https://${value.trim()}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return fail("kinde.domain", `must be a URL such as https://acme.kinde.com (got ${JSON.stringify(value)})`);
  }
  // Unlike local use, a deployed authorizer has no loopback Kinde: https only.
  if (url.protocol !== "https:") return fail("kinde.domain", `must use https:// (got ${JSON.stringify(value)})`);
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    return fail("kinde.domain", `must be a bare origin such as https://acme.kinde.com, with no path, query or credentials (got ${JSON.stringify(value)})`);
  }
  return url.origin;
}

/**
 * A value that may only be known once the program runs (another stack's output, a config secret)
 * is checked when it resolves, which `pulumi preview` still does for config and stack references.
 * The check never echoes the value: it may be the secret.
 */
function nonEmpty(value: pulumi.Input<string> | undefined, path: string, fail: Fail, program: ProgramValues): pulumi.Input<string> {
  if (value === undefined || value === null) return fail(path, "is required");
  const check = (resolved: unknown): string => {
    if (typeof resolved !== "string" || resolved.trim() === "") return fail(path, "must not be empty");
    return resolved;
  };
  return typeof value === "string" ? check(value) : program.whenResolved(value, check);
}

function resolveApis(apis: ProtectedApi[] | undefined, fail: Fail, program: ProgramValues): ResolvedApi[] {
  if (apis === undefined) return [];
  if (!Array.isArray(apis)) return fail("apis", "must be a list of { restApi } or { restApiId } entries");
  const seen = new Map<string, number>();
  return apis.map((api, index): ResolvedApi => {
    const path = `apis[${index}]`;
    if (typeof api !== "object" || api === null) return fail(path, "must be { restApi } or { restApiId }");
    const hasResource = api.restApi !== undefined;
    const hasId = api.restApiId !== undefined;
    if (hasResource === hasId) return fail(path, "must set exactly one of restApi (a RestApi of this program) and restApiId (the id of one defined elsewhere)");
    if (hasResource && !program.isRestApi(api.restApi)) return fail(`${path}.restApi`, "must be an aws.apigateway.RestApi resource");
    if (hasId && !program.isOutput(api.restApiId) && !isPromiseLike(api.restApiId)) {
      if (typeof api.restApiId !== "string" || !REST_API_ID.test(api.restApiId)) {
        return fail(`${path}.restApiId`, `must be a REST API id: ten lower-case letters and digits (got ${JSON.stringify(api.restApiId)})`);
      }
    }

    if (api.name !== undefined && (typeof api.name !== "string" || !API_KEY_NAME.test(api.name))) {
      return fail(`${path}.name`, `must be 1 to 64 letters, digits, "-" or "_" (got ${JSON.stringify(api.name)})`);
    }
    // A literal id is stable when entries are reordered; an index is not, hence the order of preference.
    const key = api.name ?? (typeof api.restApiId === "string" ? api.restApiId : String(index));
    const previous = seen.get(key);
    if (previous !== undefined) {
      return fail(api.name !== undefined ? `${path}.name` : path, `repeats apis[${previous}] (${JSON.stringify(key)}): each REST API is attached once, under its own name`);
    }
    seen.set(key, index);

    if (api.deployStages !== undefined) {
      if (!hasResource) return fail(`${path}.deployStages`, "is only for a restApi of this program: an API named by id is deployed where it is defined");
      if (typeof api.deployStages !== "function") return fail(`${path}.deployStages`, "must be a function that creates the API's stages and returns them");
    }

    return {
      key,
      ...(hasResource ? { restApi: api.restApi } : { restApiId: api.restApiId }),
      stageNames: stageNames(api.stageNames, `${path}.stageNames`, fail),
      ...(api.deployStages ? { deployStages: api.deployStages } : {}),
    };
  });
}

/**
 * A usage plan covers named stages of named APIs, so every API needs its stages, and a stage of this
 * program must be created between the authorizer and the plans (see `deployStages`).
 */
function checkApisForUsagePlans(apis: ResolvedApi[], fail: Fail): void {
  if (apis.length === 0) fail("apis", "is empty, and usagePlans needs at least one REST API whose stages its plans cover");
  apis.forEach((api, index) => {
    if (api.stageNames.length === 0) {
      fail(`apis[${index}].stageNames`, "is empty: with usagePlans, name the stages the plans cover (API Gateway refuses a usage key on a stage in none of its plans, with 403)");
    }
    if (api.restApi && !api.deployStages) {
      fail(
        `apis[${index}].deployStages`,
        "is required with usagePlans for a restApi of this program: the plans name its stages, which must exist before the plans and cannot exist before the authorizer; the component calls deployStages in between",
      );
    }
  });
}

function isPromiseLike(value: unknown): boolean {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

function stageNames(value: unknown, path: string, fail: Fail): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return fail(path, `must be a list of stage names (got ${JSON.stringify(value)})`);
  for (const stage of value) {
    if (typeof stage !== "string" || !STAGE_NAME.test(stage)) {
      return fail(path, `contains ${JSON.stringify(stage)}, which is not a valid stage name: 1 to 128 letters, digits, "-" or "_"`);
    }
  }
  if (new Set(value).size !== value.length) return fail(path, "names a stage twice");
  return [...(value as string[])];
}

function requiredScopes(value: unknown, fail: Fail): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return fail("requiredScopes", `must be a list of scope names (got ${JSON.stringify(value)})`);
  for (const scope of value) {
    if (typeof scope !== "string" || !SCOPE.test(scope)) {
      return fail("requiredScopes", `contains ${JSON.stringify(scope)}, which is not a scope name: 1 to 128 printable characters without spaces or commas`);
    }
  }
  return [...new Set(value as string[])];
}

function routeScopesJson(value: unknown, fail: Fail): string | undefined {
  if (value === undefined) return undefined;
  try {
    // The authorizer's own parser, so preview rejects exactly what the function would.
    if (parseRouteScopes(value).length === 0) return undefined;
  } catch (error) {
    return fail("routeScopes", `is invalid: ${(error as Error).message}`);
  }
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json) > MAX_ROUTE_SCOPES_BYTES) {
    return fail("routeScopes", `is ${Buffer.byteLength(json)} bytes as JSON; at most ${MAX_ROUTE_SCOPES_BYTES} fit in the function's 4 KB of environment variables`);
  }
  return json;
}

function authorizerType(value: unknown, fail: Fail): "REQUEST" | "TOKEN" {
  if (value === undefined) return DEFAULTS.authorizerType;
  if (value !== "REQUEST" && value !== "TOKEN") return fail("authorizerType", `must be "REQUEST" or "TOKEN" (got ${JSON.stringify(value)})`);
  return value;
}

function retentionDays(value: unknown, fail: Fail): number {
  if (value === undefined) return DEFAULTS.auditLogRetentionInDays;
  if (typeof value !== "number" || !(LOG_RETENTION_DAYS as readonly number[]).includes(value)) {
    return fail("auditLog.retentionInDays", `must be one of CloudWatch's retention periods ${LOG_RETENTION_DAYS.join(", ")} (0 = never expire; got ${JSON.stringify(value)})`);
  }
  return value;
}

function tags(value: unknown, fail: Fail): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("tags", "must be an object of string values");
  for (const [key, tag] of Object.entries(value)) {
    if (key === "" || typeof tag !== "string") return fail("tags", `has ${JSON.stringify(key)}: tag keys must be non-empty and values strings`);
  }
  return Object.keys(value).length > 0 ? { ...(value as Record<string, string>) } : undefined;
}

/**
 * Last line of defence: run the authorizer's own start-up check on the environment it will get,
 * with placeholders for what does not exist yet. Anything it would reject at cold start fails here.
 */
function checkWithAuthorizerConfig(settings: ResolvedSettings, fail: Fail): void {
  const environment = authorizerEnvironment(settings, {
    clientId: "placeholder-client-id",
    clientSecretArn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:placeholder",
    cacheTableName: "placeholder-table",
    ...(settings.usagePlans ? { usagePlans: placeholderUsagePlans(settings.usagePlans) } : {}),
  });
  if (settings.usagePlans) checkEnvironmentSize(environment, fail);
  try {
    loadConfig(environment);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problem = error.message.slice(error.variable.length + 2);
    fail(SETTING_FOR_VARIABLE[error.variable] ?? error.variable, `is rejected by the authorizer: ${problem}`);
  }
}

/**
 * `USAGE_PLANS` as it will be, with ids and key values of the length API Gateway gives them (plan
 * ids 6 characters, key values 40), so its size and the authorizer's verdict are those of the real one.
 */
function placeholderUsagePlans(plans: ResolvedUsagePlans): string {
  const tiers = Object.fromEntries(
    plans.tiers.map((tier, index) => {
      const serial = String(index).padStart(4, "0");
      return [tier.name, { usagePlanId: `pl${serial}`, poolKey: `placeholderPoolKey${serial}`.padEnd(40, "0") }];
    }),
  );
  return usagePlansVariable(plans, tiers);
}

/**
 * Lambda refuses more than 4 KB of environment variables, counted as names plus values. The
 * placeholders stand for values of typical length: a 32-character Kinde client id, a full secret
 * ARN and a generated table name.
 */
function checkEnvironmentSize(environment: Record<string, string>, fail: Fail): void {
  const typical: Record<string, string> = {
    ...environment,
    KINDE_M2M_CLIENT_ID: "0".repeat(32),
    KINDE_M2M_CLIENT_SECRET_ARN: `arn:aws:secretsmanager:ap-southeast-2:000000000000:secret:${"k".repeat(40)}-AbCdEf`,
    CACHE_TABLE_NAME: "k".repeat(40),
  };
  const bytes = Object.entries(typical).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value), 0);
  if (bytes > MAX_ENVIRONMENT_BYTES) {
    const usage = Buffer.byteLength(environment.USAGE_PLANS ?? "");
    fail("usagePlans", `makes the function's environment about ${bytes} bytes (USAGE_PLANS alone ${usage}); Lambda allows ${MAX_ENVIRONMENT_BYTES}: use fewer tiers or tier scopes, or shorter names`);
  }
}
