import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { authorizerEnvironment, loadConfig, settingOfVariable } from "../lambda/config";
import { SettingError } from "../lambda/errors";
import { HTTP_API_ID, REST_API_ID, SETTINGS, type SettingName, type SettingSpec, type SettingValue } from "../lambda/settings/settings-table";
import { functionTimeoutSeconds, type AttachedApi, type ProtectedApi, type ProtectedHttpApi, type UserKeyAuthorizerArgs } from "./args";
import { usagePlansVariable } from "./lambda-environment";
import { resolveUsagePlans, type ResolvedUsagePlans } from "./validate-usage-plans";
import { checkApisForWaf } from "./validate-waf";

/**
 * The component's rules for its arguments, without Pulumi: `pulumi preview` applies them through
 * validate-args.ts, and `npm start` applies them to a stack file (infra/stack-settings.ts) without
 * loading Pulumi. A bad setting is reported through `fail`, by its path below the arguments.
 */

/** Turns a path into the component's arguments (`cacheTtlSeconds`, `apis[0].stageNames`) into the name the user knows. */
export type SettingNamer = (path: string) => string;
export const componentSettingName: SettingNamer = (path) => `args.${path}`;

// Lambda allows 4 KB for all environment variables together; leave room for the others.
const MAX_ROUTE_SCOPES_BYTES = 3_000;
const MAX_ENVIRONMENT_BYTES = 4_096;
const API_KEY_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export interface ResolvedApi {
  /** Stable key for child resource names. */
  key: string;
  restApi?: aws.apigateway.RestApi;
  restApiId?: pulumi.Input<string>;
  stageNames: string[];
  /** For a `restApi`: creates its stages once its authorizer exists. */
  deployStages?: (api: AttachedApi) => aws.apigateway.Stage[];
}

/** An HTTP API (API Gateway v2) to protect, checked. */
export interface ResolvedHttpApi {
  /** Stable key for child resource names, unique across REST and HTTP APIs. */
  key: string;
  api?: aws.apigatewayv2.Api;
  apiId?: pulumi.Input<string>;
}

/** The settings table's component arguments (lambda/settings/settings-table.ts). */
type ArgSettingName = { [N in SettingName]: (typeof SETTINGS)[N] extends { arg: string } ? N : never }[SettingName];
type WithDefault = { [N in ArgSettingName]: (typeof SETTINGS)[N] extends { default: unknown } | { required: true } ? N : never }[ArgSettingName];
/** Arguments Pulumi may hand over as Outputs: checked once they resolve, and passed on as Inputs. */
type InputSettingName = "clientId" | "clientSecret" | "auditLogKmsKeyArn" | "alarmTopicArn";
/** Arguments the component resolves further than their kind does. */
type DeepSettingName = "usagePlans";
type TableSettings = { [N in Exclude<WithDefault, InputSettingName | DeepSettingName>]: SettingValue<N> } & {
  [N in Exclude<ArgSettingName, WithDefault | InputSettingName | DeepSettingName>]?: SettingValue<N>;
};

/** The component's arguments, checked and with every default applied. */
export interface ResolvedSettings extends TableSettings {
  clientId: pulumi.Input<string>;
  clientSecret: pulumi.Input<string>;
  auditLogKmsKeyArn?: pulumi.Input<string>;
  alarmTopicArn?: pulumi.Input<string>;
  apis: ResolvedApi[];
  httpApis: ResolvedHttpApi[];
  timeoutSeconds: number;
  /** Undefined when `usagePlans` is unset. */
  usagePlans?: ResolvedUsagePlans;
}

const INPUT_SETTINGS: ReadonlySet<SettingName> = new Set<InputSettingName>(["clientId", "clientSecret", "auditLogKmsKeyArn", "alarmTopicArn"]);

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
  /** An `aws.apigatewayv2.Api` of this program. */
  isHttpApi(value: unknown): boolean;
  /** A Pulumi Output, checked when it resolves rather than now. */
  isOutput(value: unknown): boolean;
  /** Runs `check` on a value that is not a plain string (an Output, a promise) once it resolves. */
  whenResolved(value: pulumi.Input<string>, check: (resolved: unknown) => string): pulumi.Input<string>;
}

