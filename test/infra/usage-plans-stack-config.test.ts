import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { readStackConfig, type ConfigSource } from "../../infra/stack-config";

// keygate:usagePlans read from a plain map standing in for `pulumi config`: carried to the
// component typed as it expects, and refused with the stack key's name when wrong.

const required = { kindeDomain: "https://acme.kinde.com", kindeClientId: "client-id", kindeClientSecret: "client-secret", kindeApiIds: "api_0123456789abcdef0123456789abcdef" };
const source = (values: Record<string, string>): ConfigSource => ({
  get: (key) => values[key],
  getSecret: (key) => (values[key] === undefined ? undefined : pulumi.secret(values[key]!)),
  names: () => Object.keys(values),
});
const read = (values: Record<string, string>) => readStackConfig(source({ ...required, ...values }));
const plans = {
  tiers: {
    free: { throttle: { rateLimit: 5, burstLimit: 10 }, quota: { limit: 10_000, period: "MONTH" } },
    pro: { throttle: { rateLimit: 50, burstLimit: 100 }, quota: { limit: 1_000_000, period: "MONTH", offset: 10 }, methodThrottles: { "/whoami/GET": { rateLimit: 2, burstLimit: 4 } } },
  },
  defaultTier: "free",
  tierScopes: { "plan:pro": "pro" },
  users: { kp_0a1b2c3d: "pro" },
  autoProvision: true,
  maxProvisionedKeys: 9_000,
};

describe("keygate:usagePlans", () => {
  it("is read as JSON (what Pulumi hands over for a structured value) and carried to the component as it is", () => {
    expect(read({ usagePlans: JSON.stringify(plans) }).component.usagePlans).toEqual(plans);
    expect(read({}).component.usagePlans).toBeUndefined();
  });

  it("takes numbers, booleans and periods written as strings, as npm start does, and only where they belong", () => {
    const asStrings = {
      tiers: {
        free: { throttle: { rateLimit: "0.5", burstLimit: "10" }, quota: { limit: "10000", period: "month", offset: "0" } },
        limit: { methodThrottles: { "/whoami/GET": { rateLimit: "2", burstLimit: "4" } } },
      },
      defaultTier: "free",
      tierScopes: { limit: "limit" },
      users: { kp_1a: "limit" },
      autoProvision: "true",
      maxProvisionedKeys: "9000",
      provisionTimeoutMs: "800",
      retryAfterSeconds: "60",
      retiredKeyGraceSeconds: "3600",
    };
    expect(read({ usagePlans: JSON.stringify(asStrings) }).component.usagePlans).toEqual({
      tiers: {
        free: { throttle: { rateLimit: 0.5, burstLimit: 10 }, quota: { limit: 10_000, period: "MONTH", offset: 0 } },
        limit: { methodThrottles: { "/whoami/GET": { rateLimit: 2, burstLimit: 4 } } },
      },
      defaultTier: "free",
      tierScopes: { limit: "limit" },
      users: { kp_1a: "limit" },
      autoProvision: true,
      maxProvisionedKeys: 9_000,
      provisionTimeoutMs: 800,
      retryAfterSeconds: 60,
      retiredKeyGraceSeconds: 3_600,
    });
  });

  it("checks the plans with the stage's demo API in mind: its stage is demoStageName", () => {
    expect(() => read({ usagePlans: JSON.stringify(plans) })).not.toThrow();
    expect(read({ usagePlans: JSON.stringify(plans), restApiIds: "a1b2c3d4e5", stageNames: "prod" }).apis).toEqual([{ restApiId: "a1b2c3d4e5", stageNames: ["prod"] }]);
  });
});

describe("bad keygate:usagePlans stops preview with the stack key's name", () => {
  const withPlans = (change: (value: Record<string, any>) => void) => {
    // `any`: the cases write values of the wrong type on purpose.
    const value = JSON.parse(JSON.stringify(plans)) as Record<string, any>;
    change(value);
    return () => read({ usagePlans: JSON.stringify(value) });
  };

  it.each([
    ["a period other than DAY, WEEK or MONTH", withPlans((p) => (p.tiers.free.quota.period = "year")), 'keygate:usagePlans.tiers.free.quota.period must be DAY, WEEK or MONTH (got "YEAR")'],
    ["a quota without a limit", withPlans((p) => delete p.tiers.free.quota.limit), "keygate:usagePlans.tiers.free.quota.limit is required"],
    ["a negative limit", withPlans((p) => (p.tiers.free.quota.limit = -1)), "keygate:usagePlans.tiers.free.quota.limit must be a whole number from 1 to 2147483647 (got -1)"],
    ["a negative limit written as a string", withPlans((p) => (p.tiers.free.throttle.burstLimit = "-1")), 'keygate:usagePlans.tiers.free.throttle.burstLimit must be a whole number from 0 to 2147483647 (got "-1")'],
    ["an unknown tier for a user", withPlans((p) => (p.users = { kp_0a1b2c3d: "gold" })), 'keygate:usagePlans.users["kp_0a1b2c3d"] names "gold", which is not a tier; the tiers are free, pro'],
    ["an unknown default tier", withPlans((p) => (p.defaultTier = "gold")), 'keygate:usagePlans.defaultTier names "gold", which is not a tier'],
    ["an unknown tier for a scope", withPlans((p) => (p.tierScopes = { "plan:gold": "gold" })), 'keygate:usagePlans.tierScopes["plan:gold"] names "gold", which is not a tier'],
    ["a malformed user id", withPlans((p) => (p.users = { "bob@example.com": "pro" })), 'keygate:usagePlans.users has "bob@example.com", which is not a Kinde user id'],
    ["too many keys", withPlans((p) => (p.maxProvisionedKeys = 10_000)), "keygate:usagePlans.maxProvisionedKeys leaves too few API keys: 2 pool key(s), 1 fixed user(s) and maxProvisionedKeys 10000 make 10003"],
    ["maxProvisionedKeys above 10000", withPlans((p) => (p.maxProvisionedKeys = "10001")), "keygate:usagePlans.maxProvisionedKeys must be a whole number from 0 to 10000 (got 10001)"],
    ["autoProvision not a boolean", withPlans((p) => (p.autoProvision = "yes")), 'keygate:usagePlans.autoProvision must be true or false (got "yes")'],
    ["an unknown setting", withPlans((p) => (p.user = {})), 'keygate:usagePlans has the unknown setting "user"'],
  ])("%s", (_, run, message) => {
    expect(run).toThrow(message);
  });

  it("text that is not a JSON object", () => {
    expect(() => read({ usagePlans: "{tiers:" })).toThrow("keygate:usagePlans is not valid JSON");
    expect(() => read({ usagePlans: '["free"]' })).toThrow("keygate:usagePlans must be a JSON object");
  });

  it("REST APIs named by id without stages for the plans", () => {
    expect(() => read({ usagePlans: JSON.stringify(plans), restApiIds: "a1b2c3d4e5" })).toThrow("keygate:stageNames is empty: with usagePlans, name the stages the plans cover");
  });

  it("no REST API at all, only OpenAPI", () => {
    expect(() => read({ usagePlans: JSON.stringify(plans), demoApi: "false", openApi: "true" })).toThrow(
      "keygate:restApiIds is empty, and usagePlans needs at least one REST API whose stages its plans cover",
    );
  });
});
