import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { UserKeyAuthorizerArgs } from "../../infra/args";
import { registeredUrns, typeChain } from "./support/mock-monitor";
import { MOCK_PARTITION, MOCK_REGION, mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

// The optional web ACL: one program with two components, one with `waf` (an API of the program with
// two deployed stages, and one named by id with one stage) and one without; then the settings that
// must stop preview.

let program: MockedProgram;
let UserKeyAuthorizer: typeof import("../../infra/user-key-authorizer").UserKeyAuthorizer;
let waf: typeof import("../../infra/waf");
let ordersApi: aws.apigateway.RestApi;
let deployedStages: aws.apigateway.Stage[];

const kinde = { domain: "https://acme.kinde.com", clientId: "client-id", clientSecret: "client-secret", apiIds: ["api_0a1b2c3d"] };
const ACL = "aws:wafv2/webAcl:WebAcl";
const ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation";

beforeAll(async () => {
  program = await mockPulumi();
  ({ UserKeyAuthorizer } = await import("../../infra/user-key-authorizer.js"));
  waf = await import("../../infra/waf.js");
  ordersApi = new aws.apigateway.RestApi("orders-api", {});
  const guarded = new UserKeyAuthorizer("guarded", {
    kinde,
    apis: [
      {
        name: "orders",
        restApi: ordersApi,
        stageNames: ["prod", "beta"],
        deployStages: () => {
          deployedStages = ["prod", "beta"].map((stageName) => new aws.apigateway.Stage(`orders-${stageName}`, { restApi: ordersApi.id, deployment: "d1", stageName }));
          return deployedStages;
        },
      },
      { restApiId: "a1b2c3d4e5", stageNames: ["live"] },
    ],
    waf: { requestsPerFiveMinutesPerIp: 2_000 },
    tags: { team: "platform" },
  });
  const plain = new UserKeyAuthorizer("plain", { kinde, apis: [{ restApiId: "f6g7h8i9j0", stageNames: ["prod"] }] });
  await Promise.all([valueOf(guarded.apis), valueOf(plain.apis)]);
  await registrationsSettled();
});

describe("with waf.requestsPerFiveMinutesPerIp", () => {
  it("creates one regional web ACL that allows by default, child of the component, with metrics", () => {
    const acl = program.one(ACL, "guarded-waf");
    expect(acl.inputs).toMatchObject({
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: "guarded-waf", sampledRequestsEnabled: true },
      tags: { team: "platform" },
    });
    const urn = registeredUrns().find((candidate) => candidate.endsWith(`::guarded-waf`))!;
    expect(typeChain(urn)).toEqual(["keygate:index:UserKeyAuthorizer", ACL]);
  });

  it("has one rule: block an IP above the limit in a 5-minute window, counted by source IP", () => {
    expect(program.one(ACL, "guarded-waf").inputs.rules).toEqual([
      {
        name: "requests-per-ip",
        priority: 0,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: 2_000, aggregateKeyType: "IP", evaluationWindowSec: 300 } },
        visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: "guarded-waf-requests-per-ip", sampledRequestsEnabled: true },
      },
    ]);
  });

  it("associates it with every protected stage of every API, one association each, named after the API and stage", async () => {
    const acl = program.one(ACL, "guarded-waf");
    const ordersId = await valueOf(ordersApi.id);
    const stageArn = (apiId: string, stage: string) => `arn:${MOCK_PARTITION}:apigateway:${MOCK_REGION}::/restapis/${apiId}/stages/${stage}`;
    const associations = program
      .all(ASSOCIATION)
      .filter((association) => association.name.startsWith("guarded-"))
      .map((association) => [association.name, association.inputs.resourceArn, association.inputs.webAclArn]);
    expect(associations.sort()).toEqual(
      [
        ["guarded-a1b2c3d4e5-live-waf", stageArn("a1b2c3d4e5", "live"), acl.state.arn],
        ["guarded-orders-beta-waf", stageArn(ordersId, "beta"), acl.state.arn],
        ["guarded-orders-prod-waf", stageArn(ordersId, "prod"), acl.state.arn],
      ].sort(),
    );
    for (const name of associations.map(([association]) => String(association))) {
      expect(typeChain(registeredUrns().find((urn) => urn.endsWith(`::${name}`))!)).toEqual(["keygate:index:UserKeyAuthorizer", ASSOCIATION]);
    }
  });

  it("waits for the stages a program's API deploys: each of its stages carries them, an API named by id carries none", () => {
    const attachment = (key: string, restApiId: string, stageNames: string[]) => ({ key, restApiId, stageNames }) as unknown as import("../../infra/api-attachment").ApiAttachment;
    const stages = waf.protectedStages([attachment("orders", "x", ["prod", "beta"]), attachment("byid", "y", ["live"])], [deployedStages, undefined]);
    expect(stages.map((stage) => [stage.apiKey, stage.stageName, stage.deployed])).toEqual([
      ["orders", "prod", deployedStages],
      ["orders", "beta", deployedStages],
      ["byid", "live", undefined],
    ]);
  });
});

