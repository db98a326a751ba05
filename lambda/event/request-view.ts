/**
 * The one place where the kinds of API Gateway event differ: a REST API's TOKEN and REQUEST events,
 * and an HTTP API's REQUEST events in payload format 1.0 (REST-shaped, with `methodArn`) or 2.0
 * (`routeArn`, `routeKey`, `requestContext.http`). Everything after this module reads a
 * {@link RequestView}. The shapes are AWS's: "Control access to HTTP APIs with AWS Lambda
 * authorizers" (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html)
 * and "Input to an API Gateway Lambda authorizer" for REST APIs; samples in test/fixtures/aws-events/.
 */
import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2, APIGatewayTokenAuthorizerEvent } from "aws-lambda";
import type { ResolvedRoute } from "../policy/build-policy";
import { parseMethodArn, type MethodArn } from "../policy/method-arn";
import { isRecord } from "../settings/setting-kinds";

/** A REST API's events, and an HTTP API's payload-1.0 events, which have the same shape plus `version`. */
export type RestShapedEvent = APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEvent;
export type HttpApiEventV2 = APIGatewayRequestAuthorizerEventV2;
export type AuthorizerEvent = RestShapedEvent | HttpApiEventV2;

export type ApiKind = "rest" | "http";

/**
 * How API Gateway reads the authorizer's answer for this event:
 * - `rest-policy`: a REST API. An IAM policy; a refused key throws `Unauthorized` (401).
 * - `http-policy`: an HTTP API, payload 1.0. An IAM policy; a refused key gets an explicit Deny
 *   (403), since AWS's HTTP API page documents only the policy (and a failed invocation as 500).
 * - `http-simple`: an HTTP API, payload 2.0 with simple responses. `{ isAuthorized, context }`;
 *   a refused key is `isAuthorized: false` (403).
 */
export type AnswerShape = "rest-policy" | "http-policy" | "http-simple";

export interface RequestView {
  apiKind: ApiKind;
  answer: AnswerShape;
  /**
   * The request's execute-api ARN (`methodArn`, or `routeArn` in payload 2.0), parsed; undefined
   * when absent or malformed, which API Gateway never sends.
   */
  arn?: MethodArn;
  /** The same ARN as sent, which an IAM policy is evaluated against. */
  arnText?: string;
  apiId?: string;
  stage?: string;
  method?: string;
  /** The request's path as the client sent it (REST: `path`; HTTP 2.0: `requestContext.http.path`). */
  path?: string;
  /** HTTP API payload 2.0: the route API Gateway picked (`GET /reports/{name}`, `ANY /{proxy+}`, `$default`). */
  routeKey?: string;
  /**
   * A REST API's REQUEST event: the route API Gateway resolved (`httpMethod` and the resource
   * template `resource`), on which route rules are decided whatever the path's spelling.
   */
  resolvedRoute?: ResolvedRoute;
  /** HTTP API payload 2.0: the values of the authorizer's identity sources, in order. */
  identitySource?: readonly string[];
  sourceIp?: string;
  userAgent?: string;
  requestId?: string;
}

/** Reads any event the authorizer may be given; never throws, whatever the event holds. */
export function viewRequest(event: unknown): RequestView {
  const e = isRecord(event) ? event : {};
  if (e.version === "2.0") return viewHttpV2(e);
  const arnText = typeof e.methodArn === "string" ? e.methodArn : undefined;
  const arn = parseMethodArn(arnText);
  const httpApi = e.version === "1.0";
  const view: RequestView = {
    apiKind: httpApi ? "http" : "rest",
    answer: httpApi ? "http-policy" : "rest-policy",
    ...(arn ? { arn, arnText, apiId: arn.apiId, stage: arn.stage, method: arn.method, path: `/${arn.resourcePath}` } : {}),
  };
  if (e.type !== "REQUEST") return view;
  if (typeof e.path === "string") view.path = e.path;
  if (typeof e.httpMethod === "string") view.method = e.httpMethod;
  if (!httpApi && typeof e.resource === "string" && typeof e.httpMethod === "string") view.resolvedRoute = { method: e.httpMethod, resource: e.resource };
  const rc = isRecord(e.requestContext) ? e.requestContext : {};
  const identity = isRecord(rc.identity) ? rc.identity : {};
  if (typeof rc.requestId === "string") view.requestId = rc.requestId;
  if (typeof identity.sourceIp === "string") view.sourceIp = identity.sourceIp;
  if (typeof identity.userAgent === "string") view.userAgent = identity.userAgent;
  return view;
}

function viewHttpV2(e: Record<string, unknown>): RequestView {
  const arnText = typeof e.routeArn === "string" ? e.routeArn : undefined;
  const arn = parseMethodArn(arnText);
  const rc = isRecord(e.requestContext) ? e.requestContext : {};
  const http = isRecord(rc.http) ? rc.http : {};
  const view: RequestView = { apiKind: "http", answer: "http-simple", ...(arn ? { arn, arnText } : {}) };
  // The request context names the API and stage the request reached; the ARN is the fallback.
  const apiId = stringOr(rc.apiId, arn?.apiId);
  const stage = stringOr(rc.stage, arn?.stage);
  const method = stringOr(http.method, arn?.method);
  const path = stringOr(http.path, typeof e.rawPath === "string" ? e.rawPath : undefined);
  const routeKey = stringOr(e.routeKey, typeof rc.routeKey === "string" ? rc.routeKey : undefined);
  if (apiId !== undefined) view.apiId = apiId;
  if (stage !== undefined) view.stage = stage;
  if (method !== undefined) view.method = method;
  if (path !== undefined) view.path = path;
  if (routeKey !== undefined) view.routeKey = routeKey;
  if (Array.isArray(e.identitySource)) view.identitySource = e.identitySource.filter((value): value is string => typeof value === "string");
  if (typeof rc.requestId === "string") view.requestId = rc.requestId;
  if (typeof http.sourceIp === "string") view.sourceIp = http.sourceIp;
  if (typeof http.userAgent === "string") view.userAgent = http.userAgent;
  return view;
}

function stringOr(value: unknown, fallback: string | undefined): string | undefined {
  return typeof value === "string" && value !== "" ? value : fallback;
}
