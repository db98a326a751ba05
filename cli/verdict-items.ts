/**
 * Finding and removing cached verdicts of one Kinde key or one user, through the cache table's
 * verdict indexes (lambda/cache/verdict-indexes.ts): a Query reads only that key's or user's index
 * entries, never the whole table.
 */
import { DeleteItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { VERDICTS_BY_KEY_ID, VERDICTS_BY_USER_ID, type VerdictIndex } from "../lambda/cache/verdict-indexes";

export type VerdictOwner = { keyId: string } | { userId: string };

export interface VerdictItem {
  /** The item's partition key (`verdict#<sha256 of the key>`). */
  pk: string;
  /** When the verdict was made (epoch ms), when the item says. */
  verifiedAt?: number;
}

export function describeOwner(owner: VerdictOwner): string {
  return "keyId" in owner ? `key ${owner.keyId}` : `user ${owner.userId}`;
}

/** Every verdict item of the key or user (index reads are eventually consistent: a verdict written a moment ago may be missing). */
export async function findVerdicts(client: DynamoDBClient, tableName: string, owner: VerdictOwner): Promise<VerdictItem[]> {
  const [index, value]: [VerdictIndex, string] = "keyId" in owner ? [VERDICTS_BY_KEY_ID, owner.keyId] : [VERDICTS_BY_USER_ID, owner.userId];
  const items: VerdictItem[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: index.name,
        KeyConditionExpression: "#owner = :owner",
        ExpressionAttributeNames: { "#owner": index.attribute },
        ExpressionAttributeValues: { ":owner": { S: value } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const pk = item.pk?.S;
      if (!pk?.startsWith("verdict#")) continue;
      const verifiedAt = Number(item.verifiedAt?.N);
      items.push({ pk, ...(Number.isFinite(verifiedAt) ? { verifiedAt } : {}) });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Deletes the items; returns how many were there to delete. */
export async function deleteVerdicts(client: DynamoDBClient, tableName: string, items: readonly VerdictItem[]): Promise<number> {
  let deleted = 0;
  for (const item of items) {
    const { Attributes } = await client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: item.pk } }, ReturnValues: "ALL_OLD" }));
    if (Attributes) deleted++;
  }
  return deleted;
}
