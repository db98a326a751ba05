import { beforeAll, describe, expect, it } from "vitest";
import { registeredUrns } from "./support/mock-monitor";
import { mockApiKeyValue, mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

// The stack program with keygate:usagePlans and no REST API of its own: the demo API is metered.

const USAGE_PLANS = {
  tiers: {
    free: { throttle: { rateLimit: 1, burstLimit: 2 }, quota: { limit: 100, period: "DAY" } },
    pro: { throttle: { rateLimit: 10, burstLimit: 20 }, quota: { limit: 10_000, period: "MONTH" } },
  },
  defaultTier: "free",
  tierScopes: { "plan:pro": "pro" },
  users: { kp_0a1b2c3d: "pro" },
  autoProvision: true,
  maxProvisionedKeys: 1_000,
};

let program: MockedProgram;
let outputs: Record<string, unknown>;

beforeAll(async () => {
  program = await mockPulumi({
    config: {
      "keygate:kindeDomain": "https://acme.kinde.com",
      "keygate:kindeApiIds": "api_0123456789abcdef0123456789abcdef",
      "keygate:kindeClientId": "client-id",
      "keygate:kindeClientSecret": "client-secret",
      "keygate:usagePlans": JSON.stringify(USAGE_PLANS),
    },
  });
  outputs = (await import("../../infra/stack.js")).default as unknown as Record<string, unknown>;
  await valueOf(outputs.usagePlanIds as never);
  await registrationsSettled();
});

const plan = (tier: string) => program.one("aws:apigateway/usagePlan:UsagePlan", `keygate-plan-${tier}`);

describe("the demo API, metered", () => {
  it("takes usage keys from the authorizer (apiKeySource AUTHORIZER), not from a header the caller sends", () => {
    expect(program.one("aws:apigateway/restApi:RestApi", "keygate-demo").inputs.apiKeySource).toBe("AUTHORIZER");
  });

  it("requires a usage key on GET /whoami", () => {
    expect(program.one("aws:apigateway/method:Method").inputs).toMatchObject({ httpMethod: "GET", authorization: "CUSTOM", apiKeyRequired: true });
  });

  it("redeploys when either of those changes, or the authorizer's URI or TTL: all are in the deployment's trigger", async () => {
    const { deploymentFingerprint, WHOAMI_TEMPLATE } = await import("../../infra/demo-api.js");
    const { GATEWAY_RESPONSES } = await import("../../infra/gateway-responses.js");
    const id = (type: string) => program.one(`aws:apigateway/${type}`).id;
    const responseUrns = ["unauthorized", "access-denied", "authorizer-failure", "authorizer-configuration-error"].map(
      (suffix) => registeredUrns().find((urn) => urn.endsWith(`::keygate-demo-${suffix}`))!,
    );
    const parts = (apiKeyRequired: boolean, apiKeySource: string | undefined) => [
      WHOAMI_TEMPLATE,
      JSON.stringify(GATEWAY_RESPONSES),
      id("resource:Resource"),
      id("method:Method"),
      id("integration:Integration"),
      id("integrationResponse:IntegrationResponse"),
      id("authorizer:Authorizer"),
      program.one("aws:apigateway/authorizer:Authorizer").inputs.authorizerUri,
      300,
      apiKeyRequired,
      apiKeySource,
      ...responseUrns,
    ];
    const trigger = (program.one("aws:apigateway/deployment:Deployment").inputs.triggers as Record<string, string>).redeployment;
    expect(trigger).toBe(deploymentFingerprint(parts(true, "AUTHORIZER")));
    expect(trigger).not.toBe(deploymentFingerprint(parts(false, "AUTHORIZER")));
    expect(trigger).not.toBe(deploymentFingerprint(parts(true, undefined)));
  });

  it("is covered, at its demo stage, by each tier's plan, which waits for that stage", () => {
    const api = program.one("aws:apigateway/restApi:RestApi", "keygate-demo");
    for (const tier of ["free", "pro"]) expect(plan(tier).inputs.apiStages).toEqual([{ apiId: api.id, stage: "demo" }]);
    expect(plan("free").inputs.quotaSettings).toEqual({ limit: 100, period: "DAY" });
    expect(plan("pro").inputs.throttleSettings).toEqual({ rateLimit: 10, burstLimit: 20 });
  });
});

describe("the stack's usage keys", () => {
  it("a pool key per tier and the fixed user's key, each in its plan, and the user's mapping item", () => {
    expect(program.all("aws:apigateway/apiKey:ApiKey").map((key) => key.name).sort()).toEqual(["keygate-pool-free", "keygate-pool-pro", "keygate-user-kp_0a1b2c3d"]);
    expect(program.one("aws:apigateway/apiKey:ApiKey", "keygate-user-kp_0a1b2c3d").inputs.name).toBe("keygate-kp_0a1b2c3d");
    expect(program.one("aws:apigateway/usagePlanKey:UsagePlanKey", "keygate-user-kp_0a1b2c3d").inputs.usagePlanId).toBe(plan("pro").id);
    expect(program.one("aws:dynamodb/tableItem:TableItem", "keygate-user-kp_0a1b2c3d").inputs.tableName).toBe(program.one("aws:dynamodb/table:Table").state.name);
  });

  it("the function gets USAGE_PLANS with both tiers, and the role may provision keys", () => {
    const environment = program.one("aws:lambda/function:Function").inputs.environment as { value: { variables: Record<string, string> } };
    const usagePlans = JSON.parse(environment.value.variables.USAGE_PLANS!) as { tiers: Record<string, unknown>; autoProvision: boolean; maxProvisionedKeys: number };
    expect(usagePlans.tiers).toEqual({
      free: { usagePlanId: plan("free").id, poolKey: mockApiKeyValue("keygate-pool-free") },
      pro: { usagePlanId: plan("pro").id, poolKey: mockApiKeyValue("keygate-pool-pro") },
    });
    expect(usagePlans).toMatchObject({ autoProvision: true, maxProvisionedKeys: 1_000 });
    const policy = JSON.parse(String(program.one("aws:iam/rolePolicy:RolePolicy").inputs.policy)) as { Statement: { Sid: string }[] };
    expect(policy.Statement.map((s) => s.Sid)).toEqual(["CacheTableItems", "ReadKindeClientSecret", "WriteAuditLog", "CreateUsageKeys", "TagUsageKeysOnCreate", "DeleteUsageKeys", "AddUsageKeysToTierPlans", "UsageKeyMappings"]);
  });

  it("exports each tier's plan id, and no key value", async () => {
    expect(Object.keys(outputs).sort()).toEqual(["apis", "auditLogGroupName", "authorizerIds", "dashboardUrl", "demoUrl", "functionArn", "functionName", "secretArn", "tableName", "usagePlanIds"]);
    expect(await valueOf(outputs.usagePlanIds as never)).toEqual({ free: plan("free").id, pro: plan("pro").id });
    const values = await Promise.all(
      Object.values(outputs).map((value) => (Array.isArray(value) ? Promise.all(value.map((item) => valueOf(item as never))) : valueOf(value as never))),
    );
    for (const key of program.all("aws:apigateway/apiKey:ApiKey")) expect(JSON.stringify(values)).not.toContain(mockApiKeyValue(key.name));
  });
});