/** For arguments that are plain data, such as a stack file read without Pulumi: no resources, no Outputs. */
export const PLAIN_VALUES: ProgramValues = {
  isRestApi: () => false,
  isHttpApi: () => false,
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

  const table = tableSettings(args, fail, program);
  const apis = resolveApis(args.apis, fail, program);
  const httpApis = resolveHttpApis(args.httpApis, apis, fail, program);
  if (apis.length === 0 && httpApis.length === 0 && !table.openApi) {
    fail("apis", "is empty and openApi is off: name at least one REST API (apis) or HTTP API (httpApis) to protect (or set openApi for APIs defined with OpenAPI)");
  }
  if (Buffer.byteLength(JSON.stringify(table.routeScopes)) > MAX_ROUTE_SCOPES_BYTES) {
    fail("routeScopes", `is ${Buffer.byteLength(JSON.stringify(table.routeScopes))} bytes as JSON; at most ${MAX_ROUTE_SCOPES_BYTES} fit in the function's 4 KB of environment variables`);
  }
  // Kinde's verify answer does not say which API a key is for: without an API id or a scope unique
  // to this API, an active key issued for any API of the business would get in.
  if (table.kindeApiIds.length === 0 && table.requiredScopes.length === 0 && !table.acceptKeysForAnyApi) {
    fail(
      "kinde.apiIds",
      "is not set, and neither is requiredScopes: any active key issued for any API of your Kinde business would be accepted. Name the Kinde API this gateway serves here, or require a scope unique to it (requiredScopes), or opt in to accepting keys of any API (acceptKeysForAnyApi)",
    );
  }
  const usagePlans = resolveUsagePlans(args.usagePlans, table, fail);
  if (usagePlans) checkApisForUsagePlans(apis, httpApis, fail);
  if (table.wafRequestsPerFiveMinutesPerIp !== undefined) checkApisForWaf(apis, httpApis, fail);
  // Setting the account's role changes logging for every API of the account and Region: never implied.
  if (table.accessLogs && table.accessLogCloudWatchRole === undefined) {
    fail(
      "accessLogs.cloudWatchRole",
      'is required with access logs: API Gateway writes REST API access logs through the account\'s CloudWatch role, one per account and Region. Set "existing" if the account already has one (API Gateway console, Settings, "CloudWatch log role ARN"), or "create" to create one and set it for the whole account and Region',
    );
  }

  const settings: ResolvedSettings = {
    ...table,
    apis,
    httpApis,
    timeoutSeconds: functionTimeoutSeconds({ verifyTimeoutMs: table.verifyTimeoutMs, dynamoDbTimeoutMs: table.dynamoDbTimeoutMs, usagePlans }),
    ...(usagePlans ? { usagePlans } : {}),
  };
  checkWithAuthorizerConfig(settings, fail);
  return settings;
}

/** Every argument the settings table names, checked by its kind, with its default when unset. */
function tableSettings(args: UserKeyAuthorizerArgs, fail: Fail, program: ProgramValues): Omit<ResolvedSettings, "apis" | "httpApis" | "timeoutSeconds" | "usagePlans"> {
  const values: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
    if (setting.arg === undefined || name === "usagePlans") continue;
    const path = setting.arg;
    const raw = valueAt(args, path);
    if (raw === undefined || raw === null) {
      if (setting.required) fail(path, "is required");
      if (setting.default !== undefined) values[name] = setting.default;
      continue;
    }
    const check = (value: unknown) => setting.kind.check(value, (problem) => fail(path, problem));
    // A value known only once the program runs (another stack's output, a config secret) is
    // checked when it resolves, which `pulumi preview` still does for config and stack references.
    values[name] = INPUT_SETTINGS.has(name) && typeof raw !== "string" ? program.whenResolved(raw as pulumi.Input<string>, (resolved) => check(resolved) as string) : check(raw);
  }
  return values as unknown as Omit<ResolvedSettings, "apis" | "httpApis" | "timeoutSeconds" | "usagePlans">;
}

