import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { KeyMetadata, UsableKeyMetadata } from "../kinde/key-metadata";

/** Metadata as stored, with the epoch ms until which it may be used. */
export type StoredKeyMetadata = UsableKeyMetadata;

/**
 * Key metadata shared by every container, in the verdict cache table (partition key `pk`, TTL
 * attribute `expiresAt`).
 *
 * Item: `pk` = `keymeta#<Kinde key id>` (key ids are identifiers, not secrets), `apiIds`, `keyType`,
 * `createdOn`, `usableUntil` (epoch ms) and `expiresAt` (epoch seconds, for DynamoDB's TTL). Nothing
 * else: no key, no scopes, no owner. DynamoDB's TTL deletion lags by hours, so expiry is checked on
 * every read. The metadata never changes for a key id, so a plain put is safe when containers race.
 *
 * Every call is bounded by a short timeout and never retried: a slow or failing cache is skipped.
 */
export class DynamoDbKeyMetadataStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly timeoutMs: number,
  ) {}

  /** The stored metadata while usable; undefined when absent, expired or unreadable. */
  async get(keyId: string, now: number): Promise<StoredKeyMetadata | undefined> {
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: keyMetadataItemKey(keyId) } } }), {
      abortSignal: AbortSignal.timeout(this.timeoutMs),
    });
    const item = result.Item;
    if (!item) return undefined;
    const usableUntil = Number(item.usableUntil?.N);
    if (!Number.isFinite(usableUntil) || usableUntil <= now || Number(item.expiresAt?.N) * 1000 <= now) return undefined;
    const metadata = decode(keyId, item);
    return metadata ? { metadata, usableUntil } : undefined;
  }

  async put(stored: StoredKeyMetadata): Promise<void> {
    const { metadata, usableUntil } = stored;
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: { S: keyMetadataItemKey(metadata.keyId) },
          apiIds: { L: metadata.apiIds.map((id) => ({ S: id })) },
          ...(metadata.type ? { keyType: { S: metadata.type } } : {}),
          ...(metadata.createdOn ? { createdOn: { S: metadata.createdOn } } : {}),
          usableUntil: { N: String(usableUntil) },
          expiresAt: { N: String(Math.ceil(usableUntil / 1000)) },
        },
      }),
      { abortSignal: AbortSignal.timeout(this.timeoutMs) },
    );
  }
}

export function keyMetadataItemKey(keyId: string): string {
  return `keymeta#${keyId}`;
}

/** An item this version cannot read is a miss, never metadata. */
function decode(keyId: string, item: Record<string, AttributeValue>): KeyMetadata | undefined {
  const list = item.apiIds?.L;
  if (!Array.isArray(list) || !list.every((value) => typeof value.S === "string")) return undefined;
  return {
    keyId,
    apiIds: list.map((value) => value.S!),
    ...(item.keyType?.S ? { type: item.keyType.S } : {}),
    ...(item.createdOn?.S ? { createdOn: item.createdOn.S } : {}),
  };
}
