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

/** What Kinde said about a key: a 200 answer, or a refusal of the key itself (a 4xx in Kinde's error JSON). */
export type KindeVerifyAnswer = { kind: "answered"; body: KindeVerifyBody } | { kind: "rejected"; status: number };

/**
 * `POST {domain}/api/v1/api_keys/verify`. The `verifyApiKey` operation in kinde-oss/management-api-js
 * spec/kinde-mgmt-api-specs.yaml declares 200 (verify_api_key_response), 400 (bad_request), 401
 * (forbidden) and 429 (too_many_requests), each as application/json; its error bodies are
 * error_response `{"errors": [{code, message}]}`, or not_found_response `{"errors": {code, message}}`
 * for a 404. Nothing Kinde publishes says how it answers an unknown key (its quick start only branches
 * on `is_valid`): a 200 with `is_valid: false`, a 400, or an undocumented 404 `API_KEY_NOT_FOUND` or
 * 422 in that error JSON are all plausible.
 *
 * So the answer is read by who could have caused it. The key is the only part of a verify request
 * that changes from one call to the next, and it is the caller's: a 4xx in Kinde's error JSON is
 * Kinde's word on that key, a refusal (401 to the caller, cached as a negative verdict, and a sign
 * that Kinde is up, so the circuit breaker never counts it). Otherwise a made-up key would be a
 * way to make Kinde look down and shut out every good key behind the breaker.
 *
 * What is not about the key is "unavailable" (VerificationUnavailableError, counted by the breaker,
 * never cached): a network failure, a timeout, a redirect, 429, 5xx; Keygate's own M2M token refused
 * twice (401, verify's documented token refusal, and 403 alike, see token-renewal.ts); a body that is
 * not Kinde's JSON (an HTML page, a 404 from something else: a wrong KINDE_DOMAIN); a 404
 * `ROUTE_NOT_FOUND` (the spec's own example code for not_found_response: the path is not served);
 * and the 4xx statuses that RFC 9110 defines about the method, route, representation or connection
 * (NOT_ABOUT_THE_KEY), which would answer every key alike.
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

/**
 * 4xx statuses whose meaning (RFC 9110 section 15.5) is about the request's method, target,
 * representation or connection, which are the same for every key: a Kinde answering verify with
 * one of them answers every key alike, so it is a fault to count, never a verdict.
 */
const NOT_ABOUT_THE_KEY: ReadonlySet<number> = new Set([405, 406, 407, 408, 411, 414, 415, 421, 426, 431]);

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
  if (response.status >= 400) return refusal(response);
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new VerificationUnavailableError("kinde_unexpected_status", `verify answered HTTP ${response.status}, which Kinde does not document for it: ${DOMAIN_HINT}`);
  }
  const body = parseBody(await readKindeJson(response, "verify"));
  if (!body) throw new VerificationUnavailableError("kinde_bad_response", "the verify response is not the documented object");
  return { kind: "answered", body };
}

/**
 * A 4xx (never 401/403, which sendWithToken took as a token refusal, nor 429): Kinde's refusal of the
 * key, when it is Kinde's answer about the key. Kinde's error codes stay out of the messages: an
 * answer's text is not ours to put in a log.
 */
async function refusal(response: Response): Promise<KindeVerifyAnswer> {
  const status = response.status;
  const codes = kindeErrorCodes(await readKindeJson(response, "verify"));
  if (codes === undefined) {
    throw new VerificationUnavailableError("kinde_bad_response", `the verify answer (HTTP ${status}) is not Kinde's error object: ${DOMAIN_HINT}`);
  }
  if (codes.includes("ROUTE_NOT_FOUND")) {
    throw new VerificationUnavailableError("kinde_unexpected_status", `Kinde answered ${status} ROUTE_NOT_FOUND: it does not serve verify there: ${DOMAIN_HINT}`);
  }
  if (NOT_ABOUT_THE_KEY.has(status)) {
    throw new VerificationUnavailableError("kinde_unexpected_status", `verify answered HTTP ${status}, which is about the request, not the key: ${DOMAIN_HINT}`);
  }
  return { kind: "rejected", status };
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
