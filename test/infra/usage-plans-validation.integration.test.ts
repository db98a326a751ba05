import * as aws from "@pulumi/aws";
import { beforeAll, describe, expect, it } from "vitest";
import { USAGE_PLAN_OPTIONS } from "../../lambda/usage/usage-plans-schema";
import type { UsagePlansSettings, UserKeyAuthorizerArgs } from "../../infra/args";
import { mockPulumi, registrationsSettled, type MockedProgram } from "./support/pulumi-mocks";

// Every bad usagePlans setting stops the program before a resource is registered, with a message
// that starts with the setting's name.

let program: MockedProgram;
let UserKeyAuthorizer: typeof import("../../infra/user-key-authorizer").UserKeyAuthorizer;
let validate: typeof import("../../infra/validate-args");
let rules: typeof import("../../infra/validate-usage-plans");

const plans = (): UsagePlansSettings => ({
  tiers: { free: { throttle: { rateLimit: 5, burstLimit: 10 }, quota: { limit: 10_000, period: "MONTH" } }, pro: { throttle: { rateLimit: 50, burstLimit: 100 } } },
  defaultTier: "free",
});
const good = (usagePlans: unknown = plans()): UserKeyAuthorizerArgs => ({
  kinde: { domain: "https://acme.kinde.com", clientId: "client-id", clientSecret: "client-secret", apiIds: ["api_0123456789abcdef0123456789abcdef"] },
  apis: [{ restApiId: "a1b2c3d4e5", stageNames: ["prod"] }],
  usagePlans: usagePlans as UsagePlansSettings,
});
/** The plans with one change: a JSON-ish patch, since most bad values are ones TypeScript would not let a caller write. */
const withPlans = (change: (plans: Record<string, any>) => void): UserKeyAuthorizerArgs => {
  // `any`: the cases below write values of every wrong type into the settings on purpose.
  const value = plans() as unknown as Record<string, any>;
  change(value);
  return good(value);
};
const resolve = (args: UserKeyAuthorizerArgs) => () => validate.resolveSettings(args);

beforeAll(async () => {
  program = await mockPulumi();
  ({ UserKeyAuthorizer } = await import("../../infra/user-key-authorizer.js"));
  validate = await import("../../infra/validate-args.js");
  rules = await import("../../infra/validate-usage-plans.js");
});

describe("the shape of usagePlans", () => {
  it.each([
    ["not an object", () => good("free"), "args.usagePlans must be an object such as { tiers:"],
    ["an unknown setting", () => withPlans((p) => (p.userz = {})), 'args.usagePlans has the unknown setting "userz"; the settings are tiers, defaultTier, tierScopes, users, autoProvision, maxProvisionedKeys'],
    ["no tiers", () => withPlans((p) => delete p.tiers), "args.usagePlans.tiers must name at least one tier"],
    ["an empty tiers object", () => withPlans((p) => (p.tiers = {})), "args.usagePlans.tiers must name at least one tier"],
    ["tiers as a list", () => withPlans((p) => (p.tiers = ["free"])), "args.usagePlans.tiers must be an object of tiers"],
    ["a tier name with a space", () => withPlans((p) => (p.tiers["free tier"] = {})), 'args.usagePlans.tiers has "free tier", which is not a tier name: 1 to 64 letters, digits, "-" or "_"'],
    ["a tier name too long", () => withPlans((p) => (p.tiers["t".repeat(65)] = {})), `args.usagePlans.tiers has "${"t".repeat(65)}", which is not a tier name`],
    ["a tier that is not an object", () => withPlans((p) => (p.tiers.free = 5)), "args.usagePlans.tiers.free must be an object with throttle, quota and methodThrottles (each optional)"],
    ["an unknown tier setting", () => withPlans((p) => (p.tiers.free.limits = {})), 'args.usagePlans.tiers.free has the unknown setting "limits"; the settings are throttle, quota, methodThrottles'],
  ])("%s", (_, args, message) => {
    expect(resolve(args())).toThrow(message);
  });
});

