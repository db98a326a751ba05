/**
 * The usage-key resolver on its own: the cache table and API Gateway provisioning are fakes the
 * test answers by hand, the wall clock is a number the test moves, and the request budget runs on
 * vitest's fake timers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Identity } from "../../lambda/decision";
import { BackgroundWork } from "../../lambda/usage/background-work";
import type { KeyProvisioner } from "../../lambda/usage/key-provisioner";
import { UsageError } from "../../lambda/usage/usage-error";
import { StoredUsageKeyResolver } from "../../lambda/usage/usage-key-resolver";
import type { UsagePlansConfig } from "../../lambda/usage/usage-plans-config";
import type { UserMapping } from "../../lambda/usage/user-mapping";
import type { UserMappingStore } from "../../lambda/usage/user-mapping-store";

const FREE_POOL = "FreePoolKey0123456789abcdefghij";
const PRO_POOL = "ProPoolKey0123456789abcdefghijk";
const CONFIG: UsagePlansConfig = {
  tiers: { free: { usagePlanId: "free123", poolKey: FREE_POOL }, pro: { usagePlanId: "pro456", poolKey: PRO_POOL } },
  defaultTier: "free",
  tierScopes: [["plan:pro", "pro"]],
  autoProvision: true,
  maxProvisionedKeys: 100,
  provisionTimeoutMs: 1_000,
  retryAfterSeconds: 30,
  retiredKeyGraceSeconds: 600,
};
const MEMORY_TTL_MS = 60_000;
const T0 = Date.parse("2026-01-01T00:00:00Z");

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  let reject: (reason: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A principal's own key in `tier`'s plan, as the provisioner would record it. */
function ownKey(principal: string, tier: string, keyId = `id-${principal}-${tier}`): UserMapping {
  return { principal, apiKeyId: keyId, apiKeyValue: `Value${keyId.replace(/[^A-Za-z0-9]/g, "")}0123456789abcdef`, tier, usagePlanId: CONFIG.tiers[tier]!.usagePlanId, fixed: false };
}

function served(mapping: UserMapping) {
  return { key: mapping.apiKeyValue, keyId: mapping.apiKeyId, tier: mapping.tier, source: mapping.fixed ? "fixed" : "user" };
}

/** The cache table's mapping items: answers from `mappings`, or fails with `failure`; records each read. */
class FakeMappingStore implements Pick<UserMappingStore, "get"> {
  readonly mappings = new Map<string, UserMapping>();
  readonly reads: { principal: string; timeoutMs: number | undefined }[] = [];
  failure: unknown;

  get(principal: string, options: { consistent?: boolean; timeoutMs?: number } = {}): Promise<UserMapping | undefined> {
    this.reads.push({ principal, timeoutMs: options.timeoutMs });
    if (this.failure !== undefined) return Promise.reject(this.failure instanceof Error ? this.failure : new Error(String(this.failure)));
    return Promise.resolve(this.mappings.get(principal));
  }
}

/** Provisioning as the resolver sees it: every call is recorded and answered by `answer` (or `retirement`). */
class FakeProvisioner implements Pick<KeyProvisioner, "provision" | "changeTier" | "retire"> {
  readonly calls: string[] = [];
  answer: (principal: string, tier: string) => Promise<UserMapping> = (principal, tier) => Promise.resolve(ownKey(principal, tier));
  retirement: (mapping: UserMapping) => Promise<UserMapping> = ({ retired: _retired, ...rest }) => Promise.resolve(rest);

  provision(principal: string, tier: string): Promise<UserMapping> {
    this.calls.push(`provision ${principal} ${tier}`);
    return this.answer(principal, tier);
  }

  changeTier(principal: string, current: UserMapping, tier: string): Promise<UserMapping> {
    this.calls.push(`changeTier ${principal} ${current.tier}->${tier}`);
    return this.answer(principal, tier);
  }

