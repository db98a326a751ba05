/**
 * Keygate's library entry (package.json `main`): the component and its types. Importing it
 * creates no resources; the stack program is infra/stack.ts.
 */
export { UserKeyAuthorizer, type AttachedApiSummary } from "./user-key-authorizer";
export type {
  AttachedApi,
  AuditLogSettings,
  CacheTableSettings,
  KindeSettings,
  ProtectedApi,
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
export { InvalidSettingError } from "./validate-args";
