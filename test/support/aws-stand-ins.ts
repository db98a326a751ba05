/**
 * Loopback stand-ins for AWS endpoints misbehaving: DynamoDB throttling or hanging (in front of
 * dynalite), and Secrets Manager serving a secret, hanging, or holding its answers until released.
 * Point the SDK at one with AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
import type { IncomingMessage } from "node:http";
import { startLoopbackServer, type LoopbackServer } from "./loopback-server";

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** What a DynamoDB stand-in does with an operation: pass it to dynalite, answer ThrottlingException, or never answer. */
export type DynamoDbBehaviour = "forward" | "throttle" | "hang";

/**
 * DynamoDB in front of dynalite at `dynaliteUrl`; `behaviour` is asked per operation (`GetItem`,
 * `PutItem`, …) on every call, so a test can change it while the stand-in runs.
 */
export function startDynamoDbStandIn(dynaliteUrl: string, behaviour: (operation: string) => DynamoDbBehaviour): Promise<LoopbackServer> {
  return startLoopbackServer((req, res) => {
    void readBody(req).then(async (body) => {
      const operation = String(req.headers["x-amz-target"]).split(".").pop() ?? "";
      switch (behaviour(operation)) {
        case "hang":
          return; // the socket is destroyed when the stand-in stops
        case "throttle":
          res.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
          res.end(JSON.stringify({ __type: "com.amazonaws.dynamodb.v20120810#ThrottlingException", message: "Rate of requests exceeds the allowed throughput." }));
          return;
        case "forward": {
          const headers = Object.fromEntries(Object.entries(req.headers).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
          const forwarded = await fetch(`${dynaliteUrl}${req.url ?? "/"}`, { method: req.method, headers, body });
          res.writeHead(forwarded.status, { "content-type": forwarded.headers.get("content-type") ?? "application/x-amz-json-1.0" });
          res.end(await forwarded.text());
        }
      }
    });
  });
}

export interface SecretsManagerStandIn {
  server: LoopbackServer;
  /** The SecretId of every GetSecretValue received, in order. */
  reads: string[];
}

/** Secrets Manager answering GetSecretValue with `value()` for `arn`, never answering while `hang` is set, or once `gate` resolves. */
export async function startSecretsManagerStandIn(
  arn: string,
  value: () => string,
  behaviour: { hang?: boolean; gate?: Promise<void> } = {},
): Promise<SecretsManagerStandIn> {
  const reads: string[] = [];
  const server = await startLoopbackServer((req, res) => {
    void readBody(req).then(async (body) => {
      reads.push((JSON.parse(body) as { SecretId: string }).SecretId);
      if (behaviour.hang) return;
      await behaviour.gate;
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify({ ARN: arn, Name: arn.split(":").pop(), SecretString: value(), VersionId: `v${reads.length}` }));
    });
  });
  return { server, reads };
}