  retire(principal: string, mapping: UserMapping): Promise<UserMapping> {
    this.calls.push(`retire ${principal} ${mapping.retired?.apiKeyId ?? "-"}`);
    return this.retirement(mapping);
  }
}

let clock: number;
let store: FakeMappingStore;
let provisioner: FakeProvisioner;

beforeEach(() => {
  // The request budget is measured with performance.now() and ended by a setTimeout: both fake here.
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  clock = T0;
  store = new FakeMappingStore();
  provisioner = new FakeProvisioner();
});

afterEach(() => {
  vi.useRealTimers();
});

function resolverWith(parts: { store?: boolean; provisioner?: boolean; memoryTtlMs?: number; config?: Partial<UsagePlansConfig> } = {}) {
  return new StoredUsageKeyResolver({
    config: { ...CONFIG, ...parts.config },
    ...(parts.store === false ? {} : { store }),
    ...(parts.provisioner === false ? {} : { provisioner }),
    memory: { maxEntries: 100, ttlMs: parts.memoryTtlMs ?? MEMORY_TTL_MS },
    background: new BackgroundWork(),
    now: () => clock,
  });
}

function user(userId: string, scopes: string[] = []): Identity {
  return { principalId: userId, userId, scopes };
}

describe("without a key of the principal's own", () => {
  it("serves the tier's pool key when there is no table, the tier chosen by the key's scopes", async () => {
    const resolver = resolverWith({ store: false, provisioner: false });
    expect(await resolver.resolve(user("kp_alice"))).toEqual({ key: FREE_POOL, tier: "free", source: "pool" });
    expect(await resolver.resolve(user("kp_bob", ["read", "plan:pro"]))).toEqual({ key: PRO_POOL, tier: "pro", source: "pool" });
  });

  it("serves the pool key and provisions nothing when autoProvision is off", async () => {
    const resolver = resolverWith({ provisioner: false });
    expect(await resolver.resolve(user("kp_alice", ["plan:pro"]))).toEqual({ key: PRO_POOL, tier: "pro", source: "pool" });
    expect(store.reads.map((r) => r.principal)).toEqual(["kp_alice"]);
  });

  it("remembers that a principal has no mapping, and reads the table again once the memory expires", async () => {
    const resolver = resolverWith({ provisioner: false });
    await resolver.resolve(user("kp_alice"));
    clock += MEMORY_TTL_MS - 1;
    await resolver.resolve(user("kp_alice"));
    expect(store.reads).toHaveLength(1);
    clock += 1;
    await resolver.resolve(user("kp_alice"));
    expect(store.reads).toHaveLength(2);
  });

  it("reads the table on every request when the memory is off", async () => {
    const resolver = resolverWith({ provisioner: false, memoryTtlMs: 0 });
    await resolver.resolve(user("kp_alice"));
    await resolver.resolve(user("kp_alice"));
    expect(store.reads).toHaveLength(2);
  });

  it("bounds the table read by the request's budget", async () => {
    await resolverWith({ provisioner: false }).resolve(user("kp_alice"));
    expect(store.reads[0]!.timeoutMs).toBe(CONFIG.provisionTimeoutMs);
  });
});

describe("recorded keys", () => {
  it("serves a fixed key whatever the scopes say, and never provisions for it", async () => {
    const fixed = { ...ownKey("kp_carol", "free"), fixed: true };
    store.mappings.set("kp_carol", fixed);
    expect(await resolverWith().resolve(user("kp_carol", ["plan:pro"]))).toEqual({ ...served(fixed), source: "fixed" });
    expect(provisioner.calls).toEqual([]);
  });

  it("serves the principal's own key in the tier their scopes ask for, from memory on repeats", async () => {
    const own = ownKey("kp_alice", "pro");
    store.mappings.set("kp_alice", own);
    const resolver = resolverWith();
    expect(await resolver.resolve(user("kp_alice", ["plan:pro"]))).toEqual(served(own));
    expect(await resolver.resolve(user("kp_alice", ["plan:pro"]))).toEqual(served(own));
    expect(store.reads).toHaveLength(1);
    expect(provisioner.calls).toEqual([]);
  });

  it("keeps serving a key in another tier when autoProvision is off", async () => {
    const free = ownKey("kp_alice", "free");
    store.mappings.set("kp_alice", free);
    expect(await resolverWith({ provisioner: false }).resolve(user("kp_alice", ["plan:pro"]))).toEqual(served(free));
  });

  it("moves a key whose plan was replaced under the same tier name", async () => {
    store.mappings.set("kp_alice", { ...ownKey("kp_alice", "free"), usagePlanId: "oldplan1" });
    expect(await resolverWith().resolve(user("kp_alice"))).toEqual(served(ownKey("kp_alice", "free")));
    expect(provisioner.calls).toEqual(["changeTier kp_alice free->free"]);
  });
});

