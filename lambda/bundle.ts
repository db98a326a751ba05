import { build, type BuildOptions } from "esbuild";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { authorizerBundlePath } from "../infra/authorizer-bundle-file";
import { packageRoot } from "../infra/package-root";

export { packageRoot };

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
    logLevel: "warning",
    // Some bundled CommonJS dependencies call require() for Node built-ins.
    banner: { js: "import { createRequire as __keygateRequire } from 'node:module'; const require = __keygateRequire(import.meta.url);" },
  };
}

/**
 * Builds the authorizer bundle and returns its size in bytes. The file is written whole and renamed
 * into place, so a reader at the same moment (a Pulumi program, `npm start`, another build) sees
 * the old bundle or the new one, never half of one.
 */
export async function bundleAuthorizer(outfile: string = authorizerBundlePath(packageRoot())): Promise<number> {
  const result = await build({ ...authorizerBuildOptions(outfile), write: false });
  const output = result.outputFiles?.[0];
  if (!output) throw new Error("esbuild produced no output file");
  mkdirSync(dirname(outfile), { recursive: true });
  const partial = `${outfile}.${process.pid}.partial`;
  writeFileSync(partial, output.contents);
  renameSync(partial, outfile);
  return output.contents.byteLength;
}

// `tsx lambda/bundle.ts [outfile]`: npm run build, and the Pulumi program's rebuild in a clone.
if (require.main === module) {
  const outfile = process.argv[2] === undefined ? undefined : resolve(process.argv[2]);
  bundleAuthorizer(outfile).then(
    (bytes) => console.log(`${outfile ?? "dist/authorizer/index.mjs"}: ${(bytes / 1024).toFixed(1)} KiB`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
