/**
 * Keygate's library entry (package.json `main`): the component and its types. Importing it
 * creates no resources; the stack program is infra/stack.ts.
 */
export { UserKeyAuthorizer, type AttachedApiSummary, type AttachedHttpApiSummary } from "./user-key-authorizer";
export type {
  AccessLogDestination,
  AccessLogSettings,
  AlarmSettings,
  AttachedApi,
  AuditLogSettings,
  CacheTableSettings,
  KindeSettings,
  ProtectedApi,
  ProtectedHttpApi,
  ProtectedHttpApiId,
  ProtectedHttpApiResource,
  ProtectedRestApiId,
  ProtectedRestApiResource,
  UsagePlansSettings,
  UsageQuota,
  UsageQuotaPeriod,
  UsageThrottle,
  UsageTier,
  UserKeyAuthorizerArgs,
  WafSettings,
} from "./args";
export { DEFAULTS } from "./args";
export type { RouteScopes } from "../lambda/policy/route-rules";
export { GATEWAY_RESPONSES, openApiGatewayResponses, type GatewayResponseDefinition } from "./gateway-responses";
export type { UsagePlanResources } from "./usage-plans";
export type { WafResources } from "./waf";
export type { Observability } from "./observability/observability";
export type { AlarmName } from "./observability/alarms";
export type { ContributorRuleName } from "./observability/contributor-insights";
export type { SavedQueryName } from "./observability/audit-queries";
export type { AccessLogQueryName } from "./observability/access-log-queries";
export { InvalidSettingError } from "./validate-args";
export { ACCESS_LOG_FIELDS, ACCESS_LOG_FORMAT, type AccessLogResources } from "./access-logs";
