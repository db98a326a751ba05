/**
 * The API Gateway v2 (HTTP API) control-plane reads `keygate check --http-api-id` makes, on loopback
 * for the real @aws-sdk/client-apigatewayv2 (point AWS_ENDPOINT_URL_APIGATEWAYV2 at `url`): GetApi,
 * GetAuthorizers and GetRoutes, as the API Gateway v2 API Reference documents them
 * (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/): REST-JSON with camel-case
 * members, lists as `{ items, nextToken }` paged by the `maxResults` and `nextToken` query
 * parameters, errors as a status, an `x-amzn-ErrorType` header and a `{"message"}` body. It refuses
 * unsigned requests (SigV4) and unknown APIs (404 NotFoundException), and pages lists in small pages
 * so the command's paging is exercised; the page size is not documented, and any size is plausible.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { startLoopbackServer, type LoopbackServer } from "./loopback-server";

export interface StandInRoute {
  routeId: string;
  /** `GET /reports/{name}`, `ANY /{proxy+}`, `$default`. */
  routeKey: string;
  /** `NONE`, `AWS_IAM`, `CUSTOM` or `JWT`; API Gateway's default is `NONE`. */
  authorizationType?: string;
  authorizerId?: string;
}

export interface StandInAuthorizer {
  authorizerId: string;
  name: string;
  authorizerType: "REQUEST" | "JWT";
  authorizerUri?: string;
  authorizerPayloadFormatVersion?: string;
  enableSimpleResponses?: boolean;
  identitySource?: string[];
}

export interface StandInHttpApi {
  apiId: string;
  name: string;
  routes: StandInRoute[];
  authorizers: StandInAuthorizer[];
}

export interface ApiGatewayV2StandIn {
  server: LoopbackServer;
  url: string;
  /** The APIs it serves, by id: a test may change them between calls. */
  apis: Map<string, StandInHttpApi>;
  /** Each request's method and path with its query, in order. */
  requests: string[];
  stop(): Promise<void>;
}

const PAGE_SIZE = 2;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startApiGatewayV2StandIn(apis: StandInHttpApi[]): Promise<ApiGatewayV2StandIn> {
  const byId = new Map(apis.map((api) => [api.apiId, api]));
  const requests: string[] = [];
  const server = await startLoopbackServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    try {
      const body = answer(req, byId);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError(500, "InternalServerErrorException", (error as Error).message);
      res.writeHead(e.status, { "content-type": "application/json", "x-amzn-errortype": e.type });
      res.end(JSON.stringify({ message: e.message }));
    }
  });
  return { server, url: server.url, apis: byId, requests, stop: () => server.stop() };
}

function answer(req: IncomingMessage, apis: Map<string, StandInHttpApi>): unknown {
  if (!String(req.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256 Credential=")) {
    throw new ApiError(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
  }
  const url = new URL(req.url ?? "/", "http://stand-in");
  const match = /^\/v2\/apis\/([^/]+)(?:\/(routes|authorizers))?$/.exec(url.pathname);
  if (req.method !== "GET" || !match) throw new ApiError(404, "NotFoundException", `No such operation: ${req.method} ${url.pathname}`);
  const api = apis.get(decodeURIComponent(match[1]!));
  if (!api) throw new ApiError(404, "NotFoundException", `Invalid API identifier specified 123456789012:${match[1]}`);
  switch (match[2]) {
    case undefined:
      return { apiId: api.apiId, name: api.name, protocolType: "HTTP", apiEndpoint: `https://${api.apiId}.execute-api.eu-west-1.amazonaws.com`, routeSelectionExpression: "${request.method} ${request.path}" };
    case "routes":
      return page(
        api.routes.map((route) => ({ ...route, authorizationType: route.authorizationType ?? "NONE", apiKeyRequired: false })),
        url.searchParams,
      );
    default:
      return page(api.authorizers, url.searchParams);
  }
}

/** One page of a list: `maxResults` items at most (a number in a string, as the API takes it), from `nextToken`. */
function page<T>(items: readonly T[], query: URLSearchParams): { items: T[]; nextToken?: string } {
  const max = query.get("maxResults");
  if (max !== null && !/^[1-9]\d*$/.test(max)) throw new ApiError(400, "BadRequestException", `Invalid maxResults: ${max}`);
  const size = Math.min(PAGE_SIZE, max === null ? PAGE_SIZE : Number(max));
  const token = query.get("nextToken");
  const start = token === null ? 0 : Number.parseInt(Buffer.from(token, "base64url").toString("utf8").replace(/^from:/, ""), 10);
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw new ApiError(400, "BadRequestException", "Invalid nextToken");
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: Buffer.from(`from:${end}`).toString("base64url") } : {}) };
}
