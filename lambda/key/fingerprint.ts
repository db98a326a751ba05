import { createHash } from "node:crypto";
import { isWellFormedKey } from "./key-syntax";

/**
 * The SHA-256 of a key, hex. Keys are high-entropy random secrets, so an unsalted hash is safe to
 * store: it identifies the key in caches without being usable as one. Only well-formed keys are
 * hashed: UTF-8 encoding turns a lone surrogate into U+FFFD, so two different strings would share
 * a hash (and a cached verdict) if anything else got here.
 */
export function hashKey(key: string): string {
  if (!isWellFormedKey(key)) throw new TypeError("only a well-formed key (1 to 512 printable ASCII characters) is hashed");
  return createHash("sha256").update(key, "ascii").digest("hex");
}

/** A short, loggable prefix of the key's hash: enough to correlate records, useless to an attacker. */
export function fingerprint(keyHash: string): string {
  return keyHash.slice(0, 12);
}
