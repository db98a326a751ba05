/** The authorizer's identity sources: the key, and with route rules on a REQUEST authorizer, the route API Gateway resolved. */
import { describe, expect, it } from "vitest";
import { identitySource, openApiSecurityScheme } from "../../infra/openapi";

describe("identitySource", () => {
  it("keys a REQUEST authorizer with route rules by key, resource and method", () => {
    expect(identitySource("REQUEST", true)).toBe("method.request.header.Authorization, context.resourcePath, context.httpMethod");
  });

  it.each([
    ["REQUEST", false],
    ["TOKEN", false],
    // A TOKEN authorizer can only name a header: its route rules are enforced by method ARN.
    ["TOKEN", true],
  ] as const)("keys a %s authorizer (route rules: %s) by the key alone", (type, rules) => {
    expect(identitySource(type, rules)).toBe("method.request.header.Authorization");
  });

  it("is what the OpenAPI security scheme names", () => {
    const scheme = openApiSecurityScheme({ authorizerType: "REQUEST", identitySource: identitySource("REQUEST", true), authorizerUri: "uri", authorizerCredentials: "role", resultTtlSeconds: 300 });
    expect(scheme["x-amazon-apigateway-authorizer"]).toMatchObject({ identitySource: "method.request.header.Authorization, context.resourcePath, context.httpMethod" });
  });
});
