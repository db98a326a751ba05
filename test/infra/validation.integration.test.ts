import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { UserKeyAuthorizerArgs } from "../../infra/args";
import { SETTINGS, type SettingSpec } from "../../lambda/settings/settings-table";
import { mockPulumi, registrationsSettled, type MockedProgram } from "./support/pulumi-mocks";

// Every bad setting must stop the program before a resource is registered, with a message that
// starts with the setting's name. Each case constructs the component and expects it to throw.

let program: MockedProgram;
let UserKeyAuthorizer: typeof import("../../infra/user-key-authorizer").UserKeyAuthorizer;
let validate: typeof import("../../infra/validate-args");

const good = (): UserKeyAuthorizerArgs => ({
  kinde: { domain: "https://acme.kinde.com", clientId: "client-id", clientSecret: "client-secret", apiIds: ["api_0123456789abcdef0123456789abcdef"] },
  apis: [{ restApiId: "a1b2c3d4e5", stageNames: ["prod"] }],
});
const build = (change: (args: UserKeyAuthorizerArgs) => void) => () => {
  const args = good();
  change(args);
  return new UserKeyAuthorizer("keys", args);
};
/** Loose access for cases a TypeScript caller could not even write (JavaScript callers, bad config). */
const loose = (args: UserKeyAuthorizerArgs) => args as unknown as Record<string, unknown> & { kinde: Record<string, unknown>; apis: Record<string, unknown>[] };
/**
 * Settles an Output whose value may fail to resolve. Its value, known-ness and secret-ness are
 * three internal promises that all reject together; all three are observed here (as the Pulumi
 * runtime's rejection handler does in a real run), and the value's outcome is returned.
 */
async function outcome(output: pulumi.Input<string>): Promise<{ value?: unknown; error?: string }> {
  const internals = output as unknown as { promise(): Promise<unknown>; isKnown: Promise<boolean>; isSecret: Promise<boolean> };
  const [value] = await Promise.allSettled([internals.promise(), internals.isKnown, internals.isSecret]);
  return value.status === "fulfilled" ? { value: value.value } : { error: (value.reason as Error).message };
}

beforeAll(async () => {
  program = await mockPulumi();
  ({ UserKeyAuthorizer } = await import("../../infra/user-key-authorizer.js"));
  validate = await import("../../infra/validate-args.js");
});

type IntegerSetting = "cacheTtlSeconds" | "negativeCacheTtlSeconds" | "memoryCacheTtlSeconds" | "memoryCacheMaxEntries" | "staleIfErrorSeconds" | "verifyTimeoutMs" | "dynamoDbTimeoutMs" | "authorizerResultTtlSeconds" | "memorySizeMb";

describe("TTLs and budgets outside their range", () => {
  const cases: [IntegerSetting, number, number][] = [
    ["cacheTtlSeconds", 1, 86_400],
    ["negativeCacheTtlSeconds", 1, 86_400],
    ["memoryCacheTtlSeconds", 0, 86_400],
    ["memoryCacheMaxEntries", 1, 1_000_000],
    ["staleIfErrorSeconds", 0, 86_400],
    ["verifyTimeoutMs", 100, 30_000],
    ["dynamoDbTimeoutMs", 10, 2_000],
    ["authorizerResultTtlSeconds", 0, 3_600],
    ["memorySizeMb", 128, 10_240],
  ];
  it.each(cases)("args.%s must be a whole number from %i to %i", (setting, min, max) => {
    for (const bad of [min - 1, max + 1, min + 0.5]) {
      expect(build((args) => (loose(args)[setting] = bad)), `${setting} = ${bad}`).toThrow(`args.${setting} must be a whole number from ${min} to ${max} (got ${bad})`);
    }
    expect(build((args) => (loose(args)[setting] = "300"))).toThrow(`args.${setting} must be a whole number from ${min} to ${max} (got "300")`);
  });

  it("uses exactly the ranges the authorizer itself enforces at start-up", async () => {
    const { loadConfig } = await import("../../lambda/config.js");
    const base = { KINDE_DOMAIN: "https://acme.kinde.com", KINDE_M2M_CLIENT_ID: "id", KINDE_M2M_CLIENT_SECRET: "secret" };
    for (const [setting] of cases) {
      const variable = (SETTINGS[setting] as SettingSpec).env?.name;
      if (variable === undefined) continue;
      const { min, max } = SETTINGS[setting].kind;
      expect(() => loadConfig({ ...base, [variable]: String(min) }), `${variable}=${min}`).not.toThrow();
      expect(() => loadConfig({ ...base, [variable]: String(max) }), `${variable}=${max}`).not.toThrow();
      if (min > 0) expect(() => loadConfig({ ...base, [variable]: String(min - 1) }), `${variable}=${min - 1}`).toThrow(variable);
      expect(() => loadConfig({ ...base, [variable]: String(max + 1) }), `${variable}=${max + 1}`).toThrow(variable);
    }
  });

  it("accepts each range's ends", () => {
    for (const [setting, min, max] of cases) {
      for (const value of [min, max]) expect(() => validate.resolveSettings({ ...good(), [setting]: value }), `${setting} = ${value}`).not.toThrow();
    }
  });
});

