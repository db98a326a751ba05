import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { authorizerBundleIsStale, authorizerBundlePath } from "../../lambda/authorizer-bundle-file";
import { authorizerBundle, authorizerFiles, rebuildAuthorizerBundle, AUTHORIZER_FILE, AUTHORIZER_HANDLER } from "../../infra/authorizer-code";
import { packageRoot } from "../../lambda/package-root";
import { bundleNode } from "../support/bundle-node";

const scratch = mkdtempSync(join(tmpdir(), "keygate-authorizer-code-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
/** The bundle's hash as the component computes it: each file's archive name, length and contents, in order. */
function treeHash(files: Record<string, string>): string {
  const hash = createHash("sha256");
  for (const [name, path] of Object.entries(files)) {
    const contents = readFileSync(path);
    hash.update(`${name}\0${contents.byteLength}\0`).update(contents);
  }
  return hash.digest("hex");
}

describe("the authorizer code the component deploys", () => {
  const bundle = authorizerBundle();

  it("is the package's built bundle, dist/authorizer/index.mjs and its chunks, matching the handler string index.handler", () => {
    expect(AUTHORIZER_FILE).toBe("index.mjs");
    expect(AUTHORIZER_HANDLER).toBe("index.handler");
    expect(bundle.path).toBe(join(packageRoot(), "dist", "authorizer", "index.mjs"));
    const chunks = readdirSync(join(packageRoot(), "dist", "authorizer", "chunks")).sort();
    expect(Object.keys(bundle.files)).toEqual(["index.mjs", ...chunks.map((name) => `chunks/${name}`)]);
    const bytes = Object.values(bundle.files).reduce((sum, file) => sum + readFileSync(file).byteLength, 0);
    expect(bundle.bytes).toBe(bytes);
    expect(bundle.sha256).toBe(treeHash(bundle.files));
  });

  it("is archived under the names the handler string and the module's imports expect", async () => {
    const assets = await bundle.archive.assets;
    expect(Object.keys(assets).sort()).toEqual(Object.keys(bundle.files).sort());
    for (const [name, path] of Object.entries(bundle.files)) expect(await (assets[name] as import("@pulumi/pulumi").asset.FileAsset).path).toBe(path);
  });

  it("is read once per process", () => {
    expect(authorizerBundle()).toBe(bundle);
  });

  it("is the same files when a clone rebuilds it as npm run build does, and as esbuild makes it in memory", async () => {
    const rebuilt = join(scratch, "rebuilt", "index.mjs");
    rebuildAuthorizerBundle(packageRoot(), rebuilt);
    expect(treeHash(authorizerFiles(rebuilt))).toBe(bundle.sha256);

    const { build } = await import("esbuild");
    const { authorizerBuildOptions } = await import("../../lambda/bundle.js");
    const result = await build({ ...authorizerBuildOptions("/unused/index.mjs"), write: false });
    const inMemory = Object.fromEntries(result.outputFiles.map((file) => [relative("/unused", file.path), file.contents]));
    expect(Object.keys(inMemory).sort()).toEqual(Object.keys(bundle.files).sort());
    for (const [name, path] of Object.entries(bundle.files)) expect(sha256(inMemory[name]!), name).toBe(sha256(readFileSync(path)));
  });

  it("leaves no chunk of an earlier build beside the new one", () => {
    const dir = join(scratch, "stale");
    mkdirSync(join(dir, "chunks"), { recursive: true });
    writeFileSync(join(dir, "chunks", "old-AAAAAAAA.mjs"), "export {};\n");
    rebuildAuthorizerBundle(packageRoot(), join(dir, "index.mjs"));
    expect(Object.keys(authorizerFiles(join(dir, "index.mjs")))).toEqual(Object.keys(bundle.files));
  });

  it("exports a handler function when loaded with the environment the component gives it", async () => {
    const script = `import(${JSON.stringify(`file://${bundle.path}`)}).then((m) => console.log(typeof m.handler), (e) => { console.error(e.message); process.exit(1); })`;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        bundleNode(),
        ["-e", script],
        {
          env: {
            PATH: process.env.PATH,
            AWS_REGION: "eu-west-1",
            KINDE_DOMAIN: "https://acme.kinde.com",
            KINDE_M2M_CLIENT_ID: "id",
            KINDE_M2M_CLIENT_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys-AbCdEf",
            CACHE_TABLE_NAME: "keys-cache",
          },
          timeout: 30_000,
        },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      ),
    );
    expect(stdout.trim()).toBe("function");
  });
});

describe("when the bundle needs a rebuild", () => {
  /** A package folder with a source under lambda/ and, optionally, a bundle, each with the modification time given. */
  function packageFolder(times: { source: number; bundle?: number }): string {
    const root = mkdtempSync(join(scratch, "package-"));
    mkdirSync(join(root, "lambda", "usage"), { recursive: true });
    writeFileSync(join(root, "lambda", "index.ts"), "export {};\n");
    writeFileSync(join(root, "lambda", "usage", "tier.ts"), "export {};\n");
    utimesSync(join(root, "lambda", "index.ts"), 1_000, 1_000);
    utimesSync(join(root, "lambda", "usage", "tier.ts"), times.source, times.source);
    if (times.bundle !== undefined) {
      mkdirSync(join(root, "dist", "authorizer"), { recursive: true });
      writeFileSync(authorizerBundlePath(root), "export const handler = () => {};\n");
      utimesSync(authorizerBundlePath(root), times.bundle, times.bundle);
    }
    return root;
  }

  it("never in an installed package, which has the bundle and no lambda/ sources", () => {
    const root = mkdtempSync(join(scratch, "installed-"));
    mkdirSync(join(root, "dist", "authorizer"), { recursive: true });
    writeFileSync(authorizerBundlePath(root), "export const handler = () => {};\n");
    utimesSync(authorizerBundlePath(root), 1_000, 1_000);
    expect(authorizerBundleIsStale(root)).toBe(false);
  });

  it("in a clone: when the bundle is missing or older than any source file, however deep", () => {
    expect(authorizerBundleIsStale(packageFolder({ source: 2_000 }))).toBe(true);
    expect(authorizerBundleIsStale(packageFolder({ source: 2_000, bundle: 1_500 }))).toBe(true);
    expect(authorizerBundleIsStale(packageFolder({ source: 2_000, bundle: 2_000 }))).toBe(false);
    expect(authorizerBundleIsStale(packageFolder({ source: 2_000, bundle: 3_000 }))).toBe(false);
  });
});