describe("throttles", () => {
  it.each([
    [-1, "args.usagePlans.tiers.free.throttle.rateLimit must be a number of requests per second, 0 or more (got -1)"],
    ["5", 'args.usagePlans.tiers.free.throttle.rateLimit must be a number of requests per second, 0 or more (got "5")'],
    [Number.POSITIVE_INFINITY, "args.usagePlans.tiers.free.throttle.rateLimit must be a number of requests per second, 0 or more (got null)"],
  ])("refuses the rate limit %j", (rateLimit, message) => {
    expect(resolve(withPlans((p) => (p.tiers.free.throttle.rateLimit = rateLimit)))).toThrow(message);
  });

  it.each([
    [-1, "(got -1)"],
    [2.5, "(got 2.5)"],
    [2_147_483_648, "(got 2147483648)"],
  ])("refuses the burst limit %j", (burstLimit, got) => {
    expect(resolve(withPlans((p) => (p.tiers.free.throttle.burstLimit = burstLimit)))).toThrow(`args.usagePlans.tiers.free.throttle.burstLimit must be a whole number from 0 to 2147483647 ${got}`);
  });

  it("accepts a fractional rate limit (API Gateway's rateLimit is a double) and zeros", () => {
    expect(resolve(withPlans((p) => (p.tiers.free.throttle = { rateLimit: 0.5, burstLimit: 1 })))).not.toThrow();
    expect(resolve(withPlans((p) => (p.tiers.free.throttle = { rateLimit: 0, burstLimit: 0 })))).not.toThrow();
  });

  it("needs both limits, and nothing else", () => {
    expect(resolve(withPlans((p) => delete p.tiers.free.throttle.burstLimit))).toThrow("args.usagePlans.tiers.free.throttle.burstLimit is required");
    expect(resolve(withPlans((p) => delete p.tiers.free.throttle.rateLimit))).toThrow("args.usagePlans.tiers.free.throttle.rateLimit is required");
    expect(resolve(withPlans((p) => (p.tiers.free.throttle.rate = 5)))).toThrow('args.usagePlans.tiers.free.throttle has the unknown setting "rate"; the settings are rateLimit, burstLimit');
    expect(resolve(withPlans((p) => (p.tiers.free.throttle = 5)))).toThrow("args.usagePlans.tiers.free.throttle must be an object { rateLimit, burstLimit }");
  });
});

describe("quotas", () => {
  it("a quota without a limit", () => {
    expect(resolve(withPlans((p) => (p.tiers.free.quota = { period: "MONTH" })))).toThrow("args.usagePlans.tiers.free.quota.limit is required: a quota is a number of requests per period");
  });

  it.each([
    [-5, "(got -5)"],
    [0, "(got 0)"],
    [1.5, "(got 1.5)"],
    ["100", '(got "100")'],
  ])("refuses the limit %j", (limit, got) => {
    expect(resolve(withPlans((p) => (p.tiers.free.quota.limit = limit)))).toThrow(`args.usagePlans.tiers.free.quota.limit must be a whole number from 1 to 2147483647 ${got}`);
  });

  it.each([["YEAR"], ["month"], ["HOUR"], [undefined], [30]])("refuses the period %j", (period) => {
    expect(resolve(withPlans((p) => (p.tiers.free.quota.period = period)))).toThrow(`args.usagePlans.tiers.free.quota.period must be DAY, WEEK or MONTH (got ${JSON.stringify(period)})`);
  });

  it("refuses an offset below 0, above the limit or not whole", () => {
    for (const offset of [-1, 10_001, 0.5]) {
      expect(resolve(withPlans((p) => (p.tiers.free.quota.offset = offset)))).toThrow(`args.usagePlans.tiers.free.quota.offset must be a whole number from 0 to 10000 (got ${offset})`);
    }
    expect(resolve(withPlans((p) => (p.tiers.free.quota.offset = 10_000)))).not.toThrow();
  });

  it("refuses unknown quota settings", () => {
    expect(resolve(withPlans((p) => (p.tiers.free.quota.per = "DAY")))).toThrow('args.usagePlans.tiers.free.quota has the unknown setting "per"; the settings are limit, period, offset');
  });
});

