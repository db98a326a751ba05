import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { UsableKeyMetadata } from "../kinde/key-metadata";
import { boundedVerdict, type Verdict, type VerdictLifetimes } from "../verdict/verdict";

export interface DynamoDbVerdictStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Bound on each call. */
  timeoutMs: number;
  /** The verdict lifetimes in force: they bound every verdict read, whatever it was written with. */
  lifetimes: VerdictLifetimes;
  staleIfErrorMs: number;
}

/**
 * Verdicts shared by every container, in the cache table (partition key `pk`, TTL attribute `expiresAt`).
 *
 * Item: `pk` = `verdict#<sha256 of the key>` (never the key), `valid`, `reason`, `keyId`, `userId`,
 * `orgCode`, `scopes`, `verifiedAt` and `freshUntil` (epoch ms), `expiresAt` (epoch seconds: after
 * it the item is worthless). A positive item whose key's metadata was read may carry it, so that a hit
 * is one read: `keyApiIds`, `keyType`, `keyCreatedOn` and `keyMetadataUsableUntil` (epoch ms, its own
 * lifetime, checked on read; an item without them, or with them unreadable, is a verdict without
 * metadata). A positive item is kept to the end of its stale-if-error window. A
 * negative one is kept at least as long as any positive verdict it replaced could still be served
 * stale, so that no container falls back to a key Kinde has since refused. DynamoDB's TTL deletion
 * lags by hours, so expiry is checked on every read.
 *
 * Reads are bounded: a verdict is fresh only while both its own `freshUntil` and `verifiedAt` plus
 * the lifetime in force now hold; an item stamped in the future, without a readable `expiresAt`, or
 * with any field of the wrong type is a miss.
 *
 * Every call is bounded by a short timeout and never retried: a slow or failing cache is skipped,
 * it never fails a request.
 */
export class DynamoDbVerdictStore {
  constructor(private readonly options: DynamoDbVerdictStoreOptions) {}

  /** The stored verdict, fresh or within its stale window, freshness bounded as above; undefined when absent, expired or unreadable. */
  async get(keyHash: string, now: number): Promise<Verdict | undefined> {
    const { client, tableName, timeoutMs, lifetimes } = this.options;
    const result = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: itemKey(keyHash) } }, ConsistentRead: false }), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    const item = result.Item;
    if (!item) return undefined;
    const expiresAt = numberAttribute(item.expiresAt);
    if (expiresAt === undefined || !Number.isInteger(expiresAt) || expiresAt * 1000 <= now) return undefined;
    const verdict = decode(item, now);
    return verdict && boundedVerdict(verdict, lifetimes, now);
  }

  /** Stores a verdict unless a newer one is already there (two containers may race on one key). */
  async put(keyHash: string, verdict: Verdict): Promise<void> {
    const { client, tableName, timeoutMs } = this.options;
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { pk: { S: itemKey(keyHash) }, ...encode(verdict), expiresAt: { N: String(Math.ceil(this.keepUntil(verdict) / 1000)) } },
          ConditionExpression: "attribute_not_exists(pk) OR verifiedAt < :verifiedAt",
          ExpressionAttributeValues: { ":verifiedAt": { N: String(verdict.verifiedAt) } },
        }),
        { abortSignal: AbortSignal.timeout(timeoutMs) },
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Epoch ms until which the item is worth keeping. */
  private keepUntil(verdict: Verdict): number {
    const { lifetimes, staleIfErrorMs } = this.options;
    if (verdict.valid) return verdict.freshUntil + staleIfErrorMs;
    // A positive verdict older than this refusal is served at most until its verifiedAt plus the
    // positive lifetime and the stale window: outlive that, so the refusal is still there to win.
    return Math.max(verdict.freshUntil, verdict.verifiedAt + lifetimes.positiveMs + staleIfErrorMs);
  }
}

export function itemKey(keyHash: string): string {
  return `verdict#${keyHash}`;
}

