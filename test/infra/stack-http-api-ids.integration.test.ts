import { beforeAll, describe, expect, it } from "vitest";
import { MOCK_ACCOUNT, MOCK_REGION, mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

// The stack program with httpApiIds (and route rules): it attaches an HTTP API authorizer to each
// and creates no API of its own.

let program: MockedProgram;
let outputs: Record<string, unknown>;

beforeAll(async () => {
  program = await mockPulumi({
    config: {
      "keygate:kindeDomain": "https://acme.kinde.com",
      "keygate:kindeApiIds": "api_0123456789abcdef0123456789abcdef",
      "keygate:kindeClientId": "client-id",
      "keygate:kindeClientSecret": "client-secret",
      "keygate:httpApiIds": '["f1g2h3i4j5","k1l2m3n4o5"]',
      "keygate:routeScopes": '{"GET /reports/*": "read:reports"}',
      "keygate:authorizerResultTtlSeconds": "60",
    },
  });
  outputs = (await import("../../infra/stack.js")).default as unknown as Record<string, unknown>;
  await registrationsSettled();
});

const authorizer = (id: string) => program.one("aws:apigatewayv2/authorizer:Authorizer", `keygate-${id}-authorizer`);

describe("the stack with httpApiIds", () => {
  it("creates no API, and no REST API authorizer or gateway response", () => {
    for (const type of ["aws:apigateway/restApi:RestApi", "aws:apigatewayv2/api:Api", "aws:apigateway/authorizer:Authorizer", "aws:apigateway/response:Response", "keygate:index:DemoWhoamiRoute"]) {
      expect(program.all(type), type).toEqual([]);
    }
  });

  it("attaches a payload-2.0 authorizer keyed on the key and the route, and a permission through it, to each HTTP API", () => {
    for (const id of ["f1g2h3i4j5", "k1l2m3n4o5"]) {
      expect(authorizer(id).inputs).toMatchObject({
        apiId: id,
        authorizerType: "REQUEST",
        authorizerPayloadFormatVersion: "2.0",
        enableSimpleResponses: true,
        identitySources: ["$request.header.Authorization", "$context.routeKey"],
        authorizerResultTtlInSeconds: 60,
      });
      expect(program.one("aws:lambda/permission:Permission", `keygate-${id}-invoke`).inputs.sourceArn).toBe(`arn:aws:execute-api:${MOCK_REGION}:${MOCK_ACCOUNT}:${id}/authorizers/${authorizer(id).id}`);
    }
  });

  it("exports each HTTP API's authorizer id, no REST API and no demo URL", async () => {
    expect(outputs.demoUrl).toBeUndefined();
    expect(await valueOf(outputs.apis as never)).toEqual([]);
    expect(await valueOf(outputs.httpApis as never)).toEqual([
      { name: "f1g2h3i4j5", apiId: "f1g2h3i4j5", authorizerId: authorizer("f1g2h3i4j5").id },
      { name: "k1l2m3n4o5", apiId: "k1l2m3n4o5", authorizerId: authorizer("k1l2m3n4o5").id },
    ]);
    expect(await Promise.all((outputs.httpApiAuthorizerIds as never[]).map((id) => valueOf(id)))).toEqual([authorizer("f1g2h3i4j5").id, authorizer("k1l2m3n4o5").id]);
  });
});
