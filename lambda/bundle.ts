import { build, type BuildOptions, type Metafile } from "esbuild";
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { AUTHORIZER_CHUNKS_DIR, authorizerBundlePath } from "./authorizer-bundle-file";
import { packageRoot } from "./package-root";

export { packageRoot };

/**
 * esbuild options shared by the authorizer and anything measured against it: minified ESM for the
 * Lambda Node 22 runtime (and loadable by Node 20 for local use), with code behind a dynamic
 * `import()` split into chunks that load only when that import runs. The AWS SDK is bundled rather
 * than taken from the runtime, so the deployed code is exactly what was tested.
 */
export function nodeBundleOptions(entry: string, outfile: string): BuildOptions & { metafile: true } {
  return {
    entryPoints: [{ in: entry, out: basename(outfile, ".mjs") }],
    outdir: dirname(outfile),
    outExtension: { ".js": ".mjs" },
    splitting: true,
    chunkNames: `${AUTHORIZER_CHUNKS_DIR}/[name]-[hash]`,
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
    metafile: true,
    // Some bundled CommonJS dependencies call require() for Node built-ins.
    banner: { js: "import { createRequire as __keygateRequire } from 'node:module'; const require = __keygateRequire(import.meta.url);" },
  };
}

/**
 * esbuild options for the authorizer: `outfile` exports `handler`, with the AWS SDK's DynamoDB and
 * Secrets Manager clients; what only some configurations use (usage plans and the API Gateway
 * client for auto-provisioning, and the credential sources the SDK's own chain imports on demand)
 * is in chunks in `chunks/` beside it.
 */
export function authorizerBuildOptions(outfile: string): BuildOptions & { metafile: true } {
  return nodeBundleOptions(join(packageRoot(), "lambda", "index.ts"), outfile);
}

export interface BuiltFile {
  path: string;
  bytes: number;
}

export interface AuthorizerBuild {
  /** The handler module first, then its chunks. */
  files: BuiltFile[];
  metafile: Metafile;
}

/**
 * Builds the authorizer bundle. Each file is written whole and renamed into place, the chunks
 * before the handler module that imports them (their names carry a content hash), so a reader at
 * the same moment (a Pulumi program, `npm start`, another build) sees the old bundle or the new
 * one, never half of one. Chunks of earlier builds are then removed, so the folder holds exactly
 * what deploys.
 */
export async function bundleAuthorizer(outfile: string = authorizerBundlePath(packageRoot())): Promise<AuthorizerBuild> {
  const result = await build({ ...authorizerBuildOptions(outfile), write: false });
  const entry = result.outputFiles.find((file) => resolve(file.path) === resolve(outfile));
  if (!entry) throw new Error(`esbuild produced no ${basename(outfile)}`);
  const chunks = result.outputFiles.filter((file) => file !== entry);
  for (const file of [...chunks, entry]) {
    mkdirSync(dirname(file.path), { recursive: true });
    const partial = `${file.path}.${process.pid}.partial`;
    writeFileSync(partial, file.contents);
    renameSync(partial, file.path);
  }
  const chunksDir = join(dirname(outfile), AUTHORIZER_CHUNKS_DIR);
  mkdirSync(chunksDir, { recursive: true });
  const current = new Set(chunks.map((file) => resolve(file.path)));
  for (const name of readdirSync(chunksDir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name)) {
    if (!current.has(resolve(chunksDir, name)) && name.endsWith(".mjs")) rmSync(join(chunksDir, name), { force: true });
  }
  return { files: [entry, ...chunks].map((file) => ({ path: file.path, bytes: file.contents.byteLength })), metafile: result.metafile };
}

/** A file's share of the build, e.g. "index.mjs 130.2 KiB". */
export function describeBuiltFile(file: BuiltFile, outfile: string): string {
  return `${relative(dirname(outfile), file.path)} ${(file.bytes / 1024).toFixed(1)} KiB`;
}

// `tsx lambda/bundle.ts [outfile]`: npm run build, and the Pulumi program's rebuild in a clone.
if (require.main === module) {
  const outfile = process.argv[2] === undefined ? authorizerBundlePath(packageRoot()) : resolve(process.argv[2]);
  bundleAuthorizer(outfile).then(
    (built) => console.log(built.files.map((file) => describeBuiltFile(file, outfile)).join("\n")),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
