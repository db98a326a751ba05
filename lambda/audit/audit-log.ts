/**
 * The audit trail: one JSON line per authorizer decision, written straight to stdout so that
 * Lambda ships it unchanged to the audit log group (the same approach as Powertools Logger).
 * Field names are documented in the README; CloudWatch queries and metric filters rely on them.
 */
export interface AuditRecord {
  decision: "allow" | "deny" | "error";
  reason: string;
  user_id?: string;
  org_code?: string;
  key_id?: string;
  key_fingerprint?: string;
  verdict_source?: string;
  api_id?: string;
  stage?: string;
  method?: string;
  path?: string;
  source_ip?: string;
  user_agent?: string;
  request_id?: string;
  function_request_id?: string;
  latency_ms: number;
  cold_start: boolean;
  upstream_error?: string;
  cache_error?: string;
  usage_tier?: string;
  usage_key?: string;
  usage_error?: string;
}

export type AuditWriter = (record: AuditRecord) => void;

export function stdoutAuditWriter(service = "keygate-authorizer"): AuditWriter {
  return (record) => {
    const level = record.decision === "error" ? "ERROR" : "INFO";
    const line = JSON.stringify({ timestamp: new Date().toISOString(), level, service, message: "authorizer decision", ...record });
    process.stdout.write(`${line}\n`);
  };
}
