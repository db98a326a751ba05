import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readStackConfig, STACK_CONFIG_KEYS } from "../../infra/stack-config";
import { packageRoot } from "../../lambda/bundle";
import { authorizerEnvironment, checkAuthorizerEnvironment } from "../../local/authorizer-environment";
import { loadSettingsFile, parseStackConfig, settingsPath, SettingsError } from "../../local/stack-config";

const kinde = { domain: "http://127.0.0.1:9", clientId: "id", clientSecret: "secret" };
const dynamodb = { endpoint: "http://127.0.0.1:8", tableName: "t", credentials: { accessKeyId: "local", secretAccessKey: "local" } };
const API = "api_0123456789abcdef0123456789abcdef";
/**
 * A stack file as written, plus the Kinde API it serves when it names none: every stack must say which
 * keys it accepts (that rule has its own test below), and most tests here are about something else.
 */
const parseYaml = (text: string) => {
  const document: unknown = parse(text) ?? {};
  if (typeof document !== "object" || document === null || Array.isArray(document)) return parseStackConfig(document, "Pulumi.test.yaml");
  const config = (document as { config?: unknown }).config ?? {};
  if (typeof config !== "object" || config === null) return parseStackConfig(document, "Pulumi.test.yaml");
  const bound = "keygate:kindeApiIds" in config || "keygate:requiredScopes" in config || "keygate:acceptKeysForAnyApi" in config;
  return parseStackConfig({ ...document, config: bound ? config : { ...(config as Record<string, unknown>), "keygate:kindeApiIds": API } }, "Pulumi.test.yaml");
};