describe("provisioning", () => {
  it("gives a new principal a key of their own and remembers it", async () => {
    const resolver = resolverWith();
    expect(await resolver.resolve(user("kp_alice", ["plan:pro"]))).toEqual(served(ownKey("kp_alice", "pro")));
    expect(await resolver.resolve(user("kp_alice", ["plan:pro"]))).toEqual(served(ownKey("kp_alice", "pro")));
    expect(provisioner.calls).toEqual(["provision kp_alice pro"]);
    expect(store.reads).toHaveLength(1);
  });

  it("runs one provisioning per principal however many requests wait for it", async () => {
    const creations = new Map<string, Deferred<UserMapping>>();
    provisioner.answer = (principal) => {
      const creation = deferred<UserMapping>();
      creations.set(principal, creation);
      return creation.promise;
    };
    const resolver = resolverWith();
    const waiting = Promise.all(Array.from({ length: 5 }, () => resolver.resolve(user("kp_alice"))));
    const other = resolver.resolve(user("kp_bob"));
    await vi.advanceTimersByTimeAsync(0);
    expect(provisioner.calls).toEqual(["provision kp_alice free", "provision kp_bob free"]);
    creations.get("kp_alice")!.resolve(ownKey("kp_alice", "free"));
    creations.get("kp_bob")!.resolve(ownKey("kp_bob", "free"));
    expect(await waiting).toEqual(Array(5).fill(served(ownKey("kp_alice", "free"))));
    expect(await other).toEqual(served(ownKey("kp_bob", "free")));
  });

  it("serves the pool key with the provisioner's reason, then holds the principal back for retryAfterSeconds", async () => {
    provisioner.answer = () => Promise.reject(new UsageError("provision_throttled", "CreateApiKey: TooManyRequestsException (HTTP 429)"));
    const resolver = resolverWith();
    expect(await resolver.resolve(user("kp_alice"))).toEqual({
      key: FREE_POOL,
      tier: "free",
      source: "pool",
      error: "provision_throttled: CreateApiKey: TooManyRequestsException (HTTP 429)",
    });

    clock += CONFIG.retryAfterSeconds * 1000 - 1;
    expect(await resolver.resolve(user("kp_alice"))).toEqual({
      key: FREE_POOL,
      tier: "free",
      source: "pool",
      error: "provision_backoff: next attempt after 2026-01-01T00:00:30.000Z; the last one: provision_throttled: CreateApiKey: TooManyRequestsException (HTTP 429)",
    });
    expect(provisioner.calls).toHaveLength(1);

    provisioner.answer = (principal, tier) => Promise.resolve(ownKey(principal, tier));
    clock += 1;
    expect(await resolver.resolve(user("kp_alice"))).toEqual(served(ownKey("kp_alice", "free")));
    expect(provisioner.calls).toHaveLength(2);
  });

  it("reports a failure that is not a UsageError as provision_failed", async () => {
    provisioner.answer = () => Promise.reject(new Error("socket hang up"));
    expect(await resolverWith().resolve(user("kp_alice"))).toMatchObject({ source: "pool", error: "provision_failed: Error: socket hang up" });
  });

  it("holds back only the principal whose attempt failed", async () => {
    provisioner.answer = (principal, tier) => (principal === "kp_alice" ? Promise.reject(new Error("boom")) : Promise.resolve(ownKey(principal, tier)));
    const resolver = resolverWith();
    await resolver.resolve(user("kp_alice"));
    expect(await resolver.resolve(user("kp_bob"))).toEqual(served(ownKey("kp_bob", "free")));
  });
});

