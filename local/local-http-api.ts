/**
 * The local API as API Gateway v2's control plane describes an HTTP API, for `npm start` in HTTP mode:
 * the API (GetApi), Keygate's authorizer (GetAuthorizers) and the routes (GetRoutes), every route
 * `CUSTOM` with that authorizer, as an operator attaches Keygate's component (docs/attach.md). The
 * shapes are the API Gateway v2 API Reference's (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/):
 * REST-JSON with camel-case members, lists as `{ items, nextToken }` paged by the `maxResults` and
 * `nextToken` query parameters. `keygate check --http-api-id --local` reads it through the local
 * control plane exactly as it reads a real HTTP API.
 */

export interface LocalHttpApiOptions {
  id: string;
  name: string;
  /** Where the API answers (the real one's `https://{id}.execute-api.{region}.amazonaws.com`). */
  apiEndpoint: string;
  authorizer: { id: string; name: string; authorizerUri: string; identitySource: readonly string[]; resultTtlSeconds: number };
  /** Route keys: `GET /reports/{name}`, `$default`. */
  routes: readonly string[];
  now?: () => number;
}

/** A control-plane answer: an HTTP status and a JSON body. */
export interface HttpApiAnswer {
  status: number;
  body: unknown;
}

/** API Gateway v2's reads; its GetAuthorizers is named apart from the REST API's. */
export const HTTP_API_OPERATIONS = ["GetApi", "GetApiAuthorizers", "GetRoutes"] as const;
export type HttpApiOperation = (typeof HTTP_API_OPERATIONS)[number];

/** A request's query is invalid: API Gateway v2 answers 400 BadRequestException. */
export class HttpApiBadRequest extends Error {}

export class LocalHttpApi {
  readonly id: string;
  private readonly createdDate: string;

  constructor(private readonly options: LocalHttpApiOptions) {
    this.id = options.id;
    this.createdDate = new Date((options.now ?? Date.now)()).toISOString();
  }

  /** The control-plane call a request is, and how to answer it; undefined for a path that is not about this API. */
  route(method: string, path: string, query: URLSearchParams): { operation: HttpApiOperation; run: () => HttpApiAnswer } | undefined {
    const prefix = `/v2/apis/${encodeURIComponent(this.id)}`;
    if (method !== "GET" || (path !== prefix && !path.startsWith(`${prefix}/`))) return undefined;
    const rest = path.slice(prefix.length);
    const ok = (body: unknown): HttpApiAnswer => ({ status: 200, body });
    if (rest === "") return { operation: "GetApi", run: () => ok(this.api()) };
    if (rest === "/authorizers") return { operation: "GetApiAuthorizers", run: () => ok(page([this.authorizer()], query)) };
    if (rest === "/routes") return { operation: "GetRoutes", run: () => ok(page(this.routes(), query)) };
    return undefined;
  }

  private api(): Record<string, unknown> {
    return {
      apiId: this.id,
      name: this.options.name,
      protocolType: "HTTP",
      apiEndpoint: this.options.apiEndpoint,
      routeSelectionExpression: "${request.method} ${request.path}",
      disableExecuteApiEndpoint: false,
      createdDate: this.createdDate,
    };
  }

  private authorizer(): Record<string, unknown> {
    const { id, name, authorizerUri, identitySource, resultTtlSeconds } = this.options.authorizer;
    // As infra/ configures an HTTP API's authorizer: REQUEST, payload 2.0, simple responses.
    return {
      authorizerId: id,
      name,
      authorizerType: "REQUEST",
      authorizerUri,
      authorizerPayloadFormatVersion: "2.0",
      enableSimpleResponses: true,
      identitySource: [...identitySource],
      authorizerResultTtlInSeconds: resultTtlSeconds,
    };
  }

  private routes(): Record<string, unknown>[] {
    return this.options.routes.map((routeKey, index) => ({
      routeId: `route${index}`,
      routeKey,
      authorizationType: "CUSTOM",
      authorizerId: this.options.authorizer.id,
      apiKeyRequired: false,
      apiGatewayManaged: false,
      target: "integrations/demo",
    }));
  }
}

/**
 * One page of a list: at most `maxResults` items (a number in a string, as the API takes it) from
 * `nextToken`, an opaque token. The reference documents no default page size; without `maxResults`
 * the whole list is one page.
 */
function page<T>(items: readonly T[], query: URLSearchParams): { items: T[]; nextToken?: string } {
  const max = query.get("maxResults");
  if (max !== null && !/^[1-9]\d*$/.test(max)) throw new HttpApiBadRequest(`Invalid maxResults: ${max}`);
  const token = query.get("nextToken");
  const start = token === null ? 0 : Number(/^from:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"))?.[1] ?? Number.NaN);
  if (!Number.isInteger(start) || start > items.length) throw new HttpApiBadRequest("Invalid nextToken");
  const end = max === null ? items.length : start + Number(max);
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: Buffer.from(`from:${end}`).toString("base64url") } : {}) };
}
