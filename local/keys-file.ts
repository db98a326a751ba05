/**
 * The local Kinde emulator's keys, from the JSON file named by `KEYGATE_LOCAL_KEYS`: an array of
 * `{ "api_key", "key_id", "user_id", "org_code", "scopes", "status" }`, each with optional metadata
 * `"api_ids"`, `"type"` and `"created_on"` (files written without them keep working: see
 * `keyMetadataOf` in the emulator for what is assumed). The file is looked at (`stat`) on
 * every verification and read again whenever it changed, so an edit (a revocation, a new scope)
 * takes effect without a restart, as it would at Kinde; the gateway then follows once its cache
 * windows pass.
 */
import { readFileSync, statSync } from "node:fs";
import type { LocalKey } from "./kinde-emulator";

/** The types Kinde's create-key call accepts. */
const KEY_TYPES = new Set(["user", "organization", "environment"]);

export class KeysFileError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`KEYGATE_LOCAL_KEYS (${path}): ${problem}`);
    this.name = "KeysFileError";
  }
}

/** One version of the keys file, as its metadata tells it. */
export interface KeysFileVersion {
  /** Differs between versions, except for two saves within one tick of the file system's clock. */
  id: string;
  /** When the file last changed, milliseconds since the epoch. */
  changedAtMs: number;
}

/** A version changed less than this long ago is read again at every call (see `liveKeysFile`). */
const RACY_WINDOW_MS = 1_000;

/** How the keys file is reached: the file system, or a stand-in that counts the reads. */
export interface KeysFileAccess {
  /** The file's current version; throws as `fs.statSync` does. */
  version(path: string): KeysFileVersion;
  /** The whole file; throws as `fs.readFileSync` does. */
  read(path: string): string;
}

export const FILE_SYSTEM: KeysFileAccess = {
  version: (path) => {
    // Nanoseconds, so two saves within one millisecond still differ; the inode changes when an
    // editor saves by writing a new file and renaming it over the old one.
    const stat = statSync(path, { bigint: true });
    const changedNs = stat.mtimeNs > stat.ctimeNs ? stat.mtimeNs : stat.ctimeNs;
    return { id: `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`, changedAtMs: Number(changedNs / 1_000_000n) };
  },
  read: (path) => readFileSync(path, "utf8"),
};

function unreadable(path: string, error: unknown): KeysFileError {
  const code = (error as NodeJS.ErrnoException).code;
  return new KeysFileError(path, code === "ENOENT" ? "no such file" : `cannot be read (${code ?? (error as Error).message})`);
}

/** Reads and checks the whole file; throws a KeysFileError naming the first problem. */
export function readKeysFile(path: string, files: KeysFileAccess = FILE_SYSTEM): LocalKey[] {
  let text: string;
  try {
    text = files.read(path);
  } catch (error) {
    throw unreadable(path, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new KeysFileError(path, `is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new KeysFileError(path, 'must be a JSON array of { "api_key", "key_id", "user_id", "org_code", "scopes", "status" }');
  const seen = new Set<string>();
  return parsed.map((entry, index) => {
    const key = parseKey(entry, index, path);
    // Key values are secrets even locally: the message names the entry, never the value.
    if (seen.has(key.api_key)) throw new KeysFileError(path, `entry ${index}: the same api_key appears twice`);
    seen.add(key.api_key);
    return key;
  });
}

function parseKey(entry: unknown, index: number, path: string): LocalKey {
  const fail = (problem: string): never => {
    throw new KeysFileError(path, `entry ${index}: ${problem}`);
  };
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return fail("must be an object");
  const e = entry as Record<string, unknown>;
  if (typeof e.api_key !== "string" || e.api_key === "") fail('"api_key" must be a non-empty string');
  if (typeof e.key_id !== "string" || e.key_id === "") fail('"key_id" must be a non-empty string');
  for (const field of ["user_id", "org_code"] as const) {
    if (e[field] !== undefined && e[field] !== null && typeof e[field] !== "string") fail(`"${field}" must be a string or null`);
  }
  if (e.scopes !== undefined && (!Array.isArray(e.scopes) || !e.scopes.every((s) => typeof s === "string"))) fail('"scopes" must be an array of strings');
  if (e.status !== undefined && typeof e.status !== "string") fail('"status" must be a string such as "active", "inactive" or "revoked"');
  if (e.api_ids !== undefined && (!Array.isArray(e.api_ids) || !e.api_ids.every((id) => typeof id === "string" && id !== ""))) {
    fail('"api_ids" must be an array of Kinde API ids such as ["api_keygate_local"]');
  }
  if (e.type !== undefined && !KEY_TYPES.has(e.type as string)) fail('"type" must be "user", "organization" or "environment"');
  if (e.created_on !== undefined && typeof e.created_on !== "string") fail('"created_on" must be a date-time string');
  return {
    api_key: e.api_key as string,
    key_id: e.key_id as string,
    user_id: (e.user_id as string | null | undefined) ?? null,
    org_code: (e.org_code as string | null | undefined) ?? null,
    scopes: (e.scopes as string[] | undefined) ?? [],
    status: (e.status as string | undefined) ?? "active",
    ...(e.api_ids !== undefined ? { api_ids: e.api_ids as string[] } : {}),
    ...(e.type !== undefined ? { type: e.type as string } : {}),
    ...(e.created_on !== undefined ? { created_on: e.created_on as string } : {}),
  };
}

/**
 * A `keys()` source for the emulator. Each call looks at the file's identity (inode, size,
 * modification and change times) and reads and checks it again only when that changed: the
 * emulator asks for the keys twice per verification, and a re-read of a large file on each was most
 * of the local gateway's CPU under load. While the file is broken (half-saved, bad JSON) or gone, the
 * last good keys stay in use and `onProblem` hears about it once.
 */
export function liveKeysFile(
  path: string,
  onProblem: (message: string) => void = () => undefined,
  files: KeysFileAccess = FILE_SYSTEM,
  now: () => number = Date.now,
): () => LocalKey[] {
  // The id read before the file's content, or undefined while a save could still go unseen.
  let trusted: string | undefined;
  let lastGood: LocalKey[] = [];
  const read = (): LocalKey[] => {
    let version: KeysFileVersion;
    try {
      version = files.version(path);
    } catch (error) {
      throw unreadable(path, error);
    }
    if (version.id === trusted) return lastGood;
    // A save in the same tick of the file system's clock as this version (coarse on some: a jiffy,
    // a second) would leave the id unchanged; until the version is older than any tick, read on.
    trusted = now() - version.changedAtMs > RACY_WINDOW_MS ? version.id : undefined;
    return readKeysFile(path, files);
  };
  lastGood = read();
  let lastProblem: string | undefined;
  return () => {
    try {
      lastGood = read();
      lastProblem = undefined;
    } catch (error) {
      const message = (error as Error).message;
      if (message !== lastProblem) onProblem(`${message}; still using the keys read before`);
      lastProblem = message;
    }
    return lastGood;
  };
}
