import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HeldCalls } from "./held-calls";
import { LoopbackHttpServer } from "./loopback-http-server";

/** The Kinde API id of the local gateway's own API: keys that name no `api_ids` were issued for it. */
export const LOCAL_KINDE_API_ID = "api_keygate_local";

/** `created_on` for keys that give none, in the form of the spec's own example (not strict RFC 3339). */
const DEFAULT_CREATED_ON = "2024-11-18T13:32:03+11";

/** A key as the emulator knows it: Kinde's verify response fields, its metadata, plus the raw key. */
export interface LocalKey {
  api_key: string;
  key_id: string;
  user_id?: string | null;
  org_code?: string | null;
  scopes?: string[];
  /** `active` (the default), `inactive`, `revoked`, or anything else Kinde might send. */
  status?: string;
  /** The Kinde APIs the key was issued for; default: the local gateway's own API. */
  api_ids?: string[];
  /** `user`, `organization` or `environment` (or anything else Kinde might send); default from the owner fields. */
  type?: string;
  created_on?: string;
}

/** The Kinde API the emulator issues keys for when they name none: the first one the settings accept. */
export function emulatedApiId(acceptedApiIds: readonly string[]): string {
  return acceptedApiIds[0] ?? LOCAL_KINDE_API_ID;
}

/**
 * The metadata Kinde holds for a key, with the defaults that keep keys files written before metadata
 * existed working: a key naming no API was issued for the emulated business's own API (`ownApiId`).
 */
export function keyMetadataOf(key: LocalKey, ownApiId: string = LOCAL_KINDE_API_ID): { api_ids: string[]; type: string; created_on: string } {
  return {
    api_ids: key.api_ids ?? [ownApiId],
    type: key.type ?? (key.org_code && !key.user_id ? "organization" : "user"),
    created_on: key.created_on ?? DEFAULT_CREATED_ON,
  };
}

/**
 * How the verify endpoint behaves. `normal` answers from the keys; the others reproduce the
 * failures Keygate must survive.
 */
export type VerifyMode =
  | "normal"
  | "always-401" // our M2M token is refused every time (wrong scope, misconfigured app)
  | "rate-limited" // 429 with RateLimit-Reset
  | "server-error" // 503
  | "hang" // accepts the request and never answers
  | "reset" // drops the connection
  | "malformed-json" // 200 with a body that is not JSON
  | "wrong-shape" // 200 with JSON that is not the documented object
  | "route-not-found" // 404 ROUTE_NOT_FOUND, what Kinde answers for a path it does not serve (a wrong domain or proxy)
  | "unprocessable" // 422 in Kinde's error JSON for every key: undocumented for verify, and a refusal of the key
  | "html"; // 200 with an HTML page, as a captive portal or a wrong host would send

/** How `POST /oauth2/token` behaves: `normal` checks the client credentials; the others are its outages. */
export type TokenMode = "normal" | "server-error" | "rate-limited" | "hang";

/** How `GET /api/v1/api_keys/{key_id}` behaves; `normal` answers from the keys. */
export type KeyMetadataMode = "normal" | "always-401" | "forbidden" | "rate-limited" | "server-error" | "route-not-found" | "html";

/**
 * Kinde does not document how verify answers an unknown key: its documented answers are a 200 (its
 * quick start branches on `is_valid`) and a 400; a 404 in its not_found_response shape with the code
 * `API_KEY_NOT_FOUND` (the code is a guess: the spec names none for keys) is as plausible. Any can be
 * chosen; the default is the 200.
 */
export type UnknownKeyAnswer = "200-invalid" | "400" | "404";

/** An endpoint answering with a redirect instead of Kinde's answer, as something in front of Kinde might. */
export interface EmulatedRedirect {
  endpoint: "token" | "verify" | "key-metadata";
  status: 301 | 302 | 303 | 307 | 308;
  location: string;
}

export interface KindeEmulatorOptions {
  clientId: string;
  clientSecret: string;
  /** Read on every verification, so a caller can change keys (or re-read a file) without a restart. */
  keys: () => readonly LocalKey[];
  tokenLifetimeSeconds?: number;
  unknownKeyAnswer?: UnknownKeyAnswer;
  /** The Kinde API keys are issued for when they name none (`api_ids`). Default `api_keygate_local`. */
  ownApiId?: string;
}

/**
 * A loopback stand-in for the three Kinde endpoints Keygate calls: `POST /oauth2/token` (client
 * credentials), `POST /api/v1/api_keys/verify` and `GET /api/v1/api_keys/{key_id}`, following the
 * request and response shapes of Kinde's Management API spec (kinde-oss/management-api-js,
 * spec/kinde-mgmt-api-specs.yaml), odd parts included: error bodies are `{"errors": [{code, message}]}`
 * except a 404's, which is `{"errors": {code, message}}`. It counts the calls it receives.
 */
