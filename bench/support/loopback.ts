/**
 * The loopback services every section measures against: dynalite for DynamoDB, the Kinde emulator
 * with as many keys as a section needs, and a Secrets Manager stand-in that answers GetSecretValue.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ensureCacheTable, localDynamoDbClient, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from "../../local/embedded-dynamodb";
import { KindeEmulator, type LocalKey } from "../../local/kinde-emulator";

export const CLIENT_ID = "bench";
export const CLIENT_SECRET = "bench-secret";
export const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:keygate-bench-AbCdEf";

/** Key `i` of a bench: a well-formed user key of its own user. */
export function benchKey(i: number): LocalKey {
  return { api_key: `k_live_bench_${String(i).padStart(6, "0")}_0123456789abcdef`, key_id: `api_key_${i}`, user_id: `kp_${i}`, org_code: null, scopes: ["read:profile"], status: "active" };
}

export interface Loopback {
  kinde: KindeEmulator;
  dynamo: EmbeddedDynamoDb;
  keys: LocalKey[];
  secretsManagerUrl: string;
  /** A new, empty cache table. */
  table(name: string): Promise<string>;
  /** What Lambda would put in the function's environment, pointed at these services. */
  awsEnvironment(): Record<string, string>;
  stop(): Promise<void>;
}

export async function startLoopback(keyCount: number): Promise<Loopback> {
  const keys = Array.from({ length: keyCount }, (_, i) => benchKey(i));
  const kinde = new KindeEmulator({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, keys: () => keys });
  await kinde.start(0, "127.0.0.1");
  const dynamo = await startEmbeddedDynamoDb();
  const client = localDynamoDbClient(dynamo.endpoint);
  const secrets = await listen(
    createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify({ ARN: SECRET_ARN, Name: "keygate-bench", SecretString: CLIENT_SECRET }));
    }),
  );
  return {
    kinde,
    dynamo,
    keys,
    secretsManagerUrl: secrets.url,
    async table(name) {
      await ensureCacheTable(client, name);
      return name;
    },
    awsEnvironment: () => ({
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "bench",
      AWS_SECRET_ACCESS_KEY: "bench",
      AWS_SESSION_TOKEN: "bench",
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    }),
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => secrets.server.close(() => resolve()));
      await kinde.stop();
      await dynamo.stop();
    },
  };
}

async function listen(server: Server): Promise<{ server: Server; url: string }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
