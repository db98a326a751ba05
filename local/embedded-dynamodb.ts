import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from "@aws-sdk/client-dynamodb";
import type { IncomingMessage, Server } from "node:http";
import { VERDICT_INDEXES, VERDICT_INDEX_PROJECTED_ATTRIBUTES } from "../lambda/cache/verdict-indexes";

/** dynalite has no type definitions; this is the part of its API used here. */
type Dynalite = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;
const dynalite = require("dynalite") as Dynalite;

export interface EmbeddedDynamoDb {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL_DYNAMODB. */
  endpoint: string;
  /** Requests received per operation (GetItem, PutItem, ...), for tests and the benchmark. */
  readonly operations: Map<string, number>;
  stop(): Promise<void>;
}

/** An in-memory DynamoDB-protocol server (dynalite) on loopback. */
export async function startEmbeddedDynamoDb(port = 0): Promise<EmbeddedDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const operations = new Map<string, number>();
  server.on("request", (req: IncomingMessage) => {
    const operation = String(req.headers["x-amz-target"] ?? "").split(".").pop() ?? "";
    operations.set(operation, (operations.get(operation) ?? 0) + 1);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("unexpected dynalite address");
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    operations,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A client for a loopback endpoint, with dummy credentials (dynalite checks none). */
export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
}

/** Creates Keygate's cache table (partition key `pk`, string, and the verdict indexes) if it does not exist yet. */
export async function ensureCacheTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, ...VERDICT_INDEXES.map((index) => ({ AttributeName: index.attribute, AttributeType: "S" as const }))],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        // The deployed table's indexes, so that `keygate invalidate --local` finds verdicts as it does in AWS.
        GlobalSecondaryIndexes: VERDICT_INDEXES.map((index) => ({
          IndexName: index.name,
          KeySchema: [{ AttributeName: index.attribute, KeyType: "HASH" as const }],
          Projection: { ProjectionType: "INCLUDE" as const, NonKeyAttributes: [...VERDICT_INDEX_PROJECTED_ATTRIBUTES] },
        })),
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  // The SDK's waiter polls every 20 s at least; a local table is ready within milliseconds.
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === "ACTIVE") return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
