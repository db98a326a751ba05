import { createHash } from "node:crypto";

/**
 * The SHA-256 of a key, hex. Keys are high-entropy random secrets, so an unsalted hash is safe to
 * store: it identifies the key in caches without being usable as one.
 */
export function hashKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** A short, loggable prefix of the key's hash: enough to correlate records, useless to an attacker. */
export function fingerprint(keyHash: string): string {
  return keyHash.slice(0, 12);
}
