import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lambda/config";
import { SettingError } from "../../lambda/errors";

const BASE = { KINDE_DOMAIN: "https://acme.kinde.com", KINDE_M2M_CLIENT_ID: "client", KINDE_M2M_CLIENT_SECRET: "s3cret-value" };

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    expect(loadConfig(BASE)).toEqual({
      kinde: { domain: "https://acme.kinde.com", clientId: "client", clientSecret: "s3cret-value" },
      cacheTableName: undefined,
      cacheTtlSeconds: 300,
      negativeCacheTtlSeconds: 30,
      memoryCacheTtlSeconds: 30,
      memoryCacheMaxEntries: 10_000,
      staleIfErrorSeconds: 0,
      verifyTimeoutMs: 2_500,
      dynamoDbTimeoutMs: 250,
      failedKeysPerIpPerMinute: 20,
      requiredScopes: [],
      allowOrgKeys: false,
      routeRules: [],
      kindeApiIds: [],
      keyMetadataTtlSeconds: 86_400,
      acceptKeysForAnyApi: false,
    });
  });

  it("reads every setting", () => {
    const config = loadConfig({
      KINDE_DOMAIN: "https://acme.kinde.com/",
      KINDE_M2M_CLIENT_ID: "client",
      KINDE_M2M_CLIENT_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keygate-kinde-AbCdEf",
      CACHE_TABLE_NAME: "keygate-cache",
      CACHE_TTL_SECONDS: "600",
      NEGATIVE_CACHE_TTL_SECONDS: "10",
      MEMORY_CACHE_TTL_SECONDS: "15",
      MEMORY_CACHE_MAX_ENTRIES: "500",
      STALE_IF_ERROR_SECONDS: "900",
      VERIFY_TIMEOUT_MS: "1500",
      DYNAMODB_TIMEOUT_MS: "100",
      REQUIRED_SCOPES: "read:orders, write:orders read:orders",
      ALLOW_ORG_KEYS: "true",
      ROUTE_SCOPES: '{"POST /orders": "write:orders"}',
    });
    expect(config).toMatchObject({
      kinde: { domain: "https://acme.kinde.com", clientSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keygate-kinde-AbCdEf" },
      cacheTableName: "keygate-cache",
      cacheTtlSeconds: 600,
      negativeCacheTtlSeconds: 10,
      memoryCacheTtlSeconds: 15,
      memoryCacheMaxEntries: 500,
      staleIfErrorSeconds: 900,
      verifyTimeoutMs: 1500,
      dynamoDbTimeoutMs: 100,
      requiredScopes: ["read:orders", "write:orders"],
      allowOrgKeys: true,
      routeRules: [{ method: "POST", path: "/orders", scopes: ["write:orders"] }],
    });
    expect(config.kinde.clientSecret).toBeUndefined();
  });

  it("never keeps a memory entry longer than the verdict itself", () => {
    expect(loadConfig({ ...BASE, CACHE_TTL_SECONDS: "10", MEMORY_CACHE_TTL_SECONDS: "60" }).memoryCacheTtlSeconds).toBe(10);
  });

  it("reads a bare host as its https origin, as the component does", () => {
    expect(loadConfig({ ...BASE, KINDE_DOMAIN: "acme.kinde.com" }).kinde.domain).toBe("https://acme.kinde.com");
  });

  it("accepts plain http only for loopback hosts", () => {
    expect(loadConfig({ ...BASE, KINDE_DOMAIN: "http://127.0.0.1:8080" }).kinde.domain).toBe("http://127.0.0.1:8080");
    expect(loadConfig({ ...BASE, KINDE_DOMAIN: "http://localhost:8080" }).kinde.domain).toBe("http://localhost:8080");
  });

  it.each([
    [{ KINDE_DOMAIN: undefined }, "KINDE_DOMAIN is required"],
    [{ KINDE_DOMAIN: "http://acme.kinde.com" }, "KINDE_DOMAIN must use https:// (plain http:// is accepted only for loopback hosts)"],
    [{ KINDE_DOMAIN: "https://acme kinde.com" }, "KINDE_DOMAIN must be a URL such as https://acme.kinde.com"],
    [{ KINDE_DOMAIN: "https://acme.kinde.com/api" }, "KINDE_DOMAIN must be a bare origin"],
    [{ KINDE_M2M_CLIENT_ID: " " }, "KINDE_M2M_CLIENT_ID is required"],
    [{ KINDE_M2M_CLIENT_SECRET: undefined }, "KINDE_M2M_CLIENT_SECRET_ARN set it"],
    [{ KINDE_M2M_CLIENT_SECRET: undefined, KINDE_M2M_CLIENT_SECRET_ARN: "keygate-secret" }, "KINDE_M2M_CLIENT_SECRET_ARN must be a Secrets Manager secret ARN"],
    [{ CACHE_TTL_SECONDS: "0" }, "CACHE_TTL_SECONDS must be a whole number from 1 to 86400 (got 0)"],
    [{ CACHE_TTL_SECONDS: "5m" }, 'CACHE_TTL_SECONDS must be a whole number from 1 to 86400 (got "5m")'],
    [{ NEGATIVE_CACHE_TTL_SECONDS: "-1" }, 'NEGATIVE_CACHE_TTL_SECONDS must be a whole number from 1 to 86400 (got "-1")'],
    [{ VERIFY_TIMEOUT_MS: "99999" }, "VERIFY_TIMEOUT_MS must be a whole number from 100 to 30000 (got 99999)"],
    [{ DYNAMODB_TIMEOUT_MS: "5000" }, "DYNAMODB_TIMEOUT_MS must be a whole number from 10 to 2000 (got 5000)"],
    [{ ALLOW_ORG_KEYS: "yes" }, 'ALLOW_ORG_KEYS must be true or false (got "yes")'],
    [{ ROUTE_SCOPES: "{GET /a: s}" }, "ROUTE_SCOPES is not valid JSON"],
    [{ ROUTE_SCOPES: '{"GET a": "s"}' }, 'ROUTE_SCOPES is invalid: "GET a"'],
  ])("names the variable for %j", (overrides, message) => {
    const error = catchError(() => loadConfig({ ...BASE, ...overrides }));
    expect(error).toBeInstanceOf(SettingError);
    expect(error.message.startsWith(message)).toBe(true);
    expect(error.message).not.toContain("s3cret-value");
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}
