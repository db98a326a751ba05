import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** The archive holds `index.mjs`, whose `handler` export is the authorizer. */
export const AUTHORIZER_FILE = "index.mjs";

/**
 * Beside `index.mjs`, the chunks it imports only when a configuration needs them. The package ships
 * and the function deploys them with it.
 */
export const AUTHORIZER_CHUNKS_DIR = "chunks";

/** Where `npm run build` writes the authorizer bundle's handler module, which the package ships. */
export function authorizerBundlePath(root: string): string {
  return join(root, "dist", "authorizer", AUTHORIZER_FILE);
}

/** The newest modification time of any file under `dir`, in ms (0 for an empty or missing folder). */
function newestMtime(dir: string): number {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let newest = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.isFile()) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Whether the bundle must be rebuilt before use: only where the authorizer's sources are (a clone
 * of Keygate), when the bundle is missing or older than one of them. An installed package ships the
 * bundle and no sources, so it always uses the bundle as built.
 */
export function authorizerBundleIsStale(root: string): boolean {
  const sources = newestMtime(join(root, "lambda"));
  if (sources === 0) return false;
  let built: number;
  try {
    built = statSync(authorizerBundlePath(root)).mtimeMs;
  } catch {
    return true;
  }
  return built < sources;
}
