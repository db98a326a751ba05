/**
 * The local gateway as an HTTP API (API Gateway v2) with a Lambda REQUEST authorizer, payload
 * format 2.0 and simple responses, in front of a Lambda integration with payload 2.0. As AWS's
 * "Control access to HTTP APIs with AWS Lambda authorizers" documents
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html):
 * a missing identity source is a 401 without invoking the function; `isAuthorized: false` is a 403;
 * a function that cannot be invoked, fails, or answers in another format is a 500 (HTTP APIs have no
 * gateway responses to change it, and the page documents no `Unauthorized` error convention, so
 * none is honoured here). The integration receives the context as `requestContext.authorizer.lambda`.
 * HTTP APIs have no usage plans and no API keys.
 */
import type { APIGatewayProxyEventV2WithLambdaAuthorizer, APIGatewayProxyResult } from "aws-lambda";
import {
  apiGatewayTime,
  collectQuery,
  integrationResponse,
  stageArnOf,
  type ApiFlavor,
  type ApiRoute,
  type Authorization,
  type GatewayRequest,
  type IdentifiedAuthorization,
  type Permit,
  type RoutedRequest,
  type StageIdentity,
} from "./api-flavor";
import type { Invocation } from "./authorizer-host";
import type { AuthorizerSimpleResult } from "./authorizer-result-cache";
import type { GatewayResponse, GatewayResponseType } from "./gateway-responses";
import { ResourceRouter } from "./resource-router";

/** The catch-all route: requests no other route matches. */
export const DEFAULT_ROUTE = "$default";

export type HttpApiIntegrationEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<Record<string, unknown>>;

export interface HttpApiFlavorOptions {
  stage: StageIdentity;
  /** Route keys: `GET /reports/{name}`, `ANY /{proxy+}`, `$default`. */
  routes: readonly string[];
  /**
   * Whether `$context.routeKey` is among the authorizer's identity sources (after the Authorization
   * header), as the component configures it when there are route rules: the cached answer is then
   * kept per route.
   */
  routeKeyInIdentitySources: boolean;
  backend: (event: HttpApiIntegrationEvent) => APIGatewayProxyResult | Promise<APIGatewayProxyResult>;
}

/** HTTP APIs' own answers: `{"message": ...}` and the request id in `apigw-requestid`. */
const ANSWERS: Record<GatewayResponseType, { statusCode: number; message: string }> = {
  UNAUTHORIZED: { statusCode: 401, message: "Unauthorized" },
  ACCESS_DENIED: { statusCode: 403, message: "Forbidden" },
  AUTHORIZER_FAILURE: { statusCode: 500, message: "Internal Server Error" },
  AUTHORIZER_CONFIGURATION_ERROR: { statusCode: 500, message: "Internal Server Error" },
  INVALID_API_KEY: { statusCode: 403, message: "Forbidden" },
  THROTTLED: { statusCode: 429, message: "Too Many Requests" },
  QUOTA_EXCEEDED: { statusCode: 429, message: "Too Many Requests" },
  REQUEST_TOO_LARGE: { statusCode: 413, message: "Request Entity Too Large" },
  MISSING_AUTHENTICATION_TOKEN: { statusCode: 404, message: "Not Found" },
  RESOURCE_NOT_FOUND: { statusCode: 404, message: "Not Found" },
  // A Lambda integration whose answer API Gateway cannot use.
  BAD_GATEWAY: { statusCode: 500, message: "Internal Server Error" },
};

export class HttpApiFlavor implements ApiFlavor {
  readonly kind = "http";
  readonly noRoute = { type: "RESOURCE_NOT_FOUND", reason: "no_route" } as const;
  private readonly byMethod = new Map<string, Set<string>>();
  private readonly hasDefault: boolean;

  constructor(private readonly options: HttpApiFlavorOptions) {
    this.hasDefault = options.routes.includes(DEFAULT_ROUTE);
    for (const key of options.routes) {
      if (key === DEFAULT_ROUTE) continue;
      const match = /^([A-Z]+) (\/\S*)$/.exec(key);
      if (!match) throw new Error(`"${key}" is not a route key: write "METHOD /path" or "$default"`);
      const templates = this.byMethod.get(match[1]!) ?? new Set<string>();
      templates.add(match[2]!);
      this.byMethod.set(match[1]!, templates);
    }
  }

  /**
   * The most specific route whose method is the request's or `ANY` (the request's own method wins
   * over `ANY` for the same path), else `$default`: literal segments over `{name}` over `{name+}`.
   */
  route(request: GatewayRequest): ApiRoute | undefined {
    return this.routeFor(request.method, request.rawPath);
  }

  /** The route of a request by its method and raw (percent-encoded) path. */
  routeFor(method: string, rawPath: string): ApiRoute | undefined {
    const exact = this.byMethod.get(method) ?? new Set<string>();
    const any = this.byMethod.get("ANY") ?? new Set<string>();
    const match = new ResourceRouter([...exact, ...any]).route(rawPath);
    if (match) {
      const routeMethod = exact.has(match.resource) ? method : "ANY";
      return { template: match.resource, routeKey: `${routeMethod} ${match.resource}`, pathParameters: match.pathParameters };
    }
    return this.hasDefault ? { template: DEFAULT_ROUTE, routeKey: DEFAULT_ROUTE, pathParameters: null } : undefined;
  }

  /** The route keys, as configured. */
  get routes(): readonly string[] {
    return this.options.routes;
  }

