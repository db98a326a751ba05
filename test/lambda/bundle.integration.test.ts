/**
 * The deployable artifact itself: the esbuild bundle loads on this Node, exports `handler`,
 * authorizes over HTTP, and refuses a malformed configuration at start-up.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleAuthorizer } from "../../lambda/bundle";
import { LocalApiGatewayControlPlane } from "../../local/api-gateway-control-plane";
import { ensureCacheTable, localDynamoDbClient, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from "../../local/embedded-dynamodb";
import { KindeEmulator } from "../../local/kinde-emulator";
import { requestEvent } from "../support/aws-events";
import { startLoopbackServer, type LoopbackServer } from "../support/loopback-server";

const run = promisify(execFile);
const KEY = "k_live_bundle_0123456789abcdef";

let dir: string;
let bundle: string;
let bytes: number;
let kinde: KindeEmulator;
let dynamo: EmbeddedDynamoDb;
let secrets: LoopbackServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keygate-bundle-"));
  bundle = join(dir, "index.mjs");
  bytes = await bundleAuthorizer(bundle);
  kinde = new KindeEmulator({ clientId: "bundle", clientSecret: "bundle-secret", keys: () => [{ api_key: KEY, key_id: "api_key_b", user_id: "kp_b", scopes: ["s"] }] });
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

/** Imports the bundle in a fresh Node process, as Lambda does, and calls its handler once. */
function invoke(env: Record<string, string>, event: unknown) {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    try { console.log(JSON.stringify({ result: await handler(${JSON.stringify(event)}, { awsRequestId: "r1" }) })); }
    catch (error) { console.log(JSON.stringify({ error: error.message })); }`;
  return run(process.execPath, ["--input-type=module", "-e", script], {
    env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
  });
}

const ENV = () => ({ KINDE_DOMAIN: kinde.url, KINDE_M2M_CLIENT_ID: "bundle", KINDE_M2M_CLIENT_SECRET: "bundle-secret" });

describe("the authorizer bundle", () => {
  it("is one ESM file that loads on this Node and authorizes a key over HTTP", async () => {
    expect(bytes).toBeGreaterThan(0);
    const { stdout } = await invoke(ENV(), requestEvent(`Bearer ${KEY}`));
    const lines = stdout.trim().split("\n");
    const audit = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(audit).toMatchObject({ level: "INFO", service: "keygate-authorizer", decision: "allow", user_id: "kp_b", verdict_source: "kinde" });
    expect(JSON.parse(lines[1]!)).toMatchObject({ result: { principalId: "kp_b", context: { user_id: "kp_b", key_id: "api_key_b" } } });
    expect(stdout).not.toContain(KEY);
  });

  it("uses its bundled AWS SDK clients: the secret from Secrets Manager, verdicts in DynamoDB", async () => {
    const env = {
      KINDE_DOMAIN: kinde.url,
      KINDE_M2M_CLIENT_ID: "bundle",
      KINDE_M2M_CLIENT_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keygate-kinde-AbCdEf",
      CACHE_TABLE_NAME: "keygate-bundle",
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
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
