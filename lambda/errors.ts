/**
 * The base of every error Keygate raises on purpose. `code` is stable: logs, alarms and callers
 * branch on it, never on the message.
 */
export class KeygateError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  // Spelled out, not taken from the class: the bundle is minified.
  override name = "KeygateError";
}

/**
 * A setting is missing or malformed. `setting` is the name the reader knows it by: an environment
 * variable for the authorizer, `args.<path>` for the component, `keygate:<key>` for a stack. The
 * message never echoes a secret's value.
 */
export class SettingError extends KeygateError {
  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {
    super("invalid_setting", `${setting} ${problem}`);
  }
  override name = "SettingError";
}

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
  /** A status that is no answer about the key (such as Kinde's 404 ROUTE_NOT_FOUND, or a 415): most likely a wrong KINDE_DOMAIN. */
  | "kinde_unexpected_status"
  | "client_secret_unavailable"
  | "kinde_circuit_open";

/**
 * Verification could not be completed. The authorizer answers it with a non-`Unauthorized` error
 * (API Gateway: 500, mapped to 503 by Keygate's gateway responses), never with a 401.
 */
export class VerificationUnavailableError extends KeygateError {
  constructor(
    override readonly code: UnavailableCause,
    detail: string,
    /** How long Kinde asked us to wait before calling again (its RateLimit-Reset), when it said. */
    readonly retryAfterMs?: number,
  ) {
    super(code, `${code}: ${detail}`);
  }
  override name = "VerificationUnavailableError";
}

/** One line for logs and audit records: the error's name and message, never more than 300 characters. */
export function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string } | undefined;
  return `${e?.name ?? "Error"}: ${e?.message ?? String(error)}`.slice(0, 300);
}

/** Turns a fetch/abort failure into the cause we report. */
export function causeOfFetchFailure(error: unknown): UnavailableCause {
  const name = (error as { name?: string } | undefined)?.name;
  return name === "TimeoutError" || name === "AbortError" ? "kinde_timeout" : "kinde_unreachable";
}
