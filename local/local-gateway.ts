/**
 * A local stand-in for an API Gateway REST API stage with a Lambda authorizer in front of a Lambda
 * proxy integration. Per request it does what the API Gateway developer guide describes
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html):
 * identity source check, authorizer result cache, invocation, result validation, IAM policy
 * evaluation against the method ARN, usage plans, then the integration.
 */
import { randomUUID } from "node:crypto";
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { PolicyDocument } from "../lambda/policy/build-policy";
import { evaluatePolicy } from "../lambda/policy/evaluate-policy";
import { IDENTITY_SOURCE, ROUTE_IDENTITY_SOURCES } from "../infra/openapi";
import type { Invocation } from "./authorizer-host";
import { AuthorizerResultCache, type AuthorizerPolicyResult, type CachedAuthorization } from "./authorizer-result-cache";
import { gatewayResponse, type GatewayResponse, type GatewayResponseType } from "./gateway-responses";
import { LoopbackHttpServer } from "./loopback-http-server";
import { ResourceRouter, type RouteMatch } from "./resource-router";
import type { UsagePlanLimiter } from "./usage-plan-limiter";

/** API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/**
 * A REST API's limit on the request line and headers together (a quota that cannot be raised).
 * API Gateway documents no gateway response of its own for it; REQUEST_TOO_LARGE (413) is the one
 * it documents for an oversized request, so that is the answer here.
 */
export const MAX_HEADER_BYTES = 10_240;
/**
 * Node's own parser limit, set far above API Gateway's so that oversized requests reach the
 * handler and get API Gateway's answer with their method and path; beyond it, the client-error
 * path gives the same answer without them.
 */
const NODE_MAX_HEADER_BYTES = 1024 * 1024;
/** A Lambda proxy API: the root and a greedy catch-all, so every path has a resource. */
export const DEFAULT_RESOURCES = ["/", "/{proxy+}"] as const;

export interface StageIdentity {
  partition: string;
  region: string;
  accountId: string;
  apiId: string;
  stage: string;
}

export interface LocalGatewayOptions {
  stage: StageIdentity;
  authorizerType: "REQUEST" | "TOKEN";
  /**
   * The authorizer's identity sources, as the component configures them (infra/openapi.ts's
   * `identitySource`): the result cache is keyed by their values. Default: the Authorization header.
   */
  identitySource?: string;
  authorizer: { invoke(event: unknown): Promise<Invocation> };
  cache: AuthorizerResultCache;
  /** Present when usage plans are configured: every method then requires an API key (from the authorizer). */
  usage?: UsagePlanLimiter;
  backend: (event: APIGatewayProxyEvent) => APIGatewayProxyResult | Promise<APIGatewayProxyResult>;
  /** The API's resource templates (default {@link DEFAULT_RESOURCES}); requests are routed among them as API Gateway does. */
  resources?: readonly string[];
  onRequest?: (entry: RequestLogEntry) => void;
}

/** Where the request's authorization came from. */
export type VerdictOrigin =
  /** Answered by the gateway alone (no identity source, no resource, request too large): the authorizer was not called. */
  | "gateway"
  /** API Gateway's own authorizer result cache. */
  | "gateway-cache"
  /** The authorizer ran; `source` tells which of its layers decided (memory, dynamodb, kinde, stale). */
  | "authorizer";

export interface RequestLogEntry {
  requestId: string;
  method: string;
  path: string;
  status: number;
  origin: VerdictOrigin;
  /** The authorizer's verdict source: memory, dynamodb, kinde or stale, when known. */
  source?: string;
  /** The authorizer's reason code (from its audit record) or the gateway's own, e.g. `throttled`. */
  reason?: string;
  principalId?: string;
  userId?: string;
  usageTier?: string;
  latencyMs: number;
}

