/**
 * The local gateway as a REST API stage with a Lambda authorizer (TOKEN or REQUEST) in front of a
 * Lambda proxy integration, as the API Gateway developer guide describes it
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html):
 * resources routed by template, IAM policy evaluation against the method ARN, usage plans, and the
 * Pulumi component's gateway responses.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { PolicyDocument } from "../lambda/policy/build-policy";
import { evaluatePolicy } from "../lambda/policy/evaluate-policy";
import { IDENTITY_SOURCE, ROUTE_IDENTITY_SOURCES } from "../infra/openapi";
import {
  apiGatewayTime,
  collectQuery,
  findHeader,
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
import type { AuthorizerPolicyResult } from "./authorizer-result-cache";
import { gatewayResponse, type GatewayResponse, type GatewayResponseType } from "./gateway-responses";
import { ResourceRouter } from "./resource-router";
import type { UsagePlanLimiter } from "./usage-plan-limiter";

/** A Lambda proxy API: the root and a greedy catch-all, so every path has a resource. */
export const DEFAULT_RESOURCES = ["/", "/{proxy+}"] as const;

export interface RestApiFlavorOptions {
  stage: StageIdentity;
  authorizerType: "REQUEST" | "TOKEN";
  /**
   * The authorizer's identity sources, as the component configures them (infra/openapi.ts's
   * `identitySource`): the result cache is keyed by their values. Default: the Authorization header.
   */
  identitySource?: string;
  /** Present when usage plans are configured: every method then requires an API key (from the authorizer). */
  usage?: UsagePlanLimiter;
  backend: (event: APIGatewayProxyEvent) => APIGatewayProxyResult | Promise<APIGatewayProxyResult>;
  /** The API's resource templates (default {@link DEFAULT_RESOURCES}); requests are routed among them as API Gateway does. */
  resources?: readonly string[];
}

export class RestApiFlavor implements ApiFlavor {
  readonly kind = "rest";
  readonly noRoute = { type: "MISSING_AUTHENTICATION_TOKEN", reason: "no_resource" } as const;
  private readonly router: ResourceRouter;
  private readonly identitySources: readonly IdentitySource[];

  constructor(private readonly options: RestApiFlavorOptions) {
    this.router = new ResourceRouter(options.resources ?? DEFAULT_RESOURCES);
    this.identitySources = parseIdentitySources(options.identitySource ?? IDENTITY_SOURCE);
  }

  route(request: GatewayRequest): ApiRoute | undefined {
    const match = this.router.route(request.rawPath);
    return match ? { template: match.resource, pathParameters: match.pathParameters } : undefined;
  }

  authorizerEvent(request: RoutedRequest, identity: string): unknown {
    const methodArn = this.methodArn(request);
    return this.options.authorizerType === "TOKEN"
      ? { type: "TOKEN", authorizationToken: identity, methodArn }
      : { type: "REQUEST", methodArn, ...this.requestShape(request) };
  }

  /** API Gateway keys its result cache by the identity sources' values, and nothing else. */
  cacheKey(request: RoutedRequest, identity: string): string {
    return JSON.stringify(this.identitySources.map((source) => identityValueOf(source, identity, request)));
  }

  interpret(invocation: Invocation): Authorization {
    return interpret(invocation);
  }

  permit(authorization: IdentifiedAuthorization, request: RoutedRequest): Permit {
    if (authorization.kind !== "policy") return { allowed: false, type: "AUTHORIZER_CONFIGURATION_ERROR", reason: "malformed_result: not a policy", context: {} };
    const result = authorization.result;
    const who = { principalId: result.principalId, context: result.context };
    // The cached policy is evaluated against this request's own method ARN, every time.
    const outcome = evaluatePolicy(result.policyDocument as PolicyDocument, this.methodArn(request));
    if (outcome !== "allow") return { allowed: false, type: "ACCESS_DENIED", reason: outcome === "explicit-deny" ? "explicit_deny" : "no_matching_allow", ...who };
    if (!this.options.usage) return { allowed: true, ...who };
    const verdict = this.options.usage.check(result.usageIdentifierKey, { method: request.method, path: request.path });
    const tier = verdict.tier ? { usageTier: verdict.tier } : {};
    if (verdict.ok) return { allowed: true, ...who, ...tier };
    const type: GatewayResponseType = verdict.reason === "throttled" ? "THROTTLED" : verdict.reason === "quota_exceeded" ? "QUOTA_EXCEEDED" : "INVALID_API_KEY";
    return { allowed: false, type, reason: verdict.reason, ...who, ...tier };
  }

