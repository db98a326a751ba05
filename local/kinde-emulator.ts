import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HeldCalls } from "./held-calls";
import { LoopbackHttpServer } from "./loopback-http-server";

/** A key as the emulator knows it: Kinde's verify response fields plus the raw key. */
export interface LocalKey {
  api_key: string;
  key_id: string;
  user_id?: string | null;
  org_code?: string | null;
  scopes?: string[];
  /** `active` (the default), `inactive`, `revoked`, or anything else Kinde might send. */
  status?: string;
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
  | "wrong-shape"; // 200 with JSON that is not the documented object

/** Kinde does not document how it answers an unknown key; each possibility can be chosen. */
export type UnknownKeyAnswer = "200-invalid" | "400" | "404";

export interface KindeEmulatorOptions {
  clientId: string;
  clientSecret: string;
  /** Read on every verification, so a caller can change keys (or re-read a file) without a restart. */
  keys: () => readonly LocalKey[];
  tokenLifetimeSeconds?: number;
  unknownKeyAnswer?: UnknownKeyAnswer;
}

/**
 * A loopback stand-in for the two Kinde endpoints Keygate calls: `POST /oauth2/token` (client
 * credentials) and `POST /api/v1/api_keys/verify`, following Kinde's documented request and
 * response shapes. It counts the calls it receives.
 */
export class KindeEmulator {
  readonly calls = { token: 0, verify: 0 };
  verifyMode: VerifyMode = "normal";
  /** When set, every verify call waits there (after it is counted) until the holder releases it. */
  verifyHold: HeldCalls | undefined;
  /** The RateLimit-Reset header (seconds) sent with a 429. */
  rateLimitResetSeconds = 7;
  unknownKeyAnswer: UnknownKeyAnswer;

  private readonly tokens = new Map<string, number>();
  private readonly server: LoopbackHttpServer;

  constructor(private readonly options: KindeEmulatorOptions) {
    this.unknownKeyAnswer = options.unknownKeyAnswer ?? "404";
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
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method === "POST" && path === "/oauth2/token") return this.token(req, res);
    if (req.method === "POST" && path === "/api/v1/api_keys/verify") return this.verify(req, res);
    json(res, 404, { errors: { code: "ROUTE_NOT_FOUND", message: "Route not found" } });
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.calls.token++;
    const form = new URLSearchParams(await readBody(req));
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
      case "normal":
        break;
    }

    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const expiry = bearer === undefined ? undefined : this.tokens.get(bearer);
    if (expiry === undefined || expiry < Date.now()) {
      return json(res, 401, { errors: [{ code: "TOKEN_INVALID", message: "Invalid or expired token" }] });
    }

    let apiKey: unknown;
    try {
      apiKey = (JSON.parse(body) as { api_key?: unknown }).api_key;
    } catch {
      apiKey = undefined;
    }
    if (typeof apiKey !== "string" || apiKey === "") {
      return json(res, 400, { errors: [{ code: "INVALID_REQUEST", message: "api_key is required" }] });
    }
    const key = this.options.keys().find((candidate) => candidate.api_key === apiKey);
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