type Authorization =
  | { kind: "policy"; result: AuthorizerPolicyResult; audit?: Record<string, unknown> }
  | { kind: "unauthorized"; audit?: Record<string, unknown> }
  | { kind: "failure"; type: "AUTHORIZER_FAILURE" | "AUTHORIZER_CONFIGURATION_ERROR"; reason: string; audit?: Record<string, unknown> };

interface RequestFacts {
  requestId: string;
  method: string;
  path: string;
  started: number;
  /** The resource the request was routed to, once known. */
  route?: RouteMatch;
}

export class LocalGateway {
  private readonly http: LoopbackHttpServer;
  private readonly router: ResourceRouter;
  private readonly overflowed = new WeakSet<Socket>();
  private readonly identitySources: readonly IdentitySource[];

  constructor(private readonly options: LocalGatewayOptions) {
    this.identitySources = parseIdentitySources(options.identitySource ?? IDENTITY_SOURCE);
    this.router = new ResourceRouter(options.resources ?? DEFAULT_RESOURCES);
    this.http = new LoopbackHttpServer((req, res) => void this.handle(req, res), { maxHeaderSize: NODE_MAX_HEADER_BYTES });
    // A malformed HTTP request gets a 400 from Node; a reset client must not crash the process.
    this.http.server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
      if (error.code === "HPE_HEADER_OVERFLOW") return this.headerOverflow(error, socket);
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      else socket.destroy(error);
    });
  }

  /** Resolves with the port; rejects with the listen error (EADDRINUSE: the port is taken). */
  async listen(port: number, host: string): Promise<number> {
    await this.http.listen(port, host);
    return this.http.port;
  }

  close(): Promise<void> {
    return this.http.stop();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const facts: RequestFacts = { requestId: randomUUID(), method: (req.method ?? "GET").toUpperCase(), path: "/", started: performance.now() };
    try {
      await this.serve(req, res, facts);
    } catch (error) {
      // A bug in the emulator itself: answer like API Gateway's own internal error, never crash.
      this.reply(res, facts, { statusCode: 500, headers: { "content-type": "application/json", "x-amzn-RequestId": facts.requestId }, body: '{"message":"Internal server error"}' }, {
        origin: "gateway",
        reason: `gateway_error: ${(error as Error).message}`,
      });
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse, facts: RequestFacts): Promise<void> {
    const url = requestUrl(req.url);
    facts.path = safeDecode(url.pathname);
    if (headerBytes(req) > MAX_HEADER_BYTES) return this.fail(res, facts, "REQUEST_TOO_LARGE", { origin: "gateway", reason: "headers_too_large" });
    facts.route = this.router.route(url.pathname);
    if (!facts.route) return this.fail(res, facts, "MISSING_AUTHENTICATION_TOKEN", { origin: "gateway", reason: "no_resource" });
    const body = await readBody(req);
    if (body === undefined) return this.fail(res, facts, "REQUEST_TOO_LARGE", { origin: "gateway", reason: "request_too_large" });

    const headers = collectHeaders(req.rawHeaders);
    // The identity source: API Gateway answers 401 itself when it is missing or empty.
    const identity = headers.multi.find(([name]) => name.toLowerCase() === "authorization")?.[1] ?? [];
    const identityValue = identity.join(",");
    if (identityValue.trim() === "") return this.fail(res, facts, "UNAUTHORIZED", { origin: "gateway", reason: "missing_key" });

    const methodArn = `${this.stageArn()}/${facts.method}/${facts.path.slice(1)}`;
    const event = this.options.authorizerType === "TOKEN"
      ? { type: "TOKEN", authorizationToken: identityValue, methodArn }
      : { type: "REQUEST", methodArn, ...this.requestShape(req, url, facts, headers) };

    let origin: VerdictOrigin = "authorizer";
    // API Gateway keys its result cache by the identity sources' values, and nothing else.
    const cacheKey = JSON.stringify(this.identitySources.map((source) => identityValueOf(source, identityValue, facts)));
    let authorization: Authorization | CachedAuthorization | undefined = this.options.cache.get(cacheKey);
    if (authorization) origin = "gateway-cache";
    else {
      authorization = interpret(await this.options.authorizer.invoke(event));
      if (authorization.kind !== "failure") this.options.cache.set(cacheKey, authorization);
    }
    const audit = authorization.audit;
    const known = { origin, ...(typeof audit?.verdict_source === "string" ? { source: audit.verdict_source } : {}) };

    if (authorization.kind === "unauthorized") return this.fail(res, facts, "UNAUTHORIZED", { ...known, reason: stringField(audit, "reason") ?? "unauthorized" });
    if (authorization.kind === "failure") return this.fail(res, facts, authorization.type, { ...known, reason: stringField(audit, "reason") ?? authorization.reason });

    const result = authorization.result;
    const who = {
      ...known,
      principalId: result.principalId,
      ...(typeof result.context.user_id === "string" ? { userId: result.context.user_id } : {}),
      ...(typeof result.context.verdict_source === "string" ? { source: result.context.verdict_source } : {}),
    };
    // The cached policy is evaluated against this request's own method ARN, every time.
    const outcome = evaluatePolicy(result.policyDocument as PolicyDocument, methodArn);
    if (outcome !== "allow") return this.fail(res, facts, "ACCESS_DENIED", { ...who, reason: outcome === "explicit-deny" ? "explicit_deny" : "no_matching_allow" });

    let usageTier: string | undefined;
    if (this.options.usage) {
      const verdict = this.options.usage.check(result.usageIdentifierKey, { method: facts.method, path: facts.path });
      if (!verdict.ok) {
        const type: GatewayResponseType = verdict.reason === "throttled" ? "THROTTLED" : verdict.reason === "quota_exceeded" ? "QUOTA_EXCEEDED" : "INVALID_API_KEY";
        return this.fail(res, facts, type, { ...who, reason: verdict.reason, ...(verdict.tier ? { usageTier: verdict.tier } : {}) });
      }
      usageTier = verdict.tier;
    }

    const proxyEvent = this.proxyEvent(req, url, facts, headers, body, result, authorization.kind === "policy" && origin === "authorizer");
    let answer: GatewayResponse;
    try {
      answer = toResponse(await this.options.backend(proxyEvent), facts.requestId);
    } catch {
      return this.fail(res, facts, "BAD_GATEWAY", { ...who, reason: "integration_error" });
    }
    this.reply(res, facts, answer, { ...who, ...(usageTier ? { usageTier } : {}) });
  }

  private stageArn(): string {
    const s = this.options.stage;
    return `arn:${s.partition}:execute-api:${s.region}:${s.accountId}:${s.apiId}/${s.stage}`;
  }

  /** The request fields of a REQUEST authorizer event (and of the proxy event), as API Gateway fills them. */
  private requestShape(req: IncomingMessage, url: URL, facts: RequestFacts, headers: CollectedHeaders) {
    const s = this.options.stage;
    const route = facts.route;
    if (!route) throw new Error("the request was not routed to a resource");
    const query = collectQuery(url);
    const now = new Date();
    const sourceIp = (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
    return {
      resource: route.resource,
      path: facts.path,
      httpMethod: facts.method,
      headers: headers.single,
      multiValueHeaders: Object.fromEntries(headers.multi),
      queryStringParameters: query.single,
      multiValueQueryStringParameters: query.multi,
      pathParameters: route.pathParameters,
      stageVariables: {},
      requestContext: {
        resourceId: "local0",
        resourcePath: route.resource,
        httpMethod: facts.method,
        extendedRequestId: facts.requestId.slice(0, 16),
        requestTime: apiGatewayTime(now),
        path: `/${s.stage}${facts.path}`,
        accountId: s.accountId,
        protocol: `HTTP/${req.httpVersion}`,
        stage: s.stage,
        domainPrefix: s.apiId,
        requestTimeEpoch: now.getTime(),
        requestId: facts.requestId,
        identity: {
          cognitoIdentityPoolId: null,
          accountId: null,
          cognitoIdentityId: null,
          caller: null,
          sourceIp,
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
        domainName: req.headers.host ?? "127.0.0.1",
        deploymentId: "local",
        apiId: s.apiId,
      },
    };
  }

  private proxyEvent(
    req: IncomingMessage,
    url: URL,
    facts: RequestFacts,
    headers: CollectedHeaders,
    body: Buffer,
    result: AuthorizerPolicyResult,
    invoked: boolean,
  ): APIGatewayProxyEvent {
    const shape = this.requestShape(req, url, facts, headers);
    // A Lambda proxy integration receives every context value as a string.
    const authorizer: Record<string, string | number> = { principalId: result.principalId };
    for (const [key, value] of Object.entries(result.context)) authorizer[key] = String(value);
    authorizer.integrationLatency = invoked ? Math.round(performance.now() - facts.started) : 0;
    return {
      ...shape,
      body: body.length > 0 ? body.toString("utf8") : null,
      isBase64Encoded: false,
      requestContext: { ...shape.requestContext, authorizer },
    } as unknown as APIGatewayProxyEvent; // the literal carries more identity fields than the type lists
  }

  /**
   * Headers beyond even Node's parser limit: the same answer as {@link MAX_HEADER_BYTES} gives,
   * written on the socket, and the console line, instead of Node's bare 431.
   */
  private headerOverflow(error: NodeJS.ErrnoException, socket: Socket): void {
    // The parser reports every further chunk of the same request too: answer and log it once.
    if (this.overflowed.has(socket)) return;
    this.overflowed.add(socket);
    const requestId = randomUUID();
    const answer = gatewayResponse("REQUEST_TOO_LARGE", requestId);
    const body = Buffer.from(answer.body);
    if (socket.writable) {
      const head = [`HTTP/1.1 ${answer.statusCode} ${STATUS_CODES[answer.statusCode] ?? ""}`, ...Object.entries(answer.headers).map(([name, value]) => `${name}: ${value}`), `content-length: ${body.length}`, "connection: close"];
      socket.end(Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "latin1"), body]));
      // Drain what the client is still sending: closing with unread data would reset the
      // connection and could lose the answer. A client that never stops is cut off.
      socket.resume();
      socket.setTimeout(5_000, () => socket.destroy());
    } else {
      socket.destroy(error);
    }
    // The parser has already dropped the request line, so the console line shows "-" for it.
    this.options.onRequest?.({ requestId, method: "-", path: "-", status: answer.statusCode, latencyMs: 0, origin: "gateway", reason: "headers_too_large" });
  }

  private fail(res: ServerResponse, facts: RequestFacts, type: GatewayResponseType, log: Omit<RequestLogEntry, keyof RequestFacts | "status" | "latencyMs" | "requestId">): void {
    this.reply(res, facts, gatewayResponse(type, facts.requestId), log);
  }

  private reply(res: ServerResponse, facts: RequestFacts, answer: GatewayResponse, log: Omit<RequestLogEntry, keyof RequestFacts | "status" | "latencyMs" | "requestId">): void {
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(answer.statusCode, { ...answer.headers, "content-length": Buffer.byteLength(answer.body) });
      res.end(answer.body);
    }
    this.options.onRequest?.({
      requestId: facts.requestId,
      method: facts.method,
      path: facts.path,
      status: answer.statusCode,
      latencyMs: performance.now() - facts.started,
      ...log,
    });
  }
}