  authorizerEvent(request: RoutedRequest, identity: string): unknown {
    const shape = this.requestShape(request);
    return {
      type: "REQUEST",
      routeArn: `${stageArnOf(this.options.stage)}/${request.method}${request.path}`,
      identitySource: this.identitySources(request, identity),
      ...shape,
    };
  }

  cacheKey(request: RoutedRequest, identity: string): string {
    return JSON.stringify(this.identitySources(request, identity));
  }

  interpret(invocation: Invocation): Authorization {
    const withAudit = invocation.audit ? { audit: invocation.audit } : {};
    const outcome = invocation.outcome;
    switch (outcome.kind) {
      case "threw":
        return { kind: "failure", type: "AUTHORIZER_FAILURE", reason: "authorizer_error", ...withAudit };
      case "timed-out":
        return { kind: "failure", type: "AUTHORIZER_FAILURE", reason: "authorizer_timeout", ...withAudit };
      case "crashed":
        return { kind: "failure", type: "AUTHORIZER_FAILURE", reason: "authorizer_crashed", ...withAudit };
      case "returned": {
        const checked = checkSimpleResult(outcome.value);
        if (typeof checked === "string") return { kind: "failure", type: "AUTHORIZER_CONFIGURATION_ERROR", reason: `malformed_result: ${checked}`, ...withAudit };
        return { kind: "simple", result: checked, ...withAudit };
      }
    }
  }

  permit(authorization: IdentifiedAuthorization, _request: RoutedRequest): Permit {
    if (authorization.kind !== "simple") return { allowed: false, type: "AUTHORIZER_CONFIGURATION_ERROR", reason: "malformed_result: not a simple response", context: {} };
    const context = authorization.result.context;
    if (authorization.result.isAuthorized) return { allowed: true, context };
    const reason = authorization.audit?.reason;
    return { allowed: false, type: "ACCESS_DENIED", reason: typeof reason === "string" ? reason : "not_authorized", context };
  }

  async integrate(request: RoutedRequest, body: Buffer, authorization: IdentifiedAuthorization): Promise<GatewayResponse> {
    if (authorization.kind !== "simple") throw new Error("not a simple response");
    const event = {
      ...this.requestShape(request),
      ...(body.length > 0 ? { body: body.toString("utf8") } : {}),
      isBase64Encoded: false,
    };
    event.requestContext = { ...event.requestContext, authorizer: { lambda: authorization.result.context } } as typeof event.requestContext;
    return integrationResponse(await this.options.backend(event as HttpApiIntegrationEvent), request.requestId, "apigw-requestid");
  }

  answer(type: GatewayResponseType, requestId: string): GatewayResponse {
    const { statusCode, message } = ANSWERS[type];
    return { statusCode, headers: { "content-type": "application/json", "apigw-requestid": requestId }, body: JSON.stringify({ message }) };
  }

  /** The identity sources' values: the Authorization header, then the route key when it is one of them. */
  private identitySources(request: RoutedRequest, identity: string): string[] {
    return this.options.routeKeyInIdentitySources ? [identity, request.route.routeKey ?? DEFAULT_ROUTE] : [identity];
  }

  /** The fields payload 2.0 events share, for the authorizer and the integration alike. */
  private requestShape(request: RoutedRequest) {
    const s = this.options.stage;
    const routeKey = request.route.routeKey ?? DEFAULT_ROUTE;
    // Payload 2.0: header names in lower case, a repeated header's values joined by commas, cookies apart.
    const headers: Record<string, string> = {};
    const cookies: string[] = [];
    for (const [name, values] of request.headers.multi) {
      if (name.toLowerCase() === "cookie") cookies.push(...values.flatMap((value) => value.split(";").map((cookie) => cookie.trim())).filter((cookie) => cookie !== ""));
      else headers[name.toLowerCase()] = values.join(",");
    }
    const query = collectQuery(request.url).multi;
    return {
      version: "2.0" as const,
      routeKey,
      rawPath: request.rawPath,
      rawQueryString: request.url.search.slice(1),
      ...(cookies.length > 0 ? { cookies } : {}),
      headers,
      ...(query ? { queryStringParameters: Object.fromEntries(Object.entries(query).map(([name, values]) => [name, values.join(",")])) } : {}),
      ...(request.route.pathParameters ? { pathParameters: request.route.pathParameters } : {}),
      requestContext: {
        accountId: s.accountId,
        apiId: s.apiId,
        domainName: request.host,
        domainPrefix: s.apiId,
        http: { method: request.method, path: request.path, protocol: `HTTP/${request.httpVersion}`, sourceIp: request.sourceIp, userAgent: headers["user-agent"] ?? "" },
        requestId: request.requestId,
        routeKey,
        stage: s.stage,
        time: apiGatewayTime(request.receivedAt),
        timeEpoch: request.receivedAt.getTime(),
      },
    };
  }
}

/** The simple response if API Gateway would accept it, else what is wrong with it. */
export function checkSimpleResult(value: unknown): AuthorizerSimpleResult | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "the result is not an object";
  const r = value as Record<string, unknown>;
  if (typeof r.isAuthorized !== "boolean") return "isAuthorized is not a boolean (simple responses are on)";
  if (r.context === undefined || r.context === null) return { isAuthorized: r.isAuthorized, context: {} };
  if (typeof r.context !== "object" || Array.isArray(r.context)) return "context is not an object";
  return { isAuthorized: r.isAuthorized, context: r.context as Record<string, unknown> };
}
