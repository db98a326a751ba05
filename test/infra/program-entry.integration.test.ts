import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { mockPulumi, registrationsSettled, type MockedProgram } from "./support/pulumi-mocks";

/*
 * `pulumi up` must run the stack program, not the library. Pulumi's Node.js language host takes
 * `main` from Pulumi.yaml, else package.json's entry, which here is the library (it creates
 * nothing, and an empty stack deploys "successfully"). The child processes below run the program
 * through @pulumi/pulumi's own runner exactly as the language host starts it: entry point from
 * Pulumi.yaml, Pulumi's vendored ts-node with the project's tsconfig.json and its type check.
 */

const root = resolve(__dirname, "../..");
const config = { "keygate:kindeDomain": "https://acme.kinde.com", "keygate:kindeApiIds": "api_0123456789abcdef0123456789abcdef", "keygate:kindeClientId": "id", "keygate:kindeClientSecret": "secret" };

interface RunResult {
  main?: string | null;
  resources?: { type: string; name: string }[];
  outputs?: string[];
  error?: string;
}

function runLikePulumi(stackConfig: Record<string, string>): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [join(__dirname, "support", "run-like-pulumi.cjs")],
      { cwd: root, env: { ...process.env, PULUMI_CONFIG: JSON.stringify(stackConfig) }, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const last = stdout.trim().split("\n").pop() ?? "";
        try {
          resolvePromise(JSON.parse(last) as RunResult);
        } catch {
          reject(new Error(`the program runner printed no result (${error?.message ?? "exit 0"}):\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

let program: MockedProgram;
let good: RunResult;

beforeAll(async () => {
  program = await mockPulumi();
  // One run only: it type-checks the whole program and takes seconds. Bad settings are covered in-process.
  good = await runLikePulumi(config);
}, 120_000);

describe("the program Pulumi runs", () => {
  it("is infra/stack.ts, named in Pulumi.yaml, with TypeScript on", () => {
    const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as { name: string; main?: string; runtime: { name: string; options?: { typescript?: boolean } } };
    expect(project.name).toBe("keygate");
    expect(project.runtime.name).toBe("nodejs");
    expect(project.runtime.options?.typescript).toBe(true);
    expect(project.main).toBe("infra/stack.ts");
    // package.json's entry stays the library for `import { UserKeyAuthorizer } from "keygate"`.
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { main: string };
    expect(manifest.main).toBe("dist/lib/infra/index.js");
  });

  it("creates the whole stack when started the way the language host starts it", () => {
    expect(good.error).toBeUndefined();
    expect(good.main).toBe("infra/stack.ts");
    const types = new Set(good.resources!.map((resource) => resource.type));
    for (const type of [
      "pulumi:pulumi:Stack",
      "keygate:index:UserKeyAuthorizer",
      "aws:lambda/function:Function",
      "aws:dynamodb/table:Table",
      "aws:apigateway/authorizer:Authorizer",
      "aws:apigateway/restApi:RestApi",
      "aws:apigateway/stage:Stage",
    ]) {
      expect(types, type).toContain(type);
    }
    expect(good.outputs).toEqual(expect.arrayContaining(["demoUrl", "functionName", "authorizerIds", "secretArn"]));
  });

  it("while package.json's entry, the library, registers nothing when loaded", async () => {
    const library = await import("../../infra/index.js");
    await registrationsSettled();
    expect(typeof library.UserKeyAuthorizer).toBe("function");
    expect(program.resources).toEqual([]);
  });
});
