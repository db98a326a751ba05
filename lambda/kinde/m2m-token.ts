import { VerificationUnavailableError } from "../errors";
import type { ClientSecretSource } from "./client-secret";
import { DOMAIN_HINT, kindeFetch, rateLimitResetMs } from "./kinde-fetch";

type TokenPayload = { access_token?: unknown; expires_in?: unknown; error?: unknown };

interface CachedToken {
  value: string;
  /** Epoch ms after which the token is no longer handed out. */
  renewAt: number;
}

/**
 * Kinde M2M access tokens (client credentials grant). A token is fetched on first need, shared by
 * concurrent callers, and kept until shortly before `expires_in`: every token request is counted
 * (and billed) by Kinde.
 */
export class M2MTokenProvider {
  private cached: CachedToken | undefined;
  private pending: Promise<CachedToken> | undefined;

  constructor(
    private readonly domain: string,
    private readonly clientId: string,
    private readonly clientSecret: ClientSecretSource,
    private readonly now: () => number = Date.now,
  ) {}

  async token(signal: AbortSignal): Promise<string> {
    if (this.cached && this.now() < this.cached.renewAt) return this.cached.value;
    this.pending ??= this.request(signal).finally(() => {
      this.pending = undefined;
    });
    const token = await this.pending;
    this.cached = token;
    return token.value;
  }

  /** Forget a token Kinde refused, so the next call fetches a new one. */
  invalidate(token: string): void {
    if (this.cached?.value === token) this.cached = undefined;
  }

  /**
   * Refused client credentials may mean the secret was rotated: when the secret source will read it
   * afresh, the request is made once more with the new value, inside the same budget, so the first
   * request after a rotation already succeeds.
   */
  private async request(signal: AbortSignal): Promise<CachedToken> {
    for (let attempt = 1; ; attempt++) {
      const { response, payload } = await this.post(await this.clientSecret.get(signal), signal);
      const refused = response.status === 401 || (response.status === 400 && payload?.error === "invalid_client");
      if (refused && this.clientSecret.invalidate() && attempt === 1) continue;
      return this.accept(response, payload);
    }
  }

  private async post(clientSecret: string, signal: AbortSignal): Promise<{ response: Response; payload: TokenPayload | undefined }> {
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: this.clientId,
      client_secret: clientSecret,
      audience: `${this.domain}/api`,
    });
    const response = await kindeFetch(
      `${this.domain}/oauth2/token`,
      { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body, signal },
      "M2M token",
    );
    const payload = (await response.json().catch(() => undefined)) as TokenPayload | undefined;
    return { response, payload };
  }

  private accept(response: Response, payload: TokenPayload | undefined): CachedToken {
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      throw new VerificationUnavailableError("kinde_auth_failed", `Kinde refused the M2M client credentials (HTTP ${response.status})`);
    }
    if (response.status === 429) throw new VerificationUnavailableError("kinde_rate_limited", "token endpoint answered 429", rateLimitResetMs(response));
    if (response.status >= 500) throw new VerificationUnavailableError("kinde_server_error", `token endpoint answered ${response.status}`);
    if (!response.ok) throw new VerificationUnavailableError("kinde_unexpected_status", `token endpoint answered ${response.status}: ${DOMAIN_HINT}`);
    if (typeof payload?.access_token !== "string" || payload.access_token === "") {
      throw new VerificationUnavailableError("kinde_bad_response", "token response has no access_token");
    }
    const lifetimeMs = typeof payload.expires_in === "number" && payload.expires_in > 0 ? payload.expires_in * 1000 : 60_000;
    // Renew early by a tenth of the lifetime (at most a minute) so a token never expires in flight.
    return { value: payload.access_token, renewAt: this.now() + lifetimeMs - Math.min(lifetimeMs / 10, 60_000) };
  }
}
