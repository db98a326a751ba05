import { usageEventMetricsJson, withMembers } from "../audit/embedded-metrics";

/**
 * What run-time provisioning did to API Gateway keys, one JSON line each, beside the audit records.
 * Key values are never logged (they are what API Gateway meters by); key ids are.
 */
export interface UsageEvent {
  event:
    | "key_provisioned"
    | "key_discarded"
    | "tier_changed"
    | "key_retired"
    /** A counter slot could not be given back: the count errs high until corrected (see docs/usage-plans.md). */
    | "slot_not_released"
    /** A key may exist that no mapping names: its counter slot is kept; see the cleanup steps in docs/usage-plans.md. */
    | "possible_orphan";
  principal: string;
  api_key_id?: string;
  tier?: string;
  usage_plan_id?: string;
  detail?: string;
}

export type UsageEventWriter = (event: UsageEvent) => void;

export function stdoutUsageEventWriter(service = "keygate-authorizer", now: () => number = Date.now): UsageEventWriter {
  return (event) => {
    const level = event.event === "possible_orphan" || event.event === "slot_not_released" ? "WARN" : "INFO";
    const at = now();
    // The line also counts the event in CloudWatch (`UsageKeyEvents` by `event`, namespace Keygate).
    const line = withMembers(JSON.stringify({ timestamp: new Date(at).toISOString(), level, service, message: "usage key event", ...event }), usageEventMetricsJson(at));
    process.stdout.write(`${line}\n`);
  };
}
