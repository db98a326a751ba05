import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { MOCK_ACCOUNT, MOCK_PARTITION, mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

// One program, three components: "logged" creates the account's CloudWatch role and protects an API of
// this program (its demo route) and one by id; "trusting" relies on the account's existing role;
// "unlogged" leaves access logs off. The check on stages that drop their settings is run on its own:
// through a component, its failure ends the program.

let program: MockedProgram;
let UserKeyAuthorizer: typeof import("../../infra/user-key-authorizer").UserKeyAuthorizer;
let accessLogs: typeof import("../../infra/access-logs");
let logged: import("../../infra/user-key-authorizer").UserKeyAuthorizer;
let trusting: import("../../infra/user-key-authorizer").UserKeyAuthorizer;
let unlogged: import("../../infra/user-key-authorizer").UserKeyAuthorizer;

const kinde = { domain: "https://acme.kinde.com", clientId: "m2m-client-id", clientSecret: "not-the-real-secret", apiIds: ["api_0a1b2c"] };

/** Settles an Output whose value may fail (its three internal promises reject together; all are observed). */
async function outcome(output: pulumi.Output<unknown>): Promise<{ value?: unknown; error?: string }> {
  const internals = output as unknown as { promise(): Promise<unknown>; isKnown: Promise<boolean>; isSecret: Promise<boolean> };
  const [value] = await Promise.allSettled([internals.promise(), internals.isKnown, internals.isSecret]);
  return value.status === "fulfilled" ? { value: value.value } : { error: (value.reason as Error).message };
}

beforeAll(async () => {
  program = await mockPulumi();
  ({ UserKeyAuthorizer } = await import("../../infra/user-key-authorizer.js"));
  accessLogs = await import("../../infra/access-logs.js");
  const { DemoWhoamiRoute } = await import("../../infra/demo-api.js");
  const demoApi = new aws.apigateway.RestApi("logged-demo", {});
  logged = new UserKeyAuthorizer("logged", {
    kinde,
    apis: [
      {
        name: "demo",
        restApi: demoApi,
        stageNames: ["demo"],
        deployStages: ({ authorizer, gatewayResponses, accessLogSettings }) => [
          new DemoWhoamiRoute("logged-demo", { restApi: demoApi, authorizer, deploymentDependsOn: gatewayResponses, stageName: "demo", ...(accessLogSettings ? { accessLogSettings } : {}) }).stage,
        ],
      },
      { restApiId: "a1b2c3d4e5", stageNames: ["prod"] },
    ],
    accessLogs: { enabled: true, cloudWatchRole: "create", retentionInDays: 30 },
    tags: { team: "platform" },
  });
  const trustingApi = new aws.apigateway.RestApi("trusting-api", {});
  trusting = new UserKeyAuthorizer("trusting", {
    kinde,
    apis: [
      {
        restApi: trustingApi,
        stageNames: ["prod"],
        deployStages: ({ accessLogSettings }) => [new aws.apigateway.Stage("trusting-prod", { restApi: trustingApi.id, deployment: "d1", stageName: "prod", ...(accessLogSettings ? { accessLogSettings } : {}) })],
      },
    ],
    accessLogs: { enabled: true, cloudWatchRole: "existing" },
  });
  unlogged = new UserKeyAuthorizer("unlogged", { kinde, apis: [{ restApiId: "f6g7h8i9j0", stageNames: ["prod"] }] });
  await valueOf(logged.accessLogGroupName!);
  await valueOf(trusting.accessLogGroupName!);
  await registrationsSettled();
});

const ofComponent = (type: string, component: string) => program.all(type).filter((resource) => resource.name.startsWith(`${component}-`));
const accessGroup = (component: string) => program.one("aws:cloudwatch/logGroup:LogGroup", `${component}-access`);

describe("the access log format", () => {
  it("is one line of JSON once API Gateway fills in its variables, even with `-` for the values it lacks", () => {
    const format = accessLogs.ACCESS_LOG_FORMAT;
    expect(format).not.toContain("\n");
    const onCacheHit = JSON.parse(format.replace(/\$context\.[A-Za-z.]+/g, "-")) as Record<string, string>;
    expect(Object.keys(onCacheHit).length).toBe(Object.keys(accessLogs.ACCESS_LOG_FIELDS).length);
  });

  it("holds who called (the authorizer's user_id and key_id), the status, the latencies and the request id", () => {
    const format = accessLogs.ACCESS_LOG_FORMAT;
    for (const variable of [
      "$context.requestId",
      "$context.authorizer.user_id",
      "$context.authorizer.key_id",
      "$context.status",
      "$context.responseLatency",
      "$context.authorizer.latency",
      "$context.authorizer.integrationLatency",
    ]) {
      expect(format).toContain(`"${variable}"`);
    }
    expect(JSON.parse(format)).toMatchObject({ user_id: "$context.authorizer.user_id", key_id: "$context.authorizer.key_id", status: "$context.status", request_id: "$context.requestId" });
  });

  it("never holds the usage key's value, only its id", () => {
    const variables = accessLogs.ACCESS_LOG_FORMAT.match(/\$context\.[A-Za-z.]+/g) ?? [];
    expect(variables).toContain("$context.identity.apiKeyId");
    expect(variables).not.toContain("$context.identity.apiKey");
    expect(variables.filter((variable) => /apikey$/i.test(variable))).toEqual([]);
  });
});

describe("with accessLogs and cloudWatchRole create", () => {
  it("keeps the access logs in a log group of their own, with the retention asked for and the tags", () => {
    expect(accessGroup("logged").inputs).toMatchObject({ retentionInDays: 30, tags: { team: "platform" } });
    expect(accessGroup("logged").state.name).not.toBe(program.one("aws:cloudwatch/logGroup:LogGroup", "logged-audit").state.name);
  });

  it("turns them on for the stage deployStages created, in Keygate's format", async () => {
    const stage = program.one("aws:apigateway/stage:Stage", "logged-demo-stage");
    expect(stage.inputs.accessLogSettings).toEqual({ destinationArn: accessGroup("logged").state.arn, format: accessLogs.ACCESS_LOG_FORMAT });
    expect(await valueOf(logged.accessLogGroupName!)).toBe(accessGroup("logged").state.name);
    expect(await valueOf(logged.accessLogSettings!)).toEqual({ destinationArn: accessGroup("logged").state.arn, format: accessLogs.ACCESS_LOG_FORMAT });
  });

  it("sets the account's API Gateway CloudWatch role: one API Gateway may assume, with the managed push-to-logs policy", () => {
    const role = program.one("aws:iam/role:Role", "logged-apigateway-cloudwatch");
    expect(JSON.parse(String(role.inputs.assumeRolePolicy))).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEqualsIfExists: { "aws:SourceAccount": MOCK_ACCOUNT } } },
      ],
    });
    expect(program.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "logged-apigateway-cloudwatch").inputs).toEqual({
      role: role.state.name,
      policyArn: `arn:${MOCK_PARTITION}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
    });
    expect(program.one("aws:apigateway/account:Account", "logged-apigateway-account").inputs).toEqual({ cloudwatchRoleArn: role.state.arn });
  });

  it("saves a Logs Insights query of requests per user over the access logs, cache hits included", () => {
    const queries = ofComponent("aws:cloudwatch/queryDefinition:QueryDefinition", "logged").filter((query) => query.name.startsWith("logged-query-access-"));
    expect(queries.map((query) => query.name)).toEqual(["logged-query-access-requests-per-user"]);
    const query = queries[0]!.inputs;
    expect(query.logGroupNames).toEqual([accessGroup("logged").state.name]);
    expect(String(query.name)).toMatch(/^Keygate\/.+\/access-log\/requests-per-user$/);
    expect(String(query.queryString)).toContain("stats count(*) as requests");
    expect(String(query.queryString)).toContain("by user_id");
    // Every field the query reads is one the format writes.
    // Field names are snake_case; a name followed by "(" is a function, one after "as" the column it makes.
    const read = String(query.queryString).replace(/\bas \w+/g, "").match(/\b[a-z]+(?:_[a-z]+)+\b(?!\()/g) ?? [];
    expect(new Set(read)).toEqual(new Set(["user_id", "key_id"]));
    for (const field of read) expect(Object.keys(accessLogs.ACCESS_LOG_FIELDS), field).toContain(field);
  });

  it("registers nothing in the Region for the API named by id: its stages are defined elsewhere", () => {
    expect(program.all("aws:apigateway/stage:Stage").map((stage) => String(stage.inputs.restApi))).not.toContain("a1b2c3d4e5");
  });
});

describe("with cloudWatchRole existing", () => {
  it("logs the stages and leaves the account's role alone", async () => {
    expect(program.one("aws:apigateway/stage:Stage", "trusting-prod").inputs.accessLogSettings).toEqual({ destinationArn: accessGroup("trusting").state.arn, format: accessLogs.ACCESS_LOG_FORMAT });
    expect(ofComponent("aws:apigateway/account:Account", "trusting")).toEqual([]);
    expect(ofComponent("aws:iam/role:Role", "trusting").map((role) => role.name)).toEqual(["trusting-authorizer"]);
    expect(accessGroup("trusting").inputs.retentionInDays).toBe(90);
  });
});

describe("a deployStages that drops the access log settings", () => {
  it("is refused, naming deployStages and the stage", async () => {
    const settings = pulumi.output({ destinationArn: `arn:aws:logs:eu-west-1:${MOCK_ACCOUNT}:log-group:careless-access`, format: accessLogs.ACCESS_LOG_FORMAT });
    const logging = new aws.apigateway.Stage("careful-prod", { restApi: "a1b2c3d4e5", deployment: "d1", stageName: "beta", accessLogSettings: settings });
    expect(await outcome(accessLogs.checkStagesLog(0, [logging], settings))).toEqual({ value: true });
    const careless = new aws.apigateway.Stage("careless-prod", { restApi: "a1b2c3d4e5", deployment: "d1", stageName: "prod" });
    expect(await outcome(accessLogs.checkStagesLog(1, [logging, careless], settings))).toEqual({
      error: 'args.apis[1].deployStages created stage "prod" without the access log settings it was given: with accessLogs, set accessLogSettings: api.accessLogSettings on every stage it creates',
    });
  });
});

describe("without accessLogs", () => {
  it("creates no access log group, no account role and no access log query", () => {
    expect(ofComponent("aws:cloudwatch/logGroup:LogGroup", "unlogged").map((group) => group.name)).toEqual(["unlogged-audit"]);
    expect(ofComponent("aws:apigateway/account:Account", "unlogged")).toEqual([]);
    expect(ofComponent("aws:cloudwatch/queryDefinition:QueryDefinition", "unlogged").filter((query) => query.name.includes("-access-"))).toEqual([]);
    expect(unlogged.accessLogGroupName).toBeUndefined();
    expect(unlogged.accessLogSettings).toBeUndefined();
  });

  it("must be asked for with the account's role named: never set for the whole account by default", () => {
    expect(() => new UserKeyAuthorizer("undecided", { kinde, apis: [{ restApiId: "k1l2m3n4o5", stageNames: ["prod"] }], accessLogs: { enabled: true } })).toThrow(
      /^args\.accessLogs\.cloudWatchRole is required with access logs: .*"existing" if the account already has one .*"create" to create one and set it for the whole account and Region$/,
    );
    expect(() => new UserKeyAuthorizer("misspelt", { kinde, apis: [{ restApiId: "k1l2m3n4o5" }], accessLogs: { enabled: true, cloudWatchRole: "make" as "create" } })).toThrow(
      /^args\.accessLogs\.cloudWatchRole must be/,
    );
  });
});