  async integrate(request: RoutedRequest, body: Buffer, authorization: IdentifiedAuthorization, integrationLatencyMs: number): Promise<GatewayResponse> {
    if (authorization.kind !== "policy") throw new Error("not a policy");
    return integrationResponse(await this.options.backend(this.proxyEvent(request, body, authorization.result, integrationLatencyMs)), request.requestId);
  }

  answer(type: GatewayResponseType, requestId: string): GatewayResponse {
    return gatewayResponse(type, requestId);
  }

  private methodArn(request: GatewayRequest): string {
    return `${stageArnOf(this.options.stage)}/${request.method}/${request.path.slice(1)}`;
  }

  /** The request fields of a REQUEST authorizer event (and of the proxy event), as API Gateway fills them. */
  private requestShape(request: RoutedRequest) {
    const s = this.options.stage;
    const { route, headers } = request;
    const query = collectQuery(request.url);
    return {
      resource: route.template,
      path: request.path,
      httpMethod: request.method,
      headers: headers.single,
      multiValueHeaders: Object.fromEntries(headers.multi),
      queryStringParameters: query.single,
      multiValueQueryStringParameters: query.multi,
      pathParameters: route.pathParameters,
      stageVariables: {},
      requestContext: {
        resourceId: "local0",
        resourcePath: route.template,
        httpMethod: request.method,
        extendedRequestId: request.requestId.slice(0, 16),
        requestTime: apiGatewayTime(request.receivedAt),
        path: `/${s.stage}${request.path}`,
        accountId: s.accountId,
        protocol: `HTTP/${request.httpVersion}`,
        stage: s.stage,
        domainPrefix: s.apiId,
        requestTimeEpoch: request.receivedAt.getTime(),
        requestId: request.requestId,
        identity: {
          cognitoIdentityPoolId: null,
          accountId: null,
          cognitoIdentityId: null,
          caller: null,
          sourceIp: request.sourceIp,
          principalOrgId: null,
          accessKey: null,
          cognitoAuthenticationType: null,
          cognitoAuthenticationProvider: null,
          userArn: null,
          userAgent: headers.single["User-Agent"] ?? findHeader(headers, "user-agent") ?? null,
          user: null,
          apiKey: null,
          apiKeyId: null,
          clientCert: null,
        },
        domainName: request.host,
        deploymentId: "local",
        apiId: s.apiId,
      },
    };
  }

  private proxyEvent(request: RoutedRequest, body: Buffer, result: AuthorizerPolicyResult, integrationLatencyMs: number): APIGatewayProxyEvent {
    const shape = this.requestShape(request);
    // A Lambda proxy integration receives every context value as a string.
    const authorizer: Record<string, string | number> = { principalId: result.principalId };
    for (const [key, value] of Object.entries(result.context)) authorizer[key] = String(value);
    authorizer.integrationLatency = integrationLatencyMs;
    return {
      ...shape,
      body: body.length > 0 ? body.toString("utf8") : null,
      isBase64Encoded: false,
      requestContext: { ...shape.requestContext, authorizer },
    } as unknown as APIGatewayProxyEvent; // the literal carries more identity fields than the type lists
  }
}

/** Turns an invocation into what a REST API makes of it. */
export function interpret(invocation: Invocation): Authorization {
  const audit = invocation.audit;
  const withAudit = audit ? { audit } : {};
  const outcome = invocation.outcome;
  switch (outcome.kind) {
    case "threw":
      // Exactly this message, and nothing else, means 401.
      if (outcome.message === "Unauthorized") return { kind: "unauthorized", ...withAudit };
      return { kind: "failure", type: "AUTHORIZER_FAILURE", reason: "authorizer_error", ...withAudit };
    case "timed-out":
      return { kind: "failure", type: "AUTHORIZER_CONFIGURATION_ERROR", reason: "authorizer_timeout", ...withAudit };
    case "crashed":
      return { kind: "failure", type: "AUTHORIZER_FAILURE", reason: "authorizer_crashed", ...withAudit };
    case "returned": {
      const checked = checkAuthorizerResult(outcome.value);
      if (typeof checked === "string") return { kind: "failure", type: "AUTHORIZER_CONFIGURATION_ERROR", reason: `malformed_result: ${checked}`, ...withAudit };
      return { kind: "policy", result: checked, ...withAudit };
    }
  }
}

