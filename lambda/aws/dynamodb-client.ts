/**
 * Keygate's own DynamoDB client: the build puts it where the authorizer's code imports
 * `@aws-sdk/client-dynamodb`, so the bundle carries none of the SDK for the calls on every cold
 * start and every request. It speaks DynamoDB's JSON protocol (the items are the same attribute
 * value objects the SDK takes and returns), signs with SigV4 over node:crypto, and offers exactly
 * what Keygate uses: GetItem, PutItem and UpdateItem, one attempt each, and
 * ConditionalCheckFailedException. Tests and the in-process benchmark use the SDK itself.
 */
import { defaultProvider, type EnvironmentCredentials } from "./environment-first-credentials";
import { signPost } from "./sigv4";

type Item = Record<string, unknown>;

abstract class DynamoDbCommand<Input extends object> {
  abstract readonly operation: "GetItem" | "PutItem" | "UpdateItem";
  constructor(readonly input: Input) {}
}

export class GetItemCommand extends DynamoDbCommand<{ TableName: string | undefined; Key: Item; ConsistentRead?: boolean }> {
  readonly operation = "GetItem";
}
export class PutItemCommand extends DynamoDbCommand<Item & { TableName: string | undefined; Item: Item }> {
  readonly operation = "PutItem";
}
export class UpdateItemCommand extends DynamoDbCommand<Item & { TableName: string | undefined; Key: Item }> {
  readonly operation = "UpdateItem";
}

/** An error DynamoDB answered with; `name` is its error type, e.g. ResourceNotFoundException. */
export class DynamoDbServiceError extends Error {
  readonly $metadata: { httpStatusCode: number };
  constructor(name: string, message: string, httpStatusCode: number) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode };
  }
}

export class ConditionalCheckFailedException extends DynamoDbServiceError {
  constructor(message: string, httpStatusCode: number) {
    super("ConditionalCheckFailedException", message, httpStatusCode);
  }
}

export interface DynamoDbClientConfig {
  region?: string;
  endpoint?: string;
  /** Accepted as the SDK takes it; every call is one attempt. */
  maxAttempts?: number;
  /** `requestTimeout` bounds each whole call, connecting included, so `connectionTimeout` adds nothing. */
  requestHandler?: { connectionTimeout?: number; requestTimeout?: number };
}

/** Credentials are renewed this long before they expire, as the SDK does. */
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

/** Where DynamoDB is: the SDK's endpoint variables first, else the Region's public endpoint. */
export function dynamoDbEndpoint(region: string, env: Record<string, string | undefined> = process.env): URL {
  const configured = env.AWS_ENDPOINT_URL_DYNAMODB?.trim() || env.AWS_ENDPOINT_URL?.trim();
  if (configured) return new URL(configured);
  return new URL(`https://dynamodb.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}/`);
}

export class DynamoDBClient {
  private readonly region: string;
  private readonly endpoint: URL;
  private readonly requestTimeoutMs: number | undefined;
  private readonly credentialProvider = defaultProvider();
  private credentials: EnvironmentCredentials | undefined;
  private pendingCredentials: Promise<EnvironmentCredentials> | undefined;

  constructor(config: DynamoDbClientConfig = {}) {
    const region = config.region ?? (process.env.AWS_REGION?.trim() || process.env.AWS_DEFAULT_REGION?.trim());
    if (!region) throw new Error("DynamoDB: no Region (set AWS_REGION)");
    this.region = region;
    this.endpoint = config.endpoint ? new URL(config.endpoint) : dynamoDbEndpoint(region);
    this.requestTimeoutMs = config.requestHandler?.requestTimeout;
  }

  send(command: GetItemCommand, options?: { abortSignal?: AbortSignal }): Promise<{ Item?: Item }>;
  send(command: PutItemCommand | UpdateItemCommand, options?: { abortSignal?: AbortSignal }): Promise<{ Attributes?: Item }>;
  async send(command: GetItemCommand | PutItemCommand | UpdateItemCommand, options: { abortSignal?: AbortSignal } = {}): Promise<{ Item?: Item; Attributes?: Item }> {
    const body = JSON.stringify(command.input);
    const headers = signPost(
      { url: this.endpoint, headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": `DynamoDB_20120810.${command.operation}` }, body },
      await this.currentCredentials(),
      this.region,
      "dynamodb",
    );
    const signals = [options.abortSignal, this.requestTimeoutMs === undefined ? undefined : AbortSignal.timeout(this.requestTimeoutMs)].filter((s): s is AbortSignal => s !== undefined);
    const response = await fetch(this.endpoint, { method: "POST", headers, body, ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}) });
    const text = await response.text();
    const parsed = parseJson(text);
    if (response.ok) return (parsed ?? {}) as { Item?: Item; Attributes?: Item };
    throw serviceError(parsed, response.status, text);
  }

  /** The credentials in use, read again (by concurrent calls together) when missing or about to expire. */
  private async currentCredentials(): Promise<EnvironmentCredentials> {
    const held = this.credentials;
    if (held && !(held.expiration && held.expiration.getTime() - Date.now() < REFRESH_BEFORE_EXPIRY_MS)) return held;
    this.pendingCredentials ??= this.credentialProvider().then(
      (fresh) => {
        this.credentials = fresh;
        this.pendingCredentials = undefined;
        return fresh;
      },
      (error: unknown) => {
        this.pendingCredentials = undefined; // the next call tries again
        throw error;
      },
    );
    return this.pendingCredentials;
  }
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** DynamoDB's error body: `{"__type": "com.amazonaws.dynamodb.v20120810#Name", "message": "..."}`. */
function serviceError(body: unknown, status: number, text: string): DynamoDbServiceError {
  const fields = (body ?? {}) as { __type?: unknown; message?: unknown; Message?: unknown };
  const type = typeof fields.__type === "string" ? fields.__type.slice(fields.__type.lastIndexOf("#") + 1) : `HTTP${status}`;
  const message = typeof fields.message === "string" ? fields.message : typeof fields.Message === "string" ? fields.Message : text.slice(0, 200);
  return type === "ConditionalCheckFailedException" ? new ConditionalCheckFailedException(message, status) : new DynamoDbServiceError(type, message, status);
}
