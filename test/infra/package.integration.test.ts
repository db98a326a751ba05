/**
 * Keygate as a user gets it: `npm pack` (which runs the build), the tarball installed into a
 * TypeScript Pulumi program of its own, that program type-checked and compiled with this
 * repository's TypeScript, and run under Pulumi mocks from the installed package alone.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../lambda/package-root";
import { closedPortUrl } from "../support/loopback-server";
import { consumerLockfile, type Lockfile } from "./support/consumer-lockfile";
import { unexportedPublicTypes } from "./support/public-types";

const run = promisify(execFile);
const root = packageRoot();
const scratch = mkdtempSync(join(tmpdir(), "keygate-package-"));
const program = join(scratch, "program");
const installed = join(program, "node_modules", "keygate");
afterAll(() => rmSync(scratch, { recursive: true, force: true }), 120_000);

interface Manifest {
  name: string;
  version: string;
  license: string;
  main: string;
  types: string;
  exports: Record<string, unknown>;
  files: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

const repoManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest;

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { UserKeyAuthorizer, type UsagePlanResources, type UserKeyAuthorizerArgs } from "keygate";

const config: UserKeyAuthorizerArgs = {
  kinde: { domain: "https://acme.kinde.com", clientId: "m2m-client-id", clientSecret: pulumi.secret("m2m-client-secret"), apiIds: ["api_0123456789abcdef0123456789abcdef"] },
  apis: [{ restApiId: "a1b2c3d4e5", stageNames: ["prod"] }],
  requiredScopes: ["api:access"],
};
const keys = new UserKeyAuthorizer("keys", config);
const usage: UsagePlanResources | undefined = keys.usage;

export const functionName: pulumi.Output<string> = keys.functionName;
export const authorizerIds: pulumi.Output<string>[] = keys.authorizerIds;
export const metered: boolean = usage !== undefined;
`;

let tarball: string;
let packed: string[];
let diagnostics: string[];
let unexported: string[];

/** Every file a `require("./...")` chain reaches from `entry`, relative to `base`. */
function reachedFrom(entry: string, base: string): Set<string> {
  const reached = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    const name = relative(base, file);
    if (reached.has(name)) continue;
    reached.add(name);
    // What the module requires at run time, and what its declarations import for their types: both
    // must ship (TypeScript emits a module reached for its types alone as well).
    const declarations = file.replace(/\.js$/, ".d.ts");
    const sources = [readFileSync(file, "utf8"), existsSync(declarations) ? readFileSync(declarations, "utf8") : ""].join("\n");
    for (const [, specifier] of sources.matchAll(/(?:require\(|from |import\()"(\.{1,2}\/[^"]+)"/g)) {
      const target = resolve(dirname(file), specifier!).replace(/\.js$/, "");
      pending.push(`${target}.js`);
    }
  }
  return reached;
}

/** Every chunk an ES module bundle reaches through `./chunks/...` imports, static or dynamic. */
function importedChunks(entry: string): Set<string> {
  const reached = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (!existsSync(file)) continue;
    for (const [, specifier] of readFileSync(file, "utf8").matchAll(/["'](\.{1,2}\/(?:chunks\/)?[\w-]+\.mjs)["']/g)) {
      const target = resolve(dirname(file), specifier!);
      if (!reached.has(target)) {
        reached.add(target);
        pending.push(target);
      }
    }
  }
  return reached;
}

/** The relative link targets of a Markdown page, outside its code (fenced blocks and inline code). */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!).filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith("#"));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/**
 * npm installs a dependency written as an alias (`"docker-classic": "npm:@pulumi/docker@3.6.1"`, one of
 * @pulumi/awsx's) only after reading the registry's index of the aliased package, which `npm ci` does not
 * keep in its cache: offline, that install fails. The program overrides each alias with a tarball of the
 * copy Keygate's own install holds, so nothing is asked of the registry.
 */
