/**
 * Deleting run-time usage keys, as `keygate cleanup` and `keygate prune` do: first what names the key
 * (its user's mapping item, only while it still names this key), then the key (which leaves every plan
 * with it), then its slot in the authorizer's provisioned-key counter.
 */
import { DeleteApiKeyCommand, NotFoundException, type APIGatewayClient } from "@aws-sdk/client-api-gateway";
import { ConditionalCheckFailedException, DeleteItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ProvisionedKeyCounter } from "../lambda/usage/provisioned-key-counter";
import { userMappingKey } from "../lambda/usage/user-mapping";
import { UserMappingStore } from "../lambda/usage/user-mapping-store";
import type { CommandIo } from "./command-io";
import { adviseFailure } from "./failure-advice";
import { TABLE_TIMEOUT_MS, type KeygateKey } from "./usage-keys";

/** Deletes the keys; returns how many could not be deleted (each reported on stderr). */
export async function deleteRuntimeKeys(keys: readonly KeygateKey[], clients: { apiGateway: APIGatewayClient; dynamodb: DynamoDBClient; tableName: string; local: boolean }, io: CommandIo): Promise<number> {
  const { apiGateway, dynamodb, tableName } = clients;
  const store = new UserMappingStore(dynamodb, tableName, TABLE_TIMEOUT_MS);
  const counter = new ProvisionedKeyCounter(dynamodb, tableName, TABLE_TIMEOUT_MS);
  let failures = 0;
  for (const key of keys) {
    try {
      await forgetMapping(dynamodb, tableName, store, key);
      await deleteKey(apiGateway, key.id);
      await counter.release();
    } catch (error) {
      failures++;
      io.err(`error: ${key.id}: ${adviseFailure(error, clients)}`);
    }
  }
  return failures;
}

async function forgetMapping(dynamodb: DynamoDBClient, tableName: string, store: UserMappingStore, key: KeygateKey): Promise<void> {
  if (!key.principal || !key.mapping || key.mapping.fixed) return;
  if (key.state === "retired") {
    await store.clearRetired(key.principal, key.id);
    return;
  }
  if (key.state !== "current") return;
  try {
    await dynamodb.send(
      new DeleteItemCommand({
        TableName: tableName,
        Key: { pk: { S: userMappingKey(key.principal) } },
        ConditionExpression: "apiKeyId = :id",
        ExpressionAttributeValues: { ":id": { S: key.id } },
      }),
    );
  } catch (error) {
    // The authorizer moved the user to another key meanwhile: that mapping is not ours to delete.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

async function deleteKey(client: APIGatewayClient, id: string): Promise<void> {
  try {
    await client.send(new DeleteApiKeyCommand({ apiKey: id }));
  } catch (error) {
    if (!(error instanceof NotFoundException)) throw error;
  }
}