describe("which keys the gateway accepts", () => {
  const unbound = (change: Partial<UserKeyAuthorizerArgs> = {}) => () =>
    new UserKeyAuthorizer("keys", { ...good(), kinde: { ...good().kinde, apiIds: undefined }, ...change });

  it("refuses a gateway that would accept an active key of any Kinde API of the business", () => {
    expect(unbound()).toThrow("args.kinde.apiIds is not set, and neither is requiredScopes: any active key issued for any API of your Kinde business would be accepted");
    expect(unbound({ requiredScopes: [] })).toThrow("args.kinde.apiIds is not set");
  });

  it("accepts one bound by a scope unique to its API, or the operator's explicit opt-in", () => {
    const unboundArgs = { ...good(), kinde: { ...good().kinde, apiIds: undefined } };
    expect(validate.resolveSettings({ ...unboundArgs, requiredScopes: ["orders:access"] }).kindeApiIds).toEqual([]);
    expect(validate.resolveSettings({ ...unboundArgs, acceptKeysForAnyApi: true }).acceptKeysForAnyApi).toBe(true);
  });

  it("refuses Kinde API ids that are not ids", () => {
    expect(build((args) => (args.kinde.apiIds = ["api one"]))).toThrow('args.kinde.apiIds contains "api one", which is not a Kinde API id');
  });
});

describe("the Kinde settings", () => {
  it.each([
    ["http://acme.kinde.com", 'args.kinde.domain must use https:// (got "http://acme.kinde.com")'],
    ["ftp://acme.kinde.com", "args.kinde.domain must use https://"],
    ["https://acme.kinde.com/oauth2", "args.kinde.domain must be a bare origin such as https://acme.kinde.com, with no path, query or credentials"],
    ["https://user:pass@acme.kinde.com", "args.kinde.domain must be a bare origin"],
    ["https://acme kinde.com", "args.kinde.domain must be a URL such as https://acme.kinde.com"],
    ["", "args.kinde.domain is required"],
  ])("refuses the domain %j", (domain, message) => {
    expect(build((args) => (args.kinde.domain = domain))).toThrow(message);
  });

  it("reads a bare host name as https and drops a trailing slash", () => {
    expect(validate.resolveSettings({ ...good(), kinde: { ...good().kinde, domain: "acme.kinde.com" } }).kindeDomain).toBe("https://acme.kinde.com");
    expect(validate.resolveSettings({ ...good(), kinde: { ...good().kinde, domain: "https://acme.kinde.com/" } }).kindeDomain).toBe("https://acme.kinde.com");
  });

  it.each([
    ["clientId", ""],
    ["clientId", "   "],
    ["clientSecret", ""],
    ["clientSecret", "  "],
  ] as const)("refuses an empty %s (%j)", (setting, value) => {
    expect(build((args) => (args.kinde[setting] = value))).toThrow(`args.kinde.${setting} must not be empty`);
  });

  it("refuses a missing client id or secret", () => {
    expect(build((args) => delete loose(args).kinde.clientSecret)).toThrow("args.kinde.clientSecret is required");
    expect(build((args) => delete loose(args).kinde.clientId)).toThrow("args.kinde.clientId is required");
    expect(build((args) => delete (args as { kinde?: unknown }).kinde)).toThrow("args.kinde is required");
  });

  it("refuses an empty client id or secret that only resolves later (a config secret, another stack's output)", async () => {
    const settings = validate.resolveSettings({ ...good(), kinde: { domain: "https://acme.kinde.com", clientId: pulumi.output(""), clientSecret: pulumi.secret(" "), apiIds: ["api_0123456789abcdef0123456789abcdef"] } });
    const [clientId, clientSecret] = await Promise.all([outcome(settings.clientId), outcome(settings.clientSecret)]);
    expect(clientId).toEqual({ error: "args.kinde.clientId must not be empty" });
    expect(clientSecret).toEqual({ error: "args.kinde.clientSecret must not be empty" });
    const fine = validate.resolveSettings({ ...good(), kinde: { ...good().kinde, clientSecret: pulumi.secret("ok-secret") } });
    expect(await outcome(fine.clientSecret)).toEqual({ value: "ok-secret" });
  });
});

