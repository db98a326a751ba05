/** Why Kinde could not give a verdict. None of these is the caller's fault. */
export type UnavailableCause =
  | "kinde_unreachable"
  | "kinde_timeout"
  | "kinde_rate_limited"
  | "kinde_server_error"
  | "kinde_bad_response"
  | "kinde_auth_failed"
  /** A 3xx: something other than Kinde answered (Kinde's API never redirects); it is never followed. */
  | "kinde_redirect"
  /** A status Kinde does not document for the call (such as the generic 404 route-not-found): most likely a wrong KINDE_DOMAIN. */
  | "kinde_unexpected_status"
  | "client_secret_unavailable";

/**
 * Verification could not be completed. The authorizer answers it with a non-`Unauthorized` error
 * (API Gateway: 500, mapped to 503 by Keygate's gateway responses), never with a 401.
 */
export class VerificationUnavailableError extends Error {
  constructor(
    readonly code: UnavailableCause,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = "VerificationUnavailableError";
  }
}

/** Turns a fetch/abort failure into the cause we report. */
export function causeOfFetchFailure(error: unknown): UnavailableCause {
  const name = (error as { name?: string } | undefined)?.name;
  return name === "TimeoutError" || name === "AbortError" ? "kinde_timeout" : "kinde_unreachable";
}
