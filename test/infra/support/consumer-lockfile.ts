/**
 * A lockfile for a program that depends on the given packages, cut out of Keygate's own
 * package-lock.json: the same versions and integrity hashes, so that `npm install --offline` in that
 * program finds every tarball in the npm cache `npm ci` filled, and asks the registry for nothing.
 */

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dev?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  [field: string]: unknown;
}

export interface Lockfile {
  name: string;
  lockfileVersion: 3;
  requires: true;
  packages: Record<string, LockEntry>;
}

/** Where Node would find `name` from the package at `from` ("" for the root), as a lockfile path. */
function locate(lock: Lockfile, from: string, name: string): string {
  for (let base = from; ; ) {
    const path = `${base === "" ? "" : `${base}/`}node_modules/${name}`;
    if (lock.packages[path]) return path;
    if (base === "") throw new Error(`Keygate's package-lock.json has no ${name} reachable from ${from || "the root"}`);
    const nested = base.lastIndexOf("/node_modules/");
    base = nested < 0 ? "" : base.slice(0, nested);
  }
}

export function consumerLockfile(keygateLock: Lockfile, name: string, dependencies: Record<string, string>, devDependencies: Record<string, string>): Lockfile {
  const packages: Record<string, LockEntry> = {};
  const visit = (from: string, dependency: string) => {
    const path = locate(keygateLock, from, dependency);
    if (packages[path]) return;
    // Whether a package is a development one is the consumer's affair, not Keygate's.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = keygateLock.packages[path]!;
    packages[path] = entry;
    for (const next of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) visit(path, next);
  };
  for (const dependency of Object.keys({ ...dependencies, ...devDependencies })) visit("", dependency);
  return { name, lockfileVersion: 3, requires: true, packages: { "": { name, dependencies, devDependencies }, ...packages } };
}
