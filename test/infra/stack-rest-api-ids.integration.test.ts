import { beforeAll, describe, expect, it } from "vitest";
import { MOCK_ACCOUNT, MOCK_REGION, mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

// The stack program with restApiIds: it attaches to those APIs and creates no API of its own.

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
      "keygate:stageNames": '["prod"]',
      "keygate:authorizerResultTtlSeconds": "0",
    },
  });
  outputs = (await import("../../infra/stack.js")).default as unknown as Record<string, unknown>;
  await registrationsSettled();
});

describe("the stack with restApiIds", () => {
  it("creates no REST API, route, deployment or stage", () => {
    for (const type of ["restApi:RestApi", "resource:Resource", "method:Method", "integration:Integration", "deployment:Deployment", "stage:Stage"]) {
      expect(program.all(`aws:apigateway/${type}`), type).toEqual([]);
    }
    expect(program.all("keygate:index:DemoWhoamiRoute")).toEqual([]);
  });

  it("attaches an authorizer, a permission and the gateway responses to each API, named after its id", () => {
    for (const id of ["a1b2c3d4e5", "f6g7h8i9j0"]) {
      const authorizer = program.one("aws:apigateway/authorizer:Authorizer", `keygate-${id}-authorizer`);
      expect(authorizer.inputs).toMatchObject({ restApi: id, authorizerResultTtlInSeconds: 0, identitySource: "method.request.header.Authorization" });
      expect(program.one("aws:lambda/permission:Permission", `keygate-${id}-invoke`).inputs.sourceArn).toBe(`arn:aws:execute-api:${MOCK_REGION}:${MOCK_ACCOUNT}:${id}/authorizers/${authorizer.id}`);
      expect(program.all("aws:apigateway/response:Response").filter((r) => r.inputs.restApiId === id).map((r) => r.inputs.responseType).sort()).toEqual([
        "ACCESS_DENIED",
        "AUTHORIZER_CONFIGURATION_ERROR",
        "AUTHORIZER_FAILURE",
        "UNAUTHORIZED",
      ]);
    }
  });

  it("reports each API's authorizer id and stages, and no demo URL", async () => {
    expect(outputs.demoUrl).toBeUndefined();
    const authorizerId = (id: string) => program.one("aws:apigateway/authorizer:Authorizer", `keygate-${id}-authorizer`).id;
    expect(await valueOf(outputs.apis as never)).toEqual([
      { name: "a1b2c3d4e5", restApiId: "a1b2c3d4e5", authorizerId: authorizerId("a1b2c3d4e5"), stageNames: ["prod"] },
      { name: "f6g7h8i9j0", restApiId: "f6g7h8i9j0", authorizerId: authorizerId("f6g7h8i9j0"), stageNames: ["prod"] },
    ]);
  });
});
