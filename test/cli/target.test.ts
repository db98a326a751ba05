/** Where the command acts: the stack's outputs through `pulumi stack output --json`, flags taking precedence. */
import { describe, expect, it } from "vitest";
import { UsageError, type Parsed, type TARGET_OPTIONS } from "../../cli/arguments";
import type { CommandIo } from "../../cli/command-io";
import { resolveTarget } from "../../cli/target";
import { runCli } from "./run-cli";

const OUTPUTS = {
  tableName: "keygate-cache-1a2b",
  apis: [
    { name: "orders", restApiId: "a1b2c3d4e5", authorizerId: "k9x8y7", stageNames: ["prod", "beta"] },
    { name: "billing", restApiId: "f6g7h8i9j0", authorizerId: "m1n2o3", stageNames: ["prod"] },
  ],
  functionName: "keygate-authorizer-3c4d",
  usagePlanIds: { free: "plan1" },
  secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x",
};

function fakeIo(pulumi: CommandIo["pulumi"]): CommandIo & { errors: string[]; pulumiCalls: (readonly string[])[] } {
  const errors: string[] = [];
  const pulumiCalls: (readonly string[])[] = [];
  return {
    errors,
    pulumiCalls,
    out: () => undefined,
    err: (line) => errors.push(line),
    cwd: "/nonexistent",
    env: { AWS_REGION: "eu-west-1" },
    wait: () => Promise.resolve(),
    now: () => 0,
    pulumi: (args) => {
      pulumiCalls.push(args);
      return pulumi(args);
    },
  };
}

type Values = Parsed<typeof TARGET_OPTIONS>["values"];

describe("resolveTarget", () => {
  it("reads the table, every protected stage with its authorizer, the function and the plans from the stack's outputs", async () => {
    const io = fakeIo(() => Promise.resolve(JSON.stringify(OUTPUTS)));
    const target = await resolveTarget({ stack: "prod" } satisfies Values, io);
    expect(io.pulumiCalls).toEqual([["stack", "output", "--json", "--stack", "prod"]]);
    expect(target.tableName).toBe("keygate-cache-1a2b");
    expect(target.stages).toEqual([
      { restApiId: "a1b2c3d4e5", stageName: "prod", authorizerId: "k9x8y7" },
      { restApiId: "a1b2c3d4e5", stageName: "beta", authorizerId: "k9x8y7" },
      { restApiId: "f6g7h8i9j0", stageName: "prod", authorizerId: "m1n2o3" },
    ]);
    expect(target.functionName).toBe("keygate-authorizer-3c4d");
    expect(target.usagePlanIds).toEqual({ free: "plan1" });
    expect(target.memoryCacheTtlSeconds).toBeUndefined();
    target.close();
  });

  it("lets flags narrow or replace what the outputs say", async () => {
    const io = fakeIo(() => Promise.resolve(JSON.stringify(OUTPUTS)));
    const target = await resolveTarget({ table: "other", "rest-api-id": "a1b2c3d4e5" } satisfies Values, io);
    expect(target.tableName).toBe("other");
    expect(target.stages).toEqual([
      { restApiId: "a1b2c3d4e5", stageName: "prod", authorizerId: "k9x8y7" },
      { restApiId: "a1b2c3d4e5", stageName: "beta", authorizerId: "k9x8y7" },
    ]);
    target.close();
  });

  it("does not ask Pulumi when the flags name everything", async () => {
    const io = fakeIo(() => Promise.reject(new Error("not called")));
    const target = await resolveTarget({ table: "t", "rest-api-id": "r", stage: ["s1", "s2"] } satisfies Values, io);
    expect(io.pulumiCalls).toEqual([]);
    expect(target.stages).toEqual([
      { restApiId: "r", stageName: "s1" },
      { restApiId: "r", stageName: "s2" },
    ]);
    target.close();
  });

  it("says why the outputs could not be read, and goes on with the flags", async () => {
    const io = fakeIo(() => Promise.reject(new Error("error: no stack selected\nrun pulumi stack select")));
    const target = await resolveTarget({ table: "t" } satisfies Values, io);
    expect(io.errors).toEqual(["note: pulumi stack output --json failed: error: no stack selected; using the flags given"]);
    expect(target.stages).toEqual([]);
    target.close();
  });

  it("refuses contradictory or incomplete flags", async () => {
    const io = fakeIo(() => Promise.resolve("{}"));
    await expect(resolveTarget({ stage: ["prod"] } satisfies Values, io)).rejects.toThrow(UsageError);
    await expect(resolveTarget({ local: true, stack: "prod" } satisfies Values, io)).rejects.toThrow(/--local and --stack/);
  });
});

describe("the command's exit status", () => {
  const cwd = "/nonexistent";
  it("is 2 with usage on its own, and 0 for --help", async () => {
    expect((await runCli([], { cwd })).code).toBe(2);
    const help = await runCli(["--help"], { cwd });
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/invalidate +forget a key's/);
  });

  it("is 2 for an unknown command, or when no table is known", async () => {
    const unknown = await runCli(["revoke"], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command "revoke"/);
    const noTable = await runCli(["invalidate", "--key-id", "api_key_x", "--region", "eu-west-1"], { cwd });
    expect(noTable.code).toBe(2);
    expect(noTable.err).toMatch(/no cache table: pass --table <name>/);
  });

  it("has --help on every subcommand", async () => {
    for (const command of ["invalidate", "check", "keys", "prune", "cleanup"]) {
      const run = await runCli([command, "--help"], { cwd });
      expect(run.code, command).toBe(0);
      expect(run.out, command).toMatch(new RegExp(`^Usage: keygate ${command}`));
      expect(run.out, command).toMatch(/--local/);
    }
  });
});
