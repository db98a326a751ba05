/**
 * Keygate's own DynamoDB client (what the bundle uses for `@aws-sdk/client-dynamodb`) against
 * dynalite: the items round-trip as the SDK's do, conditional failures are recognised, and errors
 * and aborts reach the caller.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConditionalCheckFailedException, DynamoDBClient, dynamoDbEndpoint, GetItemCommand, PutItemCommand, UpdateItemCommand } from "../../lambda/aws/dynamodb-client";
import { ensureCacheTable, localDynamoDbClient, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from "../../local/embedded-dynamodb";

const TABLE = "keygate-own-client";
let dynamo: EmbeddedDynamoDb;
const saved = { ...process.env };

beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
  await ensureCacheTable(localDynamoDbClient(dynamo.endpoint), TABLE);
});
afterAll(() => dynamo.stop());
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
});

/** Lambda's environment, pointed at `endpoint`. */
function lambdaEnvironment(endpoint: string = dynamo.endpoint): void {
  Object.assign(process.env, { AWS_REGION: "eu-west-1", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local", AWS_SESSION_TOKEN: "token", AWS_ENDPOINT_URL_DYNAMODB: endpoint });
}

function client(): DynamoDBClient {
  lambdaEnvironment();
  return new DynamoDBClient({ maxAttempts: 1, requestHandler: { connectionTimeout: 2_000, requestTimeout: 2_000 } });
}

describe("Keygate's DynamoDB client", () => {
  it("writes, reads and updates items in DynamoDB's attribute-value format", async () => {
    const db = client();
    const item = { pk: { S: "verdict#1" }, valid: { BOOL: true }, scopes: { L: [{ S: "read" }, { S: "write" }] }, verifiedAt: { N: "1767225600000" }, meta: { M: { type: { S: "user" } } } };
    await db.send(new PutItemCommand({ TableName: TABLE, Item: item }));
    expect((await db.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "verdict#1" } } }))).Item).toEqual(item);
    await db.send(new UpdateItemCommand({ TableName: TABLE, Key: { pk: { S: "verdict#1" } }, UpdateExpression: "SET verifiedAt = :t", ExpressionAttributeValues: { ":t": { N: "1767225601000" } } }));
    expect((await db.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "verdict#1" } }, ConsistentRead: true }))).Item?.verifiedAt).toEqual({ N: "1767225601000" });
    expect((await db.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "verdict#absent" } } }))).Item).toBeUndefined();
  });

  it("throws ConditionalCheckFailedException when a condition fails, as the stores expect", async () => {
    const db = client();
    const put = () => db.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "counter#1" } }, ConditionExpression: "attribute_not_exists(pk)" }));
    await put();
    const failure = await put().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConditionalCheckFailedException);
    expect(failure).toMatchObject({ name: "ConditionalCheckFailedException", $metadata: { httpStatusCode: 400 } });
  });

  it("names DynamoDB's other errors by their type", async () => {
    const failure = await client().send(new GetItemCommand({ TableName: "no-such-table", Key: { pk: { S: "x" } } })).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: "ResourceNotFoundException" });
    expect(failure).not.toBeInstanceOf(ConditionalCheckFailedException);
  });

  it("gives up when the caller's signal aborts, even if DynamoDB never answers", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      lambdaEnvironment(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`);
      const hanging = new DynamoDBClient({ maxAttempts: 1 });
      const controller = new AbortController();
      const call = hanging.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "x" } } }), { abortSignal: controller.signal });
      controller.abort(new Error("budget spent"));
      await expect(call).rejects.toThrow("budget spent");
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("refuses to start without a Region, and finds the endpoint as the SDK does", () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    expect(() => new DynamoDBClient()).toThrow("no Region");
    expect(dynamoDbEndpoint("eu-west-1", {}).href).toBe("https://dynamodb.eu-west-1.amazonaws.com/");
    expect(dynamoDbEndpoint("cn-north-1", {}).href).toBe("https://dynamodb.cn-north-1.amazonaws.com.cn/");
    expect(dynamoDbEndpoint("eu-west-1", { AWS_ENDPOINT_URL: "http://127.0.0.1:9000" }).href).toBe("http://127.0.0.1:9000/");
    expect(dynamoDbEndpoint("eu-west-1", { AWS_ENDPOINT_URL: "http://127.0.0.1:9000", AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:8000" }).href).toBe("http://127.0.0.1:8000/");
  });
});