describe("without waf", () => {
  it("creates no web ACL and no association for that component", () => {
    expect(program.all(ACL).filter((acl) => acl.name.startsWith("plain-"))).toEqual([]);
    expect(program.all(ASSOCIATION).filter((association) => association.name.startsWith("plain-"))).toEqual([]);
  });
});

describe("settings preview refuses", () => {
  const build =
    (args: Partial<UserKeyAuthorizerArgs>, name = "refused") =>
    () =>
      new UserKeyAuthorizer(name, { kinde, apis: [{ restApiId: "a1b2c3d4e5", stageNames: ["prod"] }], ...args });

  it.each([9, 0, -1, 2_000_000_001, 100.5])("a limit AWS WAF would not take: %s", (limit) => {
    expect(build({ waf: { requestsPerFiveMinutesPerIp: limit } })).toThrow(`args.waf.requestsPerFiveMinutesPerIp must be a whole number from 10 to 2000000000 (got ${limit})`);
  });

  it("a limit that is not a number", () => {
    expect(build({ waf: { requestsPerFiveMinutesPerIp: "100" as unknown as number } })).toThrow('args.waf.requestsPerFiveMinutesPerIp must be a whole number from 10 to 2000000000 (got "100")');
  });

  it("accepts both ends of AWS WAF's range", () => {
    for (const limit of [10, 2_000_000_000]) expect(build({ waf: { requestsPerFiveMinutesPerIp: limit } }, `accepted-${limit}`)).not.toThrow();
  });

  it("an API without stageNames: there would be nothing to associate it with", () => {
    expect(build({ apis: [{ restApiId: "a1b2c3d4e5", stageNames: ["prod"] }, { restApiId: "b2c3d4e5f6" }], waf: { requestsPerFiveMinutesPerIp: 100 } })).toThrow(
      "args.apis[1].stageNames is empty: with waf, name the stages to protect (the web ACL is associated with each of them)",
    );
  });

  it("no API at all (OpenAPI only)", () => {
    expect(build({ apis: [], openApi: true, waf: { requestsPerFiveMinutesPerIp: 100 } })).toThrow(/^args\.waf\.requestsPerFiveMinutesPerIp is set, but apis is empty/);
  });

  it("an API of the program without deployStages: its stages might not exist yet", () => {
    const restApi = new aws.apigateway.RestApi("refused-api", {});
    expect(build({ apis: [{ restApi, stageNames: ["prod"] }], waf: { requestsPerFiveMinutesPerIp: 100 } })).toThrow(/^args\.apis\[0\]\.deployStages is required with waf/);
  });

  it("and registers nothing for the refused components", () => {
    expect(program.resources.filter((resource) => resource.name.startsWith("refused-") && resource.name !== "refused-api")).toEqual([]);
  });
});

describe("as a stack setting, keygate:wafRequestsPerFiveMinutesPerIp", () => {
  const required = { kindeDomain: "https://acme.kinde.com", kindeClientId: "client-id", kindeClientSecret: "client-secret", requiredScopes: "api:access" };
  const read = async (values: Record<string, string>) => {
    const { readStackConfig } = await import("../../infra/stack-config.js");
    const all: Record<string, string> = { ...required, ...values };
    return () => readStackConfig({ get: (key) => all[key], getSecret: (key) => (all[key] === undefined ? undefined : pulumi.secret(all[key]!)), names: () => Object.keys(all) });
  };

  it("reaches the component as waf.requestsPerFiveMinutesPerIp", async () => {
    expect((await read({ wafRequestsPerFiveMinutesPerIp: "500" }))().component.waf).toEqual({ requestsPerFiveMinutesPerIp: 500 });
    expect((await read({}))().component.waf).toBeUndefined();
  });

  it("is refused by its own name when AWS WAF would refuse it, or when the APIs have no stages", async () => {
    expect(await read({ wafRequestsPerFiveMinutesPerIp: "5" })).toThrow("keygate:wafRequestsPerFiveMinutesPerIp must be a whole number from 10 to 2000000000 (got 5)");
    expect(await read({ wafRequestsPerFiveMinutesPerIp: "500", restApiIds: "a1b2c3d4e5" })).toThrow(/^keygate:stageNames is empty: with waf/);
    expect(await read({ wafRequestsPerFiveMinutesPerIp: "500", demoApi: "false", openApi: "true" })).toThrow(/^keygate:wafRequestsPerFiveMinutesPerIp is set, but apis is empty/);
  });
});