describe("which APIs to protect", () => {
  it("refuses no API at all unless the authorizer is meant for OpenAPI definitions", () => {
    expect(build((args) => (args.apis = []))).toThrow("args.apis is empty and openApi is off: name at least one REST API (apis) or HTTP API (httpApis) to protect");
    expect(build((args) => delete args.apis)).toThrow("args.apis is empty");
    expect(() => validate.resolveSettings({ ...good(), apis: [], openApi: true })).not.toThrow();
  });

  it.each(["prod stage", "", "prød", "a".repeat(129), "prod/v1"])("refuses the stage name %j", (stage) => {
    expect(build((args) => (args.apis![0]!.stageNames = ["prod", stage]))).toThrow(
      `args.apis[0].stageNames contains ${JSON.stringify(stage)}, which is not a stage name: 1 to 128 letters, digits, "-" or "_"`,
    );
  });

  it("refuses a stage named twice, and a stage list that is not a list", () => {
    expect(build((args) => (args.apis![0]!.stageNames = ["prod", "prod"]))).toThrow('args.apis[0].stageNames names "prod" twice');
    expect(build((args) => (loose(args).apis[0]!.stageNames = "prod"))).toThrow('args.apis[0].stageNames must be a list of stage names (got "prod")');
  });

  it("refuses an id that is not a REST API id", () => {
    expect(build((args) => (args.apis = [{ restApiId: "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com" }]))).toThrow("args.apis[0].restApiId must be a REST API id: ten lower-case letters and digits");
    expect(build((args) => (args.apis = [{ restApiId: "A1B2C3D4E5" }]))).toThrow("args.apis[0].restApiId must be a REST API id");
  });

  it("needs exactly one of restApi and restApiId per entry", () => {
    const api = new aws.apigateway.RestApi("not-registered-until-the-end", {});
    expect(build((args) => (loose(args).apis = [{ stageNames: ["prod"] }]))).toThrow("args.apis[0] must set exactly one of restApi");
    expect(build((args) => (loose(args).apis = [{ restApi: api, restApiId: "a1b2c3d4e5" }]))).toThrow("args.apis[0] must set exactly one of restApi");
    expect(build((args) => (loose(args).apis = [{ restApi: { id: "a1b2c3d4e5" } }]))).toThrow("args.apis[0].restApi must be an aws.apigateway.RestApi resource");
  });

  it("refuses attaching the same API twice, or two entries under one name", () => {
    expect(build((args) => (args.apis = [{ restApiId: "a1b2c3d4e5" }, { restApiId: "a1b2c3d4e5" }]))).toThrow('args.apis[1] repeats apis[0] ("a1b2c3d4e5")');
    expect(build((args) => (args.apis = [{ name: "orders", restApiId: "a1b2c3d4e5" }, { name: "orders", restApiId: "f6g7h8i9j0" }]))).toThrow('args.apis[1].name repeats apis[0] ("orders")');
    expect(build((args) => (args.apis = [{ name: "orders v2", restApiId: "a1b2c3d4e5" }]))).toThrow('args.apis[0].name must be 1 to 64 letters, digits, "-" or "_" (got "orders v2")');
  });
});

