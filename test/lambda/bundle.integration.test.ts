/**
 * The deployable artifact itself: the esbuild bundle loads on this Node, exports `handler`,
 * authorizes over HTTP, and refuses a malformed configuration at start-up. The clients only some
 * configurations need are chunks loaded on first use: each works when its feature is on, and a
 * copy of the bundle without that chunk still authorizes when the feature is off (Lambda would
 * fail the request if the handler tried to load it).
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type { Metafile } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleAuthorizer } from "../../lambda/bundle";
import { LocalApiGatewayControlPlane } from "../../local/api-gateway-control-plane";
import { ensureCacheTable, localDynamoDbClient, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from "../../local/embedded-dynamodb";
import { KindeEmulator } from "../../local/kinde-emulator";
import { fixture, httpApiEvent, requestEvent } from "../support/aws-events";
import { bundleNode, bundleNodeVersion } from "../support/bundle-node";
import { startLoopbackServer, type LoopbackServer } from "../support/loopback-server";

const run = promisify(execFile);
const KEY = "k_live_bundle_0123456789abcdef";
/** A user who never gets a key of their own here: metered by the pool key. */
const POOL_USER_KEY = "k_live_bundle_pool_0123456789abcdef";

let dir: string;
let bundle: string;
let chunkNames: string[];
let metafile: Metafile;
let kinde: KindeEmulator;
let dynamo: EmbeddedDynamoDb;
let secrets: LoopbackServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keygate-bundle-"));
  bundle = join(dir, "bundle", "index.mjs");
  const built = await bundleAuthorizer(bundle);
  metafile = built.metafile;
  chunkNames = built.files.slice(1).map((file) => file.path.slice(join(dir, "bundle", "chunks").length + 1));
  kinde = new KindeEmulator({ clientId: "bundle", clientSecret: "bundle-secret", keys: () => [
      { api_key: KEY, key_id: "api_key_b", user_id: "kp_b", scopes: ["s"] },
      { api_key: POOL_USER_KEY, key_id: "api_key_p", user_id: "kp_p", scopes: ["s"] },
    ] });
  await kinde.start();
  dynamo = await startEmbeddedDynamoDb();
  await ensureCacheTable(localDynamoDbClient(dynamo.endpoint), "keygate-bundle");
  secrets = await startLoopbackServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
    res.end(JSON.stringify({ SecretString: "bundle-secret" }));
  });
});

