import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { authorizerEnvironment, loadConfig, type AuthorizerSettings } from "../../lambda/config";
import { renderSettingsReference, SETTINGS_REFERENCE_PATH } from "../../lambda/settings/settings-reference";
import { SETTING_DEFAULTS, SETTINGS, STACK_KEYS, type SettingSpec } from "../../lambda/settings/settings-table";

// The settings table is the one place a setting is declared; these tests hold everything derived
// from it to it: the reference docs, the environment encoder and the authorizer's reader.

const specs = Object.entries(SETTINGS) as [string, SettingSpec][];
const references = { clientId: "client-id", clientSecret: "s3cret", cacheTableName: "verdicts" };

describe("the settings table", () => {
  it("is what docs/configuration.md says (run `npm run docs:settings` after changing the table)", () => {
    expect(readFileSync(resolve(__dirname, "../..", SETTINGS_REFERENCE_PATH), "utf8")).toBe(renderSettingsReference());
  });

  it("names each stack key, argument and environment variable once", () => {
    for (const field of ["stackKey", "arg"] as const) {
      const names = specs.flatMap(([, setting]) => (setting[field] ? [setting[field]] : []));
      expect(new Set(names).size, field).toBe(names.length);
    }
    const variables = specs.flatMap(([, setting]) => (setting.env ? [setting.env.name] : []));
    expect(new Set(variables).size).toBe(variables.length);
    expect(STACK_KEYS).toContain("requiredScopes");
  });

  it("gives every default a value its own kind accepts", () => {
    for (const [name, setting] of specs) {
      if (setting.default === undefined) continue;
      expect(setting.kind.check(setting.default, (problem) => expect.fail(`${name}: ${problem}`)), name).toEqual(setting.default);
    }
  });

  it("round-trips every setting through the environment the component and npm start write", () => {
    const settings: AuthorizerSettings = {
      kindeDomain: "https://acme.kinde.com",
      cacheTtlSeconds: 600,
      negativeCacheTtlSeconds: 45,
      memoryCacheTtlSeconds: 15,
      memoryCacheMaxEntries: 500,
      staleIfErrorSeconds: 120,
      verifyTimeoutMs: 1_500,
      dynamoDbTimeoutMs: 100,
      failedKeysPerIpPerMinute: 5,
      kindeApiIds: ["api_0123456789abcdef"],
      keyMetadataTtlSeconds: 3_600,
      acceptKeysForAnyApi: false,
      requiredScopes: ["api:access", "read:reports"],
      allowOrgKeys: true,
      routeScopes: { "GET /reports/{name}": "read:reports" },
    };
    const config = loadConfig(authorizerEnvironment(settings, references));
    expect(config).toMatchObject({
      kinde: { domain: "https://acme.kinde.com", clientId: "client-id", clientSecret: "s3cret" },
      cacheTableName: "verdicts",
      cacheTtlSeconds: 600,
      negativeCacheTtlSeconds: 45,
      memoryCacheTtlSeconds: 15,
      memoryCacheMaxEntries: 500,
      staleIfErrorSeconds: 120,
      verifyTimeoutMs: 1_500,
      dynamoDbTimeoutMs: 100,
      failedKeysPerIpPerMinute: 5,
      kindeApiIds: ["api_0123456789abcdef"],
      keyMetadataTtlSeconds: 3_600,
      requiredScopes: ["api:access", "read:reports"],
      allowOrgKeys: true,
    });
    expect(config.routeRules.map((rule) => rule.path)).toEqual(["/reports/{name}"]);
  });

  it("applies the table's defaults when the environment leaves a setting out", () => {
    const config = loadConfig(authorizerEnvironment({ ...SETTING_DEFAULTS, kindeDomain: "https://acme.kinde.com" } as AuthorizerSettings, references));
    const bare = loadConfig({ KINDE_DOMAIN: "https://acme.kinde.com", KINDE_M2M_CLIENT_ID: "client-id", KINDE_M2M_CLIENT_SECRET: "s3cret", CACHE_TABLE_NAME: "verdicts" });
    expect(bare).toEqual(config);
    expect(bare.cacheTtlSeconds).toBe(SETTING_DEFAULTS.cacheTtlSeconds);
  });

  it("writes references only where they are given, and never the secret into a deployed environment", () => {
    const environment = authorizerEnvironment({ ...SETTING_DEFAULTS, kindeDomain: "https://acme.kinde.com" } as AuthorizerSettings, {
      clientId: "client-id",
      clientSecretArn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:keygate",
    });
    expect(environment.KINDE_M2M_CLIENT_SECRET).toBeUndefined();
    expect(environment.CACHE_TABLE_NAME).toBeUndefined();
    expect(environment.KINDE_M2M_CLIENT_SECRET_ARN).toBe("arn:aws:secretsmanager:us-east-1:000000000000:secret:keygate");
    // Empty lists and maps are left out: the authorizer reads a missing variable as none.
    expect(environment.REQUIRED_SCOPES).toBeUndefined();
    expect(environment.ROUTE_SCOPES).toBeUndefined();
  });
});