describe("route rules", () => {
  it.each([
    [{ "GET": "read:profile" }, 'args.routeScopes is invalid: "GET": a route is "METHOD /path", e.g. "GET /profile/*"'],
    [{ "FETCH /profile": "read:profile" }, 'args.routeScopes is invalid: "FETCH /profile": unknown method "FETCH"'],
    [{ "GET profile": "read:profile" }, 'args.routeScopes is invalid: "GET profile": the path must start with "/"'],
    [{ "GET /profile": "" }, 'args.routeScopes is invalid: "GET /profile": the scope must be a non-empty string'],
    [{ "GET /profile": [] }, 'args.routeScopes is invalid: "GET /profile": the scope must be a non-empty string'],
    [{ "GET /profile": "read profile" }, 'args.routeScopes is invalid: "GET /profile": the scope must be a non-empty string (or a list of them) without spaces'],
    [["GET /profile"], "args.routeScopes must be an object: route to scopes"],
  ])("refuses %j", (routeScopes, message) => {
    expect(build((args) => (loose(args).routeScopes = routeScopes))).toThrow(message);
  });

  it("refuses rules too large for the function's environment", () => {
    const many = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`GET /resource-number-${i}/*`, `read:resource-${i}`]));
    expect(build((args) => (args.routeScopes = many))).toThrow(/^args\.routeScopes is \d+ bytes as JSON; at most 3000 fit/);
  });
});

describe("other settings", () => {
  it("refuses scopes the authorizer would split apart", () => {
    expect(build((args) => (args.requiredScopes = ["api:access", "read profile"]))).toThrow('args.requiredScopes contains "read profile", which is not a scope name');
    expect(build((args) => (args.requiredScopes = ["a,b"]))).toThrow('args.requiredScopes contains "a,b"');
    expect(build((args) => (loose(args).requiredScopes = "api:access"))).toThrow('args.requiredScopes must be a list of scope names (got "api:access")');
  });

  it("refuses an unknown authorizer type", () => {
    expect(build((args) => (loose(args).authorizerType = "COOKIE"))).toThrow('args.authorizerType must be "REQUEST" or "TOKEN" (got "COOKIE")');
  });

  it("refuses a retention CloudWatch does not offer", () => {
    expect(build((args) => (args.auditLog = { retentionInDays: 42 }))).toThrow("args.auditLog.retentionInDays must be one of 0, 1, 3, 5, 7, 14, 30");
  });

  it("refuses flags that are not booleans, and tags that are not strings", () => {
    expect(build((args) => (loose(args).allowOrgKeys = "yes"))).toThrow('args.allowOrgKeys must be true or false (got "yes")');
    expect(build((args) => (loose(args).cacheTable = { deletionProtection: 1 }))).toThrow("args.cacheTable.deletionProtection must be true or false (got 1)");
    expect(build((args) => (loose(args).tags = { team: 7 }))).toThrow('args.tags has "team": tag keys must be non-empty and values strings');
  });

  it("reports bad settings as Pulumi RunErrors, which Pulumi prints without a stack trace", () => {
    let error: unknown;
    try {
      build((args) => (args.cacheTtlSeconds = 0))();
    } catch (caught) {
      error = caught;
    }
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(validate.InvalidSettingError);
    expect((error as InstanceType<typeof validate.InvalidSettingError>).setting).toBe("args.cacheTtlSeconds");
  });
});

describe("after all those refusals", () => {
  it("nothing but the one RestApi built by a test was registered", async () => {
    await registrationsSettled();
    expect(program.resources.map((r) => r.type)).toEqual(["aws:apigateway/restApi:RestApi"]);
  });
});
