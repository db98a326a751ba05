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
import { KindeEmulator } from "../../local/kinde-emulator";
import { requestEvent } from "../support/aws-events";

const run = promisify(execFile);
const KEY = "k_live_bundle_0123456789abcdef";

let dir: string;
let bundle: string;
let bytes: number;
let kinde: KindeEmulator;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keygate-bundle-"));
  bundle = join(dir, "index.mjs");
  bytes = await bundleAuthorizer(bundle);
  kinde = new KindeEmulator({ clientId: "bundle", clientSecret: "bundle-secret", keys: () => [{ api_key: KEY, key_id: "api_key_b", user_id: "kp_b", scopes: ["s"] }] });
  await kinde.start();
});

afterAll(async () => {
  await kinde.stop();
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

  it("answers a bad key with Unauthorized", async () => {
    const { stdout } = await invoke(ENV(), requestEvent("Bearer k_live_nobody"));
    expect(stdout.trim().split("\n").pop()).toBe(JSON.stringify({ error: "Unauthorized" }));
  });

  it("fails at start-up with a message naming the malformed variable, never echoing the secret", async () => {
    const failure = await invoke({ ...ENV(), VERIFY_TIMEOUT_MS: "soon" }, requestEvent(`Bearer ${KEY}`)).catch((error: { stderr: string }) => error);
    expect("stderr" in failure ? failure.stderr : "").toContain('VERIFY_TIMEOUT_MS: "soon" is not a whole number');
    expect("stderr" in failure ? failure.stderr : "").not.toContain("bundle-secret");
  });
});
