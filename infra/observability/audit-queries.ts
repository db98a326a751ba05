/**
 * CloudWatch Logs Insights queries over the audit records (docs/audit-record.md names the fields).
 * The saved queries and the dashboard's log widgets both use them; docs/operations.md explains each.
 * Values to fill in are written `REPLACE_...`, and the day counts are meant to be edited.
 *
 * Records name the kind of API they came from (`api_kind`: `rest` or `http`); records written before
 * HTTP APIs could be protected have none, and came from REST APIs, hence `coalesce(api_kind, "rest")`.
 */

/** Decisions per API, REST and HTTP alike: an HTTP API's stage is often `$default`. */
const DECISIONS_BY_API = ['fields coalesce(api_kind, "rest") as kind', "stats count(*) as requests by kind, api_id, stage, decision", "sort requests desc", "limit 100"] as const;

/** The saved queries, by the last part of their name. */
export const SAVED_QUERIES = {
  "user-recent-decisions": [
    "fields @timestamp, decision, reason, api_kind, api_id, method, path, key_id, key_fingerprint, source_ip, verdict_source, latency_ms",
    'filter user_id = "REPLACE_WITH_USER_ID"',
    "sort @timestamp desc",
    "limit 200",
  ],
  "denials-by-reason": ['filter decision = "deny"', "stats count(*) as denials by reason", "sort denials desc"],
  "decisions-by-api": DECISIONS_BY_API,
  "key-last-use": [
    'filter key_id = "REPLACE_WITH_KEY_ID" or key_fingerprint = "REPLACE_WITH_FINGERPRINT"',
    "stats max(@timestamp) as last_used, count(*) as requests, latest(decision) as last_decision, latest(source_ip) as last_source_ip by key_id, key_fingerprint, user_id",
  ],
  // Logs Insights has no clock: the time range picked is the window, and the oldest last uses come first.
  "keys-by-last-use": [
    'filter decision = "allow" and ispresent(key_id)',
    "stats max(@timestamp) as last_used, count(*) as requests by key_id, user_id",
    "sort last_used asc",
    "limit 1000",
  ],
  "old-keys-in-use": [
    'filter decision = "allow" and key_age_days >= 90',
    "stats max(key_age_days) as age_days, max(@timestamp) as last_used, count(*) as requests by key_id, user_id, key_created_on",
    "sort age_days desc",
    "limit 1000",
  ],
} as const satisfies Record<string, readonly string[]>;

export type SavedQueryName = keyof typeof SAVED_QUERIES;

/** Queries the dashboard charts over its time range. */
export const DASHBOARD_QUERIES = {
  topUsers: ["filter ispresent(user_id)", "stats count(*) as requests by user_id", "sort requests desc", "limit 20"],
  topDeniedFingerprints: ['filter decision = "deny" and ispresent(key_fingerprint)', "stats count(*) as denials by key_fingerprint", "sort denials desc", "limit 20"],
  topDeniedSourceIps: ['filter decision = "deny" and ispresent(source_ip)', "stats count(*) as denials by source_ip", "sort denials desc", "limit 20"],
  decisionsByApi: DECISIONS_BY_API,
  refusalsByReason: ['filter decision != "allow"', "stats count(*) as refusals by bin(5m), reason"],
} as const satisfies Record<string, readonly string[]>;

/** A query's text: its lines joined by Logs Insights' pipe. */
export function queryText(lines: readonly string[]): string {
  return lines.join("\n| ");
}

/** A dashboard log widget's query: the same text, preceded by the log group it reads. */
export function logWidgetQuery(logGroupName: string, lines: readonly string[]): string {
  return `SOURCE '${logGroupName}' | ${queryText(lines)}`;
}
