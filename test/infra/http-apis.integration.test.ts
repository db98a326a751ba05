import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { UserKeyAuthorizerArgs } from "../../infra/args";
import { registeredOutputs, registeredUrns, typeChain } from "./support/mock-monitor";
import { MOCK_ACCOUNT, mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

// HTTP APIs (API Gateway v2) beside REST APIs, in a program deployed to another partition than
// `aws` (so an execution ARN built from an id must name it): "mixed" protects a REST API and two
// HTTP APIs (one of the program, one by id) with route rules; "http-only" protects one HTTP API
// by id, without route rules and with the default result TTL; "metered" has usage plans and a web
// ACL with both kinds of API, which preview must warn about. Then the settings that must stop preview.

const PARTITION = "aws-cn";
const REGION = "cn-north-1";
const kinde = { domain: "https://acme.kinde.com", clientId: "client-id", clientSecret: "client-secret", apiIds: ["api_0a1b2c3d"] };
const quiet = { alarms: { enabled: false }, dashboard: false, contributorInsights: false, savedQueries: false } as const;
const V2_AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer";
const PERMISSION = "aws:lambda/permission:Permission";

let program: MockedProgram;
let UserKeyAuthorizer: typeof import("../../infra/user-key-authorizer").UserKeyAuthorizer;
let mixed: import("../../infra/user-key-authorizer").UserKeyAuthorizer;
let httpOnly: import("../../infra/user-key-authorizer").UserKeyAuthorizer;
let reportsApi: aws.apigatewayv2.Api;
let ordersApi: aws.apigateway.RestApi;
const warnings: string[] = [];

beforeAll(async () => {
  program = await mockPulumi({ scope: { partition: PARTITION, region: REGION } });
  // Pulumi's own warning call: what `pulumi preview` prints as a warning.
  vi.spyOn(pulumi.log, "warn").mockImplementation((message) => {
    warnings.push(message);
    return Promise.resolve();
  });
  ({ UserKeyAuthorizer } = await import("../../infra/user-key-authorizer.js"));
  reportsApi = new aws.apigatewayv2.Api("reports-api", { protocolType: "HTTP" });
  ordersApi = new aws.apigateway.RestApi("orders-api", {});
  mixed = new UserKeyAuthorizer("mixed", {
    kinde,
    apis: [{ name: "orders", restApi: ordersApi, stageNames: ["prod"] }],
    httpApis: [{ name: "reports", api: reportsApi }, { apiId: "f1g2h3i4j5" }],
    routeScopes: { "GET /reports/*": "read:reports" },
    authorizerResultTtlSeconds: 120,
    tags: { team: "platform" },
  });
  httpOnly = new UserKeyAuthorizer("http-only", { kinde, httpApis: [{ apiId: "k1l2m3n4o5" }], ...quiet });
  const metered = new UserKeyAuthorizer("metered", {
    kinde,
    apis: [{ restApiId: "a1b2c3d4e5", stageNames: ["prod"] }],
    httpApis: [{ name: "billing", apiId: "p1q2r3s4t5" }],
    usagePlans: { tiers: { free: { throttle: { rateLimit: 5, burstLimit: 10 } } }, defaultTier: "free" },
    waf: { requestsPerFiveMinutesPerIp: 1_000 },
    ...quiet,
  });
  await Promise.all([valueOf(mixed.httpApis), valueOf(mixed.apis), valueOf(httpOnly.httpApis), valueOf(metered.httpApis), valueOf(metered.usagePlanIds!)]);
  await registrationsSettled();
});

afterAll(() => {
  vi.restoreAllMocks();
});

const functionOf = (component: string) => program.one("aws:lambda/function:Function", `${component}-authorizer`).state;

describe("an HTTP API's authorizer", () => {
  it("is a REQUEST authorizer with payload 2.0 and simple responses, on the Authorization header and, with route rules, the route key", () => {
    const expected: [name: string, apiId: string][] = [
      ["mixed-reports-authorizer", program.one("aws:apigatewayv2/api:Api").id],
      ["mixed-f1g2h3i4j5-authorizer", "f1g2h3i4j5"],
    ];
    for (const [name, apiId] of expected) {
      expect(program.one(V2_AUTHORIZER, name).inputs).toEqual({
        apiId,
        name: name.replace(/-authorizer$/, ""),
        authorizerType: "REQUEST",
        authorizerUri: functionOf("mixed").invokeArn,
        authorizerPayloadFormatVersion: "2.0",
        enableSimpleResponses: true,
        identitySources: ["$request.header.Authorization", "$context.routeKey"],
        authorizerResultTtlInSeconds: 120,
      });
    }
  });

  it("caches per key alone without route rules, for the default result TTL", () => {
    expect(program.one(V2_AUTHORIZER, "http-only-k1l2m3n4o5-authorizer").inputs).toMatchObject({
      apiId: "k1l2m3n4o5",
      identitySources: ["$request.header.Authorization"],
      authorizerResultTtlInSeconds: 300,
      authorizerPayloadFormatVersion: "2.0",
      enableSimpleResponses: true,
    });
  });

  it("leaves the REST API's authorizer as REST's own rules make it, beside the HTTP APIs'", () => {
    // With route rules, a REST REQUEST authorizer is cached per key and resolved route (docs/route-rules.md).
    expect(program.one("aws:apigateway/authorizer:Authorizer", "mixed-orders-authorizer").inputs).toMatchObject({
      type: "REQUEST",
      identitySource: "method.request.header.Authorization, context.resourcePath, context.httpMethod",
      authorizerResultTtlInSeconds: 120,
    });
    // REST APIs get Keygate's gateway responses; an HTTP API has none to configure.
    expect(program.all("aws:apigateway/response:Response").every((response) => response.name.startsWith("mixed-orders-") || response.name.startsWith("metered-a1b2c3d4e5-"))).toBe(true);
  });

  it("may invoke the function only through that authorizer of that API, with the ARN of the partition deployed to", () => {
    const authorizerId = (name: string) => program.one(V2_AUTHORIZER, name).id;
    const ownApi = program.one("aws:apigatewayv2/api:Api");
    expect(program.one(PERMISSION, "mixed-reports-invoke").inputs).toEqual({
      action: "lambda:InvokeFunction",
      function: functionOf("mixed").name,
      principal: "apigateway.amazonaws.com",
      sourceArn: `${String(ownApi.state.executionArn)}/authorizers/${authorizerId("mixed-reports-authorizer")}`,
    });
    expect(String(ownApi.state.executionArn)).toMatch(new RegExp(`^arn:${PARTITION}:execute-api:${REGION}:`));
    expect(program.one(PERMISSION, "mixed-f1g2h3i4j5-invoke").inputs.sourceArn).toBe(`arn:${PARTITION}:execute-api:${REGION}:${MOCK_ACCOUNT}:f1g2h3i4j5/authorizers/${authorizerId("mixed-f1g2h3i4j5-authorizer")}`);
    expect(program.one(PERMISSION, "http-only-k1l2m3n4o5-invoke").inputs.sourceArn).toBe(
      `arn:${PARTITION}:execute-api:${REGION}:${MOCK_ACCOUNT}:k1l2m3n4o5/authorizers/${authorizerId("http-only-k1l2m3n4o5-authorizer")}`,
    );
  });

  it("is a child of the component, named after the component and the API's key", () => {
    const urns = registeredUrns().filter((urn) => urn.includes("apigatewayv2/authorizer:Authorizer"));
    expect(urns.map((urn) => urn.split("::").pop()).sort()).toEqual(["http-only-k1l2m3n4o5-authorizer", "metered-billing-authorizer", "mixed-f1g2h3i4j5-authorizer", "mixed-reports-authorizer"]);
    for (const urn of urns) expect(typeChain(urn), urn).toEqual(["keygate:index:UserKeyAuthorizer", V2_AUTHORIZER]);
  });
});

describe("the component's HTTP API outputs", () => {
  it("lists the authorizer ids in the order of args.httpApis, and each API with its authorizer", async () => {
    const ids = await Promise.all(mixed.httpApiAuthorizerIds.map(valueOf));
    expect(ids).toEqual([program.one(V2_AUTHORIZER, "mixed-reports-authorizer").id, program.one(V2_AUTHORIZER, "mixed-f1g2h3i4j5-authorizer").id]);
    expect(await valueOf(mixed.httpApis)).toEqual([
      { name: "reports", apiId: program.one("aws:apigatewayv2/api:Api").id, authorizerId: ids[0] },
      { name: "f1g2h3i4j5", apiId: "f1g2h3i4j5", authorizerId: ids[1] },
    ]);
    expect(mixed.httpApiAuthorizers).toHaveLength(2);
    expect(await Promise.all(mixed.authorizerIds.map(valueOf))).toEqual([program.one("aws:apigateway/authorizer:Authorizer", "mixed-orders-authorizer").id]);
    expect(await valueOf(httpOnly.apis)).toEqual([]);
  });

  it("registers them on the component", async () => {
    const outputs = registeredOutputs("keygate:index:UserKeyAuthorizer::http-only") as Record<string, unknown>;
    expect(outputs.httpApis).toEqual([{ name: "k1l2m3n4o5", apiId: "k1l2m3n4o5", authorizerId: program.one(V2_AUTHORIZER, "http-only-k1l2m3n4o5-authorizer").id }]);
    expect(outputs.httpApiAuthorizerIds).toEqual([program.one(V2_AUTHORIZER, "http-only-k1l2m3n4o5-authorizer").id]);
  });
});

describe("usage plans and AWS WAF with REST and HTTP APIs", () => {
  it("meter and guard the REST API's stages only", () => {
    const plan = program.one("aws:apigateway/usagePlan:UsagePlan");
    expect(plan.inputs.apiStages).toEqual([{ apiId: "a1b2c3d4e5", stage: "prod" }]);
    expect(program.all("aws:wafv2/webAclAssociation:WebAclAssociation").map((association) => association.inputs.resourceArn)).toEqual([
      `arn:${PARTITION}:apigateway:${REGION}::/restapis/a1b2c3d4e5/stages/prod`,
    ]);
  });

  it("and preview says that the HTTP APIs are left out, naming them", () => {
    expect(warnings).toEqual([
      "usagePlans meter the REST APIs in apis only: HTTP APIs have no usage plans, so requests to the HTTP APIs in httpApis (billing) are not throttled or counted per user",
      "waf protects the stages of the REST APIs in apis only: AWS WAF cannot be associated with an HTTP API's stage, so the HTTP APIs in httpApis (billing) have no web ACL",
    ]);
  });
});

describe("settings that stop preview", () => {
  const build = (args: Partial<UserKeyAuthorizerArgs>) => () => new UserKeyAuthorizer("refused", { kinde, ...args });
  const loose = (value: unknown) => value as UserKeyAuthorizerArgs["httpApis"];

  it("usage plans with HTTP APIs alone, saying that HTTP APIs have none", () => {
    expect(build({ httpApis: [{ apiId: "f1g2h3i4j5" }], usagePlans: { tiers: { free: {} }, defaultTier: "free" } })).toThrow(
      "args.usagePlans is set, but HTTP APIs have no usage plans (API Gateway meters users on REST APIs only) and apis names no REST API",
    );
  });

  it("a web ACL with HTTP APIs alone, saying that AWS WAF cannot be associated with them", () => {
    expect(build({ httpApis: [{ apiId: "f1g2h3i4j5" }], waf: { requestsPerFiveMinutesPerIp: 1_000 } })).toThrow(
      "args.waf.requestsPerFiveMinutesPerIp is set, but AWS WAF cannot be associated with an HTTP API's stage and apis names no REST API",
    );
  });

  it("neither REST nor HTTP APIs (nor openApi)", () => {
    expect(build({ httpApis: [] })).toThrow("args.apis is empty and openApi is off: name at least one REST API (apis) or HTTP API (httpApis) to protect");
  });

  it("a bad entry in httpApis, named by its position", () => {
    expect(build({ httpApis: loose("f1g2h3i4j5") })).toThrow("args.httpApis must be a list of { api } or { apiId } entries");
    expect(build({ httpApis: loose([{}]) })).toThrow("args.httpApis[0] must set exactly one of api (an aws.apigatewayv2.Api of this program) and apiId");
    expect(build({ httpApis: loose([{ apiId: "f1g2h3i4j5", api: reportsApi }]) })).toThrow("args.httpApis[0] must set exactly one of api");
    expect(build({ httpApis: [{ apiId: "F1G2" }] })).toThrow('args.httpApis[0].apiId must be an HTTP API id: ten lower-case letters and digits (got "F1G2")');
    expect(build({ httpApis: loose([{ api: ordersApi }]) })).toThrow("args.httpApis[0].api must be an aws.apigatewayv2.Api resource (an HTTP API); a REST API belongs in apis");
    expect(build({ httpApis: [{ apiId: "f1g2h3i4j5", name: "no spaces" }] })).toThrow('args.httpApis[0].name must be 1 to 64 letters, digits, "-" or "_" (got "no spaces")');
  });

  it("a name used twice across apis and httpApis, since both name the permission to invoke the function", () => {
    expect(build({ apis: [{ name: "shop", restApiId: "a1b2c3d4e5" }], httpApis: [{ name: "shop", apiId: "f1g2h3i4j5" }] })).toThrow(
      'args.httpApis[0].name repeats apis[0] ("shop"): each API is attached once, under a name of its own across apis and httpApis',
    );
    expect(build({ httpApis: [{ apiId: "f1g2h3i4j5" }, { apiId: "f1g2h3i4j5" }] })).toThrow('args.httpApis[1] repeats httpApis[0] ("f1g2h3i4j5")');
  });

  it("and registers nothing when it stops", () => {
    expect(registeredUrns().filter((urn) => urn.includes("refused"))).toEqual([]);
  });
});
