/**
 * Everything `npm start` runs, wired together: the stack settings, DynamoDB (embedded or a real
 * endpoint), Kinde (the real tenant or the loopback emulator), the built authorizer in its own
 * container, and the gateway on loopback. Tests start Keygate through this same function.
 */
import { DynamoDBClient, PutItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { appendFileSync, mkdirSync, writeFileSync, existsSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { functionTimeoutSeconds, DEFAULTS as DEPLOYED_DEFAULTS } from "../infra/args";
import { identitySource } from "../infra/openapi";
import { authorizerEnvironment, checkAuthorizerEnvironment, type KindeConnection } from "./authorizer-environment";
import { AuthorizerHost } from "./authorizer-host";
import { ensureAuthorizerBundle, type BundleStatus } from "./authorizer-bundle";
import { AuthorizerResultCache } from "./authorizer-result-cache";
import { demoBackend } from "./demo-backend";
import { DEMO_KEYS, demoSettings, type DemoKey } from "./demo-keys";
import { ensureCacheTable, localDynamoDbClient, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from "./embedded-dynamodb";
import { emulatedApiId, KindeEmulator, type LocalKey } from "./kinde-emulator";
import { liveKeysFile } from "./keys-file";
import { LocalGateway, type RequestLogEntry, type StageIdentity } from "./local-gateway";
import type { ApiKind } from "./api-flavor";
import { HttpApiFlavor } from "./http-api-flavor";
import { httpApiRoutes, restApiResources } from "./local-api-routes";
import { loadSettingsFile, settingsPath, type KeygateSettings, type LoadedSettings } from "./stack-config";
import { startLocalUsagePlans, usagePlansVariableForCheck, type LocalUsagePlans } from "./local-usage-plans";
import type { UsagePlanLimiter } from "./usage-plan-limiter";
import type { LocalApiGatewayControlPlane } from "./api-gateway-control-plane";
import type { LocalRestApi } from "./local-rest-api";
import { startOperatorAccess } from "./operator-access";
import { localEndpointsPath } from "../cli/local-endpoints";

export interface KeygateLocalOptions {
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where KEYGATE_CONFIG, KEYGATE_LOCAL_KEYS, KEYGATE_LOCAL_API, KINDE_* and AWS_ENDPOINT_URL_DYNAMODB are read. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Relative paths and the default `Pulumi.dev.yaml` are resolved here. Default process.cwd(). */
  cwd?: string;
  /** Another authorizer module instead of dist/authorizer/index.mjs (tests use stand-ins that fail on purpose). */
  authorizerModule?: string;
  /** Default: the deployed function's timeout for these settings. */
  authorizerTimeoutMs?: number;
  /** The file the authorizer's audit records are appended to, or false for none. Default `<cwd>/.keygate/audit.log`. */
  auditLog?: string | false;
  /** Where the endpoints `keygate --local` reads are recorded while running, or false for nowhere. Default `<cwd>/.keygate/local.json`. */
  endpointsFile?: string | false;
  /** Also hears every audit record (one JSON line each). */
  onAuditRecord?: (line: string) => void;
  onRequest?: (entry: RequestLogEntry) => void;
  /** Non-fatal problems: a keys file saved half-way, the authorizer writing to stderr. */
  onWarning?: (message: string) => void;
}

export type KindeMode =
  | { mode: "emulator"; emulator: KindeEmulator; keys: { kind: "file"; path: string } | { kind: "demo"; demoKeys: readonly DemoKey[] }; url: string }
  | { mode: "tenant"; domain: string };

export interface KeygateLocal {
  url: string;
  /** The kind of API the gateway plays (KEYGATE_LOCAL_API): a REST API, or an HTTP API. */
  apiKind: ApiKind;
  /** In HTTP API mode: its routes, and how a request is routed among them. */
  httpApi?: HttpApiFlavor;
  port: number;
  settings: KeygateSettings;
  settingsSource: LoadedSettings["source"];
  /** Start-up notes for the banner (e.g. why the emulator is used instead of the tenant). */
  notes: string[];
  kinde: KindeMode;
  dynamodb: { mode: "embedded" | "external"; endpoint: string; tableName: string };
  bundle: BundleStatus & { module: string };
  /** How long one invocation may run: the deployed function's timeout, unless the options say otherwise. */
  authorizerTimeoutMs: number;
  auditLogPath?: string;
  cache: AuthorizerResultCache;
  /** Present when usage plans are configured: what the gateway meters by, and the local plans behind it. */
  usage?: UsagePlanLimiter;
  usagePlans?: LocalUsagePlans;
  stage: StageIdentity;
  /** The local API Gateway control plane: usage keys, and the local API as `keygate check` reads it. */
  controlPlane: LocalApiGatewayControlPlane;
  restApi: LocalRestApi;
  stop(): Promise<void>;
}

/** The port is taken; `npm start` says so and exits with 1. */
export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`port ${port} on ${host} is already in use; stop whatever uses it or choose another port, e.g. PORT=3001 npm start`);
    this.name = "PortInUseError";
  }
}

