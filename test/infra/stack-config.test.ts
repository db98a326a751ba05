import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { readStackConfig, STACK_CONFIG_KEYS, type ConfigSource } from "../../infra/stack-config";

// The stack's configuration, read from a plain map standing in for `pulumi config`: every bad
// value must be refused with a message naming the `keygate:` key the user set.

const required = { kindeDomain: "https://acme.kinde.com", kindeClientId: "client-id", kindeClientSecret: "client-secret", kindeApiIds: "api_0123456789abcdef0123456789abcdef" };
const source = (values: Record<string, string>): ConfigSource => ({
  get: (key) => values[key],
  getSecret: (key) => (values[key] === undefined ? undefined : pulumi.secret(values[key]!)),
  names: () => Object.keys(values),
});
const read = (values: Record<string, string>) => readStackConfig(source({ ...required, ...values }));
const readWithout = (key: string) => {
  const values: Record<string, string> = { ...required };
  delete values[key];
  return () => readStackConfig(source(values));
};

describe("reading the stack configuration", () => {
  it("needs only the Kinde settings, and then protects a demo API", () => {
    const settings = read({});
    expect(settings.demoApi).toBe(true);
    expect(settings.demoStageName).toBe("demo");
    expect(settings.apis).toEqual([]);
    expect(settings.component.kinde.domain).toBe("https://acme.kinde.com");
    expect(settings.component.kinde.clientId).toBe("client-id");
  });

  it("passes the client secret on as a Pulumi secret", async () => {
    const secret = read({}).component.kinde.clientSecret as pulumi.Output<string>;
    expect(await pulumi.isSecret(secret)).toBe(true);
  });

  it("reads REST API ids and stage names written as JSON or as words", () => {
    expect(read({ restApiIds: '["a1b2c3d4e5","f6g7h8i9j0"]', stageNames: '["prod"]' }).apis).toEqual([
      { restApiId: "a1b2c3d4e5", stageNames: ["prod"] },
      { restApiId: "f6g7h8i9j0", stageNames: ["prod"] },
    ]);
    const words = read({ restApiIds: "a1b2c3d4e5, f6g7h8i9j0", stageNames: "prod staging" });
    expect(words.apis.map((api) => api.restApiId)).toEqual(["a1b2c3d4e5", "f6g7h8i9j0"]);
    expect(words.apis[0]!.stageNames).toEqual(["prod", "staging"]);
    expect(words.demoApi).toBe(false);
  });

  it("reads HTTP API ids, and then protects no demo API", () => {
    const settings = read({ httpApiIds: "f1g2h3i4j5, k1l2m3n4o5" });
    expect(settings.httpApis).toEqual([{ apiId: "f1g2h3i4j5" }, { apiId: "k1l2m3n4o5" }]);
    expect(settings.apis).toEqual([]);
    expect(settings.demoApi).toBe(false);
    const both = read({ restApiIds: '["a1b2c3d4e5"]', httpApiIds: '["f1g2h3i4j5"]' });
    expect(both.apis.map((api) => api.restApiId)).toEqual(["a1b2c3d4e5"]);
    expect(both.httpApis).toEqual([{ apiId: "f1g2h3i4j5" }]);
    expect(read({}).httpApis).toEqual([]);
  });

  it("carries every option through to the component", () => {
    const { component } = read({
      cacheTtlSeconds: "600",
      negativeCacheTtlSeconds: "15",
      memoryCacheTtlSeconds: "10",
      staleIfErrorSeconds: "60",
      verifyTimeoutMs: "1500",
      dynamoDbTimeoutMs: "200",
      requiredScopes: '["api:access", "api:read"]',
      allowOrgKeys: "true",
      routeScopes: '{"GET /profile/*": "read:profile"}',
      authorizerType: "token",
      authorizerResultTtlSeconds: "0",
      memorySizeMb: "512",
      auditLogRetentionDays: "30",
      auditLogKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
      auditLogMetrics: "false",
      cacheTablePointInTimeRecovery: "true",
      cacheTableDeletionProtection: "true",
      openApi: "true",
      tags: '{"team": "platform"}',
      accessLogs: "true",
      accessLogRetentionDays: "14",
      accessLogCloudWatchRole: "existing",
    });
    expect(component).toMatchObject({
      cacheTtlSeconds: 600,
      negativeCacheTtlSeconds: 15,
      memoryCacheTtlSeconds: 10,
      staleIfErrorSeconds: 60,
      verifyTimeoutMs: 1500,
      dynamoDbTimeoutMs: 200,
      requiredScopes: ["api:access", "api:read"],
      allowOrgKeys: true,
      routeScopes: { "GET /profile/*": "read:profile" },
      authorizerType: "TOKEN",
      authorizerResultTtlSeconds: 0,
      memorySizeMb: 512,
      auditLog: { retentionInDays: 30, kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k", metrics: false },
      cacheTable: { pointInTimeRecovery: true, deletionProtection: true },
      openApi: true,
      tags: { team: "platform" },
      accessLogs: { enabled: true, retentionInDays: 14, cloudWatchRole: "existing" },
    });
  });

  it("lists every key it reads (the README's table and the local emulator rely on the list)", () => {
    expect([...STACK_CONFIG_KEYS].sort()).toEqual(
      [
        "kindeDomain", "kindeClientId", "kindeClientSecret", "restApiIds", "httpApiIds", "stageNames", "demoApi", "demoStageName", "openApi",
        "cacheTtlSeconds", "negativeCacheTtlSeconds", "memoryCacheTtlSeconds", "staleIfErrorSeconds", "verifyTimeoutMs", "dynamoDbTimeoutMs",
        "memoryCacheMaxEntries", "failedKeysPerIpPerMinute", "kindeApiIds", "keyMetadataTtlSeconds", "acceptKeysForAnyApi", "requiredScopes", "wafRequestsPerFiveMinutesPerIp", "allowOrgKeys", "routeScopes", "authorizerType", "authorizerResultTtlSeconds", "memorySizeMb",
        "auditLogRetentionDays", "auditLogKmsKeyArn", "auditLogMetrics", "cacheTablePointInTimeRecovery", "cacheTableDeletionProtection", "tags",
        "usagePlans", "alarms", "alarmTopicArn", "alarmUnavailablePerFiveMinutes", "alarmDenialsPerFiveMinutes", "alarmP99LatencyMs",
        "dashboard", "contributorInsights", "savedQueries", "accessLogs", "accessLogRetentionDays", "accessLogCloudWatchRole",
      ].sort(),
    );
  });
});

describe("bad stack configuration stops preview with the setting's name", () => {
  it.each([
    ["cacheTtlSeconds", "0", "keygate:cacheTtlSeconds must be a whole number from 1 to 86400 (got 0)"],
    ["cacheTtlSeconds", "86401", "keygate:cacheTtlSeconds must be a whole number from 1 to 86400 (got 86401)"],
    ["cacheTtlSeconds", "5m", 'keygate:cacheTtlSeconds must be a whole number from 1 to 86400 (got "5m")'],
    ["negativeCacheTtlSeconds", "0", "keygate:negativeCacheTtlSeconds must be a whole number from 1 to 86400"],
    ["memoryCacheTtlSeconds", "86401", "keygate:memoryCacheTtlSeconds must be a whole number from 0 to 86400"],
    ["staleIfErrorSeconds", "-1", 'keygate:staleIfErrorSeconds must be a whole number from 0 to 86400 (got "-1")'],
    ["verifyTimeoutMs", "50", "keygate:verifyTimeoutMs must be a whole number from 100 to 30000"],
    ["dynamoDbTimeoutMs", "5000", "keygate:dynamoDbTimeoutMs must be a whole number from 10 to 2000"],
    ["authorizerResultTtlSeconds", "3601", "keygate:authorizerResultTtlSeconds must be a whole number from 0 to 3600 (got 3601)"],
    ["memorySizeMb", "64", "keygate:memorySizeMb must be a whole number from 128 to 10240"],
    ["auditLogRetentionDays", "42", "keygate:auditLogRetentionDays must be one of 0, 1, 3, 5"],
    ["kindeDomain", "http://acme.kinde.com", 'keygate:kindeDomain must use https:// (got "http://acme.kinde.com")'],
    ["kindeDomain", "https://acme.kinde.com/oauth2/token", "keygate:kindeDomain must be a bare origin"],
    ["kindeClientId", "   ", "keygate:kindeClientId is required"],
    ["kindeClientSecret", "", "keygate:kindeClientSecret must not be empty"],
    ["kindeClientSecret", "   ", "keygate:kindeClientSecret must not be empty"],
    ["routeScopes", '{"GET": "read:profile"}', 'keygate:routeScopes is invalid: "GET": a route is "METHOD /path"'],
    ["routeScopes", '{"GET /profile": ""}', 'keygate:routeScopes is invalid: "GET /profile": the scope must be a non-empty string'],
    ["routeScopes", '{"GET /profile": "read:profile"', "keygate:routeScopes is not valid JSON"],
    ["routeScopes", '["GET /profile"]', "keygate:routeScopes must be a JSON object"],
    ["requiredScopes", '["read profile"]', 'keygate:requiredScopes contains "read profile", which is not a scope name'],
    ["requiredScopes", "[1, 2]", 'keygate:requiredScopes contains 1, which is not a scope name'],
    ["requiredScopes", '{"api:access": true}', "keygate:requiredScopes must be a JSON list of strings"],
    ["allowOrgKeys", "yes", 'keygate:allowOrgKeys must be true or false (got "yes")'],
    ["authorizerType", "cookie", 'keygate:authorizerType must be "REQUEST" or "TOKEN" (got "cookie")'],
    ["restApiIds", "not-an-id", 'keygate:restApiIds contains "not-an-id", which is not a REST API id: ten lower-case letters and digits'],
    ["restApiIds", "a1b2c3d4e5 a1b2c3d4e5", 'keygate:restApiIds names "a1b2c3d4e5" twice'],
    ["httpApiIds", "https://f1g2h3i4j5.execute-api.eu-west-1.amazonaws.com", 'keygate:httpApiIds contains "https://f1g2h3i4j5.execute-api.eu-west-1.amazonaws.com", which is not an HTTP API id: ten lower-case letters and digits'],
    ["httpApiIds", '["f1g2h3i4j5", "f1g2h3i4j5"]', 'keygate:httpApiIds names "f1g2h3i4j5" twice'],
    ["demoStageName", "my demo", 'keygate:demoStageName must be a stage name: 1 to 128 letters, digits, "-" or "_" (got "my demo")'],
    ["tags", '{"team": 1}', 'keygate:tags has "team": tag keys must be non-empty and values strings'],
    ["accessLogCloudWatchRole", "yes", 'keygate:accessLogCloudWatchRole must be "create" or "existing" (got "yes")'],
    ["accessLogRetentionDays", "42", "keygate:accessLogRetentionDays must be one of 0, 1, 3, 5"],
  ])("keygate:%s = %j", (key, value, message) => {
    expect(() => read({ [key]: value })).toThrow(message);
  });

  it("a stage name that is not a valid stage name, for the APIs named by id", () => {
    expect(() => read({ restApiIds: "a1b2c3d4e5", stageNames: '["prod", "v1/beta"]' })).toThrow('keygate:stageNames contains "v1/beta", which is not a stage name');
    expect(() => read({ stageNames: "prod" })).toThrow("keygate:stageNames is set but keygate:restApiIds is empty");
  });

  it("access logs without a word on the account's CloudWatch role", () => {
    expect(() => read({ accessLogs: "true" })).toThrow("keygate:accessLogCloudWatchRole is required with access logs");
  });

  it("no APIs and the demo API switched off", () => {
    expect(() => read({ demoApi: "false" })).toThrow(
      "keygate:restApiIds is empty, so is keygate:httpApiIds, and keygate:demoApi is false: name the REST APIs to protect (pulumi config set restApiIds <id>) or the HTTP APIs (pulumi config set httpApiIds <id>)",
    );
    expect(() => read({ demoApi: "false", restApiIds: "[]", httpApiIds: "[]" })).toThrow("keygate:restApiIds is empty, so is keygate:httpApiIds, and keygate:demoApi is false");
    // With openApi the authorizer is for OpenAPI-defined APIs, which need no restApiIds.
    expect(read({ demoApi: "false", openApi: "true" }).apis).toEqual([]);
  });

  it("usage plans or a web ACL with HTTP APIs alone, which have neither", () => {
    const plans = JSON.stringify({ tiers: { free: {} }, defaultTier: "free" });
    expect(() => read({ httpApiIds: "f1g2h3i4j5", usagePlans: plans })).toThrow("keygate:usagePlans is set, but HTTP APIs have no usage plans");
    expect(() => read({ httpApiIds: "f1g2h3i4j5", wafRequestsPerFiveMinutesPerIp: "1000" })).toThrow(
      "keygate:wafRequestsPerFiveMinutesPerIp is set, but AWS WAF cannot be associated with an HTTP API's stage",
    );
    // Beside a REST API they are accepted; the component says at preview that the HTTP APIs are left out.
    expect(read({ restApiIds: "a1b2c3d4e5", stageNames: "prod", httpApiIds: "f1g2h3i4j5", usagePlans: plans, wafRequestsPerFiveMinutesPerIp: "1000" }).httpApis).toHaveLength(1);
  });

  it("missing Kinde settings", () => {
    expect(readWithout("kindeDomain")).toThrow("keygate:kindeDomain is required");
    expect(readWithout("kindeClientId")).toThrow("keygate:kindeClientId is required");
    expect(readWithout("kindeClientSecret")).toThrow("keygate:kindeClientSecret is required: pulumi config set --secret kindeClientSecret");
  });

  it("never repeats the client secret in a message", () => {
    let message = "";
    try {
      read({ kindeClientSecret: "super-secret-value", cacheTtlSeconds: "0" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^keygate:cacheTtlSeconds/);
    expect(message).not.toContain("super-secret-value");
  });
});
