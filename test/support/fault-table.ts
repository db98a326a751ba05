/**
 * The failure table: for each fault, what the caller gets, how many calls Kinde receives for the
 * request, and what the audit record says. test/lambda/fault-table.integration.test.ts drives every
 * row over the real protocols; docs/how-a-request-is-decided.md shows the same rows (a test renders
 * them from here and compares), so the documented outcomes are the tested ones.
 */
import type { UnavailableCause } from "../../lambda/errors";

/** As API Gateway answers the caller: the authorizer allowed, threw `Unauthorized`, or threw "unavailable" (mapped to 503). */
export type CallerAnswer = "allow" | "401" | "503";

export interface FaultRow {
  /** What fails, as the documentation says it. */
  fault: string;
  answer: CallerAnswer;
  /** Calls Kinde receives for this one request: token, verify and key metadata together. */
  kindeCalls: number;
  /** The audit record's `reason`, and the cause it names in `upstream_error`, or that it carries a `cache_error`. */
  audit: { reason: string; upstreamError?: UnavailableCause; cacheError?: true };
  /** Why, as the documentation says it. */
  why: string;
}

const NO_VERDICT = "no verdict means no access: Keygate never allows without one";
const CACHE_SKIPPED = "a cache never fails a request: it is skipped, Kinde is asked, the record carries `cache_error`";