/** Turns an invocation into what API Gateway makes of it. */
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
  const context: Record<string, string | number | boolean> = {};
  if (r.context !== undefined && r.context !== null) {
    if (typeof r.context !== "object" || Array.isArray(r.context)) return "context is not an object";
    for (const [key, item] of Object.entries(r.context)) {
      // API Gateway refuses the whole result for an object or array value; null is refused too,
      // since reports of how it is treated disagree and the authorizer must omit such keys anyway.
      if (typeof item !== "string" && typeof item !== "number" && typeof item !== "boolean") {
        return `context.${key} is ${item === null ? "null" : Array.isArray(item) ? "an array" : typeof item}`;
      }
      context[key] = item;
    }
  }
  if (r.usageIdentifierKey !== undefined && typeof r.usageIdentifierKey !== "string") return "usageIdentifierKey is not a string";
  return {
    principalId: r.principalId,
    policyDocument: r.policyDocument,
    context,
    ...(typeof r.usageIdentifierKey === "string" ? { usageIdentifierKey: r.usageIdentifierKey } : {}),
  };
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

function toResponse(result: APIGatewayProxyResult, requestId: string): GatewayResponse {
  if (typeof result !== "object" || result === null || !Number.isInteger(result.statusCode)) throw new Error("malformed proxy result");
  const headers: Record<string, string> = { "x-amzn-RequestId": requestId };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  const body = result.isBase64Encoded ? Buffer.from(result.body ?? "", "base64") : (result.body ?? "");
  return { statusCode: result.statusCode, headers, body };
}

