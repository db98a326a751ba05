/**
 * `keygate check --local` reads the local API through the local control plane as it reads a real
 * REST API: a method without Keygate's authorizer, a stage deployed before the authorizer, and an API
 * not set up for usage plans are each reported, and make the exit status 1.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startHarness, type Harness } from "../local/local-harness";
import { runCli } from "./run-cli";

const SETTINGS = `config:
  keygate:acceptKeysForAnyApi: true
`;

let h: Harness;
let stopped = false;
beforeAll(async () => {
  h = await startHarness({ stackYaml: SETTINGS });
});
afterAll(async () => {
  if (!stopped) await h?.stop();
});

it("passes the API as npm start serves it: every method behind Keygate's authorizer", async () => {
  const run = await runCli(["check", "--local"], { cwd: h.dir });
  expect(run.err).toBe("");
  expect(run.out).toMatch(/REST API keygatelocal \(keygate-local\), stage local; Keygate's authorizer: keygateauth/);
  expect(run.out).toMatch(/OK: every method uses Keygate's authorizer\./);
  expect(run.code).toBe(0);
});

it("finds a method left unprotected, and exits 1", async () => {
  h.local.restApi.putMethod("/health", "GET", { authorizationType: "NONE", apiKeyRequired: false });
  h.local.restApi.putMethod("/health", "OPTIONS", { authorizationType: "NONE", apiKeyRequired: false });
  h.local.restApi.deploy();
  const run = await runCli(["check", "--local", "--rest-api-id", "keygatelocal", "--stage", "local"], { cwd: h.dir });
  expect(run.code).toBe(1);
  expect(run.out).toMatch(/UNPROTECTED +GET \/health: authorization NONE, not Keygate's authorizer/);
  expect(run.out).toMatch(/WARNING +OPTIONS \/health: authorization NONE \(a CORS preflight/);
  expect(run.out).toMatch(/1 problem\(s\)\./);
});

it("finds a stage whose deployment predates the authorizer", async () => {
  h.local.restApi.putMethod("/health", "GET", { authorizationType: "CUSTOM", authorizerId: "keygateauth", apiKeyRequired: false });
  const stale = await runCli(["check", "--local"], { cwd: h.dir });
  expect(stale.code).toBe(1);
  expect(stale.out).toMatch(/UNPROTECTED +GET \/health: the stage's deployment \(deployed [^)]+\) predates the authorizer \(deployed with NONE\); redeploy the stage/);

  h.local.restApi.deploy();
  const redeployed = await runCli(["check", "--local"], { cwd: h.dir });
  expect(redeployed.code).toBe(0);
});

it("with usage plans, finds an API that does not meter by the authorizer's key", async () => {
  const run = await runCli(["check", "--local", "--usage-plans"], { cwd: h.dir });
  expect(run.code).toBe(1);
  expect(run.out).toMatch(/UNMETERED +apiKeySource is HEADER/);
  expect(run.out).toMatch(/UNMETERED +ANY \/: apiKeyRequired is false/);
});

it("says which authorizer it cannot find", async () => {
  const run = await runCli(["check", "--local", "--authorizer-id", "nope"], { cwd: h.dir });
  expect(run.code).toBe(2);
  expect(run.err).toMatch(/REST API keygatelocal has no authorizer nope \(its authorizers: keygateauth\): check --authorizer-id/);
});

it("says a REST API id or stage that npm start does not serve does not exist there, naming the flag to fix", async () => {
  const api = await runCli(["check", "--local", "--rest-api-id", "a1b2c3d4e5", "--stage", "local"], { cwd: h.dir });
  expect(api.code).toBe(2);
  expect(api.err).toMatch(/^no REST API a1b2c3d4e5 in npm start at http:\/\/127\.0\.0\.1:\d+, which serves only keygatelocal: check --rest-api-id, or leave it out$/);
  expect(api.err).not.toMatch(/control plane/);
  const stage = await runCli(["check", "--local", "--stage", "prod"], { cwd: h.dir });
  expect(stage.code).toBe(2);
  expect(stage.err).toBe("REST API keygatelocal has no stage prod: check --stage");
});

it("says npm start in REST mode has no HTTP API, as API Gateway v2 says of an unknown id", async () => {
  const run = await runCli(["check", "--local", "--http-api-id", "keygatelocal"], { cwd: h.dir });
  expect(run.code).toBe(2);
  expect(run.err).toBe(
    "keygate check: no HTTP API keygatelocal in npm start, which runs a REST API (KEYGATE_LOCAL_API=http npm start runs an HTTP API) (Invalid API identifier specified keygatelocal)",
  );
});

it("has help, and npm start removes its endpoints file when it stops", async () => {
  const help = await runCli(["check", "--help"], { cwd: h.dir });
  expect(help.code).toBe(0);
  expect(help.out).toMatch(/^Usage: keygate check/);
  const file = join(h.dir, ".keygate", "local.json");
  expect(existsSync(file)).toBe(true);
  await h.local.stop();
  stopped = true;
  expect(existsSync(file)).toBe(false);
  await h.stop();
});
