import type { APIGatewayAuthorizerResult, Context } from "aws-lambda";
import type { AuditRecord, AuditWriter } from "./audit/audit-log";
import type { AuthorizerConfig } from "./config";
import { decide, needsKeyMetadata, type Identity } from "./decision";
import { VerificationUnavailableError } from "./errors";
import { answerFor, meteredByUsagePlans, refusal, RouteNotInCacheKeyError, unanswerable, type AuthorizerResult, type SimpleAuthorizerResult } from "./event/answer";
import { viewRequest, type AuthorizerEvent, type HttpApiEventV2, type RequestView, type RestShapedEvent } from "./event/request-view";
import { IpFailureBudgetExceededError } from "./flood/ip-failure-budget";
import type { KeyMetadataLookup } from "./kinde/key-metadata";
import type { KeyMetadataResolver } from "./kinde/key-metadata-resolver";
import { extractKey } from "./key/extract-key";
import { fingerprint, hashKey } from "./key/fingerprint";
import type { BreakerState } from "./kinde/circuit-breaker";
import type { UsageResolution } from "./usage/usage-resolution";
import type { VerdictResolver } from "./verdict/verdict-resolver";

export { UNAUTHORIZED } from "./event/answer";

/**
 * The usage-plan key API Gateway meters this identity by (see docs/usage-plans.md).
 * `resolve` should never throw; if it does anyway, the request goes on unmetered rather than failing.
 */
export interface UsageKeyResolver {
  resolve(identity: Identity): Promise<UsageResolution>;
}

export interface AuthorizerDependencies {
  config: Pick<AuthorizerConfig, "requiredScopes" | "allowOrgKeys" | "routeRules"> & Partial<Pick<AuthorizerConfig, "kindeApiIds">>;
  verdicts: Pick<VerdictResolver, "resolve">;
  /** The keys' Kinde metadata; without it, rules that need metadata fail closed (an error, never an Allow). */
  keyMetadata?: Pick<KeyMetadataResolver, "resolve">;
  audit: AuditWriter;
  usage?: UsageKeyResolver;
  /** The Kinde circuit breaker, whose state goes into the audit record when it is not closed. */
  breaker?: { state(): BreakerState };
}

/** REST APIs and HTTP API payload 1.0 get an IAM policy; HTTP API payload 2.0 a simple response. */
export interface AuthorizerHandler {
  (event: RestShapedEvent, context?: Partial<Context>): Promise<APIGatewayAuthorizerResult>;
  (event: HttpApiEventV2, context?: Partial<Context>): Promise<SimpleAuthorizerResult>;
  (event: AuthorizerEvent, context?: Partial<Context>): Promise<AuthorizerResult>;
}

