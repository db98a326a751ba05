import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { UsageError } from "./usage-error";
import { decodeUserMapping, encodeUserMapping, userMappingKey, type UserMapping } from "./user-mapping";

/**
 * Principals' mapping items in the cache table. Every write is conditional, so that containers racing
 * for one principal agree on a single key; every call is bounded by a short timeout and never retried.
 */
export class UserMappingStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly timeoutMs: number,
  ) {}

  /** The principal's mapping, or undefined when there is none. An item this version cannot read is an error, never a miss. */
  async get(principal: string, options: { consistent?: boolean; timeoutMs?: number } = {}): Promise<UserMapping | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: userMappingKey(principal) } }, ConsistentRead: options.consistent === true }),
      { abortSignal: AbortSignal.timeout(Math.max(1, Math.ceil(Math.min(this.timeoutMs, options.timeoutMs ?? this.timeoutMs)))) },
    );
    if (!Item) return undefined;
    const mapping = decodeUserMapping(Item);
    // Treating it as a miss would provision a second key for a principal who may already have one.
    if (!mapping) throw new UsageError("mapping_unreadable", `the item ${userMappingKey(principal)} is not a mapping this version can read`);
    return mapping;
  }

  /** Records a first mapping; false when another container recorded one first. */
  async create(mapping: UserMapping): Promise<boolean> {
    return this.conditional(
      new PutItemCommand({ TableName: this.tableName, Item: encodeUserMapping(mapping), ConditionExpression: "attribute_not_exists(pk)" }),
    );
  }

  /**
   * Points a run-time mapping at a new key (a tier change), keeping the old key as `retired`. False when
   * the mapping no longer names `expectedKeyId`, or became fixed: someone else changed it first.
   */
  async replaceKey(next: UserMapping, expectedKeyId: string): Promise<boolean> {
    if (!next.retired) throw new TypeError("replaceKey needs the replaced key in next.retired");
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: userMappingKey(next.principal) } },
        UpdateExpression:
          "SET apiKeyId = :id, apiKeyValue = :value, tier = :tier, usagePlanId = :plan, updatedAt = :now, retiredApiKeyId = :retiredId, retiredAt = :retiredAt",
        // FIXED is a DynamoDB reserved word, hence the name placeholder.
        ConditionExpression: "apiKeyId = :expected AND #fixed = :false AND attribute_not_exists(retiredApiKeyId)",
        ExpressionAttributeNames: { "#fixed": "fixed" },
        ExpressionAttributeValues: {
          ":id": { S: next.apiKeyId },
          ":value": { S: next.apiKeyValue },
          ":tier": { S: next.tier },
          ":plan": { S: next.usagePlanId },
          ":now": { N: String(next.updatedAt ?? next.retired.at) },
          ":retiredId": { S: next.retired.apiKeyId },
          ":retiredAt": { N: String(next.retired.at) },
          ":expected": { S: expectedKeyId },
          ":false": { BOOL: false },
        },
      }),
    );
  }

  /** Forgets a retired key once it is deleted; false when another container already did. */
  async clearRetired(principal: string, retiredKeyId: string): Promise<boolean> {
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: userMappingKey(principal) } },
        UpdateExpression: "REMOVE retiredApiKeyId, retiredAt",
        ConditionExpression: "retiredApiKeyId = :id",
        ExpressionAttributeValues: { ":id": { S: retiredKeyId } },
      }),
    );
  }

  private async conditional(command: PutItemCommand | UpdateItemCommand): Promise<boolean> {
    try {
      // Two overloads of send: the union has to be narrowed for the compiler.
      if (command instanceof PutItemCommand) await this.client.send(command, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
      else await this.client.send(command, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
