import { beforeAll, describe, expect, it } from "vitest";
import { mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

// The stack program with no REST API configured: it creates the demo API and protects it.

const CLIENT_SECRET = "stack-client-secret-5b9e";
let program: MockedProgram;
let outputs: Record<string, unknown>;

beforeAll(async () => {
  program = await mockPulumi({
    config: {
      "keygate:kindeDomain": "acme.kinde.com",
      "keygate:kindeApiIds": "api_0123456789abcdef0123456789abcdef",
      "keygate:kindeClientId": "stack-client-id",
      "keygate:kindeClientSecret": CLIENT_SECRET,
      "keygate:requiredScopes": "api:access",
    },
  });
  const stack = await import("../../infra/stack.js");
  outputs = stack.default as unknown as Record<string, unknown>;
  await registrationsSettled();
});

describe("the stack with no restApiIds", () => {
  it("creates a regional demo REST API and attaches the authorizer to it", () => {
    const api = program.one("aws:apigateway/restApi:RestApi", "keygate-demo");
    expect(api.inputs.endpointConfiguration).toEqual({ types: "REGIONAL" });
    const authorizer = program.one("aws:apigateway/authorizer:Authorizer");
    expect(authorizer.name).toBe("keygate-demo-authorizer");
    expect(authorizer.inputs.restApi).toBe(api.id);
    expect(program.one("aws:lambda/permission:Permission").inputs.sourceArn).toBe(`${String(api.state.executionArn)}/authorizers/${authorizer.id}`);
    expect(program.all("aws:apigateway/response:Response").map((r) => r.inputs.restApiId)).toEqual([api.id, api.id, api.id, api.id]);
  });

  it("serves GET /whoami through the authorizer, answered by a MOCK integration", () => {
    const api = program.one("aws:apigateway/restApi:RestApi");
    const resource = program.one("aws:apigateway/resource:Resource");
    expect(resource.inputs).toEqual({ restApi: api.id, parentId: api.state.rootResourceId, pathPart: "whoami" });
    expect(program.one("aws:apigateway/method:Method").inputs).toEqual({
      restApi: api.id,
      resourceId: resource.id,
      httpMethod: "GET",
      authorization: "CUSTOM",
      authorizerId: program.one("aws:apigateway/authorizer:Authorizer").id,
    });
    const integration = program.one("aws:apigateway/integration:Integration").inputs;
    expect(integration.type).toBe("MOCK");
    expect(integration.requestTemplates).toEqual({ "application/json": '{"statusCode": 200}' });
  });

  it("answers with the authorizer's context, every key the authorizer sets", async () => {
    const template = String((program.one("aws:apigateway/integrationResponse:IntegrationResponse").inputs.responseTemplates as Record<string, string>)["application/json"]);
    for (const key of ["principalId", "user_id", "key_id", "scopes", "org_code", "verdict_source"]) {
      expect(template).toContain(`$context.authorizer.${key}`);
    }
    // Rendered with sample values, the template is JSON.
    const rendered = template.replace(/\$util\.escapeJavaScript\(\$context\.authorizer\.(\w+)\)/g, "sample-$1").replace("$context.requestId", "req-1");
    expect(JSON.parse(rendered)).toMatchObject({ user_id: "sample-user_id", scopes: "sample-scopes", request_id: "req-1" });
    // The keys are the ones the authorizer really returns.
    const { buildAuthorizerContext } = await import("../../lambda/policy/authorizer-context.js");
    const context = buildAuthorizerContext({ principalId: "kp_1", userId: "kp_1", keyId: "k_1", orgCode: "org_1", scopes: ["a"] }, "kinde");
    for (const key of Object.keys(context)) expect(template).toContain(`$context.authorizer.${key}`);
  });

  it("deploys it to the demo stage, redeploying when the route or the authorizer changes", () => {
    const deployment = program.one("aws:apigateway/deployment:Deployment").inputs;
    expect(deployment.restApi).toBe(program.one("aws:apigateway/restApi:RestApi").id);
    expect((deployment.triggers as Record<string, string>).redeployment).toMatch(/^[0-9a-f]{64}$/);
    const stage = program.one("aws:apigateway/stage:Stage").inputs;
    expect(stage).toMatchObject({ stageName: "demo", deployment: program.one("aws:apigateway/deployment:Deployment").id });
  });

  it("exports the demo URL and the component's outputs, and no secret", async () => {
    expect(Object.keys(outputs).sort()).toEqual(["apis", "auditLogGroupName", "authorizerIds", "dashboardUrl", "demoUrl", "functionArn", "functionName", "secretArn", "tableName"]);
    const api = program.one("aws:apigateway/restApi:RestApi");
    expect(await valueOf(outputs.demoUrl as never)).toBe(`https://${api.id}.execute-api.eu-west-1.amazonaws.com/demo/whoami`);
    expect(await valueOf(outputs.dashboardUrl as never)).toBe("https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=keygate-test");
    const values = await Promise.all(
      Object.values(outputs).map((value) => (Array.isArray(value) ? Promise.all(value.map((item) => valueOf(item as never))) : valueOf(value as never))),
    );
    expect(JSON.stringify(values)).not.toContain(CLIENT_SECRET);
    expect(program.resources.filter((r) => r.type !== "aws:secretsmanager/secretVersion:SecretVersion" && JSON.stringify(r.inputs).includes(CLIENT_SECRET))).toEqual([]);
  });

  it("gives the function the stack's settings", () => {
    const variables = (program.one("aws:lambda/function:Function").inputs as { environment: { variables: Record<string, string> } }).environment.variables;
    expect(variables).toMatchObject({ KINDE_DOMAIN: "https://acme.kinde.com", KINDE_M2M_CLIENT_ID: "stack-client-id", REQUIRED_SCOPES: "api:access" });
  });
});
