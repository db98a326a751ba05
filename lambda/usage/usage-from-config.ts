/** Wires run-time usage-plan keys from the authorizer's configuration. */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { AuthorizerConfig } from "../config";
import { ApiGatewayKeyApi } from "./api-gateway-key-api";
import { BackgroundWork } from "./background-work";
import { KeyProvisioner } from "./key-provisioner";
import { ProvisionedKeyCounter } from "./provisioned-key-counter";
import { keyTags } from "./stack-tag";
import type { UsageKeyApi } from "./usage-key-api";
import { stdoutUsageEventWriter, type UsageEventWriter } from "./usage-events";
import { StoredUsageKeyResolver } from "./usage-key-resolver";
import { UserMappingStore } from "./user-mapping-store";

export interface UsageWiringOptions {
  events?: UsageEventWriter;
  now?: () => number;
  /** Bound on each API Gateway call, which may outlive the request's budget in the background. */
  apiCallTimeoutMs?: number;
  /** Replaces the SDK-backed API Gateway calls. */
  api?: UsageKeyApi;
  deleteRetryDelaysMs?: readonly number[];
}

/** The usage-key resolver for this configuration, or undefined when USAGE_PLANS is unset. */
export function usageKeyResolverFromConfig(
  config: AuthorizerConfig,
  dynamodb: DynamoDBClient | undefined,
  options: UsageWiringOptions = {},
): StoredUsageKeyResolver | undefined {
  const plans = config.usagePlans;
  if (!plans) return undefined;
  const tableName = config.cacheTableName;
  const background = new BackgroundWork();
  const store = dynamodb && tableName ? new UserMappingStore(dynamodb, tableName, config.dynamoDbTimeoutMs) : undefined;
  const provisioner =
    plans.autoProvision && dynamodb && tableName && store
      ? new KeyProvisioner({
          tiers: plans.tiers,
          maxProvisionedKeys: plans.maxProvisionedKeys,
          retiredKeyGraceMs: plans.retiredKeyGraceSeconds * 1000,
          store,
          counter: new ProvisionedKeyCounter(dynamodb, tableName, config.dynamoDbTimeoutMs),
          api: options.api ?? new ApiGatewayKeyApi(options.apiCallTimeoutMs ?? 5_000, keyTags(config.stackTag, "authorizer")),
          events: options.events ?? stdoutUsageEventWriter(),
          background,
          ...(options.now ? { now: options.now } : {}),
          ...(options.deleteRetryDelaysMs ? { deleteRetryDelaysMs: options.deleteRetryDelaysMs } : {}),
        })
      : undefined;
  return new StoredUsageKeyResolver({
    config: plans,
    ...(store ? { store } : {}),
    ...(provisioner ? { provisioner } : {}),
    memory: { maxEntries: config.memoryCacheMaxEntries, ttlMs: config.memoryCacheTtlSeconds * 1000 },
    background,
    ...(options.now ? { now: options.now } : {}),
  });
}
