import * as aws from "@pulumi/aws";
import { beforeAll, describe, expect, it } from "vitest";
import type { AttachedApi } from "../../infra/args";
import { registeredOutputs } from "./support/mock-monitor";
import { mockApiKeyValue, mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

// One program: a component with three tiers and fixed users, protecting an API of the program
// (deployed through deployStages) and one named by id with two stages.

// How the SDK marks a secret value on the wire (and what mocks receive).
const SECRET_SIGNATURE = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
type Secret = typeof SECRET_SIGNATURE & { value: string };
const isSecret = (value: unknown): value is Secret =>
  typeof value === "object" && value !== null && (value as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === SECRET_SIGNATURE["4dabf18193072939515e22adb298388d"];

let program: MockedProgram;
let auth: import("../../infra/user-key-authorizer").UserKeyAuthorizer;
let ordersApi: aws.apigateway.RestApi;
const deployCalls: AttachedApi[] = [];

beforeAll(async () => {
  program = await mockPulumi();
  const { UserKeyAuthorizer } = await import("../../infra/user-key-authorizer.js");
  ordersApi = new aws.apigateway.RestApi("orders-api", { apiKeySource: "AUTHORIZER" });
  auth = new UserKeyAuthorizer("keys", {
    kinde: { domain: "https://acme.kinde.com", clientId: "client-id", clientSecret: "client-secret", apiIds: ["api_0123456789abcdef0123456789abcdef"] },
    allowOrgKeys: true,
    apis: [
      {
        name: "orders",
        restApi: ordersApi,
        stageNames: ["prod"],
        deployStages: (api) => {
          deployCalls.push(api);
          const resource = new aws.apigateway.Resource("orders", { restApi: ordersApi.id, parentId: ordersApi.rootResourceId, pathPart: "orders" });
          const method = new aws.apigateway.Method("orders-post", {
            restApi: ordersApi.id,
            resourceId: resource.id,
            httpMethod: "POST",
            authorization: "CUSTOM",
            authorizerId: api.authorizer.id,
            apiKeyRequired: api.apiKeyRequired,
          });
          const integration = new aws.apigateway.Integration("orders-post", { restApi: ordersApi.id, resourceId: resource.id, httpMethod: method.httpMethod, type: "MOCK" });
          const deployment = new aws.apigateway.Deployment("orders", { restApi: ordersApi.id }, { dependsOn: [method, integration, ...api.gatewayResponses] });
          return [new aws.apigateway.Stage("orders-prod", { restApi: ordersApi.id, deployment: deployment.id, stageName: "prod" })];
        },
      },
      { restApiId: "a1b2c3d4e5", stageNames: ["prod", "staging"] },
    ],
    usagePlans: {
      tiers: {
        free: { throttle: { rateLimit: 5, burstLimit: 10 }, quota: { limit: 10_000, period: "MONTH" } },
        pro: {
          throttle: { rateLimit: 50.5, burstLimit: 100 },
          quota: { limit: 1_000_000, period: "WEEK", offset: 250 },
          methodThrottles: { "/orders/POST": { rateLimit: 1, burstLimit: 2 }, "/*/*": { rateLimit: 40, burstLimit: 80 } },
        },
        internal: {},
      },
      defaultTier: "free",
      tierScopes: { "plan:pro": "pro", "plan:internal": "internal" },
      users: { kp_0a1b2c3d: "pro", kp_9f8e7d6c: "free", "org:org_5e6f": "internal" },
      autoProvision: true,
      maxProvisionedKeys: 5_000,
      provisionTimeoutMs: 800,
      retryAfterSeconds: 60,
      retiredKeyGraceSeconds: 7_200,
    },
  });
  await valueOf(auth.apis);
  await valueOf(auth.usagePlanIds!);
  await registrationsSettled();
});

const plan = (tier: string) => program.one("aws:apigateway/usagePlan:UsagePlan", `keys-plan-${tier}`);
const apiKey = (name: string) => program.one("aws:apigateway/apiKey:ApiKey", name);
/** The function's environment arrives as one secret: the SDK marks the whole property once one value in it is. */
const environment = () => program.one("aws:lambda/function:Function").inputs.environment;
const variables = () => (environment() as Secret & { value: { variables: Record<string, string> } }).value.variables;

describe("one usage plan per tier", () => {
  it("exists for each tier, named after it, and for nothing else", () => {
    expect(program.all("aws:apigateway/usagePlan:UsagePlan").map((p) => p.name).sort()).toEqual(["keys-plan-free", "keys-plan-internal", "keys-plan-pro"]);
  });

  it("carries the tier's throttle and quota, per key", () => {
    expect(plan("free").inputs.throttleSettings).toEqual({ rateLimit: 5, burstLimit: 10 });
    expect(plan("free").inputs.quotaSettings).toEqual({ limit: 10_000, period: "MONTH" });
    expect(plan("pro").inputs.throttleSettings).toEqual({ rateLimit: 50.5, burstLimit: 100 });
    expect(plan("pro").inputs.quotaSettings).toEqual({ limit: 1_000_000, period: "WEEK", offset: 250 });
  });

  it("leaves throttle and quota unset (not empty) for a tier without them", () => {
    expect(Object.keys(plan("internal").inputs)).not.toContain("throttleSettings");
    expect(Object.keys(plan("internal").inputs)).not.toContain("quotaSettings");
  });

  it("covers every protected stage: the program's API's deployed stage and each named stage of the API by id", () => {
    const ordersApiId = program.one("aws:apigateway/restApi:RestApi", "orders-api").id;
    for (const tier of ["free", "internal"]) {
      expect(plan(tier).inputs.apiStages).toEqual([
        { apiId: ordersApiId, stage: "prod" },
        { apiId: "a1b2c3d4e5", stage: "prod" },
        { apiId: "a1b2c3d4e5", stage: "staging" },
      ]);
    }
  });

  it("adds the tier's per-method throttles on each of those stages, keyed as API Gateway keys methods", () => {
    const throttles = [
      { path: "/orders/POST", rateLimit: 1, burstLimit: 2 },
      { path: "/*/*", rateLimit: 40, burstLimit: 80 },
    ];
    const ordersApiId = program.one("aws:apigateway/restApi:RestApi", "orders-api").id;
    expect(plan("pro").inputs.apiStages).toEqual([
      { apiId: ordersApiId, stage: "prod", throttles },
      { apiId: "a1b2c3d4e5", stage: "prod", throttles },
      { apiId: "a1b2c3d4e5", stage: "staging", throttles },
    ]);
  });
});

describe("deploying the program's API between its authorizer and the plans", () => {
  it("calls deployStages once, with that API's authorizer and gateway responses, and apiKeyRequired on", () => {
    expect(deployCalls).toHaveLength(1);
    const call = deployCalls[0]!;
    expect(call.apiKeyRequired).toBe(true);
    expect(call.authorizer).toBe(auth.authorizers[0]);
    expect(call.gatewayResponses).toHaveLength(4);
    expect(call.gatewayResponses.every((response) => auth.gatewayResponses.includes(response))).toBe(true);
    expect(program.one("aws:apigateway/method:Method", "orders-post").inputs.apiKeyRequired).toBe(true);
  });

  it("writes the authorizers' URI from the function's fixed name, so they need not wait for the function", async () => {
    const fn = program.one("aws:lambda/function:Function");
    expect(fn.inputs.name).toMatch(/^keys-authorizer-[0-9a-f]{8}$/);
    const { authorizerFunctionName } = await import("../../infra/authorizer-function.js");
    expect(fn.inputs.name).toBe(authorizerFunctionName("keys", { project: "keygate", stack: "test" }));
    for (const authorizer of program.all("aws:apigateway/authorizer:Authorizer")) {
      // The mocks compute the function's invokeArn the way Lambda reports it.
      expect(authorizer.inputs.authorizerUri).toBe(fn.state.invokeArn);
    }
  });
});

describe("pool keys", () => {
  it("one per tier, enabled, with a value API Gateway generates, described so that nobody takes it for an orphan", () => {
    expect(program.all("aws:apigateway/apiKey:ApiKey").filter((k) => k.name.startsWith("keys-pool-")).map((k) => k.name).sort()).toEqual([
      "keys-pool-free",
      "keys-pool-internal",
      "keys-pool-pro",
    ]);
    const pool = apiKey("keys-pool-pro").inputs;
    expect(pool.enabled).toBe(true);
    expect(pool.value).toBeUndefined();
    expect(pool.description).toBe('Keygate pool key of tier "pro": shared by its users who have no key of their own yet. Managed by Pulumi; not an orphan.');
  });

  it("each in its own tier's plan", () => {
    for (const tier of ["free", "pro", "internal"]) {
      expect(program.one("aws:apigateway/usagePlanKey:UsagePlanKey", `keys-pool-${tier}`).inputs).toEqual({
        keyId: apiKey(`keys-pool-${tier}`).id,
        keyType: "API_KEY",
        usagePlanId: plan(tier).id,
      });
    }
  });
});

describe("fixed users", () => {
  const users = [
    { userId: "kp_0a1b2c3d", resource: "keys-user-kp_0a1b2c3d", tier: "pro" },
    { userId: "kp_9f8e7d6c", resource: "keys-user-kp_9f8e7d6c", tier: "free" },
    { userId: "org:org_5e6f", resource: "keys-user-org-org_5e6f", tier: "internal" },
  ];

  it("each get an enabled key named keygate-<user id>, as the authorizer names the keys it makes", async () => {
    for (const { userId, resource } of users) {
      expect(apiKey(resource).inputs).toEqual({
        name: `keygate-${userId}`,
        description: `Keygate usage key for ${userId}, a fixed assignment managed by Pulumi`,
        enabled: true,
        // Pulumi's, of this deployment: the authorizer's role cannot delete it (lambda/usage/stack-tag.ts).
        tags: { "keygate:stack": program.one("aws:lambda/function:Function").inputs.name, "keygate:created-by": "pulumi" },
      });
    }
    // The run-time side, asked to provision the same principal, picks the same name.
    const { KeyProvisioner } = await import("../../lambda/usage/key-provisioner.js");
    const { BackgroundWork } = await import("../../lambda/usage/background-work.js");
    const names: string[] = [];
    const provisioner = new KeyProvisioner({
      tiers: { pro: { usagePlanId: "plan1", poolKey: "p".repeat(20) } },
      maxProvisionedKeys: 1,
      retiredKeyGraceMs: 0,
      store: { get: async () => undefined, create: async () => true, replaceKey: async () => true, clearRetired: async () => true },
      counter: { reserve: async () => true, release: async () => undefined },
      api: {
        createKey: async (name) => {
          names.push(name);
          return { id: "key1", value: "v".repeat(40) };
        },
        addToPlan: async () => undefined,
        deleteKey: async () => "deleted" as const,
      },
      events: () => undefined,
      background: new BackgroundWork(),
    });
    await provisioner.provision("kp_0a1b2c3d", "pro");
    const { userKeyName } = await import("../../infra/usage-plans.js");
    expect(names).toEqual([userKeyName("kp_0a1b2c3d")]);
  });

  it("each key is in the user's tier's plan, nowhere else", () => {
    for (const { resource, tier } of users) {
      expect(program.all("aws:apigateway/usagePlanKey:UsagePlanKey").filter((k) => k.inputs.keyId === apiKey(resource).id).map((k) => k.inputs)).toEqual([
        { keyId: apiKey(resource).id, keyType: "API_KEY", usagePlanId: plan(tier).id },
      ]);
    }
  });

  it("each has its mapping item in the cache table: userMappingItemJson's item, fixed, sent as a secret", async () => {
    const { userMappingItemJson } = await import("../../lambda/usage/user-mapping.js");
    const table = program.one("aws:dynamodb/table:Table");
    expect(program.all("aws:dynamodb/tableItem:TableItem").map((item) => item.name).sort()).toEqual(users.map((u) => u.resource).sort());
    for (const { userId, resource, tier } of users) {
      const item = program.one("aws:dynamodb/tableItem:TableItem", resource).inputs;
      expect(item.tableName).toBe(table.state.name);
      expect(item.hashKey).toBe("pk");
      expect(item.rangeKey).toBeUndefined();
      expect(item.item).toEqual({
        ...SECRET_SIGNATURE,
        value: userMappingItemJson({ userId, apiKeyId: apiKey(resource).id, apiKeyValue: mockApiKeyValue(resource), tier, usagePlanId: plan(tier).id, fixed: true }),
      });
    }
  });

  it("and the authorizer reads that item as a fixed assignment, with no timestamp and no expiry", async () => {
    const { decodeUserMapping } = await import("../../lambda/usage/user-mapping.js");
    const { resolveTier } = await import("../../lambda/usage/tier.js");
    const raw = JSON.parse((program.one("aws:dynamodb/tableItem:TableItem", "keys-user-kp_9f8e7d6c").inputs.item as Secret).value) as Record<string, unknown>;
    expect(Object.keys(raw).sort()).toEqual(["apiKeyId", "apiKeyValue", "fixed", "pk", "tier", "usagePlanId"]);
    const mapping = decodeUserMapping(raw as never);
    expect(mapping).toEqual({
      principal: "kp_9f8e7d6c",
      apiKeyId: apiKey("keys-user-kp_9f8e7d6c").id,
      apiKeyValue: mockApiKeyValue("keys-user-kp_9f8e7d6c"),
      tier: "free",
      usagePlanId: plan("free").id,
      fixed: true,
    });
    // A fixed assignment wins over the scopes of the user's key.
    expect(resolveTier(mapping, ["plan:pro"], { tierScopes: [["plan:pro", "pro"]], defaultTier: "free" })).toBe("free");
  });
});

describe("the function's USAGE_PLANS", () => {
  const expected = () =>
    JSON.stringify({
      tiers: {
        free: { usagePlanId: plan("free").id, poolKey: mockApiKeyValue("keys-pool-free") },
        pro: { usagePlanId: plan("pro").id, poolKey: mockApiKeyValue("keys-pool-pro") },
        internal: { usagePlanId: plan("internal").id, poolKey: mockApiKeyValue("keys-pool-internal") },
      },
      defaultTier: "free",
      tierScopes: { "plan:pro": "pro", "plan:internal": "internal" },
      autoProvision: true,
      maxProvisionedKeys: 5_000,
      provisionTimeoutMs: 800,
      retryAfterSeconds: 60,
      retiredKeyGraceSeconds: 7_200,
    });

  it("names each tier's plan id and pool key value, and the run-time settings; sent as a secret", () => {
    expect(isSecret(environment())).toBe(true);
    expect(variables().USAGE_PLANS).toBe(expected());
  });

  it("holds no fixed user: they are items of the cache table", () => {
    const value = variables().USAGE_PLANS!;
    for (const userId of ["kp_0a1b2c3d", "kp_9f8e7d6c", "org_5e6f"]) expect(value).not.toContain(userId);
  });

  it("is accepted by the authorizer's own configuration loader as it is", async () => {
    const { loadConfig } = await import("../../lambda/config.js");
    const config = loadConfig(variables());
    expect(config.usagePlans).toEqual({
      tiers: {
        free: { usagePlanId: plan("free").id, poolKey: mockApiKeyValue("keys-pool-free") },
        pro: { usagePlanId: plan("pro").id, poolKey: mockApiKeyValue("keys-pool-pro") },
        internal: { usagePlanId: plan("internal").id, poolKey: mockApiKeyValue("keys-pool-internal") },
      },
      defaultTier: "free",
      tierScopes: [
        ["plan:pro", "pro"],
        ["plan:internal", "internal"],
      ],
      autoProvision: true,
      maxProvisionedKeys: 5_000,
      provisionTimeoutMs: 800,
      retryAfterSeconds: 60,
      retiredKeyGraceSeconds: 7_200,
    });
  });

  it("leaves the other variables as they were, and gives the function time for the usage-key lookup", () => {
    const fn = program.one("aws:lambda/function:Function").inputs;
    expect(Object.keys(variables()).sort()).toEqual(
      [
        "ACCEPT_KEYS_FOR_ANY_API",
        "ALLOW_ORG_KEYS",
        "CACHE_TABLE_NAME",
        "CACHE_TTL_SECONDS",
        "DYNAMODB_TIMEOUT_MS",
        "FAILED_KEYS_PER_IP_PER_MINUTE",
        "KEYGATE_STACK_TAG",
        "KEY_METADATA_TTL_SECONDS",
        "KINDE_API_IDS",
        "KINDE_DOMAIN",
        "KINDE_M2M_CLIENT_ID",
        "KINDE_M2M_CLIENT_SECRET_ARN",
        "MEMORY_CACHE_MAX_ENTRIES",
        "MEMORY_CACHE_TTL_SECONDS",
        "NEGATIVE_CACHE_TTL_SECONDS",
        "STALE_IF_ERROR_SECONDS",
        "USAGE_PLANS",
        "VERIFY_TIMEOUT_MS",
      ].sort(),
    );
    // 2500 ms for Kinde + 2 x 250 ms for DynamoDB + 800 ms for the usage key + 2 s of slack, rounded up.
    expect(fn.timeout).toBe(6);
  });
});

describe("key values", () => {
  const values = () => program.all("aws:apigateway/apiKey:ApiKey").map((key) => mockApiKeyValue(key.name));

  it("appear in no resource input except the function's environment (in USAGE_PLANS) and the mapping items, and there only as secrets", () => {
    const holders = program.resources.filter((resource) => values().some((value) => JSON.stringify(resource.inputs).includes(value)));
    expect(holders.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "aws:lambda/function:Function keys-authorizer",
        "aws:dynamodb/tableItem:TableItem keys-user-kp_0a1b2c3d",
        "aws:dynamodb/tableItem:TableItem keys-user-kp_9f8e7d6c",
        "aws:dynamodb/tableItem:TableItem keys-user-org-org_5e6f",
      ].sort(),
    );
    expect(isSecret(environment())).toBe(true);
    for (const item of program.all("aws:dynamodb/tableItem:TableItem")) expect(isSecret(item.inputs.item)).toBe(true);
    const others = { ...variables() };
    delete others.USAGE_PLANS;
    expect(values().some((value) => JSON.stringify(others).includes(value))).toBe(false);
  });

  it("appear in none of the component's outputs, which give plan and pool key ids only", async () => {
    expect(await valueOf(auth.usagePlanIds!)).toEqual({ free: plan("free").id, pro: plan("pro").id, internal: plan("internal").id });
    expect(await valueOf(auth.usagePoolKeyIds!)).toEqual({ free: apiKey("keys-pool-free").id, pro: apiKey("keys-pool-pro").id, internal: apiKey("keys-pool-internal").id });
    const outputs = registeredOutputs("keygate:index:UserKeyAuthorizer::keys") as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(["usagePlanIds", "usagePoolKeyIds"]));
    expect(values().some((value) => JSON.stringify(outputs).includes(value))).toBe(false);
  });
});