export function createAuthorizer(deps: AuthorizerDependencies): AuthorizerHandler {
  let coldStart = true;

  async function handler(event: unknown, context?: Partial<Context>): Promise<AuthorizerResult> {
    const started = performance.now();
    const view = viewRequest(event);
    const record: Partial<AuditRecord> = { ...describeRequest(view), cold_start: coldStart, function_request_id: context?.awsRequestId };
    coldStart = false;
    const noteBreaker = () => {
      const state = deps.breaker?.state();
      if (state !== undefined && state !== "closed") record.breaker = state;
    };
    const finish = (fields: Pick<AuditRecord, "decision" | "reason"> & Partial<AuditRecord>) =>
      deps.audit({ ...record, ...fields, latency_ms: Math.round((performance.now() - started) * 1000) / 1000 } as AuditRecord);

    const malformed = unanswerable(view);
    if (malformed) {
      finish({ decision: "error", reason: malformed });
      throw new Error(`Authorizer error: the event has no valid ${malformed === "bad_route_arn" ? "routeArn" : "methodArn"}`);
    }

    const extraction = extractKey(event as AuthorizerEvent);
    if (!extraction.ok) {
      finish({ decision: "deny", reason: extraction.reason });
      return refusal(view);
    }
    const keyHash = hashKey(extraction.key);
    record.key_fingerprint = fingerprint(keyHash);

    let resolved;
    try {
      resolved = await deps.verdicts.resolve(keyHash, extraction.key, record.source_ip);
    } catch (error) {
      noteBreaker();
      if (error instanceof IpFailureBudgetExceededError) {
        finish({ decision: "deny", reason: error.reason });
        return refusal(view);
      }
      const cause = error instanceof VerificationUnavailableError ? error.message : `internal: ${(error as Error).name}`;
      finish({ decision: "error", reason: "upstream_unavailable", upstream_error: cause });
      throw new Error("Authorizer error: key verification is unavailable");
    }
    noteBreaker();
    record.verdict_source = resolved.source;
    if (resolved.cacheError) record.cache_error = resolved.cacheError;
    if (resolved.upstreamError) record.upstream_error = resolved.upstreamError.message;

    if (resolved.verdict.valid) {
      record.key_id = resolved.verdict.keyId;
      record.user_id = resolved.verdict.userId;
      record.org_code = resolved.verdict.orgCode;
    }

    let keyMetadata: KeyMetadataLookup | undefined;
    if (needsKeyMetadata(resolved.verdict, deps.config)) {
      try {
        const carried = resolved.keyMetadata;
        if (carried && "error" in carried) throw carried.error;
        let metadata = carried?.resolved;
        if (!metadata) {
          if (!deps.keyMetadata) throw new Error("no key metadata resolver");
          metadata = await deps.keyMetadata.resolve(resolved.verdict.valid ? resolved.verdict.keyId : undefined);
        }
        keyMetadata = metadata.lookup;
        record.key_metadata_source = metadata.source;
        if (metadata.lookup.found && metadata.lookup.metadata.type) record.key_type = metadata.lookup.metadata.type;
        if (metadata.lookup.found && metadata.lookup.metadata.createdOn) record.key_created_on = metadata.lookup.metadata.createdOn;
        if (metadata.cacheError) record.key_metadata_cache_error = metadata.cacheError;
      } catch (error) {
        const cause = error instanceof VerificationUnavailableError ? error.message : `internal: ${(error as Error).name}`;
        finish({ decision: "error", reason: "upstream_unavailable", upstream_error: cause });
        throw new Error("Authorizer error: key verification is unavailable");
      }
    }
    const decision = decide(resolved.verdict, deps.config, keyMetadata);
    if (!decision.allow) {
      finish({ decision: "deny", reason: decision.reason });
      return refusal(view);
    }

    let answer;
    try {
      answer = answerFor(view, decision.identity, resolved.source, deps.config.routeRules);
    } catch (error) {
      if (!(error instanceof RouteNotInCacheKeyError)) throw error;
      finish({ decision: "error", reason: error.reason });
      throw error;
    }
    const { result, routeAllowed } = answer;

    if (deps.usage && meteredByUsagePlans(view) && "principalId" in result) {
      // Metering must never fail a request: a failure is logged and the request goes on without it.
      const usage = await deps.usage.resolve(decision.identity).catch((error: unknown): UsageResolution => ({ error: `usage_internal: ${String(error)}` }));
      if (usage.key) result.usageIdentifierKey = usage.key;
      if (usage.tier) record.usage_tier = usage.tier;
      if (usage.source) record.usage_key_source = usage.source;
      if (usage.keyId) record.usage_key_id = usage.keyId;
      if (usage.error) record.usage_error = usage.error;
    }

    const stale = resolved.source === "stale";
    finish(routeAllowed ? { decision: "allow", reason: stale ? "stale_allow" : "allowed" } : { decision: "deny", reason: "route_scope_missing" });
    return result;
  }
  // One implementation for both signatures: the answer's shape follows the event's (see event/answer.ts).
  return handler as AuthorizerHandler;
}

function describeRequest(view: RequestView): Partial<AuditRecord> {
  const fields: Partial<AuditRecord> = { api_kind: view.apiKind };
  if (view.apiId !== undefined) fields.api_id = view.apiId;
  if (view.stage !== undefined) fields.stage = view.stage;
  if (view.method !== undefined) fields.method = view.method;
  if (view.path !== undefined) fields.path = view.path;
  if (view.routeKey !== undefined) fields.route_key = view.routeKey;
  if (view.requestId !== undefined) fields.request_id = view.requestId;
  if (view.sourceIp !== undefined) fields.source_ip = view.sourceIp;
  if (view.userAgent !== undefined) fields.user_agent = view.userAgent.slice(0, 256);
  return fields;
}
