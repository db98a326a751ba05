/** Wires the authorizer's parts together from its configuration. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { stdoutAuditWriter, type AuditWriter } from "./audit/audit-log";
import { createAuthorizer } from "./authorizer";
import { DynamoDbVerdictStore } from "./cache/dynamodb-verdict-store";
import { MemoryVerdictCache } from "./cache/memory-verdict-cache";
import type { AuthorizerConfig } from "./config";
import { DynamoDbKeyMetadataStore } from "./cache/dynamodb-key-metadata-store";
import { clientSecretSource } from "./kinde/client-secret";
import { KindeKeyMetadataClient } from "./kinde/key-metadata-client";
import { KeyMetadataResolver } from "./kinde/key-metadata-resolver";
import { M2MTokenProvider } from "./kinde/m2m-token";
import { KindeVerifyClient } from "./kinde/verify-client";
import { usageKeyResolverFromConfig, type UsageWiringOptions } from "./usage/usage-from-config";
import { VerdictResolver } from "./verdict/verdict-resolver";

export function authorizerFromConfig(config: AuthorizerConfig, audit: AuditWriter = stdoutAuditWriter(), usageOptions: UsageWiringOptions = {}) {
  const tokens = new M2MTokenProvider(config.kinde.domain, config.kinde.clientId, clientSecretSource(config.kinde));
  const dynamodb = config.cacheTableName
    ? new DynamoDBClient({
        // A cache must answer fast or be skipped: no retries, short connection and request timeouts.
        maxAttempts: 1,
        requestHandler: { connectionTimeout: config.dynamoDbTimeoutMs, requestTimeout: config.dynamoDbTimeoutMs },
      })
    : undefined;
  const verdicts = new VerdictResolver({
    memory: new MemoryVerdictCache(config.memoryCacheMaxEntries, config.memoryCacheTtlSeconds * 1000),
    store: dynamodb && config.cacheTableName ? new DynamoDbVerdictStore(dynamodb, config.cacheTableName, config.dynamoDbTimeoutMs, config.staleIfErrorSeconds * 1000) : undefined,
    kinde: new KindeVerifyClient(config.kinde.domain, tokens),
    lifetimes: { positiveMs: config.cacheTtlSeconds * 1000, negativeMs: config.negativeCacheTtlSeconds * 1000 },
    staleIfErrorMs: config.staleIfErrorSeconds * 1000,
    verifyTimeoutMs: config.verifyTimeoutMs,
  });
  const keyMetadata = new KeyMetadataResolver({
    kinde: new KindeKeyMetadataClient(config.kinde.domain, tokens),
    store: dynamodb && config.cacheTableName ? new DynamoDbKeyMetadataStore(dynamodb, config.cacheTableName, config.dynamoDbTimeoutMs) : undefined,
    memoryMaxEntries: config.memoryCacheMaxEntries,
    ttlMs: config.keyMetadataTtlSeconds * 1000,
    timeoutMs: config.verifyTimeoutMs,
  });
  const usage = usageKeyResolverFromConfig(config, dynamodb, usageOptions);
  return createAuthorizer({ config, verdicts, keyMetadata, audit, ...(usage ? { usage } : {}) });
}
