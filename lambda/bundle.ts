import { build, type BuildOptions } from "esbuild";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The folder holding Keygate's package.json, whether run from source or installed as a dependency. */
export function packageRoot(from: string = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "keygate") return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find Keygate's package.json above ${from}`);
  }
}

/**
 * esbuild options for the authorizer: one minified ESM file exporting `handler`, for the Lambda
 * Node 22 runtime (and loadable by Node 20 for local use). The AWS SDK is bundled rather than
 * taken from the runtime, so the deployed code is exactly what was tested.
 */
export function authorizerBuildOptions(outfile: string): BuildOptions {
  const root = packageRoot();
  return {
    entryPoints: [join(root, "lambda", "index.ts")],
    outfile,
    bundle: true,
    platform: "node",
    // Prefer the ES module builds of dependencies (the AWS SDK ships both): they tree-shake, the CommonJS ones do not.
    mainFields: ["module", "main"],
    format: "esm",
    target: "node20",
    minify: true,
    sourcemap: false,
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
    // Some bundled CommonJS dependencies call require() for Node built-ins.
    banner: { js: "import { createRequire as __keygateRequire } from 'node:module'; const require = __keygateRequire(import.meta.url);" },
  };
}

/** Builds the authorizer bundle and returns its size in bytes. */
export async function bundleAuthorizer(outfile: string = join(packageRoot(), "dist", "authorizer", "index.mjs")): Promise<number> {
  const result = await build(authorizerBuildOptions(outfile));
  return Object.values(result.metafile?.outputs ?? {}).reduce((total, output) => total + output.bytes, 0);
}

if (require.main === module) {
  bundleAuthorizer().then(
    (bytes) => console.log(`dist/authorizer/index.mjs: ${(bytes / 1024).toFixed(1)} KiB`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