describe("per-method throttles", () => {
  it.each(["GET /orders", "/orders", "/orders/FETCH", "orders/GET", "/orders list/GET"])("refuses the method key %j", (key) => {
    expect(resolve(withPlans((p) => (p.tiers.free.methodThrottles = { [key]: { rateLimit: 1, burstLimit: 1 } })))).toThrow(
      `args.usagePlans.tiers.free.methodThrottles has ${JSON.stringify(key)}, which is not a method as API Gateway names it: /<resource path>/<METHOD>`,
    );
  });

  it("accepts API Gateway's method keys, wildcards included", () => {
    expect(resolve(withPlans((p) => (p.tiers.free.methodThrottles = { "/orders/{id}/GET": { rateLimit: 1, burstLimit: 1 }, "/*/*": { rateLimit: 2, burstLimit: 2 } })))).not.toThrow();
  });

  it("checks each one's throttle, named by its key", () => {
    expect(resolve(withPlans((p) => (p.tiers.free.methodThrottles = { "/orders/GET": { rateLimit: -1, burstLimit: 1 } })))).toThrow(
      'args.usagePlans.tiers.free.methodThrottles["/orders/GET"].rateLimit must be a number of requests per second, 0 or more (got -1)',
    );
  });
});

describe("tier names used elsewhere", () => {
  it("defaultTier: required with several tiers, and a tier", () => {
    expect(resolve(withPlans((p) => delete p.defaultTier))).toThrow("args.usagePlans.defaultTier is required with several tiers: one of free, pro");
    expect(resolve(withPlans((p) => (p.defaultTier = "gold")))).toThrow('args.usagePlans.defaultTier names "gold", which is not a tier; the tiers are free, pro');
    expect(resolve(withPlans((p) => (p.defaultTier = null)))).toThrow("args.usagePlans.defaultTier names null, which is not a tier");
    expect(resolve(good({ tiers: { free: {} } }))).not.toThrow();
  });

  it("tierScopes: known tiers and well-formed scopes", () => {
    expect(resolve(withPlans((p) => (p.tierScopes = { "plan:gold": "gold" })))).toThrow('args.usagePlans.tierScopes["plan:gold"] names "gold", which is not a tier; the tiers are free, pro');
    expect(resolve(withPlans((p) => (p.tierScopes = { "plan gold": "pro" })))).toThrow('args.usagePlans.tierScopes has "plan gold", which is not a scope');
    expect(resolve(withPlans((p) => (p.tierScopes = ["plan:pro"])))).toThrow("args.usagePlans.tierScopes must be an object of scope → tier");
  });

  it("users: known tiers and Kinde user ids", () => {
    expect(resolve(withPlans((p) => (p.users = { kp_123abc: "gold" })))).toThrow('args.usagePlans.users["kp_123abc"] names "gold", which is not a tier; the tiers are free, pro');
    for (const userId of ["alice@example.com", "kp_", "kp_12 3", "KP_123", `kp_${"a".repeat(65)}`, "org:", "user#kp_123"]) {
      expect(resolve(withPlans((p) => (p.users = { [userId]: "pro" }))), userId).toThrow(`args.usagePlans.users has ${JSON.stringify(userId)}, which is not a Kinde user id (kp_ followed by letters and digits) or an organization (org:<org_code>)`);
    }
    expect(resolve(withPlans((p) => (p.users = ["kp_123abc"])))).toThrow("args.usagePlans.users must be an object of user id → tier");
  });

  it("users: an organization only when organization keys are accepted", () => {
    expect(resolve(withPlans((p) => (p.users = { "org:org_1a2b": "pro" })))).toThrow('args.usagePlans.users["org:org_1a2b"] is an organization, and allowOrgKeys is off');
    expect(() => validate.resolveSettings({ ...withPlans((p) => (p.users = { "org:org_1a2b": "pro" })), allowOrgKeys: true })).not.toThrow();
  });
});

