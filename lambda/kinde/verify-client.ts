import { VerificationUnavailableError } from "../errors";
import { DOMAIN_HINT, kindeErrorCodes, kindeFetch, rateLimitResetMs, readKindeJson } from "./kinde-fetch";
import type { M2MTokenProvider } from "./m2m-token";
import { sendWithToken } from "./token-renewal";

/** The fields of Kinde's verify response we rely on; every one is optional in Kinde's spec. */
export interface KindeVerifyBody {
  is_valid?: boolean;
  status?: string;
  key_id?: string;
  user_id?: string | null;
  org_code?: string | null;
  scopes?: string[];
}

/** What Kinde said about a key: a 200 answer, or a 400 refusal of the key itself. */
export type KindeVerifyAnswer = { kind: "answered"; body: KindeVerifyBody } | { kind: "rejected"; status: number };

/**
 * `POST {domain}/api/v1/api_keys/verify`. Only Kinde's documented answers are verdicts: the
 * `verifyApiKey` operation in kinde-oss/management-api-js spec/kinde-mgmt-api-specs.yaml declares
 * 200 (verify_api_key_response), 400 (bad_request), 401 (forbidden) and 429 (too_many_requests),
 * each as application/json. A 200 or 400 in Kinde's JSON decides; anything else (network failure,
 * timeout, a redirect, 429, 5xx, our own token refused twice, and the undocumented 404 (also Kinde's
 * generic route-not-found), 422 and every other status, or a body that is not Kinde's JSON) throws
 * VerificationUnavailableError: never a verdict the caller would pay for, and never cached.
 * Nothing Kinde publishes says how it answers an unknown key (its quick start only branches on
 * `is_valid`), so an unknown key counts as refused only through one of those documented answers.
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
    // 401 is verify's documented token refusal; 403 is treated alike, since either ends unavailable if it persists.
    const response = await sendWithToken(this.tokens, signal, [401, 403], (token) => this.post(token, apiKey, signal));
    if (response.status === 429) this.rateLimitedUntil = this.now() + rateLimitResetMs(response);
    return await interpret(response);
  }

  private post(token: string, apiKey: string, signal: AbortSignal): Promise<Response> {
    return kindeFetch(
      `${this.domain}/api/v1/api_keys/verify`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ api_key: apiKey }),
        signal,
      },
      "verify",
    );
  }
}

async function interpret(response: Response): Promise<KindeVerifyAnswer> {
  if (response.status === 429) {
    await response.body?.cancel();
    const reset = response.headers.get("ratelimit-reset");
    throw new VerificationUnavailableError("kinde_rate_limited", `Kinde answered 429${reset ? ` (reset in ${reset}s)` : ""}`, rateLimitResetMs(response));
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw new VerificationUnavailableError("kinde_server_error", `Kinde answered ${response.status}`);
  }
  if (response.status !== 200 && response.status !== 400) {
    await response.body?.cancel();
    throw new VerificationUnavailableError("kinde_unexpected_status", `verify answered HTTP ${response.status}, which Kinde does not document for it: ${DOMAIN_HINT}`);
  }
  const payload = await readKindeJson(response, "verify");
  if (response.status === 400) {
    if (kindeErrorCodes(payload) === undefined) {
      throw new VerificationUnavailableError("kinde_bad_response", `the verify answer (HTTP 400) is not Kinde's error object: ${DOMAIN_HINT}`);
    }
    return { kind: "rejected", status: 400 };
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
