import type { APIGatewayAuthorizerResult, Context } from "aws-lambda";
import type { AuditRecord, AuditWriter } from "./audit/audit-log";
import type { AuthorizerConfig } from "./config";
import { decide, needsKeyMetadata, type Identity } from "./decision";
import { VerificationUnavailableError } from "./errors";
import { IpFailureBudgetExceededError } from "./flood/ip-failure-budget";
import type { KeyMetadataLookup } from "./kinde/key-metadata";
import type { KeyMetadataResolver } from "./kinde/key-metadata-resolver";
import { extractKey, type AuthorizerEvent } from "./key/extract-key";
import { fingerprint, hashKey } from "./key/fingerprint";
import type { BreakerState } from "./kinde/circuit-breaker";
import { buildAuthorizerContext } from "./policy/authorizer-context";
import { buildPolicy, type ResolvedRoute } from "./policy/build-policy";
import { evaluatePolicy } from "./policy/evaluate-policy";
import { parseMethodArn, type MethodArn } from "./policy/method-arn";
import type { UsageResolution } from "./usage/usage-resolution";
import type { VerdictResolver } from "./verdict/verdict-resolver";

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

export type AuthorizerHandler = (event: AuthorizerEvent, context?: Partial<Context>) => Promise<APIGatewayAuthorizerResult>;

/** API Gateway turns exactly this message into a 401. */
export const UNAUTHORIZED = "Unauthorized";

export function createAuthorizer(deps: AuthorizerDependencies): AuthorizerHandler {
  let coldStart = true;

  return async function handler(event, context) {
    const started = performance.now();
    const target = parseMethodArn(event?.methodArn);
    const record: Partial<AuditRecord> = { ...describeRequest(event, target), cold_start: coldStart, function_request_id: context?.awsRequestId };
    coldStart = false;
    const noteBreaker = () => {
      const state = deps.breaker?.state();
      if (state !== undefined && state !== "closed") record.breaker = state;
    };
    const finish = (fields: Pick<AuditRecord, "decision" | "reason"> & Partial<AuditRecord>) =>
      deps.audit({ ...record, ...fields, latency_ms: Math.round((performance.now() - started) * 1000) / 1000 } as AuditRecord);

    if (!target) {
      finish({ decision: "error", reason: "bad_method_arn" });
      throw new Error("Authorizer error: the event has no valid methodArn");
    }

    const extraction = extractKey(event);
    if (!extraction.ok) {
      finish({ decision: "deny", reason: extraction.reason });
      throw new Error(UNAUTHORIZED);
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
        throw new Error(UNAUTHORIZED);
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
        if (!deps.keyMetadata) throw new Error("no key metadata resolver");
        const metadata = await deps.keyMetadata.resolve(resolved.verdict.valid ? resolved.verdict.keyId : undefined);
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
      throw new Error(UNAUTHORIZED);
    }

    const policyDocument = buildPolicy(target, new Set(decision.identity.scopes), deps.config.routeRules, resolvedRoute(event));
    const result: APIGatewayAuthorizerResult = {
      principalId: decision.identity.principalId,
      policyDocument,
      context: buildAuthorizerContext(decision.identity, resolved.source),
    };

    if (deps.usage) {
      // Metering must never fail a request: a failure is logged and the request goes on without it.
      const usage = await deps.usage.resolve(decision.identity).catch((error: unknown): UsageResolution => ({ error: `usage_internal: ${String(error)}` }));
      if (usage.key) result.usageIdentifierKey = usage.key;
      if (usage.tier) record.usage_tier = usage.tier;
      if (usage.source) record.usage_key_source = usage.source;
      if (usage.keyId) record.usage_key_id = usage.keyId;
      if (usage.error) record.usage_error = usage.error;
    }

    // The policy covers the whole stage; this request's own route may still be one the key lacks a scope
    // for. The record says what API Gateway will do with the policy for this request's method ARN.
    const routeAllowed = evaluatePolicy(policyDocument, event.methodArn) === "allow";
    const stale = resolved.source === "stale";
    finish(routeAllowed ? { decision: "allow", reason: stale ? "stale_allow" : "allowed" } : { decision: "deny", reason: "route_scope_missing" });
    return result;
  };
}

/** The route API Gateway resolved a REQUEST event to; a TOKEN event is told none. */
function resolvedRoute(event: AuthorizerEvent): ResolvedRoute | undefined {
  if (event?.type !== "REQUEST") return undefined;
  const { resource, httpMethod } = event as { resource?: unknown; httpMethod?: unknown };
  return typeof resource === "string" && typeof httpMethod === "string" ? { method: httpMethod, resource } : undefined;
}

function describeRequest(event: AuthorizerEvent, arn: MethodArn | undefined): Partial<AuditRecord> {
  const fields: Partial<AuditRecord> = arn ? { api_id: arn.apiId, stage: arn.stage, method: arn.method, path: `/${arn.resourcePath}` } : {};
  if (event?.type === "REQUEST") {
    const rc = event.requestContext;
    if (typeof event.path === "string") fields.path = event.path;
    if (typeof event.httpMethod === "string") fields.method = event.httpMethod;
    if (rc && typeof rc === "object") {
      if (typeof rc.requestId === "string") fields.request_id = rc.requestId;
      if (typeof rc.identity?.sourceIp === "string") fields.source_ip = rc.identity.sourceIp;
      if (typeof rc.identity?.userAgent === "string") fields.user_agent = rc.identity.userAgent.slice(0, 256);
    }
  }
  return fields;
}
