/**
 * The few API Gateway control-plane calls run-time provisioning makes. The interface keeps the SDK
 * (loaded lazily) out of the provisioning logic.
 */
import { KeygateError } from "../errors";

export interface UsageKeyApi {
  /** CreateApiKey, enabled, with a value API Gateway generates. */
  createKey(name: string, description: string): Promise<{ id: string; value: string }>;
  /** CreateUsagePlanKey (type API_KEY). */
  addToPlan(usagePlanId: string, keyId: string): Promise<void>;
  /** DeleteApiKey, which also takes the key out of its plans. "absent" when it was already gone. */
  deleteKey(keyId: string): Promise<"deleted" | "absent">;
}

/**
 * A failed control-plane call. `applied` says whether the call may have taken effect anyway (a
 * timeout after the request was sent, a 5xx): a key whose creation is in doubt may exist, so its
 * counter slot is kept and the doubt is logged rather than assumed away.
 */
export class ApiCallError extends KeygateError {
  constructor(
    readonly kind: "throttled" | "rejected" | "failed" | "unreachable" | "timeout",
    readonly applied: "no" | "unknown",
    detail: string,
    /** The service's error name, e.g. NotFoundException. */
    readonly errorName?: string,
  ) {
    super(`api_call_${kind}`, detail);
  }
  override readonly name = "ApiCallError";
}
