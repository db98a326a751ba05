/**
 * The authorizer a team would write by hand, as deployed: the AWS SDK's DynamoDB client for a
 * verdict cache, its Secrets Manager client for the M2M client secret (read once, on first need),
 * and `fetch` to Kinde (client credentials token, then verify). Built by the benchmark with
 * Keygate's esbuild options, it loads and answers as such a function would.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { createHash } from "node:crypto";

const dynamodb = new DynamoDBClient({ maxAttempts: 1 });
const secretsManager = new SecretsManagerClient({});
const table = process.env.CACHE_TABLE_NAME;
const kindeDomain = process.env.KINDE_DOMAIN ?? "";

let accessToken: Promise<string> | undefined;

async function token(): Promise<string> {
  const secret = await secretsManager.send(new GetSecretValueCommand({ SecretId: process.env.KINDE_M2M_CLIENT_SECRET_ARN }));
  const response = await fetch(`${kindeDomain}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: process.env.KINDE_M2M_CLIENT_ID ?? "",
      client_secret: secret.SecretString ?? "",
      audience: `${kindeDomain}/api`,
    }),
  });
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

interface RequestEvent {
  methodArn: string;
  headers?: Record<string, string | undefined>;
}

export const handler = async (event: RequestEvent) => {
  const key = (event.headers?.authorization ?? event.headers?.Authorization ?? "").replace(/^Bearer\s+/i, "");
  const pk = `verdict#${createHash("sha256").update(key).digest("hex")}`;
  const cached = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } } }));
  let userId = cached.Item?.userId?.S;
  if (!cached.Item) {
    accessToken ??= token().catch((error: unknown) => {
      accessToken = undefined;
      throw error;
    });
    const response = await fetch(`${kindeDomain}/api/v1/api_keys/verify`, {
      method: "POST",
      headers: { authorization: `Bearer ${await accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ api_key: key }),
    });
    const verified = (await response.json()) as { is_valid?: boolean; user_id?: string | null };
    if (!verified.is_valid || !verified.user_id) throw new Error("Unauthorized");
    userId = verified.user_id;
    const expiresAt = String(Math.floor(Date.now() / 1000) + 300);
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, userId: { S: userId }, expiresAt: { N: expiresAt } } }));
  }
  console.log(JSON.stringify({ message: "authorized", userId, cached: Boolean(cached.Item) }));
  return { principalId: userId, policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: event.methodArn }] } };
};
