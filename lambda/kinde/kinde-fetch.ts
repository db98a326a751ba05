import { causeOfFetchFailure, VerificationUnavailableError } from "../errors";

/** Appended to every answer that suggests Keygate is not talking to Kinde's API at all. */
export const DOMAIN_HINT = "check KINDE_DOMAIN (it must be the https://<subdomain>.kinde.com origin)";

/**
 * One request to Kinde. Redirects are never followed: the body holds a raw API key or the M2M client
 * secret, and Kinde's API does not redirect, so a 3xx means something else is answering. It becomes
 * "unavailable" naming the status, and the body is sent nowhere else.
 */
export async function kindeFetch(url: string, init: RequestInit, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, redirect: "manual" });
  } catch (error) {
    throw new VerificationUnavailableError(causeOfFetchFailure(error), `the ${what} request failed`);
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw new VerificationUnavailableError("kinde_redirect", `the ${what} endpoint answered HTTP ${response.status}, a redirect, which Keygate never follows: ${DOMAIN_HINT}`);
  }
  return response;
}

/** Backing off after a 429 never lasts longer than this, whatever RateLimit-Reset says. */
export const MAX_RATE_LIMIT_BACKOFF_MS = 30_000;

/** How long a 429 asks us to wait: RateLimit-Reset is in seconds; absent or unreadable, one second. */
export function rateLimitResetMs(response: Response): number {
  const reset = response.headers.get("ratelimit-reset");
  const seconds = reset === null ? NaN : Number(reset);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, MAX_RATE_LIMIT_BACKOFF_MS) : 1_000;
}

/** Kinde answers `application/json`; anything else (an HTML error page, a proxy's text) is not Kinde's answer. */
export function isJsonResponse(response: Response): boolean {
  const type = response.headers.get("content-type") ?? "";
  return /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type.trim());
}

/**
 * The JSON body of a Kinde answer. A wrong content type or an unreadable body is "unavailable" with
 * the configuration hint: it is not an answer about the key.
 */
export async function readKindeJson(response: Response, what: string): Promise<unknown> {
  if (!isJsonResponse(response)) {
    await response.body?.cancel();
    throw new VerificationUnavailableError(
      "kinde_bad_response",
      `the ${what} answer (HTTP ${response.status}) is not JSON but ${JSON.stringify((response.headers.get("content-type") ?? "no content type").slice(0, 80))}: ${DOMAIN_HINT}`,
    );
  }
  try {
    return await response.json();
  } catch (error) {
    if (causeOfFetchFailure(error) === "kinde_timeout") throw new VerificationUnavailableError("kinde_timeout", `the ${what} answer did not arrive in time`);
    throw new VerificationUnavailableError("kinde_bad_response", `the ${what} response is not JSON (HTTP ${response.status}): ${DOMAIN_HINT}`);
  }
}

/**
 * Kinde's documented error bodies: `{"errors": [{code, message}]}` (error_response), and for 404
 * `{"errors": {code, message}}` (not_found_response), both in spec/kinde-mgmt-api-specs.yaml of
 * kinde-oss/management-api-js. Returns the error codes, or undefined when the body is neither shape.
 */
export function kindeErrorCodes(body: unknown): string[] | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const errors = (body as { errors?: unknown }).errors;
  const list = Array.isArray(errors) ? errors : typeof errors === "object" && errors !== null ? [errors] : undefined;
  if (!list) return undefined;
  const codes: string[] = [];
  for (const entry of list) {
    if (typeof entry !== "object" || entry === null) return undefined;
    const code = (entry as { code?: unknown }).code;
    codes.push(typeof code === "string" ? code : "");
  }
  return codes;
}
