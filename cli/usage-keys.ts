/**
 * The API Gateway keys Keygate made, as `keygate keys` and `keygate cleanup` see them: every key
 * named `keygate-...`, what made it (the authorizer at run time, Pulumi for a fixed user, or Pulumi
 * as a tier's pool key), the user it is for, and whether that user's mapping item still names it.
 */
import { GetApiKeysCommand, GetUsagePlanKeysCommand, type APIGatewayClient, type ApiKey } from "@aws-sdk/client-api-gateway";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { UserMappingStore } from "../lambda/usage/user-mapping-store";
import type { UserMapping } from "../lambda/usage/user-mapping";
import { findVerdicts } from "./verdict-items";

/** Bound on each table call. */
export const TABLE_TIMEOUT_MS = 5_000;

export interface KeygateKey {
  id: string;
  name: string;
  /** `runtime`: created by the authorizer; `fixed`: a fixed user's, managed by Pulumi; `pool`: a tier's pool key, managed by Pulumi. */
  origin: "runtime" | "fixed" | "pool";
  /** The Kinde user id (or `org:<code>`) the key is for; undefined for pool keys. */
  principal: string | undefined;
  createdDate: Date | undefined;
  enabled: boolean;
  /** With a mapping: its tier. */
  tier: string | undefined;
  /** `current`: the mapping names it; `retired`: replaced by a tier change, waiting to be deleted; `orphaned`: no mapping names it. */
  state: "current" | "retired" | "orphaned" | "pool";
  /** When the user's newest cached verdict was made (epoch ms): a lower bound of their last request, while verdicts are kept. */
  lastSeen: number | undefined;
  mapping: UserMapping | undefined;
}

const RUNTIME_DESCRIPTION = /created by the authorizer$/;
const POOL_DESCRIPTION = /^Keygate pool key/;

export async function listKeygateKeys(apiGateway: APIGatewayClient, dynamodb: DynamoDBClient, tableName: string): Promise<KeygateKey[]> {
  const keys: ApiKey[] = [];
  let position: string | undefined;
  do {
    const page = await apiGateway.send(new GetApiKeysCommand({ nameQuery: "keygate-", limit: 500, includeValues: false, ...(position ? { position } : {}) }));
    keys.push(...(page.items ?? []).filter((key) => key.name?.startsWith("keygate-")));
    position = page.position;
  } while (position);

  const store = new UserMappingStore(dynamodb, tableName, TABLE_TIMEOUT_MS);
  const mappings = new Map<string, UserMapping | undefined>();
  const seen = new Map<string, number | undefined>();
  const listed: KeygateKey[] = [];
  for (const key of keys) {
    const origin = POOL_DESCRIPTION.test(key.description ?? "") || key.name!.startsWith("keygate-pool-") ? "pool" : RUNTIME_DESCRIPTION.test(key.description ?? "") ? "runtime" : "fixed";
    const principal = origin === "pool" ? undefined : key.name!.slice("keygate-".length);
    let mapping: UserMapping | undefined;
    let lastSeen: number | undefined;
    if (principal !== undefined) {
      if (!mappings.has(principal)) mappings.set(principal, await store.get(principal, { consistent: true }));
      mapping = mappings.get(principal);
      if (!seen.has(principal)) seen.set(principal, principal.startsWith("org:") ? undefined : newest(await findVerdicts(dynamodb, tableName, { userId: principal })));
      lastSeen = seen.get(principal);
    }
    const state = origin === "pool" ? "pool" : mapping?.apiKeyId === key.id ? "current" : mapping?.retired?.apiKeyId === key.id ? "retired" : "orphaned";
    listed.push({
      id: key.id!,
      name: key.name!,
      origin,
      principal,
      createdDate: key.createdDate,
      enabled: key.enabled === true,
      tier: state === "current" || state === "retired" ? mapping?.tier : undefined,
      state,
      lastSeen,
      mapping,
    });
  }
  return listed;
}

/** Ids of the keys in these usage plans. */
export async function planMembers(client: APIGatewayClient, planIds: readonly string[]): Promise<Set<string>> {
  const members = new Set<string>();
  for (const usagePlanId of planIds) {
    let position: string | undefined;
    do {
      const page = await client.send(new GetUsagePlanKeysCommand({ usagePlanId, limit: 500, ...(position ? { position } : {}) }));
      for (const key of page.items ?? []) if (key.id) members.add(key.id);
      position = page.position;
    } while (position);
  }
  return members;
}

function newest(verdicts: readonly { verifiedAt?: number }[]): number | undefined {
  const times = verdicts.flatMap((verdict) => (verdict.verifiedAt !== undefined ? [verdict.verifiedAt] : []));
  return times.length > 0 ? Math.max(...times) : undefined;
}
