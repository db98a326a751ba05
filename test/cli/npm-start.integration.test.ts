/**
 * End to end, as a user runs it: `npm start` (its start script, in a process group of its own) in one
 * terminal, `keygate ... --local` in another. The command finds the gateway through
 * .keygate/local.json, revokes a key for real, and the file is gone once Ctrl-C stops the gateway.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, expect, it } from "vitest";
import { packageRoot } from "../../lambda/package-root";
import { ALICE } from "../local/local-harness";

const root = packageRoot();
const cwd = mkdtempSync(join(tmpdir(), "keygate-cli-e2e-"));
const tsx = pathToFileURL(createRequire(join(root, "package.json")).resolve("tsx")).href;
let gateway: ChildProcess | undefined;
afterAll(() => {
  try {
    if (gateway?.exitCode === null) process.kill(-gateway.pid!, "SIGKILL");
  } catch {
    // already gone
  }
  rmSync(cwd, { recursive: true, force: true });
});

const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? cwd, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

/** `keygate <args>` as a separate process, from the sources. */
function keygate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", tsx, join(root, "cli", "main.ts"), ...args], { cwd, env }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

it("revokes a key of a running npm start from another process, and the endpoints file leaves with the gateway", async () => {
  writeFileSync(
    join(cwd, "Pulumi.dev.yaml"),
    "config:\n  keygate:acceptKeysForAnyApi: true\n  keygate:authorizerResultTtlSeconds: 300\n  keygate:memoryCacheTtlSeconds: 1\n",
  );
  writeFileSync(join(cwd, "keys.json"), JSON.stringify([ALICE]));
  const child = spawn(process.execPath, ["--import", tsx, join(root, "local", "start.ts")], {
    cwd,
    env: { ...env, PORT: "0", KEYGATE_LOCAL_KEYS: "keys.json" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  gateway = child;
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const look = () => {
      const match = /Keygate local gateway on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match && /Ctrl-C stops/.test(out)) resolve(match[1]!);
    };
    child.stdout!.on("data", look);
    child.on("exit", () => reject(new Error(`npm start exited:\n${out}`)));
  });
  const call = async () => (await fetch(`${url}/whoami`, { headers: { Authorization: `Bearer ${ALICE.api_key}` } })).status;

  expect(existsSync(join(cwd, ".keygate", "local.json"))).toBe(true);
  expect(await call()).toBe(200);
  writeFileSync(join(cwd, "keys.json"), JSON.stringify([{ ...ALICE, status: "revoked" }]));
  // The gateway's cache (300 s) would keep allowing the key; the command makes the next request ask Kinde.
  expect(await call()).toBe(200);

  const revoked = await keygate(["invalidate", "--local", "--key-id", ALICE.key_id, "--yes"]);
  expect(revoked.stderr).toBe("");
  expect(revoked.code).toBe(0);
  expect(revoked.stdout).toMatch(/Waiting 2 s/);
  expect(await call()).toBe(401);

  const check = await keygate(["check", "--local"]);
  expect(check.code).toBe(0);

  process.kill(-child.pid!, "SIGINT");
  expect(await exited).toBe(0);
  expect(existsSync(join(cwd, ".keygate", "local.json"))).toBe(false);
  const gone = await keygate(["keys", "--local"]);
  expect(gone.code).toBe(2);
  expect(gone.stderr).toMatch(/no running npm start recorded/);
});
