import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { bundleAuthorizer, packageRoot } from "../lambda/bundle";

export interface BundleStatus {
  path: string;
  /** Whether this call rebuilt it (missing, or older than a source file under lambda/). */
  rebuilt: boolean;
}

/** The newest modification time of any file under `dir`, in ms (0 for an empty or missing folder). */
async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestMtime(path));
    else if (entry.isFile()) newest = Math.max(newest, (await stat(path)).mtimeMs);
  }
  return newest;
}

/**
 * Makes sure dist/authorizer/index.mjs is the build of the current lambda/ sources, building it
 * when it is missing or stale. The build goes to a private folder first and is renamed into
 * place, so a gateway starting at the same moment (another test file, another terminal) never
 * imports a half-written bundle.
 */
export async function ensureAuthorizerBundle(root: string = packageRoot()): Promise<BundleStatus> {
  const path = join(root, "dist", "authorizer", "index.mjs");
  const built = await stat(path).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
  if (built !== undefined && built >= (await newestMtime(join(root, "lambda")))) return { path, rebuilt: false };

  const scratch = join(dirname(path), `.build-${process.pid}-${Date.now()}`);
  await mkdir(scratch, { recursive: true });
  try {
    await bundleAuthorizer(join(scratch, "index.mjs"));
    await rename(join(scratch, "index.mjs"), path);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return { path, rebuilt: true };
}
