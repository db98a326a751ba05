/**
 * `npm start` as a user runs it: a child process (the start script, `node --import tsx local/start.ts`),
 * its console, a request that passes, a request that fails, and Ctrl-C.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { packageRoot } from "../../lambda/bundle";
import { DEMO_KEYS } from "../../local/demo-keys";
import { ALICE } from "./local-harness";

const root = packageRoot();
const scratch = mkdtempSync(join(tmpdir(), "keygate-npm-start-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  // A failed assertion must not leave a gateway running: the whole process group goes, as a
  // terminal's job would.
  for (const child of children.splice(0)) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

/**
 * The start script's command. npm runs it in the package folder; the test runs it in a scratch
 * folder (the user's stack and keys files), so the names it resolves there are made absolute.
 */
function startScript(): string {
  return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.start!;
}

function startCommand(): string[] {
  // `exec`: the shell npm runs the script with gives way to node, so npm's signals reach it.
  expect(startScript()).toBe("exec node --import tsx local/start.ts");
  return ["--import", pathToFileURL(createRequire(join(root, "package.json")).resolve("tsx")).href, join(root, "local", "start.ts")];
}

function start(env: Record<string, string>, cwd: string, command: string[] = [process.execPath, ...startCommand()]): Started {
  const child = spawn(command[0]!, command.slice(1), {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? cwd, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, like a job in a terminal: Ctrl-C reaches every process in it.
    detached: true,
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  // "close", not "exit": the output pipes close only once every process holding them (npm and the
  // gateway it started) has exited.
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves once `pattern` appears in the output, or rejects when the process exits first. */
async function waitFor(started: Started, pattern: RegExp, stream: "stdout" | "stderr" = "stdout"): Promise<RegExpMatchArray> {
  const read = stream === "stdout" ? started.stdout : started.stderr;
  for (;;) {
    const match = read().match(pattern);
    if (match) return match;
    if (started.child.exitCode !== null) throw new Error(`exited with ${started.child.exitCode} before ${pattern}:\n${started.stdout()}\n${started.stderr()}`);
    await new Promise<void>((resolve) => {
      const done = () => {
        started.child.stdout!.off("data", done);
        started.child.stderr!.off("data", done);
        started.child.off("exit", done);
        resolve();
      };
      started.child.stdout!.once("data", done);
      started.child.stderr!.once("data", done);
      started.child.once("exit", done);
    });
  }
}

describe("npm start", () => {
  it("prints the URL, the demo keys and a curl line, one line per request, and stops cleanly on Ctrl-C", async () => {
    const cwd = mkdtempSync(join(scratch, "demo-"));
    const run = start({ PORT: "0" }, cwd);
    const url = (await waitFor(run, /Keygate local gateway on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    await waitFor(run, /Ctrl-C stops/);
    const banner = run.stdout();
    for (const key of DEMO_KEYS) expect(banner).toContain(key.api_key);
    expect(banner).toContain(`curl -i -H "Authorization: Bearer ${DEMO_KEYS[0]!.api_key}" ${url}/whoami`);
    expect(banner).toMatch(/audit log +\.keygate\/audit\.log/);

    const ok = await fetch(`${url}/whoami`, { headers: { Authorization: `Bearer ${DEMO_KEYS[0]!.api_key}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ user_id: "kp_demo_alice" });
    const denied = await fetch(`${url}/reports/monthly`, { headers: { Authorization: `Bearer ${DEMO_KEYS[1]!.api_key}` } });
    expect(denied.status).toBe(403);
    const missing = await fetch(`${url}/whoami`);
    expect(missing.status).toBe(401);

    await waitFor(run, /\d\d:\d\d:\d\d 200 GET \/whoami user=kp_demo_alice verdict=kinde tier=pro [\d.]+ms\n/);
    await waitFor(run, /\d\d:\d\d:\d\d 403 GET \/reports\/monthly user=kp_demo_bob verdict=kinde reason=explicit_deny [\d.]+ms\n/);
    await waitFor(run, /\d\d:\d\d:\d\d 401 GET \/whoami user=- verdict=gateway reason=missing_key [\d.]+ms\n/);
    // The audit records went to the file, not to the console.
    expect(run.stdout()).not.toContain('"decision"');
    // One decision record per invocation (provisioning events of the demo's usage plans sit beside them).
    const records = readFileSync(join(cwd, ".keygate", "audit.log"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { message: string; decision?: string });
    expect(records.filter((r) => r.message === "authorizer decision").map((r) => r.decision)).toEqual(["allow", "deny"]);
    expect(readFileSync(join(cwd, ".keygate", ".gitignore"), "utf8")).toBe("*\n");

    // Ctrl-C in a terminal signals the whole foreground process group.
    process.kill(-run.child.pid!, "SIGINT");
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toMatch(/SIGINT: stopping\.\.\.\nStopped\.\n$/);
    expect(run.stderr()).toBe("");
  });

  it("with KEYGATE_LOCAL_API=http, runs an HTTP API: the banner says so, 401 without a key, 403 for a refused key or route", async () => {
    const cwd = mkdtempSync(join(scratch, "http-"));
    const run = start({ PORT: "0", KEYGATE_LOCAL_API: "http" }, cwd);
    const url = (await waitFor(run, /Keygate local gateway on (http:\/\/127\.0\.0\.1:\d+) {2}\(HTTP API keygatelocal, stage \$default, /))[1]!;
    await waitFor(run, /Ctrl-C stops/);
    expect(run.stdout()).toMatch(/http api +payload 2\.0, simple responses; routes GET \/whoami, GET \/reports\/\{name\}, POST \/orders, GET \/reports\/\{proxy\+\}, \$default/);
    expect(run.stdout()).toMatch(/usage plans +none: HTTP APIs have no usage plans, nothing is metered \(keygate:usagePlans applies to REST APIs only\)/);

    const [alice, bob, carol] = [DEMO_KEYS[0]!, DEMO_KEYS[1]!, DEMO_KEYS[2]!];
    const ok = await fetch(`${url}/whoami`, { headers: { Authorization: `Bearer ${alice.api_key}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ lambda: { user_id: "kp_demo_alice", verdict_source: "kinde" } });
    const route = await fetch(`${url}/reports/monthly`, { headers: { Authorization: `Bearer ${bob.api_key}` } });
    expect([route.status, await route.json()]).toEqual([403, { message: "Forbidden" }]);
    const refused = await fetch(`${url}/whoami`, { headers: { Authorization: `Bearer ${carol.api_key}` } });
    expect(refused.status).toBe(403);
    const missing = await fetch(`${url}/whoami`);
    expect([missing.status, await missing.json()]).toEqual([401, { message: "Unauthorized" }]);

    await waitFor(run, /\d\d:\d\d:\d\d 200 GET \/whoami user=kp_demo_alice verdict=kinde [\d.]+ms\n/);
    await waitFor(run, /\d\d:\d\d:\d\d 403 GET \/reports\/monthly user=- verdict=kinde reason=route_scope_missing [\d.]+ms\n/);
    await waitFor(run, /\d\d:\d\d:\d\d 403 GET \/whoami user=- verdict=kinde reason=inactive_key [\d.]+ms\n/);
    await waitFor(run, /\d\d:\d\d:\d\d 401 GET \/whoami user=- verdict=gateway reason=missing_key [\d.]+ms\n/);
    const records = readFileSync(join(cwd, ".keygate", "audit.log"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { message: string; api_kind?: string });
    expect(records.filter((r) => r.message === "authorizer decision").map((r) => r.api_kind)).toEqual(["http", "http", "http"]);

    process.kill(-run.child.pid!, "SIGINT");
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toBe("");
  });

  it("with a keys file and a stack file: no key value on the console, and the stack's settings in the banner", async () => {
    const cwd = mkdtempSync(join(scratch, "keys-"));
    writeFileSync(join(cwd, "keys.json"), JSON.stringify([ALICE]));
    writeFileSync(join(cwd, "Pulumi.dev.yaml"), "config:\n  keygate:kindeApiIds: api_keygate_local\n  keygate:routeScopes:\n    GET /admin/*: admin\n  keygate:authorizerResultTtlSeconds: 60\n");
    const run = start({ PORT: "0", KEYGATE_LOCAL_KEYS: "keys.json", KEYGATE_VERBOSE: "1" }, cwd);
    const url = (await waitFor(run, /Keygate local gateway on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    await waitFor(run, /Ctrl-C stops/);
    expect(run.stdout()).toMatch(/settings +Pulumi\.dev\.yaml \(stack dev\)/);
    expect(run.stdout()).toMatch(/route rules +GET \/admin\/\* needs admin/);
    expect(run.stdout()).toMatch(/gateway result cache 60 s/);
    expect(run.stdout()).toMatch(/keys from keys\.json \(edits apply without a restart\)/);

    expect((await fetch(`${url}/admin/x`, { headers: { Authorization: `Bearer ${ALICE.api_key}` } })).status).toBe(403);
    expect((await fetch(`${url}/whoami`, { headers: { Authorization: `Bearer ${ALICE.api_key}` } })).status).toBe(200);
    // The same route again: answered from the gateway's result cache.
    expect((await fetch(`${url}/whoami`, { headers: { Authorization: `Bearer ${ALICE.api_key}` } })).status).toBe(200);
    await waitFor(run, /200 GET \/whoami user=kp_alice verdict=gateway-cache/);
    // KEYGATE_VERBOSE=1 prints the audit record as well.
    await waitFor(run, /audit \{.*"decision":"deny","reason":"route_scope_missing"/);

    // `kill <pid>`: only the process started, which is the program itself (no tsx parent in between).
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(run.stdout() + run.stderr()).not.toContain(ALICE.api_key);
  });

  it("says so and exits with 1 when the port is taken", async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", () => resolve()));
    const port = (busy.address() as { port: number }).port;
    try {
      const cwd = mkdtempSync(join(scratch, "busy-"));
      const run = start({ PORT: String(port) }, cwd);
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toContain(`keygate: port ${port} on 127.0.0.1 is already in use`);
      expect(run.stderr()).not.toMatch(/\n\s+at /); // a message, not a stack trace
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  it.each([
    [{ PORT: "http" }, /keygate: PORT must be a whole number from 0 to 65535, not "http"/],
    [{ PORT: "0", KEYGATE_CONFIG: "nope.yaml" }, /keygate: KEYGATE_CONFIG no file at .*nope\.yaml/],
    [{ PORT: "0", KEYGATE_LOCAL_KEYS: "nope.json" }, /keygate: KEYGATE_LOCAL_KEYS \(.*nope\.json\): no such file/],
  ])("explains bad input and exits with 1: %j", async (env, message) => {
    const cwd = mkdtempSync(join(scratch, "bad-"));
    const run = start(env, cwd);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(message);
    expect(existsSync(join(cwd, ".keygate"))).toBe(false);
  });
});

describe("npm start run by npm", () => {
  /**
   * A package folder whose start script is Keygate's own, run in the folder (the user's), with
   * Keygate's local/ and node_modules linked in: npm, its shell and the script, as `npm start` runs them.
   */
  function npmPackage(): string {
    const cwd = mkdtempSync(join(scratch, "npm-"));
    writeFileSync(join(cwd, "package.json"), JSON.stringify({ name: "keygate-start", private: true, scripts: { start: startScript() } }));
    symlinkSync(join(root, "local"), join(cwd, "local"));
    symlinkSync(join(root, "node_modules"), join(cwd, "node_modules"));
    return cwd;
  }

  it.each(["SIGTERM", "SIGINT"] as const)("stops the gateway and frees its port on %s sent to npm's own process only", async (signal) => {
    const run = start({ PORT: "0" }, npmPackage(), ["npm", "start"]);
    const port = Number((await waitFor(run, /Keygate local gateway on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
    await waitFor(run, /Ctrl-C stops/);

    // `kill <npm's pid>`, as a process manager or a container runtime stops it: not the group.
    run.child.kill(signal);
    await run.exited;
    expect(run.stdout()).toContain(`${signal}: stopping...\nStopped.\n`);
    const probe: Server = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen(port, "127.0.0.1", () => resolve());
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
});

describe("npm start with a bad stack setting", () => {
  it("names the setting and exits with 1 before starting anything", async () => {
    const cwd = mkdtempSync(join(scratch, "setting-"));
    writeFileSync(join(cwd, "Pulumi.dev.yaml"), "config:\n  keygate:kindeApiIds: api_keygate_local\n  keygate:verifyTimeoutMs: 5\n");
    const run = start({ PORT: "0" }, cwd);
    expect(await run.exited).toBe(1);
    // The message `pulumi preview` prints for the same value, with the file named.
    expect(run.stderr()).toMatch(/keygate: keygate:verifyTimeoutMs \(in Pulumi\.dev\.yaml\) must be a whole number from 100 to 30000 \(got 5\)/);
    expect(run.stdout()).not.toContain("Keygate local gateway on");
  });
});
