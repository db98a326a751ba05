/**
 * The seam between the local gateway and the kind of API Gateway API it plays: a REST API
 * (rest-api-flavor.ts) or an HTTP API (http-api-flavor.ts). The gateway does what both do alike
 * (read the request, check its size and identity source, keep the authorizer result cache, invoke
 * the authorizer, log); a flavor does what differs: routing, the authorizer's event and how its
 * answer is read, the cache key, whether the answer lets the request in, the integration's event,
 * and the gateway's own error answers.
 */
import type { APIGatewayProxyResult } from "aws-lambda";
import type { Invocation } from "./authorizer-host";
import type { CachedAuthorization } from "./authorizer-result-cache";
import type { GatewayResponse, GatewayResponseType } from "./gateway-responses";

export type ApiKind = "rest" | "http";

export interface StageIdentity {
  partition: string;
  region: string;
  accountId: string;
  apiId: string;
  stage: string;
}

export interface CollectedHeaders {
  /** Last value per header, names as the client sent them. */
  single: Record<string, string>;
  /** Every value per header (names that differ only in case together), names as first sent. */
  multi: [string, string[]][];
}

/** A request as the gateway has read it, before routing. */
export interface GatewayRequest {
  requestId: string;
  /** Upper-case. */
  method: string;
  /** The path, percent-decoded. */
  path: string;
  /** The path as sent, still percent-encoded. */
  rawPath: string;
  url: URL;
  headers: CollectedHeaders;
  sourceIp: string;
  httpVersion: string;
  host: string;
  receivedAt: Date;
}

/** The route (REST: resource) a request was sent to. */
export interface ApiRoute {
  /** The path template: `/reports/{name}`, `/{proxy+}`; `$default` for an HTTP API's catch-all route. */
  template: string;
  /** HTTP APIs: the route key (`GET /reports/{name}`, `$default`). */
  routeKey?: string;
  /** As API Gateway fills `pathParameters`: null when the route has none. */
  pathParameters: Record<string, string> | null;
}

export interface RoutedRequest extends GatewayRequest {
  route: ApiRoute;
}

/** What the gateway makes of one invocation: a cacheable answer, or a failure (never cached). */
export type Authorization =
  | CachedAuthorization
  | { kind: "failure"; type: "AUTHORIZER_FAILURE" | "AUTHORIZER_CONFIGURATION_ERROR"; reason: string; audit?: Record<string, unknown> };

/** An answer that let the authorizer's caller be identified: a policy or a simple response. */
export type IdentifiedAuthorization = Extract<CachedAuthorization, { kind: "policy" | "simple" }>;

/** Whether the request goes on to the integration, and who the caller is, as the console line shows it. */
export type Permit =
  | { allowed: true; principalId?: string; context: Record<string, unknown>; usageTier?: string }
  | { allowed: false; type: GatewayResponseType; reason: string; principalId?: string; context: Record<string, unknown>; usageTier?: string };

export interface ApiFlavor {
  readonly kind: ApiKind;
  /** The route this request goes to, or undefined (the gateway then answers {@link noRoute}). */
  route(request: GatewayRequest): ApiRoute | undefined;
  /** The gateway's answer, and the console line's reason, when no route matches. */
  readonly noRoute: { type: GatewayResponseType; reason: string };
  /** The authorizer's event; `identity` is the Authorization header's value (its values joined by commas). */
  authorizerEvent(request: RoutedRequest, identity: string): unknown;
  /** The authorizer result cache's key: the identity sources' values. */
  cacheKey(request: RoutedRequest, identity: string): string;
  interpret(invocation: Invocation): Authorization;
  /** Whether a (possibly cached) answer lets this request through. */
  permit(authorization: IdentifiedAuthorization, request: RoutedRequest): Permit;
  /** Calls the integration; throws when it answers something API Gateway cannot use. */
  integrate(request: RoutedRequest, body: Buffer, authorization: IdentifiedAuthorization, integrationLatencyMs: number): Promise<GatewayResponse>;
  /** The gateway's own answer of this type. */
  answer(type: GatewayResponseType, requestId: string): GatewayResponse;
}

export function collectQuery(url: URL): { single: Record<string, string> | null; multi: Record<string, string[]> | null } {
  const multi: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) (multi[name] ??= []).push(value);
  const names = Object.keys(multi);
  if (names.length === 0) return { single: null, multi: null };
  return { single: Object.fromEntries(names.map((n) => [n, multi[n]![multi[n]!.length - 1]!])), multi };
}

export function findHeader(headers: CollectedHeaders, lowerName: string): string | undefined {
  const entry = headers.multi.find(([name]) => name.toLowerCase() === lowerName);
  return entry?.[1][entry[1].length - 1];
}

/** A Lambda integration's result as API Gateway turns it into a response (the same fields in payload 1.0 and 2.0). */
export function integrationResponse(result: APIGatewayProxyResult, requestId: string, requestIdHeader = "x-amzn-RequestId"): GatewayResponse {
  if (typeof result !== "object" || result === null || !Number.isInteger(result.statusCode)) throw new Error("malformed proxy result");
  const headers: Record<string, string> = { [requestIdHeader]: requestId };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  const body = result.isBase64Encoded ? Buffer.from(result.body ?? "", "base64") : (result.body ?? "");
  return { statusCode: result.statusCode, headers, body };
}

/** `17/Jun/2024:15:02:03 +0000`, API Gateway's request time format. */
export function apiGatewayTime(date: Date): string {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** The ARN prefix of the stage's routes. */
export function stageArnOf(stage: StageIdentity): string {
  return `arn:${stage.partition}:execute-api:${stage.region}:${stage.accountId}:${stage.apiId}/${stage.stage}`;
}