describe("the request's budget", () => {
  it("answers with the pool key when provisionTimeoutMs runs out, not before, and lets provisioning finish in the background", async () => {
    const creation = deferred<UserMapping>();
    provisioner.answer = () => creation.promise;
    const resolver = resolverWith();
    let answer: unknown;
    void resolver.resolve(user("kp_alice")).then((result) => (answer = result));

    await vi.advanceTimersByTimeAsync(CONFIG.provisionTimeoutMs - 1);
    expect(answer).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(answer).toEqual({ key: FREE_POOL, tier: "free", source: "pool", error: "provision_timeout: not done within 1000 ms; it goes on in the background" });

    // Meanwhile the principal is held back rather than starting a second provisioning.
    expect(await resolver.resolve(user("kp_alice"))).toEqual({
      key: FREE_POOL,
      tier: "free",
      source: "pool",
      error: "provision_backoff: next attempt after 2026-01-01T00:00:30.000Z; the last one: provision_timeout: still running after 1000 ms",
    });

    creation.resolve(ownKey("kp_alice", "free"));
    await resolver.settled();
    expect(await resolver.resolve(user("kp_alice"))).toEqual(served(ownKey("kp_alice", "free")));
    expect(provisioner.calls).toEqual(["provision kp_alice free"]);
  });
});

describe("when the table fails", () => {
  it("serves the pool key as store_unavailable and provisions nothing", async () => {
    store.failure = new Error("connect ECONNREFUSED 127.0.0.1:8000");
    expect(await resolverWith().resolve(user("kp_alice", ["plan:pro"]))).toEqual({
      key: PRO_POOL,
      tier: "pro",
      source: "pool",
      error: "store_unavailable: Error: connect ECONNREFUSED 127.0.0.1:8000",
    });
    expect(provisioner.calls).toEqual([]);
  });

  it("keeps the code of an item it cannot read", async () => {
    store.failure = new UsageError("mapping_unreadable", "the item user#kp_alice is not a mapping this version can read");
    expect(await resolverWith().resolve(user("kp_alice"))).toMatchObject({ source: "pool", error: "mapping_unreadable: the item user#kp_alice is not a mapping this version can read" });
    expect(provisioner.calls).toEqual([]);
  });

  it("serves a mapping it read before, past its memory lifetime, while the table is out of reach", async () => {
    const own = ownKey("kp_alice", "free");
    store.mappings.set("kp_alice", own);
    const resolver = resolverWith();
    await resolver.resolve(user("kp_alice"));
    clock += MEMORY_TTL_MS;
    store.failure = new Error("timeout");
    expect(await resolver.resolve(user("kp_alice"))).toEqual(served(own));
    expect(store.reads).toHaveLength(2);
  });

  it("does not fall back to a remembered mapping when the table says the item is unreadable", async () => {
    store.mappings.set("kp_alice", ownKey("kp_alice", "free"));
    const resolver = resolverWith();
    await resolver.resolve(user("kp_alice"));
    clock += MEMORY_TTL_MS;
    store.failure = new UsageError("mapping_unreadable", "changed under us");
    expect(await resolver.resolve(user("kp_alice"))).toMatchObject({ source: "pool", error: "mapping_unreadable: changed under us" });
  });
});

