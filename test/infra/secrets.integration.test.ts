import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { registeredOutputs } from "./support/mock-monitor";
import { mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

/*
 * Where the Kinde client secret goes. What mocks CAN show: every input the program sends for
 * every resource, the component's outputs and registered outputs, and whether the SDK sent the
 * value marked as a secret. What they CANNOT show: that the engine encrypts it in the state file,
 * how the real provider stores and returns SecretVersion.secretString, what `pulumi stack output`
 * or the console display, and anything the function later logs at run time (the authorizer's own
 * tests cover its logs). Those rest on Pulumi's and the provider's secret handling.
 */

const SECRET = "kinde-client-secret-8f3a1c9e";
const PLAIN_SECRET = "plain-client-secret-77d2e0b4";
// How the SDK marks a secret value on the wire (and what mocks receive).
const SECRET_SIGNATURE = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };

let program: MockedProgram;
let auth: import("../../infra/user-key-authorizer").UserKeyAuthorizer;

beforeAll(async () => {
  program = await mockPulumi();
  const { UserKeyAuthorizer } = await import("../../infra/user-key-authorizer.js");
  auth = new UserKeyAuthorizer("keys", {
    kinde: { domain: "https://acme.kinde.com", clientId: "client-id", clientSecret: pulumi.secret(SECRET), apiIds: ["api_0123456789abcdef0123456789abcdef"] },
    apis: [{ restApiId: "a1b2c3d4e5" }],
    openApi: true,
    tags: { team: "platform" },
  });
  // A caller that forgets pulumi.secret: the component must mark the value itself.
  new UserKeyAuthorizer("plain", {
    kinde: { domain: "https://acme.kinde.com", clientId: "client-id", clientSecret: PLAIN_SECRET, apiIds: ["api_0123456789abcdef0123456789abcdef"] },
    apis: [{ restApiId: "b1b2c3d4e5" }],
  });
  await valueOf(auth.apis);
  await registrationsSettled();
});

const mentionsSecret = (value: unknown): boolean => JSON.stringify(value ?? null).includes(SECRET);

describe("the Kinde client secret", () => {
  it("is stored in Secrets Manager, sent marked as a secret", () => {
    const version = program.one("aws:secretsmanager/secretVersion:SecretVersion", "keys-kinde-client-secret").inputs;
    expect(version.secretString).toEqual({ ...SECRET_SIGNATURE, value: SECRET });
    expect(version.secretId).toBe(program.one("aws:secretsmanager/secret:Secret", "keys-kinde-client-secret").id);
  });

  it("is sent marked as a secret even when the caller passed a plain string", () => {
    const version = program.one("aws:secretsmanager/secretVersion:SecretVersion", "plain-kinde-client-secret").inputs;
    expect(version.secretString).toEqual({ ...SECRET_SIGNATURE, value: PLAIN_SECRET });
  });

  it("appears in no other input of any resource: not the function's environment, names, tags or descriptions", () => {
    const elsewhere = program.resources.filter((r) => r.type !== "aws:secretsmanager/secretVersion:SecretVersion" && (mentionsSecret(r.inputs) || JSON.stringify(r.inputs).includes(PLAIN_SECRET)));
    expect(elsewhere.map((r) => r.name)).toEqual([]);
    const fn = program.one("aws:lambda/function:Function", "keys-authorizer").inputs as { environment: { variables: Record<string, string> } };
    expect(fn.environment.variables.KINDE_M2M_CLIENT_SECRET_ARN).toBe(program.one("aws:secretsmanager/secret:Secret", "keys-kinde-client-secret").state.arn);
    expect(Object.keys(fn.environment.variables)).not.toContain("KINDE_M2M_CLIENT_SECRET");
    expect(program.resources.some((r) => r.name.includes(SECRET))).toBe(false);
  });

  it("is in none of the component's outputs", async () => {
    const outputs = [
      ...(await Promise.all(auth.authorizerIds.map(valueOf))),
      await valueOf(auth.apis),
      await valueOf(auth.functionName),
      await valueOf(auth.functionArn),
      await valueOf(auth.functionInvokeArn),
      await valueOf(auth.tableName),
      await valueOf(auth.auditLogGroupName),
      await valueOf(auth.secretArn),
      await valueOf(auth.openApiSecurityScheme!),
      auth.openApiGatewayResponses,
    ];
    expect(outputs.filter(mentionsSecret)).toEqual([]);
    expect(mentionsSecret(registeredOutputs("keygate:index:UserKeyAuthorizer::keys"))).toBe(false);
  });

  it("is not passed up as the component's own inputs either", () => {
    expect(program.one("keygate:index:UserKeyAuthorizer", "keys").inputs).toEqual({});
  });
});