/** The argument at a dotted path, e.g. `auditLog.retentionInDays`. */
function valueAt(args: UserKeyAuthorizerArgs, path: string): unknown {
  return path.split(".").reduce<unknown>((value, key) => (typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined), args);
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
      if (typeof api.restApiId !== "string" || !REST_API_ID.pattern.test(api.restApiId)) {
        return fail(`${path}.restApiId`, `must be ${REST_API_ID.one}: ${REST_API_ID.rule} (got ${JSON.stringify(api.restApiId)})`);
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

function resolveHttpApis(httpApis: ProtectedHttpApi[] | undefined, restApis: readonly ResolvedApi[], fail: Fail, program: ProgramValues): ResolvedHttpApi[] {
  if (httpApis === undefined) return [];
  if (!Array.isArray(httpApis)) return fail("httpApis", "must be a list of { api } or { apiId } entries");
  // The permission to invoke the function is a lambda.Permission named after the key, for either kind of API.
  const seen = new Map<string, string>(restApis.map((api, index) => [api.key, `apis[${index}]`]));
  return httpApis.map((api, index): ResolvedHttpApi => {
    const path = `httpApis[${index}]`;
    if (typeof api !== "object" || api === null) return fail(path, "must be { api } or { apiId }");
    const hasResource = api.api !== undefined;
    const hasId = api.apiId !== undefined;
    if (hasResource === hasId) return fail(path, "must set exactly one of api (an aws.apigatewayv2.Api of this program) and apiId (the id of an HTTP API defined elsewhere)");
    if (hasResource && !program.isHttpApi(api.api)) return fail(`${path}.api`, "must be an aws.apigatewayv2.Api resource (an HTTP API); a REST API belongs in apis");
    if (hasId && !program.isOutput(api.apiId) && !isPromiseLike(api.apiId)) {
      if (typeof api.apiId !== "string" || !HTTP_API_ID.pattern.test(api.apiId)) {
        return fail(`${path}.apiId`, `must be ${HTTP_API_ID.one}: ${HTTP_API_ID.rule} (got ${JSON.stringify(api.apiId)})`);
      }
    }
    if (api.name !== undefined && (typeof api.name !== "string" || !API_KEY_NAME.test(api.name))) {
      return fail(`${path}.name`, `must be 1 to 64 letters, digits, "-" or "_" (got ${JSON.stringify(api.name)})`);
    }
    // As for REST APIs; the position fallback is marked so that it never meets a REST API's.
    const key = api.name ?? (typeof api.apiId === "string" ? api.apiId : `http-${index}`);
    const previous = seen.get(key);
    if (previous !== undefined) {
      return fail(api.name !== undefined ? `${path}.name` : path, `repeats ${previous} (${JSON.stringify(key)}): each API is attached once, under a name of its own across apis and httpApis`);
    }
    seen.set(key, path);
    return { key, ...(hasResource ? { api: api.api } : { apiId: api.apiId }) };
  });
}

/**
 * A usage plan covers named stages of named APIs, so every API needs its stages, and a stage of this
 * program must be created between the authorizer and the plans (see `deployStages`).
 */
function checkApisForUsagePlans(apis: ResolvedApi[], httpApis: readonly ResolvedHttpApi[], fail: Fail): void {
  // API Gateway v2 has no usage plans or API keys: an HTTP API throttles per stage and route, never per caller.
  if (apis.length === 0 && httpApis.length > 0) {
    fail("usagePlans", "is set, but HTTP APIs have no usage plans (API Gateway meters users on REST APIs only) and apis names no REST API: remove usagePlans, or protect a REST API with it");
  }
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
  return SETTINGS.stageNames.kind.check(value, (problem) => fail(path, problem));
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
    // The function's name, at most 64 characters (infra/authorizer-function.ts).
    ...(settings.usagePlans ? { usagePlans: placeholderUsagePlans(settings.usagePlans), stackTag: "k".repeat(64) } : {}),
  });
  if (settings.usagePlans) checkEnvironmentSize(environment, fail);
  try {
    loadConfig(environment);
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    const setting = settingOfVariable(error.setting);
    const path = setting ? (SETTINGS[setting] as SettingSpec).arg : undefined;
    fail(path ?? error.setting, `is rejected by the authorizer: ${error.problem}`);
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