/** The result if API Gateway would accept it, else what is wrong with it. */
export function checkAuthorizerResult(value: unknown): AuthorizerPolicyResult | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "the result is not an object";
  const r = value as Record<string, unknown>;
  if (typeof r.principalId !== "string" || r.principalId === "") return "principalId is missing";
  const policyProblem = checkPolicy(r.policyDocument);
  if (policyProblem) return policyProblem;
  const context = checkContext(r.context);
  if (typeof context === "string") return context;
  if (r.usageIdentifierKey !== undefined && typeof r.usageIdentifierKey !== "string") return "usageIdentifierKey is not a string";
  return {
    principalId: r.principalId,
    policyDocument: r.policyDocument,
    context,
    ...(typeof r.usageIdentifierKey === "string" ? { usageIdentifierKey: r.usageIdentifierKey } : {}),
  };
}

/** The context if API Gateway would accept it: an object of strings, numbers and booleans (or none). */
export function checkContext(value: unknown): Record<string, string | number | boolean> | string {
  const context: Record<string, string | number | boolean> = {};
  if (value === undefined || value === null) return context;
  if (typeof value !== "object" || Array.isArray(value)) return "context is not an object";
  for (const [key, item] of Object.entries(value)) {
    // API Gateway refuses the whole result for an object or array value; null is refused too,
    // since reports of how it is treated disagree and the authorizer must omit such keys anyway.
    if (typeof item !== "string" && typeof item !== "number" && typeof item !== "boolean") {
      return `context.${key} is ${item === null ? "null" : Array.isArray(item) ? "an array" : typeof item}`;
    }
    context[key] = item;
  }
  return context;
}

function checkPolicy(policy: unknown): string | undefined {
  if (typeof policy !== "object" || policy === null) return "policyDocument is missing";
  const statements = (policy as { Statement?: unknown }).Statement;
  const list = Array.isArray(statements) ? statements : statements === undefined ? undefined : [statements];
  if (!list || list.length === 0) return "policyDocument has no Statement";
  for (const [i, statement] of list.entries()) {
    if (typeof statement !== "object" || statement === null) return `Statement[${i}] is not an object`;
    const s = statement as Record<string, unknown>;
    if (s.Effect !== "Allow" && s.Effect !== "Deny") return `Statement[${i}].Effect must be Allow or Deny`;
    if (!isStringOrList(s.Action)) return `Statement[${i}].Action is missing`;
    if (!isStringOrList(s.Resource)) return `Statement[${i}].Resource is missing`;
  }
  // Normalise a single statement object into a list, as IAM reads it.
  (policy as { Statement: unknown[] }).Statement = list;
  return undefined;
}

function isStringOrList(value: unknown): boolean {
  return typeof value === "string" || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string"));
}

/** The identity sources the local gateway can read: the key's header, and the resolved route. */
type IdentitySource = typeof IDENTITY_SOURCE | (typeof ROUTE_IDENTITY_SOURCES)[number];

function parseIdentitySources(expression: string): IdentitySource[] {
  return expression.split(",").map((part) => {
    const source = part.trim();
    if (source === IDENTITY_SOURCE || (ROUTE_IDENTITY_SOURCES as readonly string[]).includes(source)) return source as IdentitySource;
    throw new Error(`the local gateway cannot read the identity source "${source}"`);
  });
}

function identityValueOf(source: IdentitySource, authorization: string, request: RoutedRequest): string {
  switch (source) {
    case "method.request.header.Authorization":
      return authorization;
    case "context.resourcePath":
      return request.route.template;
    case "context.httpMethod":
      return request.method;
  }
}