afterAll(async () => {
  await kinde.stop();
  await dynamo.stop();
  await secrets.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of the bundle without the chunks named `<name>-<hash>.mjs`, each of which must exist. */
function bundleWithout(...names: string[]): string {
  const copy = mkdtempSync(join(dir, "without-"));
  cpSync(dirname(bundle), copy, { recursive: true });
  for (const name of names) {
    const matching = chunkNames.filter((chunk) => chunk.startsWith(`${name}-`));
    expect(matching, name).toHaveLength(1);
    rmSync(join(copy, "chunks", matching[0]!));
  }
  return join(copy, "index.mjs");
}

/** The chunk files index.mjs imports, or that hold code from `inputPrefix` (a path from the package root), with the chunks they import. */
function chunksLoadedWith(inputPrefix: string): string[] {
  const outputs = metafile.outputs;
  const pending = Object.keys(outputs).filter(
    (output) => basename(output) === "index.mjs" || Object.keys(outputs[output]!.inputs).some((input) => input.split(sep).join("/").includes(inputPrefix)),
  );
  const found = new Set<string>();
  while (pending.length > 0) {
    const output = pending.pop()!;
    if (found.has(output)) continue;
    found.add(output);
    for (const imported of outputs[output]!.imports) if (imported.kind === "import-statement" && outputs[imported.path]) pending.push(imported.path);
  }
  return [...found].map((output) => basename(output)).filter((name) => chunkNames.includes(name));
}

/** Imports the bundle in a fresh Node process, as Lambda does, and calls its handler once. */
function invoke(env: Record<string, string>, event: unknown, module: string = bundle) {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(module).href)});
    try { console.log(JSON.stringify({ result: await handler(${JSON.stringify(event)}, { awsRequestId: "r1" }) })); }
    catch (error) { console.log(JSON.stringify({ error: error.message })); }`;
  return run(bundleNode(), ["--input-type=module", "-e", script], {
    env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
  });
}

/**
 * A fresh process's first DynamoDB call sets up the SDK's client, and its first Kinde call loads
 * Node's fetch: on a busy test machine either can outlast the default budgets, and the cache or
 * Kinde would be given up where these tests expect them used.
 */
const SLOW_MACHINE = { DYNAMODB_TIMEOUT_MS: "2000", VERIFY_TIMEOUT_MS: "15000" };
const ENV = () => ({ KINDE_DOMAIN: kinde.url, KINDE_M2M_CLIENT_ID: "bundle", KINDE_M2M_CLIENT_SECRET: "bundle-secret", ...SLOW_MACHINE });
/** The cache table on dynalite, with the credentials Lambda puts in a function's environment. */
const WITH_TABLE = () => ({
  ...ENV(),
  CACHE_TABLE_NAME: "keygate-bundle",
  AWS_REGION: "eu-west-1",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
  AWS_SESSION_TOKEN: "local-session",
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  ...SLOW_MACHINE,
});
const auditOf = (stdout: string) => JSON.parse(stdout.trim().split("\n")[0]!) as Record<string, unknown>;
const resultOf = (stdout: string) => JSON.parse(stdout.trim().split("\n").pop()!) as { result?: { principalId?: string; usageIdentifierKey?: string; isAuthorized?: boolean }; error?: string };

describe(`the authorizer bundle, on Node ${bundleNodeVersion()}`, () => {
  it("is one ESM module, with its chunks beside it, that loads on this Node and authorizes a key over HTTP", async () => {
    expect(chunkNames.length).toBeGreaterThan(0);
    const { stdout } = await invoke(ENV(), requestEvent(`Bearer ${KEY}`));
    const lines = stdout.trim().split("\n");
    const audit = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(audit).toMatchObject({ level: "INFO", service: "keygate-authorizer", decision: "allow", user_id: "kp_b", verdict_source: "kinde" });
    expect(JSON.parse(lines[1]!)).toMatchObject({ result: { principalId: "kp_b", context: { user_id: "kp_b", key_id: "api_key_b" } } });
    expect(stdout).not.toContain(KEY);
  });

  it("reads the secret with its bundled Secrets Manager client and keeps verdicts in DynamoDB with its bundled DynamoDB client", async () => {
    const env = {
      KINDE_DOMAIN: kinde.url,
      KINDE_M2M_CLIENT_ID: "bundle",
      KINDE_M2M_CLIENT_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keygate-kinde-AbCdEf",
      CACHE_TABLE_NAME: "keygate-bundle",
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      ...SLOW_MACHINE,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    };
    const first = await invoke(env, requestEvent(`Bearer ${KEY}`));
    expect(JSON.parse(first.stdout.trim().split("\n")[0]!)).toMatchObject({ decision: "allow", verdict_source: "kinde" });
    expect(first.stdout).not.toContain("cache_error");
    const second = await invoke(env, requestEvent(`Bearer ${KEY}`));
    expect(JSON.parse(second.stdout.trim().split("\n")[0]!)).toMatchObject({ decision: "allow", verdict_source: "dynamodb" });
  });

  it("provisions a user's own usage-plan key through its bundled API Gateway client", async () => {
    const apiGateway = await new LocalApiGatewayControlPlane([{ id: "free123", stages: ["puhdx84jy9:prod"] }]).start();
    try {
      const pool = "FreePoolKey0123456789abcdefghij";
      apiGateway.addKey({ name: "keygate-pool-free", value: pool }, "free123");
      const { stdout } = await invoke(
        {
          ...ENV(),
          CACHE_TABLE_NAME: "keygate-bundle",
          AWS_REGION: "eu-west-1",
          AWS_ACCESS_KEY_ID: "local",
          AWS_SECRET_ACCESS_KEY: "local",
          AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
          ...SLOW_MACHINE,
          AWS_ENDPOINT_URL_API_GATEWAY: apiGateway.url,
          USAGE_PLANS: JSON.stringify({ tiers: { free: { usagePlanId: "free123", poolKey: pool } }, defaultTier: "free", autoProvision: true, provisionTimeoutMs: 3000 }),
        },
        requestEvent(`Bearer ${KEY}`),
      );
      const own = apiGateway.keys().find((key) => key.name === "keygate-kp_b");
      expect(own).toBeDefined();
      expect(apiGateway.memberships()[own!.id]).toEqual(["free123"]);
      const result = JSON.parse(stdout.trim().split("\n").pop()!) as { result: { usageIdentifierKey: string } };
      expect(result.result.usageIdentifierKey).toBe(own!.value);
    } finally {
      await apiGateway.stop();
    }
  });

  it("without usage plans, never loads the usage-plan code or the API Gateway client", async () => {
    const module = bundleWithout("usage-from-config", "api-gateway-sdk");
    const { stdout } = await invoke(WITH_TABLE(), requestEvent(`Bearer ${KEY}`), module);
    expect(auditOf(stdout)).toMatchObject({ decision: "allow" });
    expect(stdout).not.toContain("cache_error");
    expect(resultOf(stdout).result).toMatchObject({ principalId: "kp_b" });
    expect(resultOf(stdout).result).not.toHaveProperty("usageIdentifierKey");
  });

  it("with usage plans but no auto-provisioning, loads the usage-plan code and never the API Gateway client", async () => {
    const pool = "FreePoolKey0123456789abcdefghij";
    const usagePlans = JSON.stringify({ tiers: { free: { usagePlanId: "free123", poolKey: pool } }, defaultTier: "free" });
    const { stdout } = await invoke({ ...WITH_TABLE(), USAGE_PLANS: usagePlans }, requestEvent(`Bearer ${POOL_USER_KEY}`), bundleWithout("api-gateway-sdk"));
    expect(auditOf(stdout)).toMatchObject({ decision: "allow", usage_tier: "free", usage_key_source: "pool" });
    expect(resultOf(stdout).result?.usageIdentifierKey).toBe(pool);
    // The same request with the usage-plan chunk missing is served unmetered: the chunk is what metered it above.
    const missing = await invoke({ ...WITH_TABLE(), USAGE_PLANS: usagePlans }, requestEvent(`Bearer ${POOL_USER_KEY}`), bundleWithout("usage-from-config"));
    expect(auditOf(missing.stdout)).toMatchObject({ decision: "allow" });
    expect(String(auditOf(missing.stdout).usage_error)).toContain("usage_internal");
  });

  it("as deployed (secret in Secrets Manager, credentials from Lambda), answers a miss and then a hit with no chunk but the SDK's environment credentials", async () => {
    await ensureCacheTable(localDynamoDbClient(dynamo.endpoint), "keygate-bundle-no-chunks");
    const copy = mkdtempSync(join(dir, "no-chunks-"));
    cpSync(join(dir, "bundle", "index.mjs"), join(copy, "index.mjs"));
    // What index.mjs imports, and the environment source the SDK's credential chain imports on first use: nothing else.
    const kept = chunksLoadedWith("node_modules/@aws-sdk/credential-provider-env/");
    expect(kept.length).toBeLessThan(chunkNames.length);
    for (const chunk of kept) cpSync(join(dir, "bundle", "chunks", chunk), join(copy, "chunks", chunk));
    const { KINDE_M2M_CLIENT_SECRET: _secret, ...withTable } = WITH_TABLE();
    const env = {
      ...withTable,
      CACHE_TABLE_NAME: "keygate-bundle-no-chunks",
      KINDE_M2M_CLIENT_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keygate-kinde-AbCdEf",
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    };
    const miss = await invoke(env, requestEvent(`Bearer ${KEY}`), join(copy, "index.mjs"));
    expect(auditOf(miss.stdout), miss.stdout).toMatchObject({ decision: "allow", verdict_source: "kinde" });
    expect(miss.stdout).not.toContain("cache_error");
    const hit = await invoke(env, requestEvent(`Bearer ${KEY}`), join(copy, "index.mjs"));
    expect(auditOf(hit.stdout)).toMatchObject({ decision: "allow", verdict_source: "dynamodb" });
  });

  it("without credentials in its environment, finds a profile's through the SDK's own credential chain", async () => {
    const profiles = join(dir, "aws-credentials");
    writeFileSync(profiles, "[default]\naws_access_key_id = profile\naws_secret_access_key = profile\n");
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, AWS_SESSION_TOKEN: _token, ...withoutCredentials } = WITH_TABLE();
    // Only the shared credentials file: never the instance metadata service, which is not on loopback.
    const env = { ...withoutCredentials, AWS_SHARED_CREDENTIALS_FILE: profiles, AWS_CONFIG_FILE: join(dir, "no-aws-config"), AWS_EC2_METADATA_DISABLED: "true" };
    const { stdout } = await invoke(env, requestEvent(`Bearer ${KEY}`));
    expect(auditOf(stdout)).toMatchObject({ decision: "allow" });
    expect(stdout).not.toContain("cache_error");
    // With the profile gone the same container has nothing to sign its DynamoDB calls with: the profile is what signed them above.
    const missing = await invoke({ ...env, AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-aws-credentials") }, requestEvent(`Bearer ${KEY}`));
    expect(auditOf(missing.stdout)).toMatchObject({ decision: "allow" });
    expect(missing.stdout).toContain("cache_error");
  });

  it("answers AWS's sample HTTP API events (payload 2.0) with simple responses, and USAGE_PLANS never meters them", async () => {
    // AWS's documented sample carries no Authorization header: refused, never an error, and Kinde is not asked.
    const sample = await invoke(ENV(), fixture("http-api-request-event-v2.aws-lambda-go.json"));
    expect(auditOf(sample.stdout)).toMatchObject({ decision: "deny", reason: "missing_key", api_kind: "http", route_key: "$default" });
    expect(resultOf(sample.stdout)).toEqual({ result: { isAuthorized: false } });
    // Powertools' captured event presents the key "foo", which Kinde does not know.
    const captured = await invoke(ENV(), fixture("http-api-request-event-v2.powertools.json"));
    expect(auditOf(captured.stdout)).toMatchObject({ decision: "deny", reason: "invalid_key", verdict_source: "kinde", api_kind: "http", api_id: "lsw1ro4ipb" });
    expect(resultOf(captured.stdout)).toEqual({ result: { isAuthorized: false } });
    // The same event with a key Kinde knows, on a stack with usage plans: HTTP APIs have none, so no key is looked up.
    const pool = "FreePoolKey0123456789abcdefghij";
    const usagePlans = JSON.stringify({ tiers: { free: { usagePlanId: "free123", poolKey: pool } }, defaultTier: "free" });
    const allowed = await invoke({ ...WITH_TABLE(), USAGE_PLANS: usagePlans }, httpApiEvent(`Bearer ${KEY}`));
    expect(auditOf(allowed.stdout)).toMatchObject({ decision: "allow", api_kind: "http", route_key: "POST /lambda", user_id: "kp_b" });
    expect(auditOf(allowed.stdout)).not.toHaveProperty("usage_tier");
    expect(resultOf(allowed.stdout)).toEqual({ result: { isAuthorized: true, context: { user_id: "kp_b", key_id: "api_key_b", scopes: "s", verdict_source: expect.any(String) } } });
    expect(allowed.stdout).not.toContain(KEY);
  });

  it("answers a bad key with Unauthorized", async () => {
    const { stdout } = await invoke(ENV(), requestEvent("Bearer k_live_nobody"));
    expect(stdout.trim().split("\n").pop()).toBe(JSON.stringify({ error: "Unauthorized" }));
  });

  it("fails at start-up with a message naming the malformed variable, never echoing the secret", async () => {
    const failure = await invoke({ ...ENV(), VERIFY_TIMEOUT_MS: "soon" }, requestEvent(`Bearer ${KEY}`)).catch((error: { stderr: string }) => error);
    expect("stderr" in failure ? failure.stderr : "").toContain('VERIFY_TIMEOUT_MS must be a whole number from 100 to 30000 (got "soon")');
    expect("stderr" in failure ? failure.stderr : "").not.toContain("bundle-secret");
  });
});
