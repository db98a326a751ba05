/**
 * Every `keygate` error names what fixes it: the flag or the environment variable to set, the
 * option meant when one is mistyped, and an API that does not exist as not existing (in AWS, or in
 * the running `npm start`) rather than as a failure of the tool. AWS is played by loopback servers
 * answering in API Gateway's format; nothing leaves 127.0.0.1.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localEndpointsPath, type LocalEndpoints } from "../../cli/local-endpoints";
import { closedPortUrl, startLoopbackServer, type LoopbackServer } from "../support/loopback-server";
import { runCli } from "./run-cli";

const cwd = mkdtempSync(join(tmpdir(), "keygate-cli-errors-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

// The SDK reads its Region and credentials from this process's environment and the AWS profile files: none here.
beforeAll(() => {
  for (const name of ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) delete process.env[name];
  process.env.AWS_CONFIG_FILE = join(cwd, "no-aws-config");
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(cwd, "no-aws-credentials");
  process.env.AWS_EC2_METADATA_DISABLED = "true";
});

describe("arguments", () => {
  it("suggests the option meant for a mistyped one, and exits 2", async () => {
    const run = await runCli(["keys", "--locl"], { cwd });
    expect(run.code).toBe(2);
    expect(run.err).toBe("keygate keys: unknown option --locl; did you mean --local? (see keygate keys --help)");
    expect((await runCli(["invalidate", "--keyid", "api_key_1"], { cwd })).err).toMatch(/unknown option --keyid; did you mean --key-id\?/);
    expect((await runCli(["check", "--rest-api", "a1b2c3d4e5"], { cwd })).err).toMatch(/unknown option --rest-api; did you mean --rest-api-id\?/);
  });

  it("names no option when nothing known is near, and says where a stray value belongs", async () => {
    const unknown = await runCli(["keys", "--verbose-output"], { cwd });
    expect(unknown.err).toBe("keygate keys: unknown option --verbose-output (see keygate keys --help)");
    const stray = await runCli(["keys", "keygate-cache"], { cwd });
    expect(stray.code).toBe(2);
    expect(stray.err).toMatch(/unexpected argument "keygate-cache": every value follows the option it is for, as in --table <name>/);
  });

  it("suggests the command meant for a mistyped one", async () => {
    const run = await runCli(["invalidte", "--key-id", "x"], { cwd });
    expect(run.code).toBe(2);
    expect(run.err.split("\n")[0]).toBe('keygate: unknown command "invalidte"; did you mean keygate invalidate?');
  });

  it("asks for --region or AWS_REGION when no Region is configured, before calling anything", async () => {
    let pulumiCalled = false;
    const run = await runCli(["invalidate", "--key-id", "x", "--table", "t"], {
      cwd,
      pulumi: () => {
        pulumiCalled = true;
        return Promise.reject(new Error("pulumi: command not found"));
      },
    });
    expect(run.code).toBe(2);
    expect(run.err).toBe("no AWS Region: pass --region <region> or set AWS_REGION (or give your AWS profile a region)");
    expect(pulumiCalled).toBe(false);
  });

  it("asks for AWS_PROFILE or access keys when the SDK finds no credentials", async () => {
    process.env.AWS_ENDPOINT_URL_API_GATEWAY = await closedPortUrl();
    try {
      const run = await runCli(["keys", "--table", "t", "--rest-api-id", "a1b2c3d4e5", "--stage", "prod", "--region", "eu-west-1"], { cwd });
      expect(run.code).toBe(1);
      expect(run.err).toMatch(/^keygate keys: no AWS credentials \(.*\): set AWS_PROFILE \(after `aws sso login` for an SSO profile\), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY$/);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_API_GATEWAY;
    }
  });

  it("asks for --local's npm start when none runs in the folder", async () => {
    const run = await runCli(["keys", "--local"], { cwd });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/--local: no running npm start recorded in .*local\.json; start it in this folder first \(npm start\)/);
  });
});

describe("calls that fail", () => {
  let apiGateway: LoopbackServer;
  beforeAll(async () => {
    // API Gateway's answer to GetRestApi for an id the account does not have (status, error type header, message).
    apiGateway = await startLoopbackServer((req, res) => {
      req.resume();
      res.writeHead(404, { "content-type": "application/json", "x-amzn-ErrorType": "NotFoundException:http://internal.amazon.com/coral/com.amazonaws.backplane.controlplane/" });
      res.end(JSON.stringify({ message: "Invalid API identifier specified 123456789012:nope123456" }));
    });
    process.env.AWS_ENDPOINT_URL_API_GATEWAY = apiGateway.url;
    process.env.AWS_ACCESS_KEY_ID = "test";
    process.env.AWS_SECRET_ACCESS_KEY = "test";
  });
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_API_GATEWAY;
    await apiGateway.stop();
  });

  it("reports a REST API id that does not exist as missing from the account and Region, naming --rest-api-id and --region", async () => {
    const run = await runCli(["check", "--rest-api-id", "nope123456", "--stage", "prod", "--table", "t", "--region", "eu-west-1", "--authorizer-id", "a"], { cwd });
    expect(run.err).toBe("no REST API nope123456 in account 123456789012, Region eu-west-1: check --rest-api-id, and --region or AWS_REGION");
    expect(run.code).toBe(2);
  });

  it("says npm start has stopped, when its recorded endpoints no longer answer", async () => {
    const dead = await closedPortUrl();
    const dir = join(cwd, "stopped-npm-start");
    mkdirSync(dir);
    const endpoints: LocalEndpoints = {
      gatewayUrl: dead,
      region: "us-east-1",
      dynamodb: { endpoint: dead, tableName: "keygate-local-cache", embedded: true },
      controlPlaneUrl: dead,
      apiKind: "rest",
      restApiId: "keygatelocal",
      stageName: "local",
      authorizerId: "keygateauth",
      memoryCacheTtlSeconds: 30,
    };
    mkdirSync(join(dir, ".keygate"));
    writeFileSync(localEndpointsPath(dir), JSON.stringify(endpoints));
    const run = await runCli(["keys", "--local"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^keygate keys: npm start no longer answers \(.*ECONNREFUSED.*\): start it again in this folder \(npm start\)$/);
  });

  it("says a damaged endpoints file is to be rewritten by restarting npm start", async () => {
    const dir = join(cwd, "damaged");
    mkdirSync(join(dir, ".keygate"), { recursive: true });
    writeFileSync(localEndpointsPath(dir), "{ not json");
    const run = await runCli(["keys", "--local"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/local\.json is not a file this version of keygate can read: restart npm start to rewrite it/);
  });
});