interface CollectedHeaders {
  /** Last value per header, names as the client sent them. */
  single: Record<string, string>;
  multi: [string, string[]][];
}

function collectHeaders(raw: string[]): CollectedHeaders {
  const multi = new Map<string, [string, string[]]>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const entry = multi.get(name.toLowerCase());
    if (entry) entry[1].push(value);
    else multi.set(name.toLowerCase(), [name, [value]]);
  }
  const single: Record<string, string> = {};
  for (const [name, values] of multi.values()) single[name] = values[values.length - 1]!;
  return { single, multi: [...multi.values()] };
}

function findHeader(headers: CollectedHeaders, lowerName: string): string | undefined {
  const entry = headers.multi.find(([name]) => name.toLowerCase() === lowerName);
  return entry?.[1][entry[1].length - 1];
}

function collectQuery(url: URL): { single: Record<string, string> | null; multi: Record<string, string[]> | null } {
  const multi: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) (multi[name] ??= []).push(value);
  const names = Object.keys(multi);
  if (names.length === 0) return { single: null, multi: null };
  return { single: Object.fromEntries(names.map((n) => [n, multi[n]![multi[n]!.length - 1]!])), multi };
}

/**
 * The request line and header names and values, in bytes, as API Gateway counts them against its
 * limit (the separators are left out, so a request right at the limit is not refused early).
 */
function headerBytes(req: IncomingMessage): number {
  let total = Buffer.byteLength(`${req.method ?? ""} ${req.url ?? ""} HTTP/${req.httpVersion}`, "latin1");
  for (const item of req.rawHeaders) total += Buffer.byteLength(item, "latin1");
  return total;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The request target as a URL. A path is never read as an authority, so `//whoami` stays that path. */
function requestUrl(target: string | undefined): URL {
  const raw = target ?? "/";
  if (raw.startsWith("/")) return new URL(`http://localhost${raw}`);
  try {
    return new URL(raw); // absolute form, as a proxy would send it
  } catch {
    return new URL("http://localhost/");
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function stringField(record: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = record?.[name];
  return typeof value === "string" ? value : undefined;
}

/** `17/Jun/2024:15:02:03 +0000`, API Gateway's requestTime format. */
function apiGatewayTime(date: Date): string {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
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

function identityValueOf(source: IdentitySource, authorization: string, facts: RequestFacts): string {
  switch (source) {
    case "method.request.header.Authorization":
      return authorization;
    case "context.resourcePath":
      return facts.route?.resource ?? "";
    case "context.httpMethod":
      return facts.method;
  }
}
