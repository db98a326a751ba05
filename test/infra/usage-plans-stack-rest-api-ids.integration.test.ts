import { beforeAll, describe, expect, it } from "vitest";
import { mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

// The stack program with keygate:usagePlans and REST APIs named by id: tier-level plans only
// (autoProvision off), on every stage of every API.

let program: MockedProgram;
let outputs: Record<string, unknown>;

beforeAll(async () => {
  program = await mockPulumi({
    config: {
      "keygate:kindeDomain": "https://acme.kinde.com",
      "keygate:kindeApiIds": "api_0123456789abcdef0123456789abcdef",
      "keygate:kindeClientId": "client-id",
      "keygate:kindeClientSecret": "client-secret",
      "keygate:restApiIds": '["a1b2c3d4e5","f6g7h8i9j0"]',
      "keygate:stageNames": '["prod","staging"]',
      // As `pulumi config set --path` may leave it: scalars as strings.
      "keygate:usagePlans": JSON.stringify({ tiers: { basic: { throttle: { rateLimit: "20", burstLimit: "40" }, quota: { limit: "50000", period: "week" } } } }),
    },
  });
  outputs = (await import("../../infra/stack.js")).default as unknown as Record<string, unknown>;
  await valueOf(outputs.usagePlanIds as never);
  await registrationsSettled();
});

describe("the stack with restApiIds and usage plans", () => {
  it("creates one plan covering each named stage of each API, and no API of its own", () => {
    const plan = program.one("aws:apigateway/usagePlan:UsagePlan", "keygate-plan-basic");
    expect(plan.inputs.apiStages).toEqual([
      { apiId: "a1b2c3d4e5", stage: "prod" },
      { apiId: "a1b2c3d4e5", stage: "staging" },
      { apiId: "f6g7h8i9j0", stage: "prod" },
      { apiId: "f6g7h8i9j0", stage: "staging" },
    ]);
    expect(plan.inputs.throttleSettings).toEqual({ rateLimit: 20, burstLimit: 40 });
    expect(plan.inputs.quotaSettings).toEqual({ limit: 50_000, period: "WEEK" });
    expect(program.all("aws:apigateway/restApi:RestApi")).toEqual([]);
    expect(program.all("aws:apigateway/stage:Stage")).toEqual([]);
  });

  it("with one pool key in it, and no user key, item or provisioning permission", () => {
    expect(program.all("aws:apigateway/apiKey:ApiKey").map((key) => key.name)).toEqual(["keygate-pool-basic"]);
    expect(program.all("aws:dynamodb/tableItem:TableItem")).toEqual([]);
    const policy = JSON.parse(String(program.one("aws:iam/rolePolicy:RolePolicy").inputs.policy)) as { Statement: { Sid: string }[] };
    expect(policy.Statement.map((s) => s.Sid)).toEqual(["CacheTableItems", "ReadKindeClientSecret", "WriteAuditLog"]);
  });

  it("tells the function to serve the pool key, with provisioning off", () => {
    const environment = program.one("aws:lambda/function:Function").inputs.environment as { value: { variables: Record<string, string> } };
    expect(JSON.parse(environment.value.variables.USAGE_PLANS!)).toMatchObject({ defaultTier: "basic", tierScopes: {}, autoProvision: false });
  });

  it("exports the plan id", async () => {
    expect(await valueOf(outputs.usagePlanIds as never)).toEqual({ basic: program.one("aws:apigateway/usagePlan:UsagePlan").id });
  });
});
