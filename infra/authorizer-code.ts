import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { AUTHORIZER_CHUNKS_DIR, AUTHORIZER_FILE, authorizerBundleIsStale, authorizerBundlePath } from "../lambda/authorizer-bundle-file";
import { packageRoot } from "../lambda/package-root";

export { AUTHORIZER_FILE };
/** The handler string: the `handler` export of `index.mjs`. */
export const AUTHORIZER_HANDLER = "index.handler";

export interface AuthorizerBundle {
  archive: pulumi.asset.AssetArchive;
  /** The handler module deployed: dist/authorizer/index.mjs of the package. */
  path: string;
  /** Every file the archive holds, by its name in the archive: `index.mjs` and `chunks/*.mjs`. */
  files: Record<string, string>;
  /** SHA-256 over the archive's file names and contents, hex: changes exactly when the deployed code does. */
  sha256: string;
  /** The archive's files together. */
  bytes: number;
}

let built: AuthorizerBundle | undefined;

/**
 * The authorizer's code, as the package ships it: dist/authorizer/index.mjs and the chunks it
 * imports when a configuration needs them (dist/authorizer/chunks/), built by `npm run
 * build` (which `prepare` runs on install from git, and `npm pack` before packing). An installed
 * Keygate needs neither the authorizer's sources nor esbuild at `pulumi up`. In a clone whose
 * bundle is missing or older than lambda/, the bundle is first rebuilt by `npm run build`'s own
 * script, so what deploys is the code in the clone. Read once per process.
 */
export function authorizerBundle(): AuthorizerBundle {
  if (built) return built;
  const root = packageRoot();
  if (authorizerBundleIsStale(root)) rebuildAuthorizerBundle(root);
  const path = authorizerBundlePath(root);
  if (!existsSync(path)) {
    throw new Error(`Keygate's authorizer bundle is missing (${path}): run \`npm run build\` in ${root}, or reinstall Keygate`);
  }
  const files = authorizerFiles(path);
  const hash = createHash("sha256");
  let bytes = 0;
  for (const [name, file] of Object.entries(files)) {
    const contents = readFileSync(file);
    hash.update(`${name}\0${contents.byteLength}\0`).update(contents);
    bytes += contents.byteLength;
  }
  built = {
    archive: new pulumi.asset.AssetArchive(Object.fromEntries(Object.entries(files).map(([name, file]) => [name, new pulumi.asset.FileAsset(file)]))),
    path,
    files,
    sha256: hash.digest("hex"),
    bytes,
  };
  return built;
}

/**
 * The handler module and its chunks, by their names in the archive, in a stable order. The build
 * removes chunks of earlier builds, so the chunks folder holds exactly what the module may import.
 */
export function authorizerFiles(handlerPath: string): Record<string, string> {
  const files: Record<string, string> = { [AUTHORIZER_FILE]: handlerPath };
  const chunks = join(dirname(handlerPath), AUTHORIZER_CHUNKS_DIR);
  if (!existsSync(chunks)) return files;
  for (const name of readdirSync(chunks).filter((file) => file.endsWith(".mjs")).sort()) files[`${AUTHORIZER_CHUNKS_DIR}/${name}`] = join(chunks, name);
  return files;
}

/**
 * Runs the build script (lambda/bundle.ts, as `npm run build` does) with the clone's tsx and
 * esbuild, writing `outfile` (by default the package's bundle). In a child process, because those
 * are development dependencies the library itself never loads.
 */
export function rebuildAuthorizerBundle(root: string, outfile: string = authorizerBundlePath(root)): void {
  try {
    execFileSync(process.execPath, ["--import", "tsx", join(root, "lambda", "bundle.ts"), outfile], { cwd: root, stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString("utf8").trim();
    throw new Error(`Rebuilding the authorizer from ${join(root, "lambda")} failed (run \`npm run build\` there to see why): ${stderr || (error as Error).message}`);
  }
}
