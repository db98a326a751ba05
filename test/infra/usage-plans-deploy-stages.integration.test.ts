import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { ApiAttachment } from "../../infra/api-attachment";
import type { ResolvedApi } from "../../infra/validate-args";
import { mockPulumi, registrationsSettled } from "./support/pulumi-mocks";

// The checks only a program-owned API's resources can answer, made once they resolve: its
// apiKeySource, and the stages deployStages really created.

let usage: typeof import("../../infra/usage-plans");
let UserKeyAuthorizer: typeof import("../../infra/user-key-authorizer").UserKeyAuthorizer;

/** Settles an Output whose value may fail (its three internal promises reject together; all are observed). */
async function outcome(output: pulumi.Input<string>): Promise<{ value?: unknown; error?: string }> {
  const internals = output as unknown as { promise(): Promise<unknown>; isKnown: Promise<boolean>; isSecret: Promise<boolean> };
  const [value] = await Promise.allSettled([internals.promise(), internals.isKnown, internals.isSecret]);
  return value.status === "fulfilled" ? { value: value.value } : { error: (value.reason as Error).message };
}

function ownApi(name: string, apiKeySource: string | undefined, stageNames: string[], deployedNames: string[]) {
  const restApi = new aws.apigateway.RestApi(name, apiKeySource ? { apiKeySource } : {});
  const stages = deployedNames.map((stageName) => new aws.apigateway.Stage(`${name}-${stageName}`, { restApi: restApi.id, deployment: "d1", stageName }));
  const api: ResolvedApi = { key: name, restApi, stageNames, deployStages: () => stages };
  // Only restApiId is read from the attachment.
  const attachment = { restApiId: restApi.id } as unknown as ApiAttachment;
  return { restApi, stages, metered: usage.meteredStages(0, api, attachment, stages) };
}

beforeAll(async () => {
  await mockPulumi();
  usage = await import("../../infra/usage-plans.js");
  ({ UserKeyAuthorizer } = await import("../../infra/user-key-authorizer.js"));
});

describe("an API of this program, once its resources resolve", () => {
  it("with apiKeySource AUTHORIZER and the stages named: the plans get its id and each stage", async () => {
    const { restApi, metered } = ownApi("fine", "AUTHORIZER", ["prod", "beta"], ["beta", "prod"]);
    const id = await outcome(restApi.id);
    expect(await Promise.all(metered.map(async (stage) => [await outcome(stage.apiId), await outcome(stage.stage)]))).toEqual([
      [id, { value: "beta" }],
      [id, { value: "prod" }],
    ]);
  });

  it.each([
    [undefined, '"HEADER"'],
    ["HEADER", '"HEADER"'],
  ])("with apiKeySource %j: refused, naming the setting", async (apiKeySource, shown) => {
    const { metered } = ownApi(`source-${String(apiKeySource)}`, apiKeySource, ["prod"], ["prod"]);
    expect(await outcome(metered[0]!.apiId)).toEqual({
      error: `args.apis[0].restApi has apiKeySource ${shown}; usage plans need "AUTHORIZER", or API Gateway meters by the caller's x-api-key header and ignores the authorizer's key`,
    });
  });

  it("with stages other than stageNames: refused", async () => {
    const { metered } = ownApi("mismatch", "AUTHORIZER", ["prod"], ["staging"]);
    expect(await outcome(metered[0]!.apiId)).toEqual({ error: "args.apis[0].stageNames are prod, but deployStages created staging: the plans cover the stages named" });
  });

  it("an API named by id: its stageNames as they are", async () => {
    const api: ResolvedApi = { key: "a1b2c3d4e5", restApiId: "a1b2c3d4e5", stageNames: ["prod", "staging"] };
    const metered = usage.meteredStages(0, api, { restApiId: pulumi.output("a1b2c3d4e5") } as unknown as ApiAttachment, undefined);
    expect(await Promise.all(metered.map(async (stage) => [await outcome(stage.apiId), stage.stage]))).toEqual([
      [{ value: "a1b2c3d4e5" }, "prod"],
      [{ value: "a1b2c3d4e5" }, "staging"],
    ]);
  });
});

describe("deployStages", () => {
  it("must return the stages it created", async () => {
    const restApi = new aws.apigateway.RestApi("returns-nothing", { apiKeySource: "AUTHORIZER" });
    expect(
      () =>
        new UserKeyAuthorizer("keys", {
          kinde: { domain: "https://acme.kinde.com", clientId: "client-id", clientSecret: "client-secret", apiIds: ["api_0123456789abcdef0123456789abcdef"] },
          apis: [{ name: "own", restApi, stageNames: ["prod"], deployStages: () => [] }],
          usagePlans: { tiers: { free: {} } },
        }),
    ).toThrow("args.apis[0].deployStages must return the aws.apigateway.Stage resources it created");
    await registrationsSettled();
  });
});
