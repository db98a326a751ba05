import { describeError as describeAnyError, KeygateError } from "../errors";
import { ApiCallError } from "./usage-key-api";

/**
 * Why a principal is not (yet) metered under a key of their own. The code opens the audit record's
 * `usage_error`, so CloudWatch can count each cause.
 */
export type UsageErrorCode =
  /** API Gateway answered 429: CreateApiKey and DeleteApiKey allow 5 calls per second per account. */
  | "provision_throttled"
  /** `maxProvisionedKeys` keys exist already. */
  | "key_ceiling"
  /** Provisioning did not finish within `provisionTimeoutMs`; it goes on in the background. */
  | "provision_timeout"
  /** API Gateway refused, failed or could not be reached. */
  | "provision_failed"
  /** A recent attempt failed; the next one waits `retryAfterSeconds`. */
  | "provision_backoff"
  /** The cache table could not be read or written. */
  | "store_unavailable"
  /** The principal's mapping item is not one this version can read; it is left alone. */
  | "mapping_unreadable"
  /** The key's scopes now call for another tier, but the move has to wait. */
  | "tier_change_deferred"
  /** A bug: caught so that metering never fails a request. */
  | "usage_internal";

export class UsageError extends KeygateError {
  constructor(
    override readonly code: UsageErrorCode,
    detail: string,
  ) {
    super(code, `${code}: ${detail}`);
  }
  override name = "UsageError";
}

/** One line for logs: the error's name and message, never more than 300 characters. */
export function describeError(error: unknown): string {
  // These messages already say what failed and how.
  if (error instanceof UsageError || error instanceof ApiCallError) return error.message.slice(0, 300);
  return describeAnyError(error);
}