async function localCopiesOfAliases(lock: Lockfile): Promise<Record<string, string>> {
  const overrides: Record<string, string> = {};
  for (const [path, entry] of Object.entries(lock.packages)) {
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    if (path === "" || typeof entry.name !== "string" || entry.name === name) continue;
    const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", scratch, join(root, path)], { cwd: scratch });
    const [packedAlias] = JSON.parse(stdout) as { filename: string }[];
    overrides[name] = `file:${join(scratch, packedAlias!.filename)}`;
  }
  return overrides;
}

beforeAll(async () => {
  // npm pack runs `prepare` (npm run build) first, as publishing and installing from git do.
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", scratch], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  // The build's own lines come first; npm's JSON report starts on a line of its own.
  const [result] = JSON.parse(stdout.slice(stdout.search(/^\[$/m))) as { filename: string; files: { path: string }[] }[];
  tarball = join(scratch, result!.filename);
  packed = result!.files.map((file) => file.path).sort();

  // A TypeScript Pulumi program of its own, as `pulumi new typescript` makes one.
  const dependencies = { ...repoManifest.dependencies };
  const devDependencies = { "@types/node": repoManifest.devDependencies["@types/node"]! };
  const keygateLock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as Lockfile;
  const lock = consumerLockfile(keygateLock, "program", dependencies, devDependencies);
  mkdirSync(program);
  const overrides = await localCopiesOfAliases(lock);
  writeFileSync(join(program, "package.json"), JSON.stringify({ name: "program", private: true, main: "bin/index.js", dependencies, devDependencies, overrides }, null, 2));
  writeFileSync(join(program, "package-lock.json"), JSON.stringify(lock, null, 2));
  writeFileSync(join(program, "Pulumi.yaml"), "name: program\nruntime: nodejs\n");
  writeFileSync(join(program, "index.ts"), PROGRAM);
  const compilerOptions = { strict: true, target: "ES2022", module: "nodenext", moduleResolution: "nodenext", outDir: "bin", skipLibCheck: true, types: ["node"] };
  writeFileSync(join(program, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["index.ts"] }, null, 2));
  await run("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], { cwd: program, maxBuffer: 64 * 1024 * 1024 });

  const config = ts.getParsedCommandLineOfConfigFile(join(program, "tsconfig.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  });
  if (!config) throw new Error("the program's tsconfig.json did not parse");
  // Keygate's own declarations are checked too, though the program skips library checks.
  const compiled = ts.createProgram(config.fileNames, { ...config.options, skipLibCheck: false });
  const checked = [compiled.getSourceFile(join(program, "index.ts"))!, ...compiled.getSourceFiles().filter((file) => file.fileName.startsWith(`${installed}/`))];
  diagnostics = [...compiled.getOptionsDiagnostics(), ...compiled.getGlobalDiagnostics(), ...checked.flatMap((file) => [...compiled.getSyntacticDiagnostics(file), ...compiled.getSemanticDiagnostics(file)])].map(
    (d) => `${d.file ? relative(program, d.file.fileName) : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
  );
  unexported = unexportedPublicTypes(compiled, join(program, "index.ts"), "keygate", `${installed}/`);
  compiled.emit(compiled.getSourceFile(join(program, "index.ts")));
}, 600_000);

describe("the package", () => {
  it("holds the library, its declarations, the authorizer bundle with every chunk it imports, the docs and the license, and nothing else", () => {
    const chunks = filesUnder(join(root, "dist", "authorizer", "chunks")).map((name) => `dist/authorizer/chunks/${name}`);
    expect(chunks.length).toBeGreaterThan(0);
    const bundle = ["dist/authorizer/index.mjs", ...chunks].sort();
    const docs = filesUnder(join(root, "docs")).map((name) => `docs/${name}`);
    expect(docs).toContain("docs/deploy.md");
    const expected = ["LICENSE", "README.md", ...bundle, ...docs, "package.json"].sort();
    expect(packed.filter((path) => !path.startsWith("dist/lib/"))).toEqual(expected);
    expect(packed.filter((path) => !/\.(js|d\.ts)$/.test(path))).toEqual(expected);
    // Every file the installed handler module can import, statically or lazily, is in the package.
    const imported = importedChunks(join(installed, "dist", "authorizer", "index.mjs"));
    expect(imported.size).toBeGreaterThan(0);
    for (const file of imported) expect(existsSync(file), file).toBe(true);
  });

  it("ships the Apache License 2.0 that package.json names, in full", () => {
    expect(repoManifest.license).toBe("Apache-2.0");
    const license = readFileSync(join(installed, "LICENSE"), "utf8");
    expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\/\s+TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION/);
    expect(license).toMatch(/END OF TERMS AND CONDITIONS/);
    expect(license).toEqual(readFileSync(join(root, "LICENSE"), "utf8"));
  });

  it("resolves every relative link of its README and docs within the package, but for the source pages it does not ship", () => {
    const unresolved = packed
      .filter((path) => path.endsWith(".md"))
      .flatMap((page) => relativeLinks(readFileSync(join(installed, page), "utf8")).map((target) => ({ page, file: relative(installed, resolve(dirname(join(installed, page)), target.split("#")[0]!)) })))
      .filter(({ file }) => !existsSync(join(installed, file)))
      .map(({ page, file }) => `${page} -> ${file}`);
    // Pages beside the code they describe; the package ships the code built, not its sources.
    const sourcePages = new Set(["lambda/usage/README.md"]);
    expect(unresolved.filter((link) => !sourcePages.has(link.split(" -> ")[1]!))).toEqual([]);
    expect(packed.filter((path) => path === "README.md" || path.startsWith("docs/")).length).toBeGreaterThan(10);
  });

  it("has in dist/lib exactly what the library's entry and the keygate command reach, for their code or their types: no stack program, no demo API, no local gateway", () => {
    const lib = join(installed, "dist", "lib");
    const reached = new Set([...reachedFrom(join(lib, "infra", "index.js"), lib), ...reachedFrom(join(lib, "cli", "main.js"), lib)]);
    const declarations = [...reached].map((file) => file.replace(/\.js$/, ".d.ts"));
    expect(filesUnder(lib).sort()).toEqual([...reached, ...declarations].sort());
    for (const outside of ["infra/stack.js", "infra/keygate-stack.js", "infra/stack-config.js", "infra/demo-api.js"]) expect(reached).not.toContain(outside);
    expect([...reached].filter((file) => file.startsWith("local/"))).toEqual([]);
  });

  it("names its entry through an exports map with types, and needs only Pulumi and, for the keygate command, three AWS SDK clients at run time", () => {
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as Manifest;
    expect(manifest.exports).toEqual({
      ".": { types: "./dist/lib/infra/index.d.ts", default: "./dist/lib/infra/index.js" },
      "./package.json": "./package.json",
    });
    expect(Object.keys(manifest.dependencies).sort()).toEqual(["@aws-sdk/client-api-gateway", "@aws-sdk/client-apigatewayv2", "@aws-sdk/client-dynamodb", "@pulumi/aws", "@pulumi/awsx", "@pulumi/pulumi"]);
    // Installed without esbuild, yaml or the authorizer's other SDK clients: the authorizer's are inside its bundle.
    for (const absent of ["esbuild", "yaml", "@aws-sdk/client-secrets-manager", "tsx"]) expect(existsSync(join(program, "node_modules", absent)), absent).toBe(false);
  });

  it("installs the keygate command, which runs from the installed package alone", async () => {
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as Manifest & { bin: Record<string, string> };
    expect(manifest.bin).toEqual({ keygate: "dist/lib/cli/main.js" });
    const bin = join(program, "node_modules", ".bin", "keygate");
    const { stdout } = await run(bin, ["invalidate", "--help"], { cwd: program });
    expect(stdout).toMatch(/^Usage: keygate invalidate/);
    const usage = await run(bin, ["invalidate"], { cwd: program }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/exactly one of --key-id <id> or --user <user_id>/);
  });
});

describe("the keygate command in the clone after a build", () => {
  // npm pack (above) ran `prepare`, that is `npm run build`, as installing from git and every upgrade do. npx and npm
  // run execute node_modules/.bin/keygate, a symlink to the bin, as a file of its own (by its shebang): that
  // works only when the build left the file executable; npm sets the bit only when it first links the bin.
  it("runs through a node_modules/.bin symlink, executed directly as npx does, not through `node main.js`", async () => {
    const built = join(root, "dist", "lib", "cli", "main.js");
    expect(statSync(built).mode & 0o111).toBe(0o111);
    const binDir = join(scratch, "clone-user", "node_modules", ".bin");
    mkdirSync(binDir, { recursive: true });
    symlinkSync(built, join(binDir, "keygate"));
    const { stdout } = await run(join(binDir, "keygate"), ["--help"], { cwd: join(scratch, "clone-user") });
    expect(stdout).toMatch(/^Usage: keygate <command>/);
  });

  it("prints at most one line about this Node, its own, never the AWS SDK's nine-line warning", async () => {
    const closed = await closedPortUrl();
    // An AWS call that fails at once on loopback: the SDK's client is made, and with it the SDK's Node check.
    const env = { PATH: process.env.PATH, HOME: scratch, AWS_ENDPOINT_URL: closed, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_EC2_METADATA_DISABLED: "true" };
    const failed = await run(join(root, "dist", "lib", "cli", "main.js"), ["keys", "--table", "t", "--rest-api-id", "a1b2c3d4e5", "--stage", "prod", "--region", "eu-west-1"], { cwd: scratch, env }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed.code).toBe(1);
    const lines = failed.stderr.trim().split("\n");
    expect(failed.stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
    const oldNode = Number(process.versions.node.split(".")[0]) < 22;
    expect(lines.length).toBe(oldNode ? 2 : 1);
    if (oldNode) expect(lines[0]).toBe(`keygate: Node ${process.version} is past its end of life; AWS SDK releases from January 2027 need Node 22 or newer: use Node 22 or 24`);
    expect(lines.at(-1)).toMatch(/^keygate keys: nothing answers at the AWS endpoint \(.*ECONNREFUSED.*\): check AWS_ENDPOINT_URL/);
  });
});

describe("a TypeScript Pulumi program using it", () => {
  it("type-checks `import { UserKeyAuthorizer, type UserKeyAuthorizerArgs } from \"keygate\"`, and Keygate's declarations with it", () => {
    expect(diagnostics).toEqual([]);
  });

  it("can name every type it meets in the component's arguments and outputs", () => {
    expect(unexported).toEqual([]);
  });

  it("constructs the component from the installed package, deploying the bundle it ships with its chunks", async () => {
    copyFileSync(join(__dirname, "support", "run-with-mocks.cjs"), join(program, "run-with-mocks.cjs"));
    const { stdout } = await run(process.execPath, [join(program, "run-with-mocks.cjs"), join(program, "bin", "index.js")], { cwd: program, maxBuffer: 16 * 1024 * 1024 });
    const result = JSON.parse(stdout.trim().split("\n").pop()!) as { resources: { type: string; name: string }[]; code: Record<string, string>; error?: string };
    expect(result.error).toBeUndefined();
    const types = result.resources.map((resource) => resource.type);
    for (const type of ["keygate:index:UserKeyAuthorizer", "aws:lambda/function:Function", "aws:dynamodb/table:Table", "aws:apigateway/authorizer:Authorizer"]) expect(types).toContain(type);
    // The handler module and every chunk beside it, from the installed package, the same bytes as built.
    const built = ["index.mjs", ...filesUnder(join(root, "dist", "authorizer", "chunks")).map((name) => `chunks/${name}`)].sort();
    expect(Object.keys(result.code).sort()).toEqual(built);
    for (const name of built) {
      expect(result.code[name]).toBe(join(installed, "dist", "authorizer", name));
      expect(readFileSync(result.code[name]!)).toEqual(readFileSync(join(root, "dist", "authorizer", name)));
    }
    // A fresh Node process loading Pulumi and the installed package: generous for a loaded 2-core machine.
  }, 180_000);
});
