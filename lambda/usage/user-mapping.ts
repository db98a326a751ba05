/**
 * The cache-table item that names the API Gateway key a principal is metered by. The authorizer
 * writes it for keys it provisions; the Pulumi module writes it (through `userMappingItem`) for fixed
 * assignments, so both sides share one format. This file must stay free of Pulumi and of any runtime
 * import: the infrastructure code loads it too.
 *
 * Item: `pk` = `user#<principal>` (the Kinde user id, or `org:<org_code>` for organization keys),
 * `apiKeyId`, `apiKeyValue`, `tier`, `usagePlanId`, `fixed` (true when Pulumi manages the key),
 * `updatedAt` (epoch ms, optional), and while a tier change's old key waits to be deleted,
 * `retiredApiKeyId` and `retiredAt` (epoch ms). The item has no `expiresAt`: the table's TTL never
 * removes it.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";

export interface UserMapping {
  principal: string;
  apiKeyId: string;
  apiKeyValue: string;
  tier: string;
  usagePlanId: string;
  fixed: boolean;
  updatedAt?: number;
  /** The key a tier change replaced: still in its old plan until the grace period ends, then deleted. */
  retired?: { apiKeyId: string; at: number };
}

export interface UserMappingItemInput {
  /** The Kinde user id (`kp_...`), or `org:<org_code>` for an organization's keys. */
  userId: string;
  apiKeyId: string;
  apiKeyValue: string;
  tier: string;
  usagePlanId: string;
  /** True for assignments made by Pulumi: the authorizer never moves or deletes their keys. */
  fixed: boolean;
  /** Leave unset from Pulumi: a timestamp that changes on every run would show a diff on every preview. */
  updatedAt?: number;
}

/** Partition key of a principal's mapping item. */
export function userMappingKey(principal: string): string {
  return `user#${principal}`;
}

/** Partition key of the counter of keys provisioned at run time (numeric attribute `count`). */
export const PROVISIONED_KEYS_COUNTER_KEY = "usage#provisioned-keys";

const KEY_VALUE = /^[A-Za-z0-9]{20,128}$/;

/** A mapping item as DynamoDB JSON (an AttributeValue map), e.g. for `aws.dynamodb.TableItem`'s `item`. */
export function userMappingItem(input: UserMappingItemInput): Record<string, AttributeValue> {
  for (const field of ["userId", "apiKeyId", "tier", "usagePlanId"] as const) {
    if (typeof input[field] !== "string" || input[field] === "") throw new TypeError(`userMappingItem: ${field} must be a non-empty string`);
  }
  if (!KEY_VALUE.test(input.apiKeyValue)) throw new TypeError("userMappingItem: apiKeyValue must be an API Gateway key value (20 to 128 letters and digits)");
  return {
    pk: { S: userMappingKey(input.userId) },
    apiKeyId: { S: input.apiKeyId },
    apiKeyValue: { S: input.apiKeyValue },
    tier: { S: input.tier },
    usagePlanId: { S: input.usagePlanId },
    fixed: { BOOL: input.fixed },
    ...(input.updatedAt !== undefined ? { updatedAt: { N: String(input.updatedAt) } } : {}),
  };
}

/** The same item as the JSON string `aws.dynamodb.TableItem` takes. */
export function userMappingItemJson(input: UserMappingItemInput): string {
  return JSON.stringify(userMappingItem(input));
}

export function encodeUserMapping(mapping: UserMapping): Record<string, AttributeValue> {
  return {
    ...userMappingItem({ ...mapping, userId: mapping.principal }),
    ...(mapping.retired ? { retiredApiKeyId: { S: mapping.retired.apiKeyId }, retiredAt: { N: String(mapping.retired.at) } } : {}),
  };
}

/** A mapping item read back; undefined when it is not one this version can trust. */
export function decodeUserMapping(item: Record<string, AttributeValue>): UserMapping | undefined {
  const pk = item.pk?.S;
  const apiKeyId = item.apiKeyId?.S;
  const apiKeyValue = item.apiKeyValue?.S;
  const tier = item.tier?.S;
  const usagePlanId = item.usagePlanId?.S;
  if (!pk?.startsWith("user#") || !apiKeyId || !apiKeyValue || !KEY_VALUE.test(apiKeyValue) || !tier || !usagePlanId) return undefined;
  const updatedAt = Number(item.updatedAt?.N);
  const retiredAt = Number(item.retiredAt?.N);
  const retiredApiKeyId = item.retiredApiKeyId?.S;
  return {
    principal: pk.slice("user#".length),
    apiKeyId,
    apiKeyValue,
    tier,
    usagePlanId,
    fixed: item.fixed?.BOOL === true,
    ...(Number.isFinite(updatedAt) ? { updatedAt } : {}),
    ...(retiredApiKeyId && Number.isFinite(retiredAt) ? { retired: { apiKeyId: retiredApiKeyId, at: retiredAt } } : {}),
  };
}