describe("run-time settings", () => {
  it("autoProvision is a boolean", () => {
    expect(resolve(withPlans((p) => (p.autoProvision = "yes")))).toThrow('args.usagePlans.autoProvision must be true or false (got "yes")');
    expect(resolve(withPlans((p) => (p.autoProvision = null)))).toThrow("args.usagePlans.autoProvision must be true or false (got null)");
  });

  it.each([
    ["maxProvisionedKeys", 0, 10_000],
    ["provisionTimeoutMs", 10, 10_000],
    ["retryAfterSeconds", 1, 3_600],
    ["retiredKeyGraceSeconds", 0, 86_400],
  ] as const)("%s is a whole number from %i to %i", (setting, min, max) => {
    for (const bad of [min - 1, max + 1, min + 0.5, String(min), null]) {
      expect(resolve(withPlans((p) => (p[setting] = bad))), `${setting} = ${bad}`).toThrow(`args.usagePlans.${setting} must be a whole number from ${min} to ${max} (got ${JSON.stringify(bad)})`);
    }
  });

  it("uses exactly the ranges and defaults the authorizer applies to USAGE_PLANS at start-up", async () => {
    const { parseUsagePlans } = await import("../../lambda/usage/usage-plans-config.js");
    const base = { tiers: { free: { usagePlanId: "abc123", poolKey: "p".repeat(20) } } };
    const integers = ["maxProvisionedKeys", "provisionTimeoutMs", "retryAfterSeconds", "retiredKeyGraceSeconds"] as const;
    for (const setting of integers) {
      const { min, max } = USAGE_PLAN_OPTIONS[setting].kind;
      expect(() => parseUsagePlans({ ...base, [setting]: min }), `${setting}=${min}`).not.toThrow();
      expect(() => parseUsagePlans({ ...base, [setting]: max }), `${setting}=${max}`).not.toThrow();
      expect(() => parseUsagePlans({ ...base, [setting]: min - 1 }), `${setting}=${min - 1}`).toThrow(setting);
      expect(() => parseUsagePlans({ ...base, [setting]: max + 1 }), `${setting}=${max + 1}`).toThrow(setting);
    }
    const defaults = parseUsagePlans(base);
    expect({
      autoProvision: defaults.autoProvision,
      maxProvisionedKeys: defaults.maxProvisionedKeys,
      provisionTimeoutMs: defaults.provisionTimeoutMs,
      retryAfterSeconds: defaults.retryAfterSeconds,
      retiredKeyGraceSeconds: defaults.retiredKeyGraceSeconds,
    }).toEqual(Object.fromEntries(Object.entries(USAGE_PLAN_OPTIONS).map(([name, option]) => [name, option.default])));
  });

  it("accepts the tier names the authorizer accepts, and refuses the ones it refuses", async () => {
    const { parseUsagePlans } = await import("../../lambda/usage/usage-plans-config.js");
    const runTime = (name: string) => () => parseUsagePlans({ tiers: { [name]: { usagePlanId: "abc123", poolKey: "p".repeat(20) } } });
    for (const name of ["free", "pro-2", "team_a", "T".repeat(64)]) {
      expect(runTime(name), name).not.toThrow();
      expect(resolve(good({ tiers: { [name]: {} } })), name).not.toThrow();
    }
    for (const name of ["free tier", "pro.2", "T".repeat(65), "é"]) {
      expect(runTime(name), name).toThrow("is not a tier name");
      expect(resolve(good({ tiers: { [name]: {} } })), name).toThrow("is not a tier name");
    }
  });

  it("a tier change's old key outlives the answers API Gateway has cached", () => {
    expect(() => validate.resolveSettings({ ...withPlans((p) => Object.assign(p, { autoProvision: true, retiredKeyGraceSeconds: 60 })), authorizerResultTtlSeconds: 300 })).toThrow(
      "args.usagePlans.retiredKeyGraceSeconds is 60, below authorizerResultTtlSeconds (300): a user whose tier changed would get 403 while cached answers still name their deleted old key",
    );
    // Without autoProvision there are no tier changes at run time.
    expect(() => validate.resolveSettings({ ...withPlans((p) => (p.retiredKeyGraceSeconds = 60)), authorizerResultTtlSeconds: 300 })).not.toThrow();
    expect(() => validate.resolveSettings({ ...withPlans((p) => Object.assign(p, { autoProvision: true, retiredKeyGraceSeconds: 300 })), authorizerResultTtlSeconds: 300 })).not.toThrow();
  });
});