describe("tier changes", () => {
  it("moves a principal whose scopes now ask for another tier", async () => {
    store.mappings.set("kp_alice", ownKey("kp_alice", "free"));
    expect(await resolverWith().resolve(user("kp_alice", ["plan:pro"]))).toEqual(served(ownKey("kp_alice", "pro")));
    expect(provisioner.calls).toEqual(["changeTier kp_alice free->pro"]);
  });

  it("keeps serving the old key when the move fails, and defers the next attempt", async () => {
    const free = ownKey("kp_alice", "free");
    store.mappings.set("kp_alice", free);
    provisioner.answer = () => Promise.reject(new UsageError("provision_failed", "CreateUsagePlanKey: InternalFailure (HTTP 500)"));
    const resolver = resolverWith();
    expect(await resolver.resolve(user("kp_alice", ["plan:pro"]))).toEqual({ ...served(free), error: "provision_failed: CreateUsagePlanKey: InternalFailure (HTTP 500)" });
    expect(await resolver.resolve(user("kp_alice", ["plan:pro"]))).toEqual({
      ...served(free),
      error: "tier_change_deferred: next attempt after 2026-01-01T00:00:30.000Z; the last one: provision_failed: CreateUsagePlanKey: InternalFailure (HTTP 500)",
    });
    expect(provisioner.calls).toHaveLength(1);
  });
});

describe("retired keys", () => {
  const withRetired = (at: number): UserMapping => ({ ...ownKey("kp_alice", "pro"), retired: { apiKeyId: "old-free-key", at } });
  const GRACE_MS = CONFIG.retiredKeyGraceSeconds * 1000;

  it("leaves a replaced key alone during the grace period", async () => {
    store.mappings.set("kp_alice", withRetired(T0));
    clock = T0 + GRACE_MS - 1;
    expect(await resolverWith().resolve(user("kp_alice", ["plan:pro"]))).toEqual(served(withRetired(T0)));
    expect(provisioner.calls).toEqual([]);
  });

  it("deletes it in the background after the grace period, once however many requests see it", async () => {
    const retirement = deferred<UserMapping>();
    provisioner.retirement = () => retirement.promise;
    store.mappings.set("kp_alice", withRetired(T0));
    clock = T0 + GRACE_MS;
    const resolver = resolverWith();
    // The request does not wait for the deletion: it is served the current key at once.
    expect(await resolver.resolve(user("kp_alice", ["plan:pro"]))).toEqual(served(withRetired(T0)));
    expect(await resolver.resolve(user("kp_alice", ["plan:pro"]))).toEqual(served(withRetired(T0)));
    expect(provisioner.calls).toEqual(["retire kp_alice old-free-key"]);
    retirement.resolve(ownKey("kp_alice", "pro"));
    await resolver.settled();
    await resolver.resolve(user("kp_alice", ["plan:pro"]));
    expect(provisioner.calls).toEqual(["retire kp_alice old-free-key"]);
  });

  it("waits retryAfterSeconds before trying a failed deletion again", async () => {
    provisioner.retirement = () => Promise.reject(new UsageError("provision_throttled", "DeleteApiKey: TooManyRequestsException (HTTP 429)"));
    store.mappings.set("kp_alice", withRetired(T0));
    clock = T0 + GRACE_MS;
    const resolver = resolverWith();
    await resolver.resolve(user("kp_alice", ["plan:pro"]));
    await resolver.settled();
    clock += CONFIG.retryAfterSeconds * 1000 - 1;
    await resolver.resolve(user("kp_alice", ["plan:pro"]));
    expect(provisioner.calls).toHaveLength(1);
    clock += 1;
    await resolver.resolve(user("kp_alice", ["plan:pro"]));
    expect(provisioner.calls).toHaveLength(2);
  });
});

describe("never failing a request", () => {
  it("answers a bug in a collaborator with the pool key and usage_internal", async () => {
    provisioner.provision = () => {
      throw new TypeError("undefined is not a function");
    };
    expect(await resolverWith().resolve(user("kp_alice"))).toEqual({ key: FREE_POOL, tier: "free", source: "pool", error: "usage_internal: TypeError: undefined is not a function" });
  });
});
