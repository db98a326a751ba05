import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GATEWAY_RESPONSES, openApiGatewayResponses, responseParameters, RETRY_AFTER_SECONDS } from "../../infra/gateway-responses";

describe("the gateway response table", () => {
  it("answers 401 with WWW-Authenticate: Bearer, 403, and 503 with Retry-After for both authorizer failures", () => {
    expect(GATEWAY_RESPONSES.map(({ responseType, statusCode, headers }) => ({ responseType, statusCode, headers }))).toEqual([
      { responseType: "UNAUTHORIZED", statusCode: 401, headers: { "WWW-Authenticate": "Bearer" } },
      { responseType: "ACCESS_DENIED", statusCode: 403, headers: {} },
      { responseType: "AUTHORIZER_FAILURE", statusCode: 503, headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } },
      { responseType: "AUTHORIZER_CONFIGURATION_ERROR", statusCode: 503, headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } },
    ]);
  });

  it("has JSON bodies with a message", () => {
    for (const definition of GATEWAY_RESPONSES) {
      expect(definition.contentType).toBe("application/json");
      expect(Object.keys(JSON.parse(definition.body) as object)).toEqual(["message"]);
    }
  });

  it("quotes header values for API Gateway, which would otherwise read them as parameter names", () => {
    expect(responseParameters(GATEWAY_RESPONSES[0]!)).toEqual({ "gatewayresponse.header.WWW-Authenticate": "'Bearer'" });
    expect(responseParameters(GATEWAY_RESPONSES[2]!)).toEqual({ "gatewayresponse.header.Retry-After": "'5'" });
  });

  it("is also offered as OpenAPI's x-amazon-apigateway-gateway-responses", () => {
    expect(openApiGatewayResponses().UNAUTHORIZED).toEqual({
      statusCode: "401",
      responseParameters: { "gatewayresponse.header.WWW-Authenticate": "'Bearer'" },
      responseTemplates: { "application/json": '{"message":"Unauthorized"}' },
    });
    expect(Object.keys(openApiGatewayResponses())).toEqual(GATEWAY_RESPONSES.map((definition) => definition.responseType));
  });

  it("imports nothing, so the local gateway can load it without Pulumi", () => {
    const source = readFileSync(join(__dirname, "../../infra/gateway-responses.ts"), "utf8");
    expect(source).not.toMatch(/^\s*import\s/m);
    expect(source).not.toMatch(/require\(/);
  });

  it("cannot be changed by whoever imports it", () => {
    expect(Object.isFrozen(GATEWAY_RESPONSES)).toBe(true);
  });
});
