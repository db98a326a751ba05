import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lambda/config";
import { SettingError } from "../../lambda/errors";
import { usageProvisioningStatements } from "../../lambda/usage/iam-statements";
import { resolveTier, tierForScopes } from "../../lambda/usage/tier";
import { parseUsagePlans } from "../../lambda/usage/usage-plans-config";
import { decodeUserMapping, encodeUserMapping, userMappingItem, userMappingItemJson } from "../../lambda/usage/user-mapping";

const BASE = { KINDE_DOMAIN: "https://acme.kinde.com", KINDE_M2M_CLIENT_ID: "client", KINDE_M2M_CLIENT_SECRET: "s3cret-value", CACHE_TABLE_NAME: "keygate-cache" };
const FREE_POOL = "FreePoolKey0123456789abcdefghij";
const PRO_POOL = "ProPoolKey0123456789abcdefghijk";
const PLANS = {
  tiers: { free: { usagePlanId: "free123", poolKey: FREE_POOL }, pro: { usagePlanId: "pro456", poolKey: PRO_POOL } },
  defaultTier: "free",
  tierScopes: { "plan:pro": "pro" },
  autoProvision: true,
};

function load(usagePlans: unknown, env: Record<string, string> = {}) {
  return loadConfig({ ...BASE, USAGE_PLANS: typeof usagePlans === "string" ? usagePlans : JSON.stringify(usagePlans), ...env });
}

function configError(usagePlans: unknown, env: Record<string, string> = {}): SettingError {
  try {
    load(usagePlans, env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingError);
    return error as SettingError;
  }
  throw new Error("expected a SettingError");
}