describe("reading a Pulumi stack file", () => {
  it("refuses a stack that would accept keys of any Kinde API, as pulumi preview does", () => {
    expect(() => parseStackConfig(parse("config:\n  keygate:cacheTtlSeconds: 60\n"), "Pulumi.test.yaml")).toThrow(
      "keygate:kindeApiIds (in Pulumi.test.yaml) is not set, and neither is requiredScopes",
    );
    expect(parseStackConfig(parse("config:\n  keygate:acceptKeysForAnyApi: true\n"), "Pulumi.test.yaml").settings.acceptKeysForAnyApi).toBe(true);
  });

  it("reads every setting the authorizer and the gateway use, in YAML or as Pulumi stores strings", () => {
    const { settings, warnings } = parseYaml(`
config:
  aws:region: eu-central-1
  keygate:kindeDomain: acme.kinde.com
  keygate:kindeClientId: abc
  keygate:kindeClientSecret: plain-secret
  keygate:cacheTtlSeconds: "600"
  keygate:negativeCacheTtlSeconds: 15
  keygate:memoryCacheTtlSeconds: "10"
  keygate:staleIfErrorSeconds: 60
  keygate:verifyTimeoutMs: 1500
  keygate:dynamoDbTimeoutMs: 200
  keygate:requiredScopes: '["api:access", "api:read"]'
  keygate:routeScopes: '{"GET /profile/*": "read:profile"}'
  keygate:allowOrgKeys: "true"
  keygate:authorizerResultTtlSeconds: 0
  keygate:authorizerType: token
  keygate:restApiIds: a1b2c3d4e5
  keygate:tags: { team: platform }
`);
    expect(warnings).toEqual([]);
    expect(settings).toMatchObject({
      region: "eu-central-1",
      kindeDomain: "https://acme.kinde.com",
      kindeClientId: "abc",
      kindeClientSecret: "plain-secret",
      kindeClientSecretEncrypted: false,
      cacheTtlSeconds: 600,
      negativeCacheTtlSeconds: 15,
      memoryCacheTtlSeconds: 10,
      staleIfErrorSeconds: 60,
      verifyTimeoutMs: 1500,
      dynamoDbTimeoutMs: 200,
      requiredScopes: ["api:access", "api:read"],
      routeScopes: { "GET /profile/*": "read:profile" },
      allowOrgKeys: true,
      authorizerResultTtlSeconds: 0,
      authorizerType: "TOKEN",
    });
  });

  it("uses the deployed defaults for what is unset", () => {
    const { settings } = parseYaml("config: {}\n");
    // Every default written out, as the deployed function gets them: the two can never disagree.
    expect(settings).toEqual({
      kindeClientSecretEncrypted: false,
      cacheTtlSeconds: 300,
      negativeCacheTtlSeconds: 30,
      memoryCacheTtlSeconds: 30,
      memoryCacheMaxEntries: 10_000,
      staleIfErrorSeconds: 0,
      verifyTimeoutMs: 2_500,
      dynamoDbTimeoutMs: 250,
      failedKeysPerIpPerMinute: 20,
      kindeApiIds: [API],
      keyMetadataTtlSeconds: 86_400,
      acceptKeysForAnyApi: false,
      requiredScopes: [],
      routeScopes: {},
      allowOrgKeys: false,
      authorizerResultTtlSeconds: 300,
      authorizerType: "REQUEST",
    });
    // An empty file is a stack with nothing set: one that would accept keys of any Kinde API.
    expect(() => parseStackConfig(null)).toThrow("keygate:kindeApiIds is not set, and neither is requiredScopes");
  });

  it("notices an encrypted client secret without trying to read it", () => {
    const { settings } = parseYaml("config:\n  keygate:kindeClientSecret:\n    secure: v1:abc\n");
    expect(settings.kindeClientSecretEncrypted).toBe(true);
    expect(settings.kindeClientSecret).toBeUndefined();
  });

  it("refuses a setting nobody reads, naming the closest one, and leaves other namespaces alone", () => {
    expect(() => parseYaml("config:\n  keygate:cacheTTLSeconds: 30\n  other:thing: 1\n")).toThrow(
      "keygate:cacheTTLSeconds (in Pulumi.test.yaml) is not a Keygate setting; did you mean keygate:cacheTtlSeconds?",
    );
    // A misspelt requiredScopes would otherwise run with no scope enforced.
    expect(() => parseYaml("config:\n  keygate:requiredScope: api:access\n")).toThrow("keygate:requiredScope (in Pulumi.test.yaml) is not a Keygate setting; did you mean keygate:requiredScopes?");
    expect(() => parseYaml("config:\n  keygate:somethingElseEntirely: 1\n")).toThrow("is not a Keygate setting (the settings are listed in docs/configuration.md)");
    expect(parseYaml("config:\n  other:thing: 1\n").warnings).toEqual([]);
  });

  // The messages are those `pulumi preview` prints for the same values (infra/stack-settings.ts), with the file named.
  it.each([
    ["keygate:cacheTtlSeconds: abc", /keygate:cacheTtlSeconds \(in Pulumi.test.yaml\) must be a whole number from 1 to 86400 \(got "abc"\)/],
    ["keygate:authorizerResultTtlSeconds: 3601", /keygate:authorizerResultTtlSeconds .*must be a whole number from 0 to 3600 \(got 3601\)/],
    ["keygate:verifyTimeoutMs: 5", /keygate:verifyTimeoutMs \(in Pulumi.test.yaml\) must be a whole number from 100 to 30000 \(got 5\)/],
    ["keygate:allowOrgKeys: yes-please", /keygate:allowOrgKeys .*must be true or false/],
    ["keygate:routeScopes: '{not json'", /keygate:routeScopes .*is not valid JSON/],
    ["keygate:routeScopes: [a, b]", /keygate:routeScopes .*must be a JSON object/],
    ['keygate:routeScopes: { "FETCH /x": a }', /keygate:routeScopes .*is invalid: "FETCH \/x": unknown method "FETCH"/],
    ["keygate:requiredScopes: { a: 1 }", /keygate:requiredScopes .*must be a JSON list of strings/],
    ["keygate:authorizerType: COOKIE", /keygate:authorizerType .*must be "REQUEST" or "TOKEN" \(got "COOKIE"\)/],
    ["keygate:kindeDomain: http://acme.kinde.com", /keygate:kindeDomain .*must use https:\/\//],
    // Settings only a deployment uses are checked too, as preview would.
    ["keygate:memorySizeMb: 64", /keygate:memorySizeMb .*must be a whole number from 128 to 10240 \(got 64\)/],
    ["keygate:verifyTimeoutMs:\n    secure: v1:abc", /keygate:verifyTimeoutMs .*encrypted/],
  ])("names the setting in error: %s", (line, message) => {
    expect(() => parseYaml(`config:\n  ${line}\n`)).toThrow(message);
  });

  it("refuses what pulumi preview refuses, with the message preview prints", () => {
    const kinde = { kindeDomain: "https://acme.kinde.com", kindeClientId: "client-id", kindeClientSecret: "client-secret" };
    const plans = { tiers: { free: { quota: { limit: 5, period: "DAY" } } } };
    const cases: Record<string, string>[] = [
      { cacheTtlSeconds: "0" },
      { staleIfErrorSeconds: "-1" },
      { requiredScopes: '["read profile"]' },
      { tags: '{"team": 1}' },
      { restApiIds: "not-an-id" },
      { stageNames: "prod" },
      { restApiIds: "a1b2c3d4e5", usagePlans: JSON.stringify(plans) },
      { usagePlans: JSON.stringify({ ...plans, users: { "bob@example.com": "free" } }) },
      { usagePlans: JSON.stringify({ ...plans, autoProvision: true, retiredKeyGraceSeconds: 10 }) },
    ];
    for (const values of cases) {
      const all: Record<string, string> = { ...kinde, ...values };
      const preview = message(() =>
        readStackConfig({ get: (key) => all[key], getSecret: (key) => (all[key] === undefined ? undefined : pulumi.secret(all[key]!)), names: () => Object.keys(all) }),
      );
      const local = message(() => parseStackConfig({ config: Object.fromEntries(Object.entries(all).map(([key, value]) => [`keygate:${key}`, value])) }, "Pulumi.test.yaml"));
      expect(preview, JSON.stringify(values)).toMatch(/^keygate:\S+ /);
      expect(local, JSON.stringify(values)).toBe(preview.replace(/^(keygate:\S+) /, "$1 (in Pulumi.test.yaml) "));
    }
  });

  it("leaves an encrypted setting that only shapes a deployment unchecked, and says so", () => {
    const { warnings } = parseYaml("config:\n  keygate:auditLogKmsKeyArn:\n    secure: v1:abc\n");
    expect(warnings).toEqual(["keygate:auditLogKmsKeyArn is encrypted, which npm start cannot read; it only matters to a deployment, so it is not checked here"]);
  });

  it("is read without loading Pulumi, with the stack's own rules", async () => {
    const script = `require("./local/keygate-local");
      const loaded = Object.keys(require.cache);
      console.log(JSON.stringify({ pulumi: loaded.filter((path) => path.includes("@pulumi")), rules: loaded.filter((path) => /infra\\/(stack-settings|resolve-settings|validate-usage-plans)\\.ts$/.test(path)).length }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "-e", script], { cwd: packageRoot() });
    expect(JSON.parse(stdout)).toEqual({ pulumi: [], rules: 3 });
  });

  it("refuses a file that is not a stack file", () => {
    expect(() => parseYaml("- just\n- a list\n")).toThrow(SettingsError);
    expect(() => parseYaml("config: 3\n")).toThrow(/config .*mapping/);
  });
});

describe("usage plans", () => {
  const plans = (body: string) => parseYaml(`config:\n  keygate:usagePlans:\n${body.replace(/^/gm, "    ")}\n`);

  it("reads tiers, the default tier, tier scopes and fixed users", () => {
    const { settings } = plans(`tiers:
  free: { throttle: { rateLimit: 5, burstLimit: 10 }, quota: { limit: 10000, period: month }, methodThrottles: { "/orders/{id}/GET": { rateLimit: 1, burstLimit: 2 } } }
  pro: { throttle: { rateLimit: 0.5, burstLimit: 100 } }
defaultTier: free
tierScopes: { "plan:pro": pro }
users: { kp_123: pro }
autoProvision: true
maxProvisionedKeys: 9000`);
    expect(settings.usagePlans).toEqual({
      tiers: {
        free: { throttle: { rateLimit: 5, burstLimit: 10 }, quota: { limit: 10000, period: "MONTH" }, methodThrottles: { "/orders/{id}/GET": { rateLimit: 1, burstLimit: 2 } } },
        pro: { throttle: { rateLimit: 0.5, burstLimit: 100 } } },
      defaultTier: "free",
      tierScopes: { "plan:pro": "pro" },
      users: { kp_123: "pro" },
      autoProvision: true,
      maxProvisionedKeys: 9000,
    });
  });

  it.each([
    ["tiers: {}", /usagePlans.tiers .*must name at least one tier/],
    ["tiers: { free: { quota: { limit: 5, period: YEAR } } }", /usagePlans.tiers.free.quota.period .*must be DAY, WEEK or MONTH/],
    ["tiers: { free: { quota: { period: DAY } } }", /usagePlans.tiers.free.quota.limit .*is required/],
    ["tiers: { free: { throttle: { rateLimit: -1, burstLimit: 1 } } }", /usagePlans.tiers.free.throttle.rateLimit/],
    ["tiers: { free: {} }\ndefaultTier: gold", /usagePlans.defaultTier .*names "gold", which is not a tier/],
    ["tiers: { free: {} }\nusers: { kp_1: gold }", /usagePlans.users\["kp_1"\] .*names "gold", which is not a tier/],
    ["tiers: { free: { methodThrottles: { \"/orders\": { rateLimit: 1, burstLimit: 1 } } } }", /methodThrottles .*has "\/orders", which is not a method as API Gateway names it/],
    ["tiers: { free: { quota: { limit: 0, period: DAY } } }", /quota.limit .*must be a whole number from 1 to 2147483647 \(got 0\)/],
    ["tiers: { free: { qouta: { limit: 5, period: DAY } } }", /usagePlans.tiers.free .*unknown setting "qouta"/],
    ["tiers: { free: {} }\ntierScope: { a: free }", /keygate:usagePlans .*unknown setting "tierScope"/],
  ])("names the setting in error: %s", (body, message) => {
    expect(() => plans(body)).toThrow(message);
  });
});

function message(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the settings to be refused");
}

describe("which file", () => {
  const dir = mkdtempSync(join(tmpdir(), "keygate-settings-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("takes KEYGATE_CONFIG, else Pulumi.dev.yaml when present, else the demo", () => {
    expect(settingsPath({}, dir)).toBeUndefined();
    writeFileSync(join(dir, "Pulumi.dev.yaml"), "config: {}\n");
    expect(settingsPath({}, dir)).toBe(join(dir, "Pulumi.dev.yaml"));
    writeFileSync(join(dir, "Pulumi.prod.yaml"), `config:\n  keygate:kindeApiIds: ${API}\n`);
    expect(settingsPath({ KEYGATE_CONFIG: "Pulumi.prod.yaml" }, dir)).toBe(join(dir, "Pulumi.prod.yaml"));
    expect(() => settingsPath({ KEYGATE_CONFIG: "missing.yaml" }, dir)).toThrow(/KEYGATE_CONFIG no file at/);
    expect(loadSettingsFile(join(dir, "Pulumi.prod.yaml")).source).toMatchObject({ kind: "stack-file", stack: "prod" });
  });

  it("explains a file that is not YAML", () => {
    writeFileSync(join(dir, "Pulumi.bad.yaml"), "config:\n  a: [unclosed\n");
    expect(() => loadSettingsFile(join(dir, "Pulumi.bad.yaml"))).toThrow(/KEYGATE_CONFIG Pulumi.bad.yaml is not valid YAML/);
  });
});

describe("the authorizer's environment", () => {
  it("is what the deployed function gets, with local endpoints, and nothing inherited that the authorizer reads", () => {
    const { settings } = parseYaml(`config:
  keygate:requiredScopes: api:access api:read
  keygate:routeScopes: { "POST /orders": [write:orders, billing] }
  keygate:cacheTtlSeconds: 60
`);
    const env = authorizerEnvironment(settings, kinde, dynamodb, "eu-west-1", { ROUTE_SCOPES: "{}", CACHE_TTL_SECONDS: "1", HOME: "/home/x" });
    expect(env).toMatchObject({
      KINDE_DOMAIN: kinde.domain,
      KINDE_M2M_CLIENT_ID: "id",
      KINDE_M2M_CLIENT_SECRET: "secret",
      CACHE_TABLE_NAME: "t",
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_REGION: "eu-west-1",
      REQUIRED_SCOPES: "api:access api:read",
      ROUTE_SCOPES: '{"POST /orders":["write:orders","billing"]}',
      CACHE_TTL_SECONDS: "60",
      ALLOW_ORG_KEYS: "false",
      HOME: "/home/x",
    });
    expect(checkAuthorizerEnvironment(env).routeRules).toEqual([{ method: "POST", path: "/orders", scopes: ["write:orders", "billing"] }]);
  });

  it("reports a value the authorizer refuses under the stack setting's name", () => {
    // The stack's rules refuse these values first (see above); settings made some other way still meet the authorizer's.
    const settings = { ...parseYaml("config: {}\n").settings, verifyTimeoutMs: 5, routeScopes: { "FETCH /x": "a" } };
    const env = authorizerEnvironment(settings, kinde, dynamodb, "us-east-1", {});
    expect(() => checkAuthorizerEnvironment(env, "Pulumi.test.yaml")).toThrow(/keygate:verifyTimeoutMs \(in Pulumi.test.yaml\) must be a whole number from 100 to 30000 \(got 5\) \(authorizer variable VERIFY_TIMEOUT_MS\)/);
    const env2 = authorizerEnvironment({ ...settings, verifyTimeoutMs: 1000 }, kinde, dynamodb, "us-east-1", {});
    expect(() => checkAuthorizerEnvironment(env2)).toThrow(/keygate:routeScopes .*"FETCH \/x"/);
  });
});
