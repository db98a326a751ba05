/**
 * `keygate check --http-api-id` reads an HTTP API through the real @aws-sdk/client-apigatewayv2,
 * pointed at a loopback stand-in of API Gateway v2: every route is listed with what protects it,
 * Keygate's authorizer is found from the flag, the stack's `httpApis` output or the stack's function,
 * and a route without Keygate's authorizer makes the exit status 1.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiGatewayV2StandIn, type ApiGatewayV2StandIn } from "../support/api-gateway-v2-stand-in";
import { runCli } from "./run-cli";

const FUNCTION = "keygate-authorizer-3f1a2b7";
const functionUri = (name: string) => `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:${name}/invocations`;
const KEYGATE = {
  authorizerId: "kg12ab3",
  name: "keygate-reports",
  authorizerType: "REQUEST" as const,
  authorizerUri: functionUri(FUNCTION),
  authorizerPayloadFormatVersion: "2.0",
  enableSimpleResponses: true,
  identitySource: ["$request.header.Authorization", "$context.routeKey"],
};

let aws: ApiGatewayV2StandIn;
const savedEnv = { ...process.env };
const cwd = process.cwd();

beforeAll(async () => {
  aws = await startApiGatewayV2StandIn([
    {
      apiId: "f1g2h3i4j5",
      name: "reports",
      authorizers: [
        KEYGATE,
        { authorizerId: "jw45cd6", name: "partners-jwt", authorizerType: "JWT", identitySource: ["$request.header.Authorization"] },
        { authorizerId: "ot78ef9", name: "legacy", authorizerType: "REQUEST", authorizerUri: functionUri("legacy-authorizer"), authorizerPayloadFormatVersion: "2.0", enableSimpleResponses: true },
      ],
      routes: [
        { routeId: "r1", routeKey: "GET /reports/{name}", authorizationType: "CUSTOM", authorizerId: "kg12ab3" },
        { routeId: "r2", routeKey: "POST /reports", authorizationType: "CUSTOM", authorizerId: "kg12ab3" },
        { routeId: "r3", routeKey: "GET /health" },
        { routeId: "r4", routeKey: "OPTIONS /{proxy+}", authorizationType: "NONE" },
        { routeId: "r5", routeKey: "GET /partners", authorizationType: "JWT", authorizerId: "jw45cd6" },
        { routeId: "r6", routeKey: "GET /internal", authorizationType: "AWS_IAM" },
        { routeId: "r7", routeKey: "GET /legacy", authorizationType: "CUSTOM", authorizerId: "ot78ef9" },
      ],
    },
    {
      apiId: "k1l2m3n4o5",
      name: "billing",
      authorizers: [{ ...KEYGATE, authorizerId: "kg99zz9", name: "keygate-billing" }],
      routes: [
        { routeId: "b1", routeKey: "$default", authorizationType: "CUSTOM", authorizerId: "kg99zz9" },
        { routeId: "b2", routeKey: "GET /invoices/{id}", authorizationType: "CUSTOM", authorizerId: "kg99zz9" },
        { routeId: "b3", routeKey: "POST /invoices", authorizationType: "CUSTOM", authorizerId: "kg99zz9" },
      ],
    },
  ]);
  Object.assign(process.env, { AWS_ENDPOINT_URL_APIGATEWAYV2: aws.url, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" });
});

afterAll(async () => {
  process.env = { ...savedEnv };
  await aws?.stop();
});

const check = (args: string[], stackOutputs?: Record<string, unknown>) =>
  runCli(["check", "--region", "eu-west-1", ...args], { cwd, ...(stackOutputs ? { pulumi: () => Promise.resolve(JSON.stringify(stackOutputs)) } : {}) });

describe("keygate check --http-api-id", () => {
  it("lists every route with what protects it, and exits 1 for those Keygate does not", async () => {
    const run = await check(["--http-api-id", "f1g2h3i4j5", "--authorizer-id", "kg12ab3"]);
    expect(run.err).toBe("");
    expect(run.out.split("\n")).toEqual([
      "HTTP API f1g2h3i4j5 (reports); Keygate's authorizer: kg12ab3 (keygate-reports)",
      "  NONE        GET /health: no authorization",
      "  OTHER       GET /internal: IAM authorization, not Keygate's authorizer",
      "  OTHER       GET /legacy: REQUEST authorizer ot78ef9 (legacy), not Keygate's authorizer",
      "  OTHER       GET /partners: JWT authorizer jw45cd6 (partners-jwt), not Keygate's authorizer",
      "  KEYGATE     GET /reports/{name}",
      "  WARNING     OPTIONS /{proxy+}: no authorization (a CORS preflight is usually meant to be open)",
      "  KEYGATE     POST /reports",
      "  4 route(s) do not use Keygate's authorizer.",
    ]);
    expect(run.code).toBe(1);
    // Seven routes and three authorizers, in pages: every page was read.
    expect(aws.requests.filter((request) => request.startsWith("GET /v2/apis/f1g2h3i4j5/routes")).length).toBeGreaterThanOrEqual(4);
  });

  it("passes an API whose every route uses Keygate's authorizer, found from the stack's httpApis output", async () => {
    const run = await check(["--http-api-id", "k1l2m3n4o5"], { httpApis: [{ name: "billing", apiId: "k1l2m3n4o5", authorizerId: "kg99zz9" }], functionName: "another-function" });
    expect(run.err).toBe("");
    expect(run.out).toMatch(/^HTTP API k1l2m3n4o5 \(billing\); Keygate's authorizer: kg99zz9 \(keygate-billing\)/);
    expect(run.out).toMatch(/KEYGATE +\$default\n {2}KEYGATE +GET \/invoices\/\{id\}\n {2}KEYGATE +POST \/invoices\n {2}OK: every route uses Keygate's authorizer\./);
    expect(run.code).toBe(0);
  });

  it("recognises Keygate's authorizer by the stack's function when the stack does not list the API", async () => {
    const run = await check(["--http-api-id", "f1g2h3i4j5"], { functionName: FUNCTION, apis: [] });
    expect(run.out).toMatch(/Keygate's authorizer: kg12ab3 \(keygate-reports\)/);
    expect(run.code).toBe(1);
  });

  it("says which authorizers there are when it cannot tell Keygate's, or the one named is not there", async () => {
    const unknown = await check(["--http-api-id", "f1g2h3i4j5"]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/note: pulumi stack output --json failed/);
    expect(unknown.err).toMatch(/cannot tell which authorizer of HTTP API f1g2h3i4j5 is Keygate's: pass --authorizer-id \(its authorizers: kg12ab3 keygate-reports, jw45cd6 partners-jwt, ot78ef9 legacy\)/);
    const named = await check(["--http-api-id", "f1g2h3i4j5", "--authorizer-id", "nope123"]);
    expect(named.code).toBe(2);
    expect(named.err).toMatch(/HTTP API f1g2h3i4j5 has no authorizer nope123/);
  });

  it("warns when Keygate's authorizer does not answer with payload 2.0 simple responses", async () => {
    const api = aws.apis.get("k1l2m3n4o5")!;
    api.authorizers = [{ ...api.authorizers[0]!, authorizerPayloadFormatVersion: "1.0", enableSimpleResponses: false }];
    try {
      const run = await check(["--http-api-id", "k1l2m3n4o5", "--authorizer-id", "kg99zz9"]);
      expect(run.out).toMatch(/WARNING +authorizer kg99zz9: payload format 1\.0, simple responses off; Keygate's component sets 2\.0 with simple responses/);
    } finally {
      api.authorizers = [{ ...KEYGATE, authorizerId: "kg99zz9", name: "keygate-billing" }];
    }
  });

  it("names an API that does not exist, and refuses options of the REST API check", async () => {
    const missing = await check(["--http-api-id", "zzzzzzzzzz", "--authorizer-id", "kg12ab3"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/keygate check: no HTTP API zzzzzzzzzz in this account and Region \(Invalid API identifier specified/);
    const mixed = await check(["--http-api-id", "f1g2h3i4j5", "--rest-api-id", "a1b2c3d4e5"]);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/--http-api-id names an HTTP API, which has no --rest-api-id/);
    const plans = await check(["--http-api-id", "f1g2h3i4j5", "--usage-plans"]);
    expect(plans.code).toBe(2);
    expect(plans.err).toMatch(/HTTP APIs have no usage plans/);
  });

  it("is in the command's help", async () => {
    const help = await runCli(["check", "--help"], { cwd });
    expect(help.out).toMatch(/--http-api-id <id> +an HTTP API \(API Gateway v2\)/);
  });
});
