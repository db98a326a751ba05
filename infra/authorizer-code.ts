import * as pulumi from "@pulumi/pulumi";
import { buildSync } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authorizerBuildOptions, packageRoot } from "../lambda/bundle";

/** The archive holds `index.mjs`, whose `handler` export is the authorizer. */
export const AUTHORIZER_HANDLER = "index.handler";
export const AUTHORIZER_FILE = "index.mjs";

export interface AuthorizerBundle {
  archive: pulumi.asset.AssetArchive;
  /** Where the bundle was written. */
  path: string;
  /** SHA-256 of the bundle, hex: changes exactly when the deployed code does. */
  sha256: string;
  bytes: number;
}

let built: AuthorizerBundle | undefined;

/**
 * Bundles the authorizer with esbuild while the Pulumi program runs, because `pulumi up` runs no
 * build script. The result is written to a fixed path per package location (not a fresh temp
 * folder) so that nothing about the asset changes between runs unless the code does; writers
 * racing on that path (parallel tests, two stacks) each rename a complete file into place.
 * Built once per process, however many components use it.
 */
export function authorizerBundle(): AuthorizerBundle {
  if (built) return built;
  const root = packageRoot();
  const directory = join(tmpdir(), `keygate-authorizer-${createHash("sha256").update(root).digest("hex").slice(0, 12)}`);
  const path = join(directory, AUTHORIZER_FILE);

  let contents: Uint8Array;
  try {
    const result = buildSync({ ...authorizerBuildOptions(path), write: false });
    const output = result.outputFiles?.[0];
    if (!output) throw new Error("esbuild produced no output file");
    contents = output.contents;
  } catch (error) {
    throw new Error(`Building the authorizer bundle from ${join(root, "lambda")} failed: ${(error as Error).message}`);
  }

  mkdirSync(directory, { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, contents);
  renameSync(partial, path);

  built = {
    archive: new pulumi.asset.AssetArchive({ [AUTHORIZER_FILE]: new pulumi.asset.FileAsset(path) }),
    path,
    sha256: createHash("sha256").update(contents).digest("hex"),
    bytes: contents.byteLength,
  };
  return built;
}
