/**
 * The key metadata cache on its own: memory, then DynamoDB (dynalite), then Kinde, with a clock the
 * test moves and a Kinde stand-in whose answers the test releases.
 */
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { DynamoDbKeyMetadataStore, keyMetadataItemKey } from "../../lambda/cache/dynamodb-key-metadata-store";
import { VerificationUnavailableError } from "../../lambda/errors";
import type { KeyMetadataLookup } from "../../lambda/kinde/key-metadata";
import { KeyMetadataResolver } from "../../lambda/kinde/key-metadata-resolver";
import { localDynamoDbClient } from "../../local/embedded-dynamodb";
import { useLoopbackAws } from "../support/loopback-aws";
import { closedPortUrl } from "../support/loopback-server";

const aws = useLoopbackAws("keygate-keymeta");
const TTL_MS = 86_400_000;
const found = (keyId: string): KeyMetadataLookup => ({ found: true, metadata: { keyId, apiIds: ["api_a"], type: "user" } });

/** A Kinde stand-in that counts lookups and answers each only when the test says so, or at once. */
function kindeStandIn(answer: (keyId: string) => KeyMetadataLookup | Error = found) {
  const asked: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  return {
    asked,
    hold() {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return release;
    },
    async get(keyId: string): Promise<KeyMetadataLookup> {
      asked.push(keyId);
      await gate;
      const result = answer(keyId);
      if (result instanceof Error) throw result;
      return result;
    },
  };
}

function resolver(kinde: ReturnType<typeof kindeStandIn>, now: () => number, options: { memoryMaxEntries?: number; store?: Pick<DynamoDbKeyMetadataStore, "get" | "put"> | null } = {}) {
  return new KeyMetadataResolver({
    kinde,
    store: options.store === null ? undefined : (options.store ?? new DynamoDbKeyMetadataStore(aws.client, aws.tableName, 1_000)),
    memoryMaxEntries: options.memoryMaxEntries ?? 100,
    ttlMs: TTL_MS,
    timeoutMs: 1_000,
    now,
  });
}

describe("the key metadata resolver", () => {
  it("shares one Kinde lookup among concurrent misses for a key id", async () => {
    const kinde = kindeStandIn();
    const release = kinde.hold();
    const keys = resolver(kinde, () => 1_000);
    // All twenty ask before the held lookup can answer any of them.
    const pending = Array.from({ length: 20 }, () => keys.resolve("api_key_1"));
    release();
    const results = await Promise.all(pending);
    expect(kinde.asked).toEqual(["api_key_1"]);
    expect(results.every((r) => r.source === "kinde" && r.lookup.found)).toBe(true);
  });

  it("answers from memory, then from DynamoDB in another container, until the lifetime ends", async () => {
    let clock = 1_000;
    const kinde = kindeStandIn();
    const first = resolver(kinde, () => clock);
    expect((await first.resolve("api_key_1")).source).toBe("kinde");
    clock += TTL_MS - 1;
    expect((await first.resolve("api_key_1")).source).toBe("memory");
    expect((await resolver(kinde, () => clock).resolve("api_key_1")).source).toBe("dynamodb");
    clock += 1;
    expect((await first.resolve("api_key_1")).source).toBe("kinde");
    expect(kinde.asked).toEqual(["api_key_1", "api_key_1"]);
  });

  it("keeps at most memoryMaxEntries key ids in memory", async () => {
    const kinde = kindeStandIn();
    const keys = resolver(kinde, () => 1_000, { memoryMaxEntries: 2, store: null });
    for (const id of ["a", "b", "c", "a"]) await keys.resolve(id);
    expect(kinde.asked).toEqual(["a", "b", "c", "a"]);
  });

  it("does not trust a DynamoDB item past its lifetime that TTL has not removed yet", async () => {
    await aws.client.send(
      new PutItemCommand({
        TableName: aws.tableName,
        Item: { pk: { S: keyMetadataItemKey("api_key_1") }, apiIds: { L: [{ S: "api_stale" }] }, keyType: { S: "user" }, usableUntil: { N: "5000" }, expiresAt: { N: "5" } },
      }),
    );
    const kinde = kindeStandIn();
    const result = await resolver(kinde, () => 5_000).resolve("api_key_1");
    expect(result.source).toBe("kinde");
    expect(result.lookup).toEqual(found("api_key_1"));
  });

  it("never caches a key Kinde says does not exist", async () => {
    const kinde = kindeStandIn(() => ({ found: false }));
    const keys = resolver(kinde, () => 1_000);
    expect((await keys.resolve("api_key_gone")).lookup).toEqual({ found: false });
    expect((await keys.resolve("api_key_gone")).lookup).toEqual({ found: false });
    expect(kinde.asked).toHaveLength(2);
  });

  it("passes Kinde's unavailability on and remembers nothing", async () => {
    let down = true;
    const kinde = kindeStandIn((id) => (down ? new VerificationUnavailableError("kinde_server_error", "503") : found(id)));
    const keys = resolver(kinde, () => 1_000);
    await expect(keys.resolve("api_key_1")).rejects.toThrow(/^kinde_server_error/);
    down = false;
    expect((await keys.resolve("api_key_1")).source).toBe("kinde");
  });

  it("is unavailable when verify gave no key id to look up", async () => {
    await expect(resolver(kindeStandIn(), () => 1_000).resolve(undefined)).rejects.toThrow(/^kinde_bad_response: the verify answer has no key_id/);
  });

  it("skips a failing DynamoDB, saying so, and still answers from Kinde", async () => {
    const broken = new DynamoDbKeyMetadataStore(localDynamoDbClient(await closedPortUrl()), aws.tableName, 500);
    const kinde = kindeStandIn();
    const result = await resolver(kinde, () => 1_000, { store: broken }).resolve("api_key_1");
    expect(result).toMatchObject({ source: "kinde", lookup: found("api_key_1") });
    expect(result.cacheError).toBeTruthy();
  });

  it("hands back the item write it started, with when the metadata stops being usable, and still writes the item", async () => {
    const keys = resolver(kindeStandIn(), () => 5_000);
    const { resolved, written } = await keys.resolveWithPendingWrite("api_key_pending");
    expect(resolved).toMatchObject({ source: "kinde", usableUntil: 5_000 + TTL_MS, lookup: found("api_key_pending") });
    expect(await written).toBeUndefined();
    expect(await new DynamoDbKeyMetadataStore(aws.client, aws.tableName, 1_000).get("api_key_pending", 5_000)).toEqual({ metadata: { keyId: "api_key_pending", apiIds: ["api_a"], type: "user" }, usableUntil: 5_000 + TTL_MS });
    // Answered from memory afterwards: nothing more to write, and the same bound.
    const again = await keys.resolveWithPendingWrite("api_key_pending");
    expect(again.resolved).toMatchObject({ source: "memory", usableUntil: 5_000 + TTL_MS });
  });

  it("reports a failed item write through the write it handed back, and through resolve as a cache error", async () => {
    let writes = 0;
    const failingWrites: Pick<DynamoDbKeyMetadataStore, "get" | "put"> = {
      get: () => Promise.resolve(undefined),
      put: () => {
        writes++;
        return Promise.reject(new Error("ThrottlingException"));
      },
    };
    const { written } = await resolver(kindeStandIn(), () => 1_000, { store: failingWrites }).resolveWithPendingWrite("api_key_a");
    expect(await written).toMatch(/ThrottlingException/);
    expect((await resolver(kindeStandIn(), () => 1_000, { store: failingWrites }).resolve("api_key_b")).cacheError).toMatch(/ThrottlingException/);
    expect(writes).toBe(2);
  });
});
