import { causeOfFetchFailure, VerificationUnavailableError } from "../errors";
import type { M2MTokenProvider } from "./m2m-token";

/** The fields of Kinde's verify response we rely on; every one is optional in Kinde's spec. */
export interface KindeVerifyBody {
  is_valid?: boolean;
  status?: string;
  key_id?: string;
  user_id?: string | null;
  org_code?: string | null;
  scopes?: string[];
}

/** What Kinde said about a key: a 200 answer, or a refusal of the key itself (400, 404, 422). */
export type KindeVerifyAnswer = { kind: "answered"; body: KindeVerifyBody } | { kind: "rejected"; status: number };

const KEY_REJECTED = new Set([400, 404, 422]);
/** Backing off after a 429 never lasts longer than this, whatever RateLimit-Reset says. */
export const MAX_RATE_LIMIT_BACKOFF_MS = 30_000;

/**
 * `POST {domain}/api/v1/api_keys/verify`. Anything that is not a clear answer about the key
 * (network failure, timeout, 429, 5xx, a body that is not the documented JSON, our own token
 * refused twice) throws VerificationUnavailableError: never a verdict the caller would pay for.
 */
export class KindeVerifyClient {
  /** Epoch ms until which Kinde asked us to stop (429 with RateLimit-Reset): calls fail fast until then. */
  private rateLimitedUntil = 0;

  constructor(
    private readonly domain: string,
    private readonly tokens: M2MTokenProvider,
    private readonly now: () => number = Date.now,
  ) {}

  async verify(apiKey: string, signal: AbortSignal): Promise<KindeVerifyAnswer> {
    // Calling a rate-limited Kinde again only prolongs the limit; this container waits out the reset instead.
    if (this.now() < this.rateLimitedUntil) {
      throw new VerificationUnavailableError("kinde_rate_limited", `backing off until ${new Date(this.rateLimitedUntil).toISOString()} after a 429`);
    }
    for (let attempt = 1; ; attempt++) {
      const token = await this.tokens.token(signal);
      const response = await this.post(token, apiKey, signal);
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel();
        // The token may have expired or been revoked at Kinde: fetch a new one once.
        this.tokens.invalidate(token);
        if (attempt === 1) continue;
        throw new VerificationUnavailableError(
          "kinde_auth_failed",
          `Kinde refused Keygate's M2M token (HTTP ${response.status}) twice: check the M2M application's credentials and its read:api_keys scope`,
        );
      }
      if (response.status === 429) this.rateLimitedUntil = this.now() + backoffMs(response.headers.get("ratelimit-reset"));
      return await interpret(response);
    }
  }

  private async post(token: string, apiKey: string, signal: AbortSignal): Promise<Response> {
    try {
      return await fetch(`${this.domain}/api/v1/api_keys/verify`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ api_key: apiKey }),
        signal,
      });
    } catch (error) {
      throw new VerificationUnavailableError(causeOfFetchFailure(error), "the verify request failed");
    }
  }
}

/** RateLimit-Reset is in seconds; absent or unreadable, back off for one second. */
function backoffMs(reset: string | null): number {
  const seconds = reset === null ? NaN : Number(reset);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, MAX_RATE_LIMIT_BACKOFF_MS) : 1_000;
}

async function interpret(response: Response): Promise<KindeVerifyAnswer> {
  if (KEY_REJECTED.has(response.status)) {
    await response.body?.cancel();
    return { kind: "rejected", status: response.status };
  }
  if (response.status === 429) {
    await response.body?.cancel();
    const reset = response.headers.get("ratelimit-reset");
    throw new VerificationUnavailableError("kinde_rate_limited", `Kinde answered 429${reset ? ` (reset in ${reset}s)` : ""}`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new VerificationUnavailableError("kinde_server_error", `Kinde answered ${response.status}`);
  }
  let payload: unknown;
  try {
    payload = await response.json();
  } catch (error) {
    throw new VerificationUnavailableError(
      causeOfFetchFailure(error) === "kinde_timeout" ? "kinde_timeout" : "kinde_bad_response",
      "the verify response is not JSON",
    );
  }
  const body = parseBody(payload);
  if (!body) throw new VerificationUnavailableError("kinde_bad_response", "the verify response is not the documented object");
  return { kind: "answered", body };
}

/** Keeps only well-typed fields; a wrong type is treated as absent, never trusted. */
function parseBody(payload: unknown): KindeVerifyBody | undefined {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return undefined;
  const p = payload as Record<string, unknown>;
  if (typeof p.is_valid !== "boolean") return undefined;
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
  return {
    is_valid: p.is_valid,
    status: text(p.status),
    key_id: text(p.key_id),
    user_id: text(p.user_id),
    org_code: text(p.org_code),
    scopes: Array.isArray(p.scopes) ? p.scopes.filter((s): s is string => typeof s === "string" && s !== "") : [],
  };
}
