/** Wires the authorizer's parts together from its configuration. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { stdoutAuditWriter, type AuditWriter } from "./audit/audit-log";
import { createAuthorizer } from "./authorizer";
import { DynamoDbVerdictStore } from "./cache/dynamodb-verdict-store";
import { MemoryVerdictCache } from "./cache/memory-verdict-cache";
import { DynamoDbKeyMetadataStore } from "./cache/dynamodb-key-metadata-store";
import type { AuthorizerConfig } from "./config";
import { needsKeyMetadata } from "./decision";
import { IpFailureBudget } from "./flood/ip-failure-budget";
import { CircuitBreaker, DEFAULT_BREAKER } from "./kinde/circuit-breaker";
import { clientSecretSource, type SecretReader } from "./kinde/client-secret";
import { KindeKeyMetadataClient } from "./kinde/key-metadata-client";
import { KeyMetadataResolver } from "./kinde/key-metadata-resolver";
import { M2MTokenProvider } from "./kinde/m2m-token";
import { KindeVerifyClient } from "./kinde/verify-client";
import { lazyUsageKeyResolver } from "./usage/lazy-usage-key-resolver";
import type { UsageWiringOptions } from "./usage/usage-from-config";
import { VerdictResolver } from "./verdict/verdict-resolver";

/** The container's clock, randomness and AWS clients; tests replace them to drive time and faults. */
export interface AuthorizerRuntime {
  now?: () => number;
  random?: () => number;
  /** The DynamoDB client for the cache table; by default one with the short, retry-free settings below. */
  dynamodb?: DynamoDBClient;
  /** Reads the M2M secret from Secrets Manager; by default the SDK's GetSecretValue. */
  readSecret?: SecretReader;
}

export function authorizerFromConfig(
  config: AuthorizerConfig,
  audit: AuditWriter = stdoutAuditWriter(),
  usageOptions: UsageWiringOptions = {},
  runtime: AuthorizerRuntime = {},
) {
  const now = runtime.now ?? Date.now;
  const tokens = new M2MTokenProvider(config.kinde.domain, config.kinde.clientId, clientSecretSource(config.kinde, now, runtime.readSecret), now);
  const dynamodb = config.cacheTableName
    ? runtime.dynamodb ?? new DynamoDBClient({
        // A cache must answer fast or be skipped: no retries, short connection and request timeouts.
        maxAttempts: 1,
        requestHandler: { connectionTimeout: config.dynamoDbTimeoutMs, requestTimeout: config.dynamoDbTimeoutMs },
      })
    : undefined;
  const lifetimes = { positiveMs: config.cacheTtlSeconds * 1000, negativeMs: config.negativeCacheTtlSeconds * 1000 };
  const staleIfErrorMs = config.staleIfErrorSeconds * 1000;
  const breaker = new CircuitBreaker(new KindeVerifyClient(config.kinde.domain, tokens, now), { ...DEFAULT_BREAKER, now, random: runtime.random ?? Math.random });
  const keyMetadata = new KeyMetadataResolver({
    kinde: new KindeKeyMetadataClient(config.kinde.domain, tokens),
    store: dynamodb && config.cacheTableName ? new DynamoDbKeyMetadataStore(dynamodb, config.cacheTableName, config.dynamoDbTimeoutMs) : undefined,
    memoryMaxEntries: config.memoryCacheMaxEntries,
    ttlMs: config.keyMetadataTtlSeconds * 1000,
    timeoutMs: config.verifyTimeoutMs,
    now,
  });
  const verdicts = new VerdictResolver({
    memory: new MemoryVerdictCache({ maxEntries: config.memoryCacheMaxEntries, ttlMs: config.memoryCacheTtlSeconds * 1000, lifetimes }),
    store:
      dynamodb && config.cacheTableName
        ? new DynamoDbVerdictStore({ client: dynamodb, tableName: config.cacheTableName, timeoutMs: config.dynamoDbTimeoutMs, lifetimes, staleIfErrorMs })
        : undefined,
    kinde: breaker,
    lifetimes,
    staleIfErrorMs,
    verifyTimeoutMs: config.verifyTimeoutMs,
    ...(config.failedKeysPerIpPerMinute > 0 ? { ipFailureBudget: new IpFailureBudget({ maxFailedKeysPerMinute: config.failedKeysPerIpPerMinute }) } : {}),
    // The metadata the rules need is stored with the verdict: a DynamoDB hit is then one read.
    keyMetadata: { resolver: keyMetadata, needed: (verdict) => needsKeyMetadata(verdict, config) },
    now,
  });
  const usage = lazyUsageKeyResolver(config, dynamodb, usageOptions);
  return createAuthorizer({ config, verdicts, keyMetadata, audit, breaker, ...(usage ? { usage } : {}) });
}
