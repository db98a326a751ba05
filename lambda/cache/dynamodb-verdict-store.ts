import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Verdict } from "../verdict/verdict";

/**
 * Verdicts shared by every container, in the cache table (partition key `pk`, TTL attribute `expiresAt`).
 *
 * Item: `pk` = `verdict#<sha256 of the key>` (never the key), `valid`, `reason`, `keyId`, `userId`,
 * `orgCode`, `scopes`, `verifiedAt` and `freshUntil` (epoch ms), `expiresAt` (epoch seconds: the
 * end of the stale-if-error window, after which the item is worthless). DynamoDB's TTL deletion
 * lags by hours, so expiry is checked on every read.
 *
 * Every call is bounded by a short timeout and never retried: a slow or failing cache is skipped,
 * it never fails a request.
 */
export class DynamoDbVerdictStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly timeoutMs: number,
    private readonly staleIfErrorMs: number,
  ) {}

  /** The stored verdict, fresh or within its stale window; undefined when absent or expired. */
  async get(keyHash: string, now: number): Promise<Verdict | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: itemKey(keyHash) } }, ConsistentRead: false }),
      { abortSignal: AbortSignal.timeout(this.timeoutMs) },
    );
    const item = result.Item;
    if (!item || Number(item.expiresAt?.N) * 1000 <= now) return undefined;
    return decode(item);
  }

  /** Stores a verdict unless a newer one is already there (two containers may race on one key). */
  async put(keyHash: string, verdict: Verdict): Promise<void> {
    const keepUntil = verdict.freshUntil + (verdict.valid ? this.staleIfErrorMs : 0);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { pk: { S: itemKey(keyHash) }, ...encode(verdict), expiresAt: { N: String(Math.ceil(keepUntil / 1000)) } },
          ConditionExpression: "attribute_not_exists(pk) OR verifiedAt < :verifiedAt",
          ExpressionAttributeValues: { ":verifiedAt": { N: String(verdict.verifiedAt) } },
        }),
        { abortSignal: AbortSignal.timeout(this.timeoutMs) },
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
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
    ...common,
  };
}

/** An item this version cannot read is treated as a miss, never as a verdict. */
function decode(item: Record<string, AttributeValue>): Verdict | undefined {
  const verifiedAt = Number(item.verifiedAt?.N);
  const freshUntil = Number(item.freshUntil?.N);
  if (!Number.isFinite(verifiedAt) || !Number.isFinite(freshUntil)) return undefined;
  if (item.valid?.BOOL === false) {
    const reason = item.reason?.S;
    return reason === "invalid_key" || reason === "inactive_key" ? { valid: false, reason, verifiedAt, freshUntil } : undefined;
  }
  if (item.valid?.BOOL !== true || !Array.isArray(item.scopes?.L)) return undefined;
  const userId = item.userId?.S;
  const orgCode = item.orgCode?.S;
  if (!userId && !orgCode) return undefined;
  return {
    valid: true,
    scopes: item.scopes.L.flatMap((value) => (value.S ? [value.S] : [])),
    ...(item.keyId?.S ? { keyId: item.keyId.S } : {}),
    ...(userId ? { userId } : {}),
    ...(orgCode ? { orgCode } : {}),
    verifiedAt,
    freshUntil,
  };
}
