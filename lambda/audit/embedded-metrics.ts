import type { AuditRecord } from "./audit-log";

/**
 * CloudWatch Embedded Metric Format (EMF) for the audit records: CloudWatch Logs turns the `_aws`
 * block of a log line into metrics, so the authorizer publishes metrics without a call, a library or
 * a permission of its own. Specification:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 *
 * Dimensions reuse the record's own low-cardinality fields (`decision`, `reason`, `verdict_source`,
 * `breaker`, `usage_key_source`); user ids, key ids, fingerprints and addresses never become
 * dimensions (each distinct value would be a metric of its own). Metric values are PascalCase
 * members, so they never clash with the record's snake_case fields.
 */

/** The namespace of every Keygate metric. */
export const METRIC_NAMESPACE = "Keygate";

/** The metrics the authorizer publishes, by name. */
export const METRICS = {
  /** One per audit record, by `decision` and `reason`, by `decision`, and in total. */
  decisions: "Decisions",
  /** The time the authorizer spent on a decision, milliseconds. */
  latency: "Latency",
  /** One per record that has a verdict, by `verdict_source` (memory, dynamodb, kinde, stale). */
  verdicts: "Verdicts",
  /** Requests that asked Kinde (the key's verdict or its metadata). */
  kindeCalls: "KindeCalls",
  /** The latency of requests that asked Kinde: the Kinde call is most of it. */
  kindeLatency: "KindeLatency",
  /** Records written while the Kinde circuit breaker was not closed, by `breaker` (open, half_open). */
  breakerNotClosed: "BreakerNotClosed",
  /** Metered requests, by `usage_key_source` (fixed, user, pool). */
  usageKeys: "UsageKeys",
  /** Requests metered without a key of their own, by `usage_error_code`. */
  usageErrors: "UsageErrors",
  /** Run-time changes to usage keys, by `event` (key_provisioned, key_retired, ...). */
  usageKeyEvents: "UsageKeyEvents",
} as const;

type Unit = "Count" | "Milliseconds";

/** One MetricDirective, serialized once at load: each record only picks which ones it carries. */
const directive = (dimensions: string[][], metrics: [string, Unit][]): string =>
  JSON.stringify({ Namespace: METRIC_NAMESPACE, Dimensions: dimensions, Metrics: metrics.map(([Name, Unit]) => ({ Name, Unit })) });

const DIRECTIVES = {
  decisions: directive([["decision", "reason"], ["decision"], []], [[METRICS.decisions, "Count"]]),
  latency: directive([[]], [[METRICS.latency, "Milliseconds"]]),
  verdicts: directive([["verdict_source"]], [[METRICS.verdicts, "Count"]]),
  kinde: directive([[]], [[METRICS.kindeCalls, "Count"], [METRICS.kindeLatency, "Milliseconds"]]),
  breaker: directive([["breaker"]], [[METRICS.breakerNotClosed, "Count"]]),
  usageKeys: directive([["usage_key_source"]], [[METRICS.usageKeys, "Count"]]),
  usageErrors: directive([["usage_error_code"]], [[METRICS.usageErrors, "Count"]]),
  usageKeyEvents: directive([["event"]], [[METRICS.usageKeyEvents, "Count"]]),
};

/**
 * The record's metrics as JSON members (`"_aws":{...},"Decisions":1,...`), to close a log line that
 * holds the record's own fields. Built from the serialized directives rather than by serializing an
 * object: the audit line is on every request's path, and this keeps the metrics to a few string joins.
 * `timestamp` is epoch milliseconds.
 */
export function auditMetricsJson(record: AuditRecord, timestamp: number): string {
  const directives = [DIRECTIVES.decisions, DIRECTIVES.latency];
  let members = `"${METRICS.decisions}":1,"${METRICS.latency}":${numberJson(record.latency_ms)}`;
  if (record.verdict_source !== undefined) {
    directives.push(DIRECTIVES.verdicts);
    members += `,"${METRICS.verdicts}":1`;
  }
  if (record.verdict_source === "kinde" || record.key_metadata_source === "kinde") {
    directives.push(DIRECTIVES.kinde);
    members += `,"${METRICS.kindeCalls}":1,"${METRICS.kindeLatency}":${numberJson(record.latency_ms)}`;
  }
  if (record.breaker !== undefined) {
    directives.push(DIRECTIVES.breaker);
    members += `,"${METRICS.breakerNotClosed}":1`;
  }
  if (record.usage_key_source !== undefined) {
    directives.push(DIRECTIVES.usageKeys);
    members += `,"${METRICS.usageKeys}":1`;
  }
  if (record.usage_error !== undefined) {
    // `usage_error` is `<code>: <detail>`; only the code is bounded enough to be a dimension.
    directives.push(DIRECTIVES.usageErrors);
    members += `,"usage_error_code":"${usageErrorCode(record.usage_error)}","${METRICS.usageErrors}":1`;
  }
  return `"_aws":{"Timestamp":${Math.round(timestamp)},"CloudWatchMetrics":[${directives.join(",")}]},${members}`;
}

/** The metrics of one usage key event, as JSON members: a count by `event`. */
export function usageEventMetricsJson(timestamp: number): string {
  return `"_aws":{"Timestamp":${Math.round(timestamp)},"CloudWatchMetrics":[${DIRECTIVES.usageKeyEvents}]},"${METRICS.usageKeyEvents}":1`;
}

/** Appends JSON members to a serialized object: `{"a":1}` and `"b":2` make `{"a":1,"b":2}`. */
export function withMembers(objectJson: string, members: string): string {
  return objectJson === "{}" ? `{${members}}` : `${objectJson.slice(0, -1)},${members}}`;
}

// A metric value must be a number: a latency that is not finite (it never should be) counts as 0.
const numberJson = (value: number): string => (Number.isFinite(value) ? String(value) : "0");

function usageErrorCode(error: string): string {
  const code = error.split(":", 1)[0]!.trim();
  // A dimension value must be non-empty ASCII; a code is a snake_case word, so it needs no escaping.
  return /^[a-z_]{1,64}$/.test(code) ? code : "other";
}
