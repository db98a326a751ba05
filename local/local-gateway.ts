/**
 * A local stand-in for an API Gateway stage with a Lambda authorizer in front of a Lambda
 * integration: a REST API (rest-api-flavor.ts) or an HTTP API (http-api-flavor.ts). Per request it
 * does what both kinds of API do (size limits, identity source check, authorizer result cache,
 * invocation), and asks its {@link ApiFlavor} for what differs: routing, the authorizer's event and
 * how its answer is read, whether the answer lets the request in, the integration's event, and the
 * gateway's own answers.
 */
import { randomUUID } from "node:crypto";
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { ApiFlavor, CollectedHeaders, GatewayRequest, IdentifiedAuthorization, RoutedRequest, StageIdentity } from "./api-flavor";
import type { Invocation } from "./authorizer-host";
import type { AuthorizerResultCache } from "./authorizer-result-cache";
import type { GatewayResponse, GatewayResponseType } from "./gateway-responses";
import { LoopbackHttpServer } from "./loopback-http-server";
import { RestApiFlavor, type RestApiFlavorOptions } from "./rest-api-flavor";

export type { StageIdentity } from "./api-flavor";
export { checkAuthorizerResult, DEFAULT_RESOURCES, interpret } from "./rest-api-flavor";

/** API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/**
 * A REST API's limit on the request line and headers together (a quota that cannot be raised; HTTP
 * APIs document the same 10,240 bytes). API Gateway documents no gateway response of its own for it;
 * REQUEST_TOO_LARGE (413) is the one it documents for an oversized request, so that is the answer here.
 */
export const MAX_HEADER_BYTES = 10_240;
/**
 * Node's own parser limit, set far above API Gateway's so that oversized requests reach the
 * handler and get API Gateway's answer with their method and path; beyond it, the client-error
 * path gives the same answer without them.
 */
const NODE_MAX_HEADER_BYTES = 1024 * 1024;

interface CommonOptions {
  stage: StageIdentity;
  authorizer: { invoke(event: unknown): Promise<Invocation> };
  cache: AuthorizerResultCache;
  onRequest?: (entry: RequestLogEntry) => void;
}

/** An API of either kind (`api`), or a REST API described by its options. */
export type LocalGatewayOptions = CommonOptions & ({ api: ApiFlavor } | Omit<RestApiFlavorOptions, "stage">);

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

interface RequestFacts {
  requestId: string;
  method: string;
  path: string;
  started: number;
}

export class LocalGateway {
  private readonly http: LoopbackHttpServer;
  private readonly overflowed = new WeakSet<Socket>();
  /** The kind of API this gateway plays. */
  readonly api: ApiFlavor;

  constructor(private readonly options: LocalGatewayOptions) {
    this.api = "api" in options ? options.api : new RestApiFlavor({ ...options, stage: options.stage });
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
    const api = this.api;
    const url = requestUrl(req.url);
    facts.path = safeDecode(url.pathname);
    if (headerBytes(req) > MAX_HEADER_BYTES) return this.fail(res, facts, "REQUEST_TOO_LARGE", { origin: "gateway", reason: "headers_too_large" });
    const request: GatewayRequest = {
      requestId: facts.requestId,
      method: facts.method,
      path: facts.path,
      rawPath: url.pathname,
      url,
      headers: collectHeaders(req.rawHeaders),
      sourceIp: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
      httpVersion: req.httpVersion,
      host: req.headers.host ?? "127.0.0.1",
      receivedAt: new Date(),
    };
    const route = api.route(request);
    if (!route) return this.fail(res, facts, api.noRoute.type, { origin: "gateway", reason: api.noRoute.reason });
    const routed: RoutedRequest = { ...request, route };
    const body = await readBody(req);
    if (body === undefined) return this.fail(res, facts, "REQUEST_TOO_LARGE", { origin: "gateway", reason: "request_too_large" });

    // The identity source: API Gateway answers 401 itself when it is missing or empty.
    const identity = request.headers.multi.find(([name]) => name.toLowerCase() === "authorization")?.[1] ?? [];
    const identityValue = identity.join(",");
    if (identityValue.trim() === "") return this.fail(res, facts, "UNAUTHORIZED", { origin: "gateway", reason: "missing_key" });

    const cacheKey = api.cacheKey(routed, identityValue);
    let origin: VerdictOrigin = "authorizer";
    let authorization = this.options.cache.get(cacheKey);
    if (authorization) origin = "gateway-cache";
    else {
      const fresh = api.interpret(await this.options.authorizer.invoke(api.authorizerEvent(routed, identityValue)));
      if (fresh.kind === "failure") {
        const known = { origin, ...sourceOf(fresh.audit) };
        return this.fail(res, facts, fresh.type, { ...known, reason: stringField(fresh.audit, "reason") ?? fresh.reason });
      }
      this.options.cache.set(cacheKey, fresh);
      authorization = fresh;
    }
    const audit = authorization.audit;
    const known = { origin, ...sourceOf(audit) };
    if (authorization.kind === "unauthorized") return this.fail(res, facts, "UNAUTHORIZED", { ...known, reason: stringField(audit, "reason") ?? "unauthorized" });

    const permit = api.permit(authorization, routed);
    const who = {
      ...known,
      ...(permit.principalId !== undefined ? { principalId: permit.principalId } : {}),
      ...(typeof permit.context.user_id === "string" ? { userId: permit.context.user_id } : {}),
      ...(typeof permit.context.verdict_source === "string" ? { source: permit.context.verdict_source } : {}),
      ...(permit.usageTier ? { usageTier: permit.usageTier } : {}),
    };
    if (!permit.allowed) return this.fail(res, facts, permit.type, { ...who, reason: permit.reason });

    let answer: GatewayResponse;
    try {
      answer = await api.integrate(routed, body, authorization as IdentifiedAuthorization, origin === "authorizer" ? Math.round(performance.now() - facts.started) : 0);
    } catch {
      return this.fail(res, facts, "BAD_GATEWAY", { ...who, reason: "integration_error" });
    }
    this.reply(res, facts, answer, who);
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
    const answer = this.api.answer("REQUEST_TOO_LARGE", requestId);
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
    this.reply(res, facts, this.api.answer(type, facts.requestId), log);
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

function sourceOf(audit: Record<string, unknown> | undefined): { source?: string } {
  return typeof audit?.verdict_source === "string" ? { source: audit.verdict_source } : {};
}
