/**
 * What Kinde says about one key id that never changes for it: the APIs it was issued for, its type,
 * when it was created. Read from `GET /api/v1/api_keys/{key_id}` (get_api_key_response in
 * kinde-oss/management-api-js spec/kinde-mgmt-api-specs.yaml); the verify answer carries none of it.
 */
import { isRecord } from "../settings/setting-kinds";

export interface KeyMetadata {
  keyId: string;
  /** `api_key.api_ids`: the Kinde APIs the key was issued for (absent in the answer: none). */
  apiIds: string[];
  /**
   * `api_key.type` as Kinde sent it. The create call takes `user`, `organization` or `environment`,
   * but the read schema has no enum: any other string is kept, and refused by the decision rules.
   */
  type?: string;
  /** `api_key.created_on`, kept as sent: the spec's example (`2024-11-18T13:32:03+11`) is not strict RFC 3339. */
  createdOn?: string;
}

/** Metadata as cached, with the epoch ms until which it may be used (at most `KEY_METADATA_TTL_SECONDS` after Kinde's answer). */
export interface UsableKeyMetadata {
  metadata: KeyMetadata;
  usableUntil: number;
}

/**
 * Cached metadata as this container may use it now: for the key id asked about, not yet expired, and
 * not usable for longer than the lifetime in force from now (a stamp further ahead is corrupt or was
 * written under a longer setting), else undefined.
 */
export function usableKeyMetadata(held: UsableKeyMetadata | undefined, keyId: string | undefined, now: number, ttlMs: number): UsableKeyMetadata | undefined {
  if (!held || keyId === undefined || held.metadata.keyId !== keyId) return undefined;
  return now < held.usableUntil && held.usableUntil <= now + ttlMs ? held : undefined;
}

/** Kinde's answer for a key id: its metadata, or a documented 404 saying there is no such key. */
export type KeyMetadataLookup = { found: true; metadata: KeyMetadata } | { found: false };

/**
 * The metadata in a 200 body, or undefined when the body is not Kinde's shape. Every field is optional
 * in the spec; one that is present with the wrong type makes the whole answer untrustworthy.
 */
export function parseKeyMetadata(keyId: string, payload: unknown): KeyMetadata | undefined {
  if (!isRecord(payload) || !isRecord(payload.api_key)) return undefined;
  const key = payload.api_key;
  if (key.id !== undefined && key.id !== null && key.id !== keyId) return undefined;
  const apiIds = key.api_ids ?? [];
  if (!Array.isArray(apiIds) || !apiIds.every((id): id is string => typeof id === "string" && id !== "")) return undefined;
  for (const field of ["type", "created_on"] as const) {
    if (key[field] !== undefined && key[field] !== null && typeof key[field] !== "string") return undefined;
  }
  return {
    keyId,
    apiIds,
    ...(typeof key.type === "string" && key.type !== "" ? { type: key.type } : {}),
    ...(typeof key.created_on === "string" && key.created_on !== "" ? { createdOn: key.created_on } : {}),
  };
}