export const FAULT_TABLE = {
  "refused-key": {
    fault: "Kinde says the key is unknown, revoked or inactive",
    answer: "401",
    kindeCalls: 2,
    audit: { reason: "inactive_key" },
    why: "the caller's fault, cached for `negativeCacheTtlSeconds`",
  },
  "unknown-key-404": {
    fault: "Kinde answers an unknown key `404` in its error JSON (`API_KEY_NOT_FOUND`)",
    answer: "401",
    kindeCalls: 2,
    audit: { reason: "invalid_key" },
    why: "Kinde's word on the key, like a `400`: cached, and never counted by the circuit breaker, so made-up keys cannot open it",
  },
  "kinde-down": {
    fault: "Kinde unreachable (connection refused)",
    answer: "503",
    kindeCalls: 0,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_unreachable" },
    why: NO_VERDICT,
  },
  "kinde-5xx": {
    fault: "Kinde answers `5xx`",
    answer: "503",
    kindeCalls: 2,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_server_error" },
    why: NO_VERDICT,
  },
  "kinde-429": {
    fault: "Kinde answers `429` with `RateLimit-Reset`",
    answer: "503",
    kindeCalls: 2,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_rate_limited" },
    why: "no verdict; the container stops calling Kinde until the reset (at most 30 s)",
  },
  "kinde-429-wait": {
    fault: "a request before that `RateLimit-Reset` has passed",
    answer: "503",
    kindeCalls: 0,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_circuit_open" },
    why: "calling a rate-limited Kinde only prolongs the limit",
  },
  "kinde-hang": {
    fault: "Kinde accepts the request and never answers",
    answer: "503",
    kindeCalls: 2,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_timeout" },
    why: "the call is abandoned at `verifyTimeoutMs`",
  },
  "kinde-reset": {
    fault: "Kinde drops the connection",
    answer: "503",
    kindeCalls: 2,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_unreachable" },
    why: NO_VERDICT,
  },
  "kinde-redirect": {
    fault: "Kinde's verify endpoint answers with a redirect",
    answer: "503",
    kindeCalls: 2,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_redirect" },
    why: "Kinde's API never redirects; the key is never sent to another address",
  },
  "kinde-bad-json": {
    fault: "Kinde answers `200` with a body that is not JSON",
    answer: "503",
    kindeCalls: 2,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_bad_response" },
    why: "not an answer about the key",
  },
  "kinde-route-not-found": {
    fault: "Kinde answers verify `404` `ROUTE_NOT_FOUND`",
    answer: "503",
    kindeCalls: 2,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_unexpected_status" },
    why: "not an answer about the key: Kinde does not serve the path there, most likely a wrong `kindeDomain`",
  },
  "kinde-html": {
    fault: "something else answers: an HTML page instead of Kinde's JSON",
    answer: "503",
    kindeCalls: 2,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_bad_response" },
    why: "most likely a wrong `kindeDomain`; the log says so",
  },
  "token-refused": {
    fault: "Kinde refuses Keygate's M2M token at verify",
    answer: "503",
    kindeCalls: 4,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_auth_failed" },
    why: "a new token is fetched and tried once; a second refusal is Keygate's misconfiguration, never the caller's",
  },
  "token-credentials-refused": {
    fault: "the token endpoint refuses the M2M client credentials",
    answer: "503",
    kindeCalls: 1,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_auth_failed" },
    why: "Keygate's misconfiguration; a secret from Secrets Manager is read again (at most every 30 s) and tried once more",
  },
  "token-endpoint-down": {
    fault: "the token endpoint answers `5xx`",
    answer: "503",
    kindeCalls: 1,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_server_error" },
    why: NO_VERDICT,
  },
  "token-rate-limited": {
    fault: "the token endpoint answers `429` with `RateLimit-Reset`",
    answer: "503",
    kindeCalls: 1,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_rate_limited" },
    why: "no verdict; the container stops calling Kinde until the reset",
  },
  "circuit-open": {
    fault: "a request after 5 consecutive Kinde failures",
    answer: "503",
    kindeCalls: 0,
    audit: { reason: "upstream_unavailable", upstreamError: "kinde_circuit_open" },
    why: "the circuit breaker answers at once for a cool-down (2 s, doubling to 30 s, jittered), then lets one probe through",
  },
  "stale-if-error": {
    fault: "Kinde answers `5xx`, and the key's positive verdict went stale less than `staleIfErrorSeconds` ago",
    answer: "allow",
    kindeCalls: 1,
    audit: { reason: "stale_allow", upstreamError: "kinde_server_error" },
    why: "opt-in availability over freshness (off by default); never after a newer refusal of the key",
  },
  "dynamodb-down": {
    fault: "DynamoDB unreachable",
    answer: "allow",
    kindeCalls: 2,
    audit: { reason: "allowed", cacheError: true },
    why: CACHE_SKIPPED,
  },
  "dynamodb-throttled": {
    fault: "DynamoDB throttling",
    answer: "allow",
    kindeCalls: 2,
    audit: { reason: "allowed", cacheError: true },
    why: CACHE_SKIPPED,
  },
  "dynamodb-hanging": {
    fault: "DynamoDB never answering",
    answer: "allow",
    kindeCalls: 2,
    audit: { reason: "allowed", cacheError: true },
    why: "each DynamoDB call is abandoned at `dynamoDbTimeoutMs`, then the cache is skipped as above",
  },
  "secrets-down": {
    fault: "Secrets Manager unreachable (before the M2M secret was first read)",
    answer: "503",
    kindeCalls: 0,
    audit: { reason: "upstream_unavailable", upstreamError: "client_secret_unavailable" },
    why: "without the secret Kinde cannot be asked; the next request reads again",
  },
  "secrets-hanging": {
    fault: "Secrets Manager never answering",
    answer: "503",
    kindeCalls: 0,
    audit: { reason: "upstream_unavailable", upstreamError: "client_secret_unavailable" },
    why: "the read counts against `verifyTimeoutMs`",
  },
  "secrets-rotated": {
    fault: "the M2M secret was rotated and the container's token expired",
    answer: "allow",
    kindeCalls: 4,
    audit: { reason: "allowed" },
    why: "Kinde refuses the old token, then the old secret; the secret is read again and the token asked for once more, inside the same request",
  },
} as const satisfies Record<string, FaultRow>;

export type FaultId = keyof typeof FAULT_TABLE;

const ANSWER_TEXT: Record<CallerAnswer, string> = {
  allow: "allowed",
  "401": "`401` (`Unauthorized`)",
  "503": "`503` with `Retry-After`",
};

/** The table's rows as docs/how-a-request-is-decided.md shows them, header first. */
export function faultTableMarkdown(): string[] {
  return [
    "| what fails | what the caller gets | Kinde calls | why |",
    "|---|---|---:|---|",
    ...Object.values(FAULT_TABLE).map((row: FaultRow) => `| ${row.fault} | ${ANSWER_TEXT[row.answer]} | ${row.kindeCalls} | ${row.why} |`),
  ];
}
