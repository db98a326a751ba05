import { beforeAll, describe, expect, it } from "vitest";
import { mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

// The stack program with its demo API and access logs on, the account's CloudWatch role created.

let program: MockedProgram;
let outputs: Record<string, unknown>;
let ACCESS_LOG_FORMAT: string;

beforeAll(async () => {
  program = await mockPulumi({
    config: {
      "keygate:kindeDomain": "acme.kinde.com",
      "keygate:kindeApiIds": "api_0123456789abcdef0123456789abcdef",
      "keygate:kindeClientId": "stack-client-id",
      "keygate:kindeClientSecret": "stack-client-secret-5b9e",
      "keygate:accessLogs": "true",
      "keygate:accessLogCloudWatchRole": "create",
      "keygate:accessLogRetentionDays": "30",
    },
  });
  // Imported after the mocks, which is when Pulumi reads the stack's config.
  ({ ACCESS_LOG_FORMAT } = await import("../../infra/access-logs.js"));
  const stack = await import("../../infra/stack.js");
  outputs = stack.default as unknown as Record<string, unknown>;
  await registrationsSettled();
});

describe("the stack with keygate:accessLogs", () => {
  it("turns on the demo stage's access logs, to the component's log group, in Keygate's format", () => {
    const group = program.one("aws:cloudwatch/logGroup:LogGroup", "keygate-access");
    expect(group.inputs.retentionInDays).toBe(30);
    expect(program.one("aws:apigateway/stage:Stage", "keygate-demo-stage").inputs.accessLogSettings).toEqual({ destinationArn: group.state.arn, format: ACCESS_LOG_FORMAT });
    expect(program.one("aws:apigateway/account:Account").inputs.cloudwatchRoleArn).toBe(program.one("aws:iam/role:Role", "keygate-apigateway-cloudwatch").state.arn);
  });

  it("exports the access log group and the settings for stages defined elsewhere", async () => {
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(["accessLogGroupName", "accessLogSettings"]));
    const group = program.one("aws:cloudwatch/logGroup:LogGroup", "keygate-access");
    expect(await valueOf(outputs.accessLogGroupName as import("@pulumi/pulumi").Output<string>)).toBe(group.state.name);
    expect(await valueOf(outputs.accessLogSettings as import("@pulumi/pulumi").Output<unknown>)).toEqual({ destinationArn: group.state.arn, format: ACCESS_LOG_FORMAT });
  });
});
