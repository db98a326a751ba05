import { beforeAll, describe, expect, it } from "vitest";
import { MOCK_PARTITION, MOCK_REGION, mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

// What usage plans add to the authorizer's role, read statement by statement: two components in
// one program, one provisioning keys at run time and one with fixed users only.

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

let program: MockedProgram;
const BASE = ["CacheTableItems", "ReadKindeClientSecret", "WriteAuditLog"];

beforeAll(async () => {
  program = await mockPulumi();
  const { UserKeyAuthorizer } = await import("../../infra/user-key-authorizer.js");
  const common = {
    kinde: { domain: "https://acme.kinde.com", clientId: "client-id", clientSecret: "client-secret", apiIds: ["api_0123456789abcdef0123456789abcdef"] },
  };
  const auto = new UserKeyAuthorizer("auto", {
    ...common,
    apis: [{ restApiId: "a1b2c3d4e5", stageNames: ["prod"] }],
    usagePlans: {
      tiers: { free: { throttle: { rateLimit: 5, burstLimit: 10 } }, pro: { throttle: { rateLimit: 50, burstLimit: 100 } } },
      defaultTier: "free",
      users: { kp_0a1b2c3d: "pro" },
      autoProvision: true,
    },
  });
  const fixed = new UserKeyAuthorizer("fixed", {
    ...common,
    apis: [{ restApiId: "f6g7h8i9j0", stageNames: ["prod"] }],
    usagePlans: { tiers: { free: { quota: { limit: 100, period: "DAY" } } }, users: { kp_0a1b2c3d: "free" } },
  });
  await Promise.all([valueOf(auto.usagePlanIds!), valueOf(fixed.usagePlanIds!)]);
  await registrationsSettled();
});

const statements = (component: string) => (JSON.parse(String(program.one("aws:iam/rolePolicy:RolePolicy", `${component}-authorizer`).inputs.policy)) as { Statement: Statement[] }).Statement;
const bySid = (component: string, sid: string) => statements(component).find((statement) => statement.Sid === sid)!;
const planId = (component: string, tier: string) => program.one("aws:apigateway/usagePlan:UsagePlan", `${component}-plan-${tier}`).id;
const tableArn = (component: string) => program.one("aws:dynamodb/table:Table", `${component}-cache`).state.arn;
const apigateway = `arn:${MOCK_PARTITION}:apigateway:${MOCK_REGION}::`;
/** The value of every key's `keygate:stack` tag: the authorizer function's name, unique per account and Region. */
const stackOf = (component: string) => String(program.one("aws:lambda/function:Function", `${component}-authorizer`).inputs.name);
const requestTagCondition = (component: string) => ({
  StringEquals: { "aws:RequestTag/keygate:stack": stackOf(component), "aws:RequestTag/keygate:created-by": "authorizer" },
  "ForAllValues:StringEquals": { "aws:TagKeys": ["keygate:stack", "keygate:created-by"] },
});

describe("with autoProvision, the role gains exactly the statements of lambda/usage/iam-statements.ts", () => {
  it("five of them, after the three it always has, all Allow", () => {
    expect(statements("auto").map((s) => s.Sid)).toEqual([...BASE, "CreateUsageKeys", "TagUsageKeysOnCreate", "DeleteUsageKeys", "AddUsageKeysToTierPlans", "UsageKeyMappings"]);
    expect(statements("auto").every((s) => s.Effect === "Allow")).toBe(true);
  });

  it("CreateApiKey: POST on the account's key collection, only with exactly this deployment's authorizer tags", () => {
    expect(bySid("auto", "CreateUsageKeys")).toEqual({
      Sid: "CreateUsageKeys",
      Effect: "Allow",
      Action: ["apigateway:POST"],
      Resource: [`${apigateway}/apikeys`],
      Condition: requestTagCondition("auto"),
    });
  });

  it("tags on CreateApiKey: PUT on the tags of a key being created (one character where the id would be), with the same tags", () => {
    const statement = bySid("auto", "TagUsageKeysOnCreate");
    expect(statement).toEqual({
      Sid: "TagUsageKeysOnCreate",
      Effect: "Allow",
      Action: ["apigateway:PUT"],
      Resource: [`${apigateway}/tags/arn%3A${MOCK_PARTITION}%3Aapigateway%3A${MOCK_REGION}%3A%3A%2Fapikeys%2F?`],
      Condition: requestTagCondition("auto"),
    });
    // IAM's "?" is one character: the wildcard ARN of a key being created matches, an existing key's does not.
    const pattern = new RegExp(`^${String([statement.Resource].flat()[0]).replace(/[.%]/g, "\\$&").replace(/\?/g, ".")}$`);
    const tagsArn = (keyPath: string) => `${apigateway}/tags/${encodeURIComponent(`${apigateway}/apikeys/${keyPath}`)}`;
    expect(pattern.test(tagsArn("*"))).toBe(true);
    expect(pattern.test(tagsArn("a1b2c3d4e5"))).toBe(false);
  });

  it("DeleteApiKey: DELETE on keys, only those carrying this deployment's stack tag and created by the authorizer", () => {
    expect(bySid("auto", "DeleteUsageKeys")).toEqual({
      Sid: "DeleteUsageKeys",
      Effect: "Allow",
      Action: ["apigateway:DELETE"],
      Resource: [`${apigateway}/apikeys/*`],
      Condition: { StringEquals: { "aws:ResourceTag/keygate:stack": stackOf("auto"), "aws:ResourceTag/keygate:created-by": "authorizer" } },
    });
  });

  it("the function is told the tags to put on the keys it creates, and Pulumi's keys carry the stack with created-by pulumi", () => {
    // The environment arrives as one secret (it holds the pool keys): the SDK wraps the whole property.
    const variables = (program.one("aws:lambda/function:Function", "auto-authorizer").inputs.environment as { value: { variables: Record<string, string> } }).value.variables;
    expect(variables.KEYGATE_STACK_TAG).toBe(stackOf("auto"));
    expect(stackOf("auto")).toMatch(/^auto-authorizer-[0-9a-f]{8}$/);
    for (const name of ["auto-pool-free", "auto-pool-pro", "auto-user-kp_0a1b2c3d"]) {
      expect(program.one("aws:apigateway/apiKey:ApiKey", name).inputs.tags, name).toEqual({ "keygate:stack": stackOf("auto"), "keygate:created-by": "pulumi" });
    }
    expect(program.one("aws:apigateway/apiKey:ApiKey", "fixed-pool-free").inputs.tags).toEqual({ "keygate:stack": stackOf("fixed"), "keygate:created-by": "pulumi" });
  });

  it("CreateUsagePlanKey: POST on the keys of this component's tier plans, one resource per plan", () => {
    expect(bySid("auto", "AddUsageKeysToTierPlans")).toEqual({
      Sid: "AddUsageKeysToTierPlans",
      Effect: "Allow",
      Action: ["apigateway:POST"],
      Resource: [`${apigateway}/usageplans/${planId("auto", "free")}/keys`, `${apigateway}/usageplans/${planId("auto", "pro")}/keys`],
    });
  });

  it("mapping items and the key counter: GetItem, PutItem and UpdateItem on its own cache table", () => {
    expect(bySid("auto", "UsageKeyMappings")).toEqual({
      Sid: "UsageKeyMappings",
      Effect: "Allow",
      Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
      Resource: [tableArn("auto")],
    });
  });

  it("equal to what usageProvisioningStatements() returns for these plans and this table", async () => {
    const { usageProvisioningStatements } = await import("../../lambda/usage/iam-statements.js");
    const expected = usageProvisioningStatements({ partition: MOCK_PARTITION, region: MOCK_REGION, usagePlanIds: [planId("auto", "free"), planId("auto", "pro")], cacheTableArn: String(tableArn("auto")), stackTag: stackOf("auto") });
    expect(statements("auto").slice(BASE.length)).toEqual(expected);
  });

  it("and no apigateway:GET or PATCH, PUT only for tags on creation, and no usage-plan key deletion", () => {
    const actions = statements("auto").flatMap((s) => [s.Action].flat());
    expect(actions.filter((action) => action.startsWith("apigateway:")).sort()).toEqual(["apigateway:DELETE", "apigateway:POST", "apigateway:POST", "apigateway:PUT"]);
    const resources = statements("auto").flatMap((s) => [s.Resource ?? []].flat());
    expect(resources.filter((resource) => resource.includes("/usageplans/") && !resource.endsWith("/keys"))).toEqual([]);
  });

  it("its base statements are unchanged", () => {
    expect(bySid("auto", "CacheTableItems")).toEqual({ Sid: "CacheTableItems", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: tableArn("auto") });
  });
});

describe("without autoProvision", () => {
  it("the role gains nothing: fixed users' items are read with GetItem, which the cache statement grants already", () => {
    expect(statements("fixed").map((s) => s.Sid)).toEqual(BASE);
    expect(bySid("fixed", "CacheTableItems")).toEqual({ Sid: "CacheTableItems", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: tableArn("fixed") });
    expect(JSON.stringify(statements("fixed"))).not.toContain("apigateway");
  });

  it("the role's description says what it reaches", () => {
    expect(program.one("aws:iam/role:Role", "fixed-authorizer").inputs.description).toBe("Keygate authorizer: its cache table, its client secret and its audit log only");
    expect(program.one("aws:iam/role:Role", "auto-authorizer").inputs.description).toBe(
      "Keygate authorizer: its cache table, its client secret, its audit log and its tiers' usage keys only",
    );
  });
});
