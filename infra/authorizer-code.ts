import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AUTHORIZER_FILE, authorizerBundleIsStale, authorizerBundlePath } from "./authorizer-bundle-file";
import { packageRoot } from "./package-root";

export { AUTHORIZER_FILE };
/** The handler string: the `handler` export of `index.mjs`. */
export const AUTHORIZER_HANDLER = "index.handler";

export interface AuthorizerBundle {
  archive: pulumi.asset.AssetArchive;
  /** The bundle deployed: dist/authorizer/index.mjs of the package. */
  path: string;
  /** SHA-256 of the bundle, hex: changes exactly when the deployed code does. */
  sha256: string;
  bytes: number;
}

let built: AuthorizerBundle | undefined;

/**
 * The authorizer's code, as the package ships it: dist/authorizer/index.mjs, built by `npm run
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
  const contents = readFileSync(path);
  built = {
    archive: new pulumi.asset.AssetArchive({ [AUTHORIZER_FILE]: new pulumi.asset.FileAsset(path) }),
    path,
    sha256: createHash("sha256").update(contents).digest("hex"),
    bytes: contents.byteLength,
  };
  return built;
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
