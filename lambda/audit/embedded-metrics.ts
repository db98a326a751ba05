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
interface Directive {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: Unit }[];
}

/** The `_aws` block and the members it names (metric values, and a dimension the record lacks), to merge into a log line. */
export interface EmbeddedMetrics {
  _aws: { Timestamp: number; CloudWatchMetrics: Directive[] };
  [member: string]: number | string | EmbeddedMetrics["_aws"];
}

const directive = (dimensions: string[][], metrics: [string, Unit][]): Directive => ({
  Namespace: METRIC_NAMESPACE,
  Dimensions: dimensions,
  Metrics: metrics.map(([Name, Unit]) => ({ Name, Unit })),
});

/** The metrics of one audit record. `timestamp` is epoch milliseconds. */
export function auditMetrics(record: AuditRecord, timestamp: number): EmbeddedMetrics {
  const directives = [
    directive([["decision", "reason"], ["decision"], []], [[METRICS.decisions, "Count"]]),
    directive([[]], [[METRICS.latency, "Milliseconds"]]),
  ];
  const members: Record<string, number | string> = { [METRICS.decisions]: 1, [METRICS.latency]: record.latency_ms };
  if (record.verdict_source !== undefined) {
    directives.push(directive([["verdict_source"]], [[METRICS.verdicts, "Count"]]));
    members[METRICS.verdicts] = 1;
  }
  if (record.verdict_source === "kinde" || record.key_metadata_source === "kinde") {
    directives.push(directive([[]], [[METRICS.kindeCalls, "Count"], [METRICS.kindeLatency, "Milliseconds"]]));
    members[METRICS.kindeCalls] = 1;
    members[METRICS.kindeLatency] = record.latency_ms;
  }
  if (record.breaker !== undefined) {
    directives.push(directive([["breaker"]], [[METRICS.breakerNotClosed, "Count"]]));
    members[METRICS.breakerNotClosed] = 1;
  }
  if (record.usage_key_source !== undefined) {
    directives.push(directive([["usage_key_source"]], [[METRICS.usageKeys, "Count"]]));
    members[METRICS.usageKeys] = 1;
  }
  if (record.usage_error !== undefined) {
    // `usage_error` is `<code>: <detail>`; only the code is bounded enough to be a dimension.
    directives.push(directive([["usage_error_code"]], [[METRICS.usageErrors, "Count"]]));
    members.usage_error_code = usageErrorCode(record.usage_error);
    members[METRICS.usageErrors] = 1;
  }
  return { _aws: { Timestamp: timestamp, CloudWatchMetrics: directives }, ...members };
}

/** The metrics of one usage key event: a count by `event`. */
export function usageEventMetrics(timestamp: number): EmbeddedMetrics {
  return { _aws: { Timestamp: timestamp, CloudWatchMetrics: [directive([["event"]], [[METRICS.usageKeyEvents, "Count"]])] }, [METRICS.usageKeyEvents]: 1 };
}

function usageErrorCode(error: string): string {
  const code = error.split(":", 1)[0]!.trim();
  // A dimension value must be non-empty ASCII; a code is a snake_case word.
  return /^[a-z_]{1,64}$/.test(code) ? code : "other";
}