export class KindeEmulator {
  readonly calls = { token: 0, verify: 0, keyMetadata: 0 };
  verifyMode: VerifyMode = "normal";
  tokenMode: TokenMode = "normal";
  keyMetadataMode: KeyMetadataMode = "normal";
  /** When set, that endpoint answers with this redirect (and reads nothing of the request). */
  redirect: EmulatedRedirect | undefined;
  /** When set, every verify call waits there (after it is counted) until the holder releases it. */
  verifyHold: HeldCalls | undefined;
  /** The RateLimit-Reset header (seconds) sent with a 429. */
  rateLimitResetSeconds = 7;
  unknownKeyAnswer: UnknownKeyAnswer;

  private readonly tokens = new Map<string, number>();
  private readonly server: LoopbackHttpServer;

  constructor(private readonly options: KindeEmulatorOptions) {
    this.unknownKeyAnswer = options.unknownKeyAnswer ?? "200-invalid";
    this.server = new LoopbackHttpServer((req, res) => {
      this.route(req, res).catch(() => {
        if (!res.headersSent) json(res, 500, { errors: [{ code: "INTERNAL", message: "emulator failure" }] });
      });
    });
  }

  /** Starts listening on loopback and returns the base URL (use it as KINDE_DOMAIN). */
  start(port = 0, host = "127.0.0.1"): Promise<string> {
    return this.server.listen(port, host);
  }

  get url(): string {
    return this.server.url;
  }

  stop(): Promise<void> {
    this.verifyHold?.release();
    return this.server.stop();
  }

  /** Every token issued so far stops working, as when tokens expire at Kinde. */
  expireTokens(): void {
    this.tokens.clear();
  }

  resetCounts(): void {
    this.calls.token = 0;
    this.calls.verify = 0;
    this.calls.keyMetadata = 0;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const endpoint =
      req.method === "POST" && path === "/oauth2/token"
        ? "token"
        : req.method === "POST" && path === "/api/v1/api_keys/verify"
          ? "verify"
          : req.method === "GET" && /^\/api\/v1\/api_keys\/[^/]+$/.test(path)
            ? "key-metadata"
            : undefined;
    if (endpoint !== undefined && this.redirect?.endpoint === endpoint) {
      this.calls[endpoint === "key-metadata" ? "keyMetadata" : endpoint]++;
      req.resume();
      res.writeHead(this.redirect.status, { location: this.redirect.location, "content-length": 0 });
      res.end();
      return;
    }
    if (endpoint === "token") return this.token(req, res);
    if (endpoint === "verify") return this.verify(req, res);
    if (endpoint === "key-metadata") return this.keyMetadata(req, res, decodeURIComponent(path.slice("/api/v1/api_keys/".length)));
    routeNotFound(res);
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.calls.token++;
    const form = new URLSearchParams(await readBody(req));
    switch (this.tokenMode) {
      case "hang":
        return; // the socket is destroyed by stop()
      case "rate-limited":
        res.setHeader("RateLimit-Reset", String(this.rateLimitResetSeconds));
        return json(res, 429, { error: "too_many_requests", error_description: "Too many requests" });
      case "server-error":
        return json(res, 503, { error: "temporarily_unavailable", error_description: "Service unavailable" });
      case "normal":
        break;
    }
    const valid =
      form.get("grant_type") === "client_credentials" &&
      form.get("client_id") === this.options.clientId &&
      form.get("client_secret") === this.options.clientSecret &&
      form.get("audience") === `${this.url}/api`;
    if (!valid) return json(res, 401, { error: "invalid_client", error_description: "Client authentication failed" });
    const lifetime = this.options.tokenLifetimeSeconds ?? 86_400;
    const token = randomBytes(24).toString("base64url");
    this.tokens.set(token, Date.now() + lifetime * 1000);
    json(res, 200, { access_token: token, token_type: "bearer", expires_in: lifetime, scope: "read:api_keys" });
  }

