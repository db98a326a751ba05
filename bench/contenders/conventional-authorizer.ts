/**
 * The authorizer a team would write by hand: the DynamoDB client for a verdict cache, Powertools'
 * logger and metrics, and Kinde's management SDK to verify keys. Built by the benchmark with
 * Keygate's esbuild options, it loads and answers as such a function would.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import * as kinde from "@kinde/management-api-js";
import { createHash } from "node:crypto";

/**
 * The SDK's module exports ApiKeys (verifyApiKey: POST /api/v1/api_keys/verify, with the M2M token
 * the SDK fetches), but its declarations, as TypeScript resolves them here, do not name it.
 */
const { ApiKeys } = kinde as unknown as {
  ApiKeys: { verifyApiKey(data: { requestBody: { api_key: string } }): Promise<{ is_valid?: boolean; user_id?: string | null }> };
};

const logger = new Logger({ serviceName: "authorizer" });
const metrics = new Metrics({ namespace: "Authorizer", serviceName: "authorizer" });
const dynamodb = new DynamoDBClient({ maxAttempts: 1 });
const table = process.env.CACHE_TABLE_NAME;
kinde.init({ kindeDomain: process.env.KINDE_DOMAIN ?? "", clientId: process.env.KINDE_M2M_CLIENT_ID ?? "", clientSecret: process.env.KINDE_M2M_CLIENT_SECRET ?? "" });

interface RequestEvent {
  methodArn: string;
  headers?: Record<string, string | undefined>;
}

export const handler = async (event: RequestEvent) => {
  const key = (event.headers?.authorization ?? event.headers?.Authorization ?? "").replace(/^Bearer\s+/i, "");
  const pk = `verdict#${createHash("sha256").update(key).digest("hex")}`;
  const cached = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } } }));
  let userId: string | undefined = cached.Item?.userId?.S;
  if (!cached.Item) {
    const verified = await ApiKeys.verifyApiKey({ requestBody: { api_key: key } });
    if (!verified.is_valid || !verified.user_id) throw new Error("Unauthorized");
    const verifiedUser = verified.user_id;
    userId = verifiedUser;
    const expiresAt = String(Math.floor(Date.now() / 1000) + 300);
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, userId: { S: verifiedUser }, expiresAt: { N: expiresAt } } }));
  }
  metrics.addMetric("authorized", MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
  logger.info("authorized", { userId, cached: Boolean(cached.Item) });
  return { principalId: userId, policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: event.methodArn }] } };
};
