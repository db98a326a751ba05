import { authorizerBundleIsStale, authorizerBundlePath } from "../lambda/authorizer-bundle-file";
import { packageRoot } from "../lambda/package-root";
import { bundleAuthorizer } from "../lambda/bundle";

export interface BundleStatus {
  path: string;
  /** Whether this call rebuilt it (missing, or older than a source file under lambda/). */
  rebuilt: boolean;
}

/**
 * Makes sure dist/authorizer/index.mjs is the build of the current lambda/ sources, building it
 * when it is missing or stale (the same rule as the Pulumi program's). The build is renamed into
 * place whole, so a gateway starting at the same moment never imports a half-written bundle.
 */
export async function ensureAuthorizerBundle(root: string = packageRoot()): Promise<BundleStatus> {
  const path = authorizerBundlePath(root);
  if (!authorizerBundleIsStale(root)) return { path, rebuilt: false };
  await bundleAuthorizer(path);
  return { path, rebuilt: true };
}