  private async verify(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.calls.verify++;
    const body = await readBody(req);
    await this.verifyHold?.pass();
    switch (this.verifyMode) {
      case "hang":
        return; // the socket is destroyed by stop()
      case "reset":
        req.socket.destroy();
        return;
      case "always-401":
        return json(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "Scope missing: read:api_keys" }] });
      case "rate-limited":
        res.setHeader("RateLimit-Reset", String(this.rateLimitResetSeconds));
        return json(res, 429, { errors: [{ code: "RATE_LIMIT_EXCEEDED", message: "Too many requests" }] });
      case "server-error":
        return json(res, 503, { errors: [{ code: "SERVICE_UNAVAILABLE", message: "Service unavailable" }] });
      case "malformed-json":
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"code":"API_KEY_VERIFIED","is_valid":tr');
        return;
      case "wrong-shape":
        return json(res, 200, ["API key verified"]);
      case "route-not-found":
        return routeNotFound(res);
      case "unprocessable":
        return json(res, 422, { errors: [{ code: "UNPROCESSABLE", message: "Unprocessable entity" }] });
      case "html":
        return html(res, 200);
      case "normal":
        break;
    }

    if (!this.bearerValid(req)) return invalidToken(res);

    let apiKey: unknown;
    try {
      apiKey = (JSON.parse(body) as { api_key?: unknown }).api_key;
    } catch {
      apiKey = undefined;
    }
    if (typeof apiKey !== "string" || apiKey === "") {
      return json(res, 400, { errors: [{ code: "INVALID_REQUEST", message: "api_key is required" }] });
    }
    const key = findKey(this.options.keys(), apiKey);
    if (!key) return this.unknownKey(res);
    const status = key.status ?? "active";
    json(res, 200, {
      code: "API_KEY_VERIFIED",
      message: "API key verified",
      is_valid: status === "active",
      key_id: key.key_id,
      status,
      scopes: key.scopes ?? [],
      org_code: key.org_code ?? null,
      user_id: key.user_id ?? null,
      last_verified_on: new Date().toISOString(),
      verification_count: this.calls.verify,
    });
  }

  /** The spec's get_api_key_response: every field Kinde lists, even those Keygate ignores. */
  private async keyMetadata(req: IncomingMessage, res: ServerResponse, keyId: string): Promise<void> {
    this.calls.keyMetadata++;
    req.resume();
    switch (this.keyMetadataMode) {
      case "always-401":
        return invalidToken(res);
      case "forbidden":
        return json(res, 403, { errors: [{ code: "FORBIDDEN", message: "Scope missing: read:api_keys" }] });
      case "rate-limited":
        res.setHeader("RateLimit-Reset", String(this.rateLimitResetSeconds));
        return json(res, 429, { errors: [{ code: "RATE_LIMIT_EXCEEDED", message: "Too many requests" }] });
      case "server-error":
        return json(res, 503, { errors: [{ code: "SERVICE_UNAVAILABLE", message: "Service unavailable" }] });
      case "route-not-found":
        return routeNotFound(res);
      case "html":
        return html(res, 200);
      case "normal":
        break;
    }
    if (!this.bearerValid(req)) return invalidToken(res);
    const key = this.options.keys().find((candidate) => candidate.key_id === keyId);
    // The spec does not document the code for a missing key, only the not_found_response shape.
    if (!key) return json(res, 404, { errors: { code: "API_KEY_NOT_FOUND", message: "API key not found" } });
    const metadata = keyMetadataOf(key, this.options.ownApiId);
    json(res, 200, {
      code: "OK",
      message: "Success",
      api_key: {
        id: key.key_id,
        name: `Local key ${key.key_id}`,
        type: metadata.type,
        status: key.status ?? "active",
        key_prefix: key.api_key.slice(0, 6),
        key_suffix: null,
        created_on: metadata.created_on,
        last_verified_on: null,
        last_verified_ip: null,
        created_by: null,
        api_ids: metadata.api_ids,
        scopes: key.scopes ?? [],
        verification_count: null,
        organization_id: key.org_code ?? null,
        user_id: key.user_id ?? null,
      },
    });
  }

  private bearerValid(req: IncomingMessage): boolean {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const expiry = bearer === undefined ? undefined : this.tokens.get(bearer);
    return expiry !== undefined && Date.now() <= expiry;
  }

  private unknownKey(res: ServerResponse): void {
    switch (this.unknownKeyAnswer) {
      case "200-invalid":
        return json(res, 200, { code: "API_KEY_INVALID", message: "API key invalid", is_valid: false, status: null, scopes: [] });
      case "400":
        return json(res, 400, { errors: [{ code: "INVALID_API_KEY", message: "Invalid API key" }] });
      case "404":
        return json(res, 404, { errors: { code: "API_KEY_NOT_FOUND", message: "API key not found" } });
    }
  }
}

/** verify documents its token refusal as 401 with the `forbidden` response (error_response). */
function invalidToken(res: ServerResponse): void {
  json(res, 401, { errors: [{ code: "TOKEN_INVALID", message: "Invalid or expired token" }] });
}

/** The spec's not_found_response, with its own example code: the answer for a path Kinde does not serve. */
function routeNotFound(res: ServerResponse): void {
  json(res, 404, { errors: { code: "ROUTE_NOT_FOUND", message: "The requested API route does not exist" } });
}

function html(res: ServerResponse, status: number): void {
  const text = "<!doctype html><title>Sign in</title><p>Please sign in to continue.</p>";
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Positions of keys by value, kept per keys array, so a benchmark's 100,000 keys are found in
 * constant time. A position is trusted only if the key there still has that value, and anything not
 * found that way is searched for from the start: a test that edits the array in place, and a keys
 * file (a new array for each verification), are answered as a plain search would answer them.
 */
const keyPositions = new WeakMap<readonly LocalKey[], Map<string, number>>();
function findKey(keys: readonly LocalKey[], apiKey: string): LocalKey | undefined {
  const position = keyPositions.get(keys)?.get(apiKey);
  if (position !== undefined && keys[position]?.api_key === apiKey) return keys[position];
  const found = keys.findIndex((candidate) => candidate.api_key === apiKey);
  if (found === -1) return undefined;
  const positions = new Map<string, number>();
  // The first of duplicate values wins, as the search from the start finds it.
  keys.forEach((key, i) => {
    if (!positions.has(key.api_key)) positions.set(key.api_key, i);
  });
  keyPositions.set(keys, positions);
  return keys[found];
}