describe("USAGE_PLANS", () => {
  it("is absent unless set", () => {
    expect(loadConfig(BASE).usagePlans).toBeUndefined();
    expect("usagePlans" in loadConfig(BASE)).toBe(false);
  });

  it("reads tiers, scopes and the documented defaults", () => {
    expect(load(PLANS).usagePlans).toEqual({
      tiers: PLANS.tiers,
      defaultTier: "free",
      tierScopes: [["plan:pro", "pro"]],
      autoProvision: true,
      maxProvisionedKeys: 9_000,
      provisionTimeoutMs: 1_000,
      retryAfterSeconds: 30,
      retiredKeyGraceSeconds: 3_600,
    });
  });

  it("reads every setting", () => {
    const config = load({ ...PLANS, autoProvision: false, maxProvisionedKeys: 100, provisionTimeoutMs: 300, retryAfterSeconds: 5, retiredKeyGraceSeconds: 600 });
    expect(config.usagePlans).toMatchObject({ autoProvision: false, maxProvisionedKeys: 100, provisionTimeoutMs: 300, retryAfterSeconds: 5, retiredKeyGraceSeconds: 600 });
  });

  it("takes the only tier as the default tier and leaves provisioning off by default", () => {
    const config = load({ tiers: { basic: { usagePlanId: "abc", poolKey: FREE_POOL } } }, { CACHE_TABLE_NAME: "" });
    expect(config.usagePlans).toMatchObject({ defaultTier: "basic", autoProvision: false, tierScopes: [] });
  });

  it.each([
    ["not json", /^USAGE_PLANS is not JSON; expected e\.g\. \{"tiers"/],
    [[], /^USAGE_PLANS the value must be a JSON object/],
    [{ ...PLANS, tier: {} }, /^USAGE_PLANS unknown setting "tier"; the settings are tiers, defaultTier,/],
    [{ ...PLANS, tiers: {} }, /^USAGE_PLANS tiers: name at least one tier$/],
    [{ ...PLANS, tiers: [] }, /^USAGE_PLANS tiers must be an object of tiers/],
    [{ ...PLANS, tiers: { "free tier": PLANS.tiers.free } }, /^USAGE_PLANS tiers: "free tier" is not a tier name/],
    [{ ...PLANS, tiers: { ...PLANS.tiers, pro: "pro456" } }, /^USAGE_PLANS tiers\.pro must be an object/],
    [{ ...PLANS, tiers: { ...PLANS.tiers, pro: { usagePlanId: "pro456", poolKey: PRO_POOL, throttle: {} } } }, /^USAGE_PLANS tiers\.pro: unknown setting "throttle"/],
    [{ ...PLANS, tiers: { ...PLANS.tiers, pro: { poolKey: PRO_POOL } } }, /^USAGE_PLANS tiers\.pro\.usagePlanId: must be a usage plan id/],
    [{ ...PLANS, tiers: { ...PLANS.tiers, pro: { usagePlanId: "pro-456", poolKey: PRO_POOL } } }, /^USAGE_PLANS tiers\.pro\.usagePlanId:/],
    [{ ...PLANS, tiers: { ...PLANS.tiers, pro: { usagePlanId: "pro456" } } }, /^USAGE_PLANS tiers\.pro\.poolKey: must be the value \(not the id\)/],
    [{ ...PLANS, tiers: { ...PLANS.tiers, pro: { usagePlanId: "pro456", poolKey: "short" } } }, /^USAGE_PLANS tiers\.pro\.poolKey: .*20 to 128 letters and digits$/],
    [{ ...PLANS, tiers: { ...PLANS.tiers, pro: { usagePlanId: "free123", poolKey: PRO_POOL } } }, /^USAGE_PLANS tiers\.pro\.usagePlanId: tier "free" uses the same plan$/],
    [{ ...PLANS, tiers: { ...PLANS.tiers, pro: { usagePlanId: "pro456", poolKey: FREE_POOL } } }, /^USAGE_PLANS tiers\.pro\.poolKey: tier "free" uses the same pool key$/],
    [{ ...PLANS, defaultTier: undefined }, /^USAGE_PLANS defaultTier is required with several tiers; one of free, pro$/],
    [{ ...PLANS, defaultTier: "gold" }, /^USAGE_PLANS defaultTier: "gold" is not a tier; the tiers are free, pro$/],
    [{ ...PLANS, tierScopes: { "plan:gold": "gold" } }, /^USAGE_PLANS tierScopes\."plan:gold": "gold" is not a tier; the tiers are free, pro$/],
    [{ ...PLANS, tierScopes: { "plan pro": "pro" } }, /^USAGE_PLANS tierScopes: "plan pro" is not a scope/],
    [{ ...PLANS, tierScopes: ["plan:pro"] }, /^USAGE_PLANS tierScopes must be an object such as \{"plan:pro": "pro"\}$/],
    [{ ...PLANS, autoProvision: "yes" }, /^USAGE_PLANS autoProvision: must be true or false \(got "yes"\)$/],
    [{ ...PLANS, maxProvisionedKeys: 10_001 }, /^USAGE_PLANS maxProvisionedKeys: must be a whole number from 0 to 10000 \(got 10001\)$/],
    [{ ...PLANS, maxProvisionedKeys: 1.5 }, /^USAGE_PLANS maxProvisionedKeys: must be a whole number from 0 to 10000 \(got 1.5\)$/],
    [{ ...PLANS, provisionTimeoutMs: 5 }, /^USAGE_PLANS provisionTimeoutMs: must be a whole number from 10 to 10000 \(got 5\)$/],
    [{ ...PLANS, retryAfterSeconds: 0 }, /^USAGE_PLANS retryAfterSeconds: must be a whole number from 1 to 3600 \(got 0\)$/],
    [{ ...PLANS, retiredKeyGraceSeconds: -1 }, /^USAGE_PLANS retiredKeyGraceSeconds: must be a whole number from 0 to 86400 \(got -1\)$/],
  ])("rejects %j with a message naming the setting", (value, message) => {
    const error = configError(value);
    expect(error.setting).toBe("USAGE_PLANS");
    expect(error.message).toMatch(message);
  });

  it("needs CACHE_TABLE_NAME to provision keys", () => {
    expect(configError(PLANS, { CACHE_TABLE_NAME: "" }).message).toBe("USAGE_PLANS autoProvision needs CACHE_TABLE_NAME");
    expect(load({ ...PLANS, autoProvision: false }, { CACHE_TABLE_NAME: "" }).usagePlans?.autoProvision).toBe(false);
  });

  it("never echoes a pool key value in a message", () => {
    const error = configError({ ...PLANS, tiers: { ...PLANS.tiers, pro: { usagePlanId: "pro456", poolKey: `${PRO_POOL}!` } } });
    expect(error.message).not.toContain(PRO_POOL);
  });
});

describe("tier resolution", () => {
  const config = parseUsagePlans({
    tiers: {
      free: { usagePlanId: "a1", poolKey: FREE_POOL },
      pro: { usagePlanId: "b2", poolKey: PRO_POOL },
      team: { usagePlanId: "c3", poolKey: "TeamPoolKey0123456789abcdefghij" },
    },
    defaultTier: "free",
    tierScopes: { "plan:team": "team", "plan:pro": "pro" },
  });

  it.each([
    [[], "free"],
    [["read:profile"], "free"],
    [["read:profile", "plan:pro"], "pro"],
    // The first tierScopes entry the key holds wins, whatever the order of the key's scopes.
    [["plan:pro", "plan:team"], "team"],
  ])("places scopes %j in %s", (scopes, tier) => {
    expect(tierForScopes(scopes, config)).toBe(tier);
  });

  it("lets a fixed assignment win over scopes, and only a fixed one", () => {
    expect(resolveTier({ fixed: true, tier: "free" }, ["plan:pro"], config)).toBe("free");
    expect(resolveTier({ fixed: false, tier: "free" }, ["plan:pro"], config)).toBe("pro");
    expect(resolveTier(undefined, ["plan:team"], config)).toBe("team");
  });
});

describe("userMappingItem", () => {
  const input = { userId: "kp_123", apiKeyId: "k1a2b3c4d5", apiKeyValue: "UserKey0123456789abcdefghijklmnop", tier: "pro", usagePlanId: "pro456", fixed: true };

  it("encodes a fixed assignment as DynamoDB JSON, with no timestamp and no expiry", () => {
    expect(userMappingItem(input)).toEqual({
      pk: { S: "user#kp_123" },
      apiKeyId: { S: "k1a2b3c4d5" },
      apiKeyValue: { S: "UserKey0123456789abcdefghijklmnop" },
      tier: { S: "pro" },
      usagePlanId: { S: "pro456" },
      fixed: { BOOL: true },
    });
    expect(JSON.parse(userMappingItemJson(input))).toEqual(userMappingItem(input));
  });

  it("reads back what it writes, run-time fields included", () => {
    expect(decodeUserMapping(userMappingItem({ ...input, userId: "org:org_acme", updatedAt: 1_700_000_000_000 }))).toEqual({
      principal: "org:org_acme",
      apiKeyId: "k1a2b3c4d5",
      apiKeyValue: "UserKey0123456789abcdefghijklmnop",
      tier: "pro",
      usagePlanId: "pro456",
      fixed: true,
      updatedAt: 1_700_000_000_000,
    });
    const mapping = { principal: "kp_9", apiKeyId: "new1", apiKeyValue: "NewKey0123456789abcdefghij", tier: "pro", usagePlanId: "pro456", fixed: false, updatedAt: 5, retired: { apiKeyId: "old1", at: 4 } };
    expect(decodeUserMapping(encodeUserMapping(mapping))).toEqual(mapping);
  });

  it.each([
    [{ userId: "" }, /userId must be a non-empty string/],
    [{ apiKeyId: "" }, /apiKeyId must be a non-empty string/],
    [{ apiKeyValue: "too-short" }, /apiKeyValue must be an API Gateway key value/],
  ])("refuses %j", (override, message) => {
    expect(() => userMappingItem({ ...input, ...override })).toThrow(message);
  });

  it("does not trust items it cannot read", () => {
    expect(decodeUserMapping({ pk: { S: "user#kp_1" }, apiKeyId: { S: "x" } })).toBeUndefined();
    expect(decodeUserMapping({ ...userMappingItem(input), pk: { S: "verdict#abc" } })).toBeUndefined();
  });
});

describe("usageProvisioningStatements", () => {
  it("grants each call provisioning makes, on the resources it makes it on", () => {
    expect(
      usageProvisioningStatements({
        partition: "aws",
        region: "eu-west-1",
        usagePlanIds: ["free123", "pro456"],
        cacheTableArn: "arn:aws:dynamodb:eu-west-1:123456789012:table/keygate-cache",
        stackTag: "keygate-authorizer-0a1b2c3d",
      }),
    ).toEqual([
      {
        Sid: "CreateUsageKeys",
        Effect: "Allow",
        Action: ["apigateway:POST"],
        Resource: ["arn:aws:apigateway:eu-west-1::/apikeys"],
        Condition: {
          StringEquals: { "aws:RequestTag/keygate:stack": "keygate-authorizer-0a1b2c3d", "aws:RequestTag/keygate:created-by": "authorizer" },
          "ForAllValues:StringEquals": { "aws:TagKeys": ["keygate:stack", "keygate:created-by"] },
        },
      },
      {
        Sid: "TagUsageKeysOnCreate",
        Effect: "Allow",
        Action: ["apigateway:PUT"],
        Resource: ["arn:aws:apigateway:eu-west-1::/tags/arn%3Aaws%3Aapigateway%3Aeu-west-1%3A%3A%2Fapikeys%2F?"],
        Condition: {
          StringEquals: { "aws:RequestTag/keygate:stack": "keygate-authorizer-0a1b2c3d", "aws:RequestTag/keygate:created-by": "authorizer" },
          "ForAllValues:StringEquals": { "aws:TagKeys": ["keygate:stack", "keygate:created-by"] },
        },
      },
      {
        Sid: "DeleteUsageKeys",
        Effect: "Allow",
        Action: ["apigateway:DELETE"],
        Resource: ["arn:aws:apigateway:eu-west-1::/apikeys/*"],
        Condition: { StringEquals: { "aws:ResourceTag/keygate:stack": "keygate-authorizer-0a1b2c3d", "aws:ResourceTag/keygate:created-by": "authorizer" } },
      },
      {
        Sid: "AddUsageKeysToTierPlans",
        Effect: "Allow",
        Action: ["apigateway:POST"],
        Resource: ["arn:aws:apigateway:eu-west-1::/usageplans/free123/keys", "arn:aws:apigateway:eu-west-1::/usageplans/pro456/keys"],
      },
      {
        Sid: "UsageKeyMappings",
        Effect: "Allow",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        Resource: ["arn:aws:dynamodb:eu-west-1:123456789012:table/keygate-cache"],
      },
    ]);
  });
});