const LOCAL_ACCOUNT = "123456789012";
const LOCAL_API_ID = "keygatelocal";
const LOCAL_STAGE = "local";
/** An HTTP API's usual stage: served at the root of its URL. */
const LOCAL_HTTP_STAGE = "$default";
const DEFAULT_TABLE = "keygate-local-cache";

export async function startKeygateLocal(options: KeygateLocalOptions = {}): Promise<KeygateLocal> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const host = options.host ?? "127.0.0.1";
  const warn = options.onWarning ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  const cleanup: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  };

  try {
    const path = settingsPath(env, cwd);
    const loaded: LoadedSettings = path ? loadSettingsFile(path) : { settings: demoSettings(), source: { kind: "demo" }, warnings: [] };
    const { settings } = loaded;
    const notes = [...loaded.warnings];
    const settingsFile = loaded.source.kind === "stack-file" ? basename(loaded.source.path) : undefined;

    // Input problems first, before anything is started.
    const apiKind = localApiKind(env.KEYGATE_LOCAL_API);
    const tenant = chooseTenant(settings, env, notes);
    const kindeChoice: { tenant: KindeConnection } | { emulator: EmulatorKeys } = tenant ? { tenant } : { emulator: chooseEmulatorKeys(env, cwd, warn) };
    if (tenant && env.KEYGATE_LOCAL_KEYS?.trim()) notes.push(`KEYGATE_LOCAL_KEYS is ignored: keys are verified at ${tenant.domain}`);
    const region = settings.region ?? env.AWS_REGION?.trim() ?? "us-east-1";
    const tableName = env.CACHE_TABLE_NAME?.trim() || DEFAULT_TABLE;
    // The authorizer's own checks, with stand-in endpoints: a value it would refuse stops us here.
    const planContext = { allowOrgKeys: settings.allowOrgKeys, authorizerResultTtlSeconds: settings.authorizerResultTtlSeconds };
    const checkUsage = settings.usagePlans ? { variable: usagePlansVariableForCheck(settings.usagePlans, planContext), apiGatewayEndpoint: "http://127.0.0.1" } : undefined;
    checkAuthorizerEnvironment(
      authorizerEnvironment(settings, tenant ?? { domain: "http://127.0.0.1", clientId: "check", clientSecret: "check" }, { endpoint: "http://127.0.0.1", tableName }, region, env, checkUsage),
      settingsFile,
    );

    const bundle = await ensureAuthorizerBundle();
    const module = options.authorizerModule ? resolve(cwd, options.authorizerModule) : bundle.path;

    // DynamoDB: a real endpoint when the SDK's own variable names one, else dynalite in this process.
    let dynamodb: KeygateLocal["dynamodb"];
    let credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
    const external = env.AWS_ENDPOINT_URL_DYNAMODB?.trim();
    let tableClient: DynamoDBClient;
    if (external) {
      tableClient = new DynamoDBClient({ endpoint: external, region });
      cleanup.push(async () => tableClient.destroy());
      try {
        await ensureCacheTable(tableClient, tableName);
      } catch (error) {
        throw new Error(`AWS_ENDPOINT_URL_DYNAMODB (${external}): cannot create or find table ${tableName}: ${(error as Error).message}`);
      }
      dynamodb = { mode: "external", endpoint: external, tableName };
    } else {
      const embedded: EmbeddedDynamoDb = await startEmbeddedDynamoDb();
      cleanup.push(() => embedded.stop());
      tableClient = localDynamoDbClient(embedded.endpoint);
      cleanup.push(async () => tableClient.destroy());
      await ensureCacheTable(tableClient, tableName);
      credentials = { accessKeyId: "local", secretAccessKey: "local" };
      dynamodb = { mode: "embedded", endpoint: embedded.endpoint, tableName };
    }

    // Usage plans: one per tier with its pool key, fixed users' keys and mapping items, a control plane for new keys.
    let usagePlans: LocalUsagePlans | undefined;
    // HTTP APIs have no usage plans: in that mode nothing is metered (the banner says so).
    if (settings.usagePlans && apiKind === "rest") {
      const writeMapping = async (item: Record<string, AttributeValue>) => {
        await tableClient.send(new PutItemCommand({ TableName: tableName, Item: item }));
      };
      const started = await startLocalUsagePlans(settings.usagePlans, planContext, `${LOCAL_API_ID}:${LOCAL_STAGE}`, writeMapping);
      usagePlans = started;
      cleanup.push(() => started.stop());
    }

    // Kinde: the real tenant when fully configured, else the loopback emulator.
    let kinde: KindeMode;
    let connection: KindeConnection;
    if ("tenant" in kindeChoice) {
      connection = kindeChoice.tenant;
      kinde = { mode: "tenant", domain: connection.domain };
    } else {
      const { keys, source } = kindeChoice.emulator;
      const clientId = `local_${randomBytes(8).toString("hex")}`;
      const clientSecret = randomBytes(24).toString("base64url");
      // The emulator stands in for the stack's Kinde business: keys naming no API belong to the API it accepts.
      const emulator = new KindeEmulator({ clientId, clientSecret, keys, ownApiId: emulatedApiId(settings.kindeApiIds) });
      const url = await emulator.start(0, "127.0.0.1");
      cleanup.push(() => emulator.stop());
      connection = { domain: url, clientId, clientSecret };
      kinde = { mode: "emulator", emulator, keys: source, url };
    }

    const usageConnection = usagePlans ? { variable: usagePlans.variable, apiGatewayEndpoint: usagePlans.controlPlane.url } : undefined;
    const functionEnv = authorizerEnvironment(settings, connection, { endpoint: dynamodb.endpoint, tableName, ...(credentials ? { credentials } : {}) }, region, env, usageConnection);
    const config = checkAuthorizerEnvironment(functionEnv, settingsFile);

    const audit = auditSink(options.auditLog, cwd, options.onAuditRecord);
    // The deployed function's timeout for the same settings, the usage-key budget included.
    const timeoutMs = options.authorizerTimeoutMs ?? functionTimeoutSeconds(config) * 1000;
    const authorizer = new AuthorizerHost({
      bundlePath: module,
      env: functionEnv,
      timeoutMs,
      onOutput: (line, stream) => {
        if (stream === "stdout") audit.write(line);
        else warn(`authorizer: ${line}`);
      },
    });
    cleanup.push(() => authorizer.stop());
    await authorizer.start();

    const stage: StageIdentity = { partition: "aws", region, accountId: LOCAL_ACCOUNT, apiId: LOCAL_API_ID, stage: apiKind === "http" ? LOCAL_HTTP_STAGE : LOCAL_STAGE };
    const cache = new AuthorizerResultCache(settings.authorizerResultTtlSeconds);
    const authorizerType = settings.authorizerType ?? DEPLOYED_DEFAULTS.authorizerType;
    const hasRouteRules = config.routeRules.length > 0;
    // As the component deploys it: with route rules, a REQUEST authorizer's answer is cached per key and route.
    const identitySources = identitySource(authorizerType, hasRouteRules);
    const usage = usagePlans?.limiter;
    // As the component configures an HTTP API's authorizer: the route key is an identity source when there are route rules.
    const routeKeyInIdentitySources = hasRouteRules;
    const httpApi = apiKind === "http"
      ? new HttpApiFlavor({ stage, routes: httpApiRoutes(config.routeRules), routeKeyInIdentitySources, backend: demoBackend })
      : undefined;
    const common = { stage, authorizer, cache, ...(options.onRequest ? { onRequest: options.onRequest } : {}) };
    const gateway = httpApi
      ? new LocalGateway({ ...common, api: httpApi })
      : new LocalGateway({
          ...common,
          authorizerType,
          identitySource: identitySources,
          ...(usage ? { usage } : {}),
          backend: demoBackend,
          resources: restApiResources(config.routeRules),
        });
    const requestedPort = options.port ?? 3000;
    let port: number;
    try {
      port = await gateway.listen(requestedPort, host);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") throw new PortInUseError(host, requestedPort);
      throw error;
    }
    cleanup.push(() => gateway.close());

    // What `keygate --local` reaches: the control plane, the local API's description, .keygate/local.json.
    const operator = await startOperatorAccess({
      stage,
      gatewayUrl: `http://${host}:${port}`,
      dynamodb: { endpoint: dynamodb.endpoint, tableName, embedded: dynamodb.mode === "embedded" },
      authorizer: { type: authorizerType, identitySource: identitySources, resultTtlSeconds: settings.authorizerResultTtlSeconds, memoryCacheTtlSeconds: config.memoryCacheTtlSeconds },
      resourcePaths: restApiResources(config.routeRules),
      ...(httpApi ? { httpApi: { routes: httpApi.routes, routeKeyInIdentitySources } } : {}),
      usagePlans,
      flushAuthorizerCache: () => cache.flush(),
      endpointsFile: options.endpointsFile === false ? undefined : resolve(cwd, options.endpointsFile ?? localEndpointsPath(cwd)),
    });
    cleanup.push(() => operator.stop());

    return {
      url: `http://${host}:${port}`,
      apiKind,
      ...(httpApi ? { httpApi } : {}),
      port,
      settings,
      settingsSource: loaded.source,
      notes,
      kinde,
      dynamodb,
      bundle: { ...bundle, module },
      authorizerTimeoutMs: timeoutMs,
      ...(audit.path ? { auditLogPath: audit.path } : {}),
      cache,
      ...(usage ? { usage } : {}),
      ...(usagePlans ? { usagePlans } : {}),
      stage,
      controlPlane: operator.controlPlane,
      restApi: operator.restApi,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Kinde credentials for the real tenant, or undefined (with a note saying why) to use the emulator. */
function chooseTenant(settings: KeygateSettings, env: Record<string, string | undefined>, notes: string[]): KindeConnection | undefined {
  const envDomain = env.KINDE_DOMAIN?.trim();
  const envId = env.KINDE_M2M_CLIENT_ID?.trim();
  const envSecret = env.KINDE_M2M_CLIENT_SECRET?.trim();
  if (envDomain && envId && envSecret) return { domain: envDomain, clientId: envId, clientSecret: envSecret };
  if (envDomain) notes.push("KINDE_DOMAIN is set but KINDE_M2M_CLIENT_ID or KINDE_M2M_CLIENT_SECRET is not: using the local Kinde emulator");

  const domain = settings.kindeDomain;
  if (!domain) return undefined;
  const clientId = envId ?? settings.kindeClientId;
  const secret = envSecret ?? settings.kindeClientSecret;
  if (clientId && secret) return { domain, clientId, clientSecret: secret };
  if (settings.kindeClientSecretEncrypted) {
    notes.push(
      `keygate:kindeClientSecret is encrypted in the stack file and npm start cannot decrypt Pulumi secrets: ` +
        `set KINDE_M2M_CLIENT_SECRET to verify keys at ${domain}; using the local Kinde emulator meanwhile`,
    );
  } else {
    notes.push(`keygate:kindeDomain is ${domain} but the M2M client id or secret is missing: using the local Kinde emulator`);
  }
  return undefined;
}

interface EmulatorKeys {
  keys: () => readonly LocalKey[];
  source: Extract<KindeMode, { mode: "emulator" }>["keys"];
}

/** The emulator's keys: the file named by KEYGATE_LOCAL_KEYS (checked now, read again on every verification), else the demo set. */
function chooseEmulatorKeys(env: Record<string, string | undefined>, cwd: string, warn: (message: string) => void): EmulatorKeys {
  const keysPath = env.KEYGATE_LOCAL_KEYS?.trim();
  if (!keysPath) return { keys: () => DEMO_KEYS, source: { kind: "demo", demoKeys: DEMO_KEYS } };
  const absolute = resolve(cwd, keysPath);
  return { keys: liveKeysFile(absolute, warn), source: { kind: "file", path: absolute } };
}

interface AuditSink {
  path?: string;
  write(line: string): void;
}

function auditSink(option: KeygateLocalOptions["auditLog"], cwd: string, listener?: (line: string) => void): AuditSink {
  const tee = listener ?? (() => undefined);
  if (option === false) return { write: tee };
  const path = resolve(cwd, option ?? ".keygate/audit.log");
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  // The default folder ignores itself, so audit logs never end up in a commit.
  if (option === undefined && !existsSync(resolve(dir, ".gitignore"))) writeFileSync(resolve(dir, ".gitignore"), "*\n");
  return {
    path,
    write: (line) => {
      appendFileSync(path, `${line}\n`);
      tee(line);
    },
  };
}

/** KEYGATE_LOCAL_API: `rest` (the default) or `http`. */
function localApiKind(value: string | undefined): ApiKind {
  const kind = value?.trim().toLowerCase() || "rest";
  if (kind === "rest" || kind === "http") return kind;
  throw new Error(`KEYGATE_LOCAL_API must be rest (a REST API, the default) or http (an HTTP API), not "${value}"`);
}