describe("API Gateway's 10,000 keys per account and Region", () => {
  const users = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`kp_${i.toString(16)}`, "free"]));

  it("pool keys, fixed users and maxProvisionedKeys together stay within it", () => {
    expect(resolve(withPlans((p) => Object.assign(p, { autoProvision: true, maxProvisionedKeys: 10_000 })))).toThrow(
      "args.usagePlans.maxProvisionedKeys leaves too few API keys: 2 pool key(s), 0 fixed user(s) and maxProvisionedKeys 10000 make 10002, and API Gateway allows 10000 per account and Region (a hard cap AWS does not raise)",
    );
    expect(resolve(withPlans((p) => Object.assign(p, { autoProvision: true, maxProvisionedKeys: 9_000, users: users(999) })))).toThrow(
      "args.usagePlans.maxProvisionedKeys leaves too few API keys: 2 pool key(s), 999 fixed user(s) and maxProvisionedKeys 9000 make 10001",
    );
    expect(resolve(withPlans((p) => Object.assign(p, { autoProvision: true, maxProvisionedKeys: 9_000, users: users(998) })))).not.toThrow();
  });

  it("without autoProvision, maxProvisionedKeys is not spent; the fixed users alone must fit", () => {
    expect(resolve(withPlans((p) => Object.assign(p, { maxProvisionedKeys: 10_000, users: users(9_998) })))).not.toThrow();
    expect(resolve(withPlans((p) => (p.users = users(9_999))))).toThrow("args.usagePlans.users leaves too few API keys: 2 pool key(s), 9999 fixed user(s) make 10001");
  });
});

describe("how the plans fit the APIs", () => {
  it("every API names the stages the plans cover", () => {
    expect(resolve({ ...good(), apis: [{ restApiId: "a1b2c3d4e5" }] })).toThrow("args.apis[0].stageNames is empty: with usagePlans, name the stages the plans cover");
    expect(resolve({ ...good(), apis: [{ restApiId: "a1b2c3d4e5", stageNames: ["prod"] }, { restApiId: "f6g7h8i9j0", stageNames: [] }] })).toThrow("args.apis[1].stageNames is empty");
  });

  it("at least one API, even with openApi", () => {
    expect(resolve({ ...good(), apis: [], openApi: true })).toThrow("args.apis is empty, and usagePlans needs at least one REST API whose stages its plans cover");
  });

  it("an API of this program comes with deployStages, and only such an API", () => {
    const api = new aws.apigateway.RestApi("checked-only", { apiKeySource: "AUTHORIZER" });
    expect(resolve({ ...good(), apis: [{ name: "own", restApi: api, stageNames: ["prod"] }] })).toThrow(
      "args.apis[0].deployStages is required with usagePlans for a restApi of this program: the plans name its stages, which must exist before the plans and cannot exist before the authorizer",
    );
    expect(resolve({ ...good(), apis: [{ name: "own", restApi: api, stageNames: ["prod"], deployStages: "prod" as never }] })).toThrow(
      "args.apis[0].deployStages must be a function that creates the API's stages and returns them",
    );
    expect(resolve({ ...good(), apis: [{ restApiId: "a1b2c3d4e5", stageNames: ["prod"], deployStages: (() => []) as never }] })).toThrow(
      "args.apis[0].deployStages is only for a restApi of this program",
    );
    expect(resolve({ ...good(), apis: [{ name: "own", restApi: api, stageNames: ["prod"], deployStages: () => [] }] })).not.toThrow();
  });

  it("USAGE_PLANS fits the function's 4 KB of environment", () => {
    const tierScopes = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`plan:a-rather-long-scope-name-${i}`, "pro"]));
    expect(resolve(withPlans((p) => (p.tierScopes = tierScopes)))).toThrow(/^args\.usagePlans makes the function's environment about \d+ bytes \(USAGE_PLANS alone \d+\); Lambda allows 4096/);
    expect(resolve(withPlans((p) => (p.tierScopes = Object.fromEntries(Object.entries(tierScopes).slice(0, 10)))))).not.toThrow();
  });
});

describe("through the component", () => {
  it("a bad setting throws before the component registers anything, as a RunError naming the setting", () => {
    let error: unknown;
    try {
      new UserKeyAuthorizer("keys", withPlans((p) => (p.tiers.free.quota.period = "YEAR")));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(validate.InvalidSettingError);
    expect((error as InstanceType<typeof validate.InvalidSettingError>).setting).toBe("args.usagePlans.tiers.free.quota.period");
  });

  it("nothing but the RestApi built by a test was registered", async () => {
    await registrationsSettled();
    expect(program.resources.map((r) => r.type)).toEqual(["aws:apigateway/restApi:RestApi"]);
  });
});