function encode(verdict: Verdict): Record<string, AttributeValue> {
  const common = { verifiedAt: { N: String(verdict.verifiedAt) }, freshUntil: { N: String(verdict.freshUntil) } };
  if (!verdict.valid) return { valid: { BOOL: false }, reason: { S: verdict.reason }, ...common };
  return {
    valid: { BOOL: true },
    scopes: { L: verdict.scopes.map((scope) => ({ S: scope })) },
    ...(verdict.keyId ? { keyId: { S: verdict.keyId } } : {}),
    ...(verdict.userId ? { userId: { S: verdict.userId } } : {}),
    ...(verdict.orgCode ? { orgCode: { S: verdict.orgCode } } : {}),
    ...(verdict.keyId && verdict.keyMetadata?.metadata.keyId === verdict.keyId ? encodeKeyMetadata(verdict.keyMetadata) : {}),
    ...common,
  };
}

function encodeKeyMetadata({ metadata, usableUntil }: UsableKeyMetadata): Record<string, AttributeValue> {
  return {
    keyApiIds: { L: metadata.apiIds.map((id) => ({ S: id })) },
    ...(metadata.type ? { keyType: { S: metadata.type } } : {}),
    ...(metadata.createdOn ? { keyCreatedOn: { S: metadata.createdOn } } : {}),
    keyMetadataUsableUntil: { N: String(usableUntil) },
  };
}

/** The key's metadata carried by an item, while usable at `now`; undefined when absent, expired or unreadable. */
function decodeKeyMetadata(keyId: string | undefined, item: Record<string, AttributeValue>, now: number): UsableKeyMetadata | undefined {
  const usableUntil = numberAttribute(item.keyMetadataUsableUntil);
  const apiIds = item.keyApiIds?.L;
  if (keyId === undefined || usableUntil === undefined || usableUntil <= now) return undefined;
  if (!Array.isArray(apiIds) || !apiIds.every((value) => typeof value.S === "string")) return undefined;
  const type = optionalString(item.keyType);
  const createdOn = optionalString(item.keyCreatedOn);
  if (type === null || createdOn === null) return undefined;
  return {
    metadata: { keyId, apiIds: apiIds.map((value) => value.S as string), ...(type ? { type } : {}), ...(createdOn ? { createdOn } : {}) },
    usableUntil,
  };
}

/** An item this version cannot read, or with any attribute of the wrong type, is treated as a miss, never as a verdict. */
function decode(item: Record<string, AttributeValue>, now: number): Verdict | undefined {
  const verifiedAt = numberAttribute(item.verifiedAt);
  const freshUntil = numberAttribute(item.freshUntil);
  if (verifiedAt === undefined || freshUntil === undefined || typeof item.valid?.BOOL !== "boolean") return undefined;
  if (!item.valid.BOOL) {
    const reason = item.reason?.S;
    return reason === "invalid_key" || reason === "inactive_key" ? { valid: false, reason, verifiedAt, freshUntil } : undefined;
  }
  const scopes = item.scopes?.L;
  if (!Array.isArray(scopes) || !scopes.every((value) => typeof value.S === "string")) return undefined;
  const keyId = optionalString(item.keyId);
  const userId = optionalString(item.userId);
  const orgCode = optionalString(item.orgCode);
  if (keyId === null || userId === null || orgCode === null) return undefined;
  if (!userId && !orgCode) return undefined;
  const keyMetadata = decodeKeyMetadata(keyId, item, now);
  return {
    valid: true,
    scopes: scopes.map((value) => value.S as string),
    ...(keyId ? { keyId } : {}),
    ...(userId ? { userId } : {}),
    ...(orgCode ? { orgCode } : {}),
    verifiedAt,
    freshUntil,
    ...(keyMetadata ? { keyMetadata } : {}),
  };
}

/** A finite number from an `N` attribute; undefined for anything else. */
function numberAttribute(value: AttributeValue | undefined): number | undefined {
  if (typeof value?.N !== "string" || !/^-?\d+(\.\d+)?$/.test(value.N)) return undefined;
  const number = Number(value.N);
  return Number.isFinite(number) ? number : undefined;
}

/** The string of an optional `S` attribute: undefined when absent, null when present with another type. */
function optionalString(value: AttributeValue | undefined): string | undefined | null {
  if (value === undefined) return undefined;
  return typeof value.S === "string" ? value.S : null;
}
