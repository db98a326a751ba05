import type { APIGatewayClient } from "@aws-sdk/client-api-gateway";
import { ApiCallError, type UsageKeyApi } from "./usage-key-api";

type Sdk = typeof import("./api-gateway-sdk.js");

/** Node's codes for a connection that was never made: the request cannot have reached API Gateway. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * UsageKeyApi over @aws-sdk/client-api-gateway (which honours AWS_ENDPOINT_URL_API_GATEWAY).
 * The SDK is imported on first use, so containers without usage plans never load it. No SDK retries:
 * every call is bounded by `callTimeoutMs`, and the caller decides what a failure means.
 */
export class ApiGatewayKeyApi implements UsageKeyApi {
  private loaded: Promise<{ sdk: Sdk; client: APIGatewayClient }> | undefined;

  /** `tags` go on every key created (lambda/usage/stack-tag.ts). */
  constructor(
    private readonly callTimeoutMs: number,
    private readonly tags: Readonly<Record<string, string>> = {},
  ) {}

  async createKey(name: string, description: string): Promise<{ id: string; value: string }> {
    const { sdk, client } = await this.load();
    // enabled defaults to false at API Gateway, and a disabled key is answered with 403. Tagged on
    // creation: a key created untagged could never be deleted by the authorizer's role.
    const tags = Object.keys(this.tags).length > 0 ? { tags: { ...this.tags } } : {};
    const created = await this.call(() => client.send(new sdk.CreateApiKeyCommand({ name, description, enabled: true, ...tags }), this.options()));
    if (!created.id || !created.value) throw new ApiCallError("failed", "unknown", "CreateApiKey answered without the key's id or value");
    return { id: created.id, value: created.value };
  }

  async addToPlan(usagePlanId: string, keyId: string): Promise<void> {
    const { sdk, client } = await this.load();
    await this.call(() => client.send(new sdk.CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: "API_KEY" }), this.options()));
  }

  async deleteKey(keyId: string): Promise<"deleted" | "absent"> {
    const { sdk, client } = await this.load();
    try {
      await this.call(() => client.send(new sdk.DeleteApiKeyCommand({ apiKey: keyId }), this.options()));
      return "deleted";
    } catch (error) {
      if (error instanceof ApiCallError && error.errorName === "NotFoundException") return "absent";
      throw error;
    }
  }

  private load(): Promise<{ sdk: Sdk; client: APIGatewayClient }> {
    this.loaded ??= import("./api-gateway-sdk.js").then(
      (sdk) => ({ sdk, client: new sdk.APIGatewayClient({ maxAttempts: 1 }) }),
      (error: unknown) => {
        this.loaded = undefined; // a failed load is tried again by the next call
        throw new ApiCallError("failed", "no", `cannot load the API Gateway client: ${(error as Error).message}`);
      },
    );
    return this.loaded;
  }

  private options(): { abortSignal: AbortSignal } {
    // The request handler's own requestTimeout only warns; an abort signal really ends the call.
    return { abortSignal: AbortSignal.timeout(this.callTimeoutMs) };
  }

  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw classify(error);
    }
  }
}

function classify(error: unknown): ApiCallError {
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const detail = `${e.name ?? "Error"}${status ? ` (HTTP ${status})` : ""}: ${e.message ?? String(error)}`.slice(0, 300);
  if (status === 429 || e.name === "TooManyRequestsException" || e.name === "LimitExceededException") return new ApiCallError("throttled", "no", detail, e.name);
  if (status !== undefined && status >= 400 && status < 500) return new ApiCallError("rejected", "no", detail, e.name);
  if (status !== undefined && status >= 500) return new ApiCallError("failed", "unknown", detail);
  if (e.code !== undefined && NOT_SENT.has(e.code)) return new ApiCallError("unreachable", "no", detail);
  if (e.name === "AbortError" || e.name === "TimeoutError") return new ApiCallError("timeout", "unknown", detail);
  return new ApiCallError("unreachable", "unknown", detail);
}
