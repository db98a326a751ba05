import type { ApiKind } from "../event/request-view";
import type { KeyMetadataSource } from "../kinde/key-metadata-resolver";
import type { UsageKeySource } from "../usage/usage-resolution";
import { auditMetricsJson, withMembers } from "./embedded-metrics";
import { keyAgeDays } from "./key-age";

/**
 * The audit trail: one JSON line per authorizer decision, written straight to stdout so that
 * Lambda ships it unchanged to the audit log group (the same approach as Powertools Logger).
 * Field names are documented in docs/audit-record.md; CloudWatch queries and metric filters rely on them.
 * Each line also carries the record's metrics in CloudWatch's embedded metric format (embedded-metrics.ts).
 */
export interface AuditRecord {
  decision: "allow" | "deny" | "error";
  reason: string;
  user_id?: string;
  org_code?: string;
  key_id?: string;
  key_fingerprint?: string;
  verdict_source?: string;
  /** Which kind of API Gateway API sent the request: `rest` (REST API) or `http` (HTTP API, payload 1.0 or 2.0). */
  api_kind?: ApiKind;
  api_id?: string;
  stage?: string;
  method?: string;
  path?: string;
  /** HTTP APIs (payload 2.0): the route API Gateway resolved, which route rules are decided on (`GET /reports/{name}`, `$default`). */
  route_key?: string;
  source_ip?: string;
  user_agent?: string;
  request_id?: string;
  function_request_id?: string;
  latency_ms: number;
  cold_start: boolean;
  upstream_error?: string;
  /** The Kinde circuit breaker's state when it is not closed: `open` or `half_open`. */
  breaker?: string;
  cache_error?: string;
  /** Where the key's Kinde metadata (api_ids, type) came from, when the rules needed it. */
  key_metadata_source?: KeyMetadataSource;
  /** The key's type in Kinde's metadata (`user`, `organization`, `environment`, or whatever Kinde sent). */
  key_type?: string;
  /** When Kinde created the key (`created_on` in its metadata, as Kinde sent it), when the rules needed the metadata. */
  key_created_on?: string;
  /** Whole days since `key_created_on`, added by the writer: what rotation queries filter on. */
  key_age_days?: number;
  /** Set when the DynamoDB cache was skipped for the key's metadata. */
  key_metadata_cache_error?: string;
  /** The usage-plan tier the request is metered under. */
  usage_tier?: string;
  /** fixed (assigned by Pulumi), user (provisioned by the authorizer) or pool (the tier's shared key). */
  usage_key_source?: UsageKeySource;
  /** The API Gateway key's id, never its value; absent for pool keys. */
  usage_key_id?: string;
  /** Why the principal is not metered under a key of their own: `<code>: <detail>`. */
  usage_error?: string;
}

export type AuditWriter = (record: AuditRecord) => void;

export function stdoutAuditWriter(service = "keygate-authorizer", now: () => number = Date.now): AuditWriter {
  return (record) => {
    const level = record.decision === "error" ? "ERROR" : "INFO";
    const at = now();
    const age = record.key_created_on !== undefined ? keyAgeDays(record.key_created_on, at) : undefined;
    const full = age !== undefined ? { ...record, key_age_days: age } : record;
    const line = withMembers(JSON.stringify({ timestamp: new Date(at).toISOString(), level, service, message: "authorizer decision", ...full }), auditMetricsJson(full, at));
    process.stdout.write(`${line}\n`);
  };
}
