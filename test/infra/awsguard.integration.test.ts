import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import { runPolicies, type Policy, type PolicyRun } from "./support/policy-runner";
import { mockPulumi, registrationsSettled, type MockedProgram } from "./support/pulumi-mocks";

/*
 * Pulumi's AWSGuard rules (@pulumi/awsguard 0.3), run on the whole demo stack. The package's rules
 * are plain @pulumi/policy policies and match resources by type token, which has not changed
 * between the @pulumi/aws 4 it was built against and the 7 used here, so they apply as written.
 * They are exported at run time but marked @internal in its type declarations, hence the loading
 * through require below.
 */

const AREAS = ["apiGateway", "compute", "database", "elasticsearch", "network", "security", "storage"] as const;

function awsGuardPolicies(): Policy[] {
  // Its security rules load the AWS SDK v2, which prints an end-of-support notice unless told not to.
  process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";
  const load = createRequire(__filename);
  return AREAS.flatMap((area) =>
    Object.values(load(`@pulumi/awsguard/${area}`) as Record<string, unknown>).filter(
      (value): value is Policy => typeof value === "object" && value !== null && "name" in value && ("validateResource" in value || "validateStack" in value),
    ),
  );
}

/**
 * Rules the stack deliberately does not follow, each with the reason (repeated in the README).
 * The test fails if one of these stops being reported, as much as if a new one appears.
 */
const NOT_FOLLOWED: Record<string, string> = {
  "apigateway-stage-cached":
    "The demo stage has no response cache: /whoami answers differently per key, and a stage cache keyed on the path would serve one user's answer to another. A cache cluster also costs money for a demo.",
};

/** Rules configured rather than ignored. */
const CONFIGURATION = {
  // The default allows only EDGE endpoints; the demo API is REGIONAL (no CloudFront distribution in front of a demo).
  "apigateway-endpoint-type": { allowEdge: true, allowRegional: true, allowPrivate: false },
};

let program: MockedProgram;
let result: PolicyRun;
let policies: Policy[];

beforeAll(async () => {
  program = await mockPulumi({
    config: { "keygate:kindeDomain": "https://acme.kinde.com", "keygate:kindeApiIds": "api_0123456789abcdef0123456789abcdef", "keygate:kindeClientId": "id", "keygate:kindeClientSecret": "secret" },
  });
  await import("../../infra/stack.js");
  await registrationsSettled();
  policies = awsGuardPolicies();
  result = await runPolicies(policies, program.resources, CONFIGURATION);
});

describe("AWSGuard on the stack", () => {
  it("loads every AWSGuard rule", () => {
    expect(policies.length).toBeGreaterThanOrEqual(25);
    expect(policies.map((policy) => policy.name)).toEqual(expect.arrayContaining(["apigateway-endpoint-type", "apigateway-stage-cached", "dynamodb-table-encryption-enabled"]));
  });

  it("applies its rules to the stack's resources (so a pass means something)", () => {
    expect([...result.applied].sort()).toEqual(["apigateway-endpoint-type", "apigateway-stage-cached", "dynamodb-table-encryption-enabled"]);
  });

  it("reports nothing but the rules deliberately not followed", () => {
    expect(result.violations).toEqual([
      { policy: "apigateway-stage-cached", resource: "keygate-demo-stage", message: "API Gateway Stage 'demo' must have a cache cluster enabled." },
    ]);
    expect([...new Set(result.violations.map((violation) => violation.policy))].sort()).toEqual(Object.keys(NOT_FOLLOWED).sort());
  });

  it("with its default configuration, would also flag the demo API's REGIONAL endpoint", async () => {
    const strict = await runPolicies(policies.filter((policy) => policy.name === "apigateway-endpoint-type"), program.resources);
    expect(strict.violations.map((violation) => violation.resource)).toEqual(["keygate-demo"]);
  });

  it("would catch a table with encryption switched off (the rules really run)", async () => {
    const table = program.one("aws:dynamodb/table:Table");
    const unencrypted = { ...table, inputs: { ...table.inputs, serverSideEncryption: { enabled: false } } };
    const run = await runPolicies(policies.filter((policy) => policy.name === "dynamodb-table-encryption-enabled"), [unencrypted]);
    expect(run.violations).toEqual([{ policy: "dynamodb-table-encryption-enabled", resource: "keygate-cache", message: "DynamoDB must have server side encryption enabled." }]);
  });
});
