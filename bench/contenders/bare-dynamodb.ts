/**
 * The yardstick for Keygate's cold start: a bundle holding only the DynamoDB client and one
 * GetItemCommand, the least an authorizer with a shared cache can load.
 */
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";

const client = new DynamoDBClient({});

export const handler = async (event: { key: string }) => client.send(new GetItemCommand({ TableName: process.env.CACHE_TABLE_NAME, Key: { pk: { S: event.key } } }));
