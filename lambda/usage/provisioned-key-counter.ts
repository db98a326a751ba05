import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PROVISIONED_KEYS_COUNTER_KEY } from "./user-mapping";

/**
 * How many keys the authorizer has created and not deleted, shared by every container through one
 * counter item. A slot is reserved before CreateApiKey and released only when the key is known to be
 * gone, so the count errs high, never low: API Gateway's 10,000-key cap is never reached by surprise.
 */
export class ProvisionedKeyCounter {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly timeoutMs: number,
  ) {}

  /** Takes a slot; false when `max` slots are taken. */
  async reserve(max: number): Promise<boolean> {
    // "No counter yet" passes the condition below, which would let a ceiling of 0 create one key.
    if (max <= 0) return false;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: PROVISIONED_KEYS_COUNTER_KEY } },
          // COUNT is a DynamoDB reserved word, hence the name placeholder.
          UpdateExpression: "SET #count = if_not_exists(#count, :zero) + :one",
          ConditionExpression: "attribute_not_exists(#count) OR #count < :max",
          ExpressionAttributeNames: { "#count": "count" },
          ExpressionAttributeValues: { ":zero": { N: "0" }, ":one": { N: "1" }, ":max": { N: String(max) } },
        }),
        { abortSignal: AbortSignal.timeout(this.timeoutMs) },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Gives a slot back; never below zero. */
  async release(): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: PROVISIONED_KEYS_COUNTER_KEY } },
          UpdateExpression: "SET #count = #count - :one",
          ConditionExpression: "#count > :zero",
          ExpressionAttributeNames: { "#count": "count" },
          ExpressionAttributeValues: { ":zero": { N: "0" }, ":one": { N: "1" } },
        }),
        { abortSignal: AbortSignal.timeout(this.timeoutMs) },
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async current(): Promise<number> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: PROVISIONED_KEYS_COUNTER_KEY } }, ConsistentRead: true }),
      { abortSignal: AbortSignal.timeout(this.timeoutMs) },
    );
    return Number(Item?.count?.N ?? 0);
  }
}
