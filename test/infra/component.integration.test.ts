import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { registeredOutputs, registeredUrns, typeChain } from "./support/mock-monitor";
import { MOCK_ACCOUNT, MOCK_PARTITION, MOCK_REGION, mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

// One program: a component protecting two APIs, one defined in the program and one by id, with
// most options away from their defaults so each is seen reaching its resource.
let program: MockedProgram;
let auth: import("../../infra/user-key-authorizer").UserKeyAuthorizer;
let ownApi: aws.apigateway.RestApi;

beforeAll(async () => {
  program = await mockPulumi();
  const { UserKeyAuthorizer } = await import("../../infra/user-key-authorizer.js");
  ownApi = new aws.apigateway.RestApi("orders-api", {});
  auth = new UserKeyAuthorizer("keys", {
    kinde: { domain: "https://acme.kinde.com/", clientId: "m2m-client-id", clientSecret: "not-the-real-secret", apiIds: ["api_0123456789abcdef0123456789abcdef"] },
    apis: [
      { name: "orders", restApi: ownApi, stageNames: ["prod"] },
      { restApiId: "a1b2c3d4e5", stageNames: ["prod", "staging"] },
    ],
    cacheTtlSeconds: 600,
    negativeCacheTtlSeconds: 15,
    memoryCacheTtlSeconds: 20,
    staleIfErrorSeconds: 120,
    verifyTimeoutMs: 4_000,
    dynamoDbTimeoutMs: 300,
    requiredScopes: ["api:access", "api:read"],
    allowOrgKeys: true,
    routeScopes: { "GET /profile/*": "read:profile", "POST /orders": ["write:orders", "billing"] },
    authorizerResultTtlSeconds: 60,
    memorySizeMb: 512,
    auditLog: { retentionInDays: 90, kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/audit" },
    cacheTable: { pointInTimeRecovery: true, deletionProtection: true },
    tags: { team: "platform" },
  });
  await valueOf(auth.apis);
  await registrationsSettled();
});

describe("UserKeyAuthorizer's resources", () => {
  it("creates exactly these resources, with names derived from the component's name and each API's key", () => {
    const names = program.resources.filter((r) => r.type !== "aws:apigateway/restApi:RestApi").map((r) => `${r.type} ${r.name}`);
    const perApi = (key: string) => [
      `aws:apigateway/authorizer:Authorizer keys-${key}-authorizer`,
      `aws:lambda/permission:Permission keys-${key}-invoke`,
      `aws:apigateway/response:Response keys-${key}-unauthorized`,
      `aws:apigateway/response:Response keys-${key}-access-denied`,
      `aws:apigateway/response:Response keys-${key}-authorizer-failure`,
      `aws:apigateway/response:Response keys-${key}-authorizer-configuration-error`,
    ];
    expect(names.sort()).toEqual(
      [
        "keygate:index:UserKeyAuthorizer keys",
        "aws:secretsmanager/secret:Secret keys-kinde-client-secret",
        "aws:secretsmanager/secretVersion:SecretVersion keys-kinde-client-secret",
        "aws:dynamodb/table:Table keys-cache",
        "aws:cloudwatch/logGroup:LogGroup keys-audit",
        "aws:cloudwatch/logMetricFilter:LogMetricFilter keys-decisions",
        "aws:iam/role:Role keys-authorizer",
        "aws:iam/rolePolicy:RolePolicy keys-authorizer",
        "aws:lambda/function:Function keys-authorizer",
        ...["failing", "timeouts", "verification-unavailable", "denial-spike", "throttled", "p99-latency"].map((alarm) => `aws:cloudwatch/metricAlarm:MetricAlarm keys-alarm-${alarm}`),
        ...["top-users", "top-apis", "top-denied-fingerprints", "top-denied-source-ips"].map((rule) => `aws:cloudwatch/contributorInsightRule:ContributorInsightRule keys-insights-${rule}`),
        ...["user-recent-decisions", "denials-by-reason", "decisions-by-api", "key-last-use", "keys-by-last-use", "old-keys-in-use"].map((query) => `aws:cloudwatch/queryDefinition:QueryDefinition keys-query-${query}`),
        "aws:cloudwatch/dashboard:Dashboard keys-dashboard",
        ...perApi("orders"),
        ...perApi("a1b2c3d4e5"),
      ].sort(),
    );
  });

  it("parents every child to the component", () => {
    const children = registeredUrns().filter((urn) => urn.includes("::aws:") || urn.includes("$aws:"));
    const ownApiUrn = children.filter((urn) => urn.endsWith("::orders-api"));
    expect(ownApiUrn).toHaveLength(1);
    for (const urn of children.filter((u) => !u.endsWith("::orders-api"))) {
      expect(typeChain(urn)[0], urn).toBe("keygate:index:UserKeyAuthorizer");
    }
    expect(children.length).toBe(program.resources.length - 1);
  });

  it("keeps the cache table to what the authorizer reads: partition key pk, TTL on expiresAt, on demand, encrypted, verdicts indexed by key and user", () => {
    const table = program.one("aws:dynamodb/table:Table").inputs;
    expect(table.hashKey).toBe("pk");
    expect(table.rangeKey).toBeUndefined();
    expect(table.attributes).toEqual([
      { name: "pk", type: "S" },
      { name: "keyId", type: "S" },
      { name: "userId", type: "S" },
    ]);
    // What `keygate invalidate` queries instead of scanning: one small index entry per cached positive verdict.
    expect(table.globalSecondaryIndexes).toEqual([
      { name: "verdicts-by-key-id", keySchemas: [{ attributeName: "keyId", keyType: "HASH" }], projectionType: "INCLUDE", nonKeyAttributes: ["verifiedAt"] },
      { name: "verdicts-by-user-id", keySchemas: [{ attributeName: "userId", keyType: "HASH" }], projectionType: "INCLUDE", nonKeyAttributes: ["verifiedAt"] },
    ]);
    expect(table.ttl).toEqual({ attributeName: "expiresAt", enabled: true });
    expect(table.billingMode).toBe("PAY_PER_REQUEST");
    expect(table.serverSideEncryption).toEqual({ enabled: true });
    expect(table.pointInTimeRecovery).toEqual({ enabled: true });
    expect(table.deletionProtectionEnabled).toBe(true);
    expect(table.tags).toEqual({ team: "platform" });
  });

  it("keeps the audit log as configured", () => {
    const logGroup = program.one("aws:cloudwatch/logGroup:LogGroup").inputs;
    expect(logGroup.retentionInDays).toBe(90);
    expect(logGroup.kmsKeyId).toBe("arn:aws:kms:eu-west-1:123456789012:key/audit");
  });

  it("counts decisions from the audit records by decision and reason", () => {
    const filter = program.one("aws:cloudwatch/logMetricFilter:LogMetricFilter").inputs;
    expect(filter.logGroupName).toBe(program.one("aws:cloudwatch/logGroup:LogGroup").state.name);
    expect(filter.pattern).toBe('{ ($.decision = "allow") || ($.decision = "deny") || ($.decision = "error") }');
    expect(filter.metricTransformation).toEqual({
      name: "AuthorizerDecisions",
      namespace: "Keygate",
      value: "1",
      unit: "Count",
      dimensions: { decision: "$.decision", reason: "$.reason" },
    });
  });

  it("runs the bundle on a current Node runtime on arm64, with a timeout above the verification budget", () => {
    const fn = program.one("aws:lambda/function:Function").inputs;
    expect(fn.runtime).toBe("nodejs22.x");
    expect(fn.architectures).toEqual(["arm64"]);
    expect(fn.handler).toBe("index.handler");
    expect(fn.memorySize).toBe(512);
    // 4000 ms for Kinde + 2 x 300 ms for DynamoDB + 2 s of slack, rounded up.
    expect(fn.timeout).toBe(7);
    expect(fn.role).toBe(program.one("aws:iam/role:Role").state.arn);
    expect(fn.tags).toEqual({ team: "platform" });
  });

  it("deploys the bundle the program built, as index.mjs (the handler string's module) with its chunks", async () => {
    const { authorizerBundle } = await import("../../infra/authorizer-code.js");
    const code = program.one("aws:lambda/function:Function").inputs.code as pulumi.asset.AssetArchive;
    const assets = await code.assets;
    const bundle = authorizerBundle();
    // The handler module and every chunk it may import lazily: a missing chunk fails only the requests that need it.
    expect(Object.keys(assets).sort()).toEqual(Object.keys(bundle.files).sort());
    expect(Object.keys(assets)).toContain("index.mjs");
    expect(Object.keys(assets).some((name) => name.startsWith("chunks/"))).toBe(true);
    for (const [name, path] of Object.entries(bundle.files)) expect(await (assets[name] as pulumi.asset.FileAsset).path).toBe(path);
    expect(bundle.files["index.mjs"]).toBe(bundle.path);
  });

  it("sends the function's JSON output to the audit log group, and keeps platform lines out of it", () => {
    const fn = program.one("aws:lambda/function:Function").inputs;
    expect(fn.loggingConfig).toEqual({
      logFormat: "JSON",
      logGroup: program.one("aws:cloudwatch/logGroup:LogGroup").state.name,
      applicationLogLevel: "INFO",
      systemLogLevel: "WARN",
    });
  });

  it("gives the function every setting through the environment variables the authorizer reads", () => {
    const fn = program.one("aws:lambda/function:Function").inputs as { environment: { variables: Record<string, string> } };
    expect(fn.environment.variables).toEqual({
      KINDE_DOMAIN: "https://acme.kinde.com",
      KINDE_M2M_CLIENT_ID: "m2m-client-id",
      KINDE_M2M_CLIENT_SECRET_ARN: program.one("aws:secretsmanager/secret:Secret").state.arn,
      CACHE_TABLE_NAME: program.one("aws:dynamodb/table:Table").state.name,
      CACHE_TTL_SECONDS: "600",
      NEGATIVE_CACHE_TTL_SECONDS: "15",
      MEMORY_CACHE_TTL_SECONDS: "20",
      MEMORY_CACHE_MAX_ENTRIES: "10000",
      STALE_IF_ERROR_SECONDS: "120",
      VERIFY_TIMEOUT_MS: "4000",
      DYNAMODB_TIMEOUT_MS: "300",
      FAILED_KEYS_PER_IP_PER_MINUTE: "20",
      KINDE_API_IDS: "api_0123456789abcdef0123456789abcdef",
      KEY_METADATA_TTL_SECONDS: "86400",
      ACCEPT_KEYS_FOR_ANY_API: "false",
      REQUIRED_SCOPES: "api:access api:read",
      ALLOW_ORG_KEYS: "true",
      ROUTE_SCOPES: JSON.stringify({ "GET /profile/*": "read:profile", "POST /orders": ["write:orders", "billing"] }),
    });
  });

  it("and the authorizer's own configuration loader accepts that environment as it is", async () => {
    const { loadConfig } = await import("../../lambda/config.js");
    const fn = program.one("aws:lambda/function:Function").inputs as { environment: { variables: Record<string, string> } };
    const config = loadConfig(fn.environment.variables);
    expect(config.kinde).toEqual({ domain: "https://acme.kinde.com", clientId: "m2m-client-id", clientSecretArn: expect.stringMatching(/^arn:aws:secretsmanager:/) });
    expect(config.routeRules).toEqual([
      { method: "GET", path: "/profile/*", scopes: ["read:profile"] },
      { method: "POST", path: "/orders", scopes: ["write:orders", "billing"] },
    ]);
  });
});

describe("per protected API", () => {
  const functionInvokeArn = () => program.one("aws:lambda/function:Function").state.invokeArn;

  it("creates a REQUEST authorizer on the Authorization header and, since route rules are set, the route, with the configured result TTL", () => {
    const ownApiId = program.one("aws:apigateway/restApi:RestApi").id;
    for (const [name, restApi] of [
      ["keys-orders-authorizer", ownApiId],
      ["keys-a1b2c3d4e5-authorizer", "a1b2c3d4e5"],
    ]) {
      expect(program.one("aws:apigateway/authorizer:Authorizer", name).inputs).toEqual({
        restApi,
        type: "REQUEST",
        // The answer is cached per key and route: route rules are decided on the route API Gateway resolved.
        identitySource: "method.request.header.Authorization, context.resourcePath, context.httpMethod",
        authorizerResultTtlInSeconds: 60,
        authorizerUri: functionInvokeArn(),
      });
    }
  });

  it("lets each API invoke the function only through its own authorizer", () => {
    const fnName = program.one("aws:lambda/function:Function").state.name;
    const ownApi = program.one("aws:apigateway/restApi:RestApi");
    const orders = program.one("aws:lambda/permission:Permission", "keys-orders-invoke").inputs;
    const byId = program.one("aws:lambda/permission:Permission", "keys-a1b2c3d4e5-invoke").inputs;
    const authorizerId = (name: string) => program.one("aws:apigateway/authorizer:Authorizer", name).id;

    expect(orders).toEqual({
      action: "lambda:InvokeFunction",
      function: fnName,
      principal: "apigateway.amazonaws.com",
      sourceArn: `${String(ownApi.state.executionArn)}/authorizers/${authorizerId("keys-orders-authorizer")}`,
    });
    // An API named by id: its execution ARN is built from the partition, Region and account the component deploys to.
    expect(byId.sourceArn).toBe(`arn:${MOCK_PARTITION}:execute-api:${MOCK_REGION}:${MOCK_ACCOUNT}:a1b2c3d4e5/authorizers/${authorizerId("keys-a1b2c3d4e5-authorizer")}`);
    expect(program.calls.map((call) => call.token).sort()).toEqual([
      "aws:index/getCallerIdentity:getCallerIdentity",
      "aws:index/getPartition:getPartition",
      "aws:index/getRegion:getRegion",
    ]);
  });

  it("answers 401 with WWW-Authenticate, 403, and 503 with Retry-After for authorizer failures, in JSON", () => {
    const responses = program.all("aws:apigateway/response:Response").filter((r) => r.inputs.restApiId === "a1b2c3d4e5");
    const byType = Object.fromEntries(responses.map((r) => [r.inputs.responseType, r.inputs]));
    expect(byType).toEqual({
      UNAUTHORIZED: {
        restApiId: "a1b2c3d4e5",
        responseType: "UNAUTHORIZED",
        statusCode: "401",
        responseParameters: { "gatewayresponse.header.WWW-Authenticate": "'Bearer'" },
        responseTemplates: { "application/json": '{"message":"Unauthorized"}' },
      },
      ACCESS_DENIED: {
        restApiId: "a1b2c3d4e5",
        responseType: "ACCESS_DENIED",
        statusCode: "403",
        responseTemplates: { "application/json": '{"message":"Forbidden"}' },
      },
      AUTHORIZER_FAILURE: {
        restApiId: "a1b2c3d4e5",
        responseType: "AUTHORIZER_FAILURE",
        statusCode: "503",
        responseParameters: { "gatewayresponse.header.Retry-After": "'5'" },
        responseTemplates: { "application/json": '{"message":"Key verification is temporarily unavailable"}' },
      },
      AUTHORIZER_CONFIGURATION_ERROR: {
        restApiId: "a1b2c3d4e5",
        responseType: "AUTHORIZER_CONFIGURATION_ERROR",
        statusCode: "503",
        responseParameters: { "gatewayresponse.header.Retry-After": "'5'" },
        responseTemplates: { "application/json": '{"message":"Key verification is temporarily unavailable"}' },
      },
    });
    for (const response of responses) JSON.parse(String((response.inputs.responseTemplates as Record<string, string>)["application/json"]));
  });
});

describe("UserKeyAuthorizer's outputs", () => {
  it("lists authorizer ids in the order of args.apis", async () => {
    const ids = await Promise.all(auth.authorizerIds.map(valueOf));
    expect(ids).toEqual([program.one("aws:apigateway/authorizer:Authorizer", "keys-orders-authorizer").id, program.one("aws:apigateway/authorizer:Authorizer", "keys-a1b2c3d4e5-authorizer").id]);
    expect(await valueOf(auth.apis)).toEqual([
      { name: "orders", restApiId: program.one("aws:apigateway/restApi:RestApi").id, authorizerId: ids[0], stageNames: ["prod"] },
      { name: "a1b2c3d4e5", restApiId: "a1b2c3d4e5", authorizerId: ids[1], stageNames: ["prod", "staging"] },
    ]);
    expect(auth.gatewayResponses).toHaveLength(8);
  });

  it("reports the function, table, log group and secret", async () => {
    expect(await valueOf(auth.functionName)).toBe(program.one("aws:lambda/function:Function").state.name);
    expect(await valueOf(auth.functionArn)).toBe(program.one("aws:lambda/function:Function").state.arn);
    expect(await valueOf(auth.tableName)).toBe(program.one("aws:dynamodb/table:Table").state.name);
    expect(await valueOf(auth.auditLogGroupName)).toBe(program.one("aws:cloudwatch/logGroup:LogGroup").state.name);
    expect(await valueOf(auth.secretArn)).toBe(program.one("aws:secretsmanager/secret:Secret").state.arn);
    expect(auth.openApiSecurityScheme).toBeUndefined();
  });

  it("registers those outputs on the component", () => {
    const outputs = registeredOutputs("keygate:index:UserKeyAuthorizer::keys") as Record<string, unknown>;
    expect(Object.keys(outputs).sort()).toEqual(["apis", "auditLogGroupName", "authorizerIds", "dashboardUrl", "functionArn", "functionName", "httpApiAuthorizerIds", "httpApis", "secretArn", "tableName"]);
  });
});
