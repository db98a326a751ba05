/** VerdictResolver against fakes: a Map for DynamoDB, a scripted Kinde, a clock moved by hand. */
import { describe, expect, it } from "vitest";
import type { DynamoDbVerdictStore } from "../../lambda/cache/dynamodb-verdict-store";
import { MemoryVerdictCache } from "../../lambda/cache/memory-verdict-cache";
import { VerificationUnavailableError } from "../../lambda/errors";
import { IpFailureBudget, IpFailureBudgetExceededError } from "../../lambda/flood/ip-failure-budget";
import type { KeyMetadataResolver, ResolvedKeyMetadataWithPendingWrite } from "../../lambda/kinde/key-metadata-resolver";
import type { KindeVerifyAnswer, KindeVerifyClient } from "../../lambda/kinde/verify-client";
import type { Verdict } from "../../lambda/verdict/verdict";
import { VerdictResolver } from "../../lambda/verdict/verdict-resolver";
import { FakeClock } from "../support/fake-clock";

const LIFETIMES = { positiveMs: 300_000, negativeMs: 30_000 };
const ACTIVE: KindeVerifyAnswer = { kind: "answered", body: { is_valid: true, status: "active", user_id: "kp_alice", key_id: "api_key_alice", scopes: ["read"] } };
const REVOKED: KindeVerifyAnswer = { kind: "answered", body: { is_valid: false, status: "revoked", user_id: "kp_alice", key_id: "api_key_alice" } };
const UNKNOWN: KindeVerifyAnswer = { kind: "rejected", status: 404 };

class FakeStore implements Pick<DynamoDbVerdictStore, "get" | "put"> {
  readonly items = new Map<string, Verdict>();
  failReads = false;
  failWrites = false;
  reads = 0;
  writes = 0;

  get(keyHash: string): Promise<Verdict | undefined> {
    this.reads++;
    if (this.failReads) return Promise.reject(new Error("ThrottlingException"));
    return Promise.resolve(this.items.get(keyHash));
  }

  put(keyHash: string, verdict: Verdict): Promise<void> {
    this.writes++;
    if (this.failWrites) return Promise.reject(new Error("ThrottlingException"));
    const held = this.items.get(keyHash);
    if (!held || held.verifiedAt < verdict.verifiedAt) this.items.set(keyHash, verdict);
    return Promise.resolve();
  }
}

/** Kinde answering from a script: an answer, or an error to throw; or held until the test releases it. */
class FakeKinde implements Pick<KindeVerifyClient, "verify"> {
  calls = 0;
  answer: KindeVerifyAnswer | VerificationUnavailableError = ACTIVE;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async verify(): Promise<KindeVerifyAnswer> {
    this.calls++;
    if (this.gate) await this.gate;
    if (this.answer instanceof VerificationUnavailableError) throw this.answer;
    return this.answer;
  }
}

const DOWN = new VerificationUnavailableError("kinde_server_error", "Kinde answered 500");

/** The key metadata resolver as the verdict resolver sees it: answers, failures and the item writes it starts, counted. */
class FakeKeyMetadata implements Pick<KeyMetadataResolver, "resolveWithPendingWrite" | "ttlMs"> {
  readonly ttlMs = 3_600_000;
  lookups = 0;
  failure: Error | undefined;
  /** When set, the metadata item write the lookup starts settles only when the test calls it. */
  finishWrite: ((error?: string) => void) | undefined;
  private holdWrites = false;

  constructor(private readonly now: () => number) {}

  holdWrite(): void {
    this.holdWrites = true;
  }

  resolveWithPendingWrite(keyId: string | undefined): Promise<ResolvedKeyMetadataWithPendingWrite> {
    this.lookups++;
    if (this.failure) return Promise.reject(this.failure);
    const written = this.holdWrites ? new Promise<string | undefined>((resolve) => (this.finishWrite = resolve)) : Promise.resolve(undefined);
    return Promise.resolve({
      resolved: { lookup: { found: true, metadata: { keyId: keyId!, apiIds: ["api_ours"], type: "user" } }, source: "kinde", usableUntil: this.now() + this.ttlMs },
      written,
    });
  }
}

function setup(options: { staleIfErrorMs?: number; memoryTtlMs?: number; budget?: number; keyMetadata?: boolean } = {}) {
  const clock = new FakeClock();
  const store = new FakeStore();
  const kinde = new FakeKinde();
  const keyMetadata = new FakeKeyMetadata(clock.now);
  const memory = new MemoryVerdictCache({ maxEntries: 100, ttlMs: options.memoryTtlMs ?? 30_000, lifetimes: LIFETIMES });
  const resolver = new VerdictResolver({
    memory,
    store,
    kinde,
    lifetimes: LIFETIMES,
    staleIfErrorMs: options.staleIfErrorMs ?? 0,
    verifyTimeoutMs: 1_000,
    now: clock.now,
    ...(options.budget ? { ipFailureBudget: new IpFailureBudget({ maxFailedKeysPerMinute: options.budget }) } : {}),
    ...(options.keyMetadata ? { keyMetadata: { resolver: keyMetadata, needed: (verdict: Verdict) => verdict.valid } } : {}),
  });
  return { clock, store, kinde, memory, resolver, keyMetadata };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("VerdictResolver: where a verdict comes from", () => {
  it("asks Kinde on a miss, stores the verdict, then answers from memory", async () => {
    const { resolver, kinde, store } = setup();
    expect((await resolver.resolve("h1", "key")).source).toBe("kinde");
    expect(store.items.get("h1")?.valid).toBe(true);
    expect((await resolver.resolve("h1", "key")).source).toBe("memory");
    expect(kinde.calls).toBe(1);
  });

  it("answers from a fresh stored verdict without Kinde, and from memory after that", async () => {
    const { resolver, kinde, store, clock } = setup();
    store.items.set("h1", { valid: true, userId: "kp_alice", scopes: [], verifiedAt: clock.now(), freshUntil: clock.now() + 300_000 });
    expect((await resolver.resolve("h1", "key")).source).toBe("dynamodb");
    expect((await resolver.resolve("h1", "key")).source).toBe("memory");
    expect(store.reads).toBe(1);
    expect(kinde.calls).toBe(0);
  });

  it("asks Kinde again once memory and the stored verdict have expired", async () => {
    const { resolver, kinde, clock } = setup();
    await resolver.resolve("h1", "key");
    clock.advance(300_000);
    expect((await resolver.resolve("h1", "key")).source).toBe("kinde");
    expect(kinde.calls).toBe(2);
  });

  it("shares one lookup among concurrent misses for a key", async () => {
    const { resolver, kinde } = setup();
    kinde.hold();
    const all = Promise.all(Array.from({ length: 25 }, () => resolver.resolve("h1", "key")));
    await Promise.resolve();
    kinde.release();
    expect((await all).every((r) => r.source === "kinde")).toBe(true);
    expect(kinde.calls).toBe(1);
  });
});

describe("VerdictResolver: stale-if-error", () => {
  it("serves the newest positive verdict inside the stale window, and says why", async () => {
    const { resolver, kinde, clock } = setup({ staleIfErrorMs: 600_000 });
    await resolver.resolve("h1", "key");
    clock.advance(400_000);
    kinde.answer = DOWN;
    const resolved = await resolver.resolve("h1", "key");
    expect(resolved.source).toBe("stale");
    expect(resolved.upstreamError?.code).toBe("kinde_server_error");
  });

  it("serves nothing once the stale window has passed", async () => {
    const { resolver, kinde, clock } = setup({ staleIfErrorMs: 600_000 });
    await resolver.resolve("h1", "key");
    clock.advance(900_000);
    kinde.answer = DOWN;
    expect(await failure(resolver.resolve("h1", "key"))).toBe(DOWN);
  });

  it("serves nothing with the window at 0", async () => {
    const { resolver, kinde, clock } = setup();
    await resolver.resolve("h1", "key");
    clock.advance(300_001);
    kinde.answer = DOWN;
    expect(await failure(resolver.resolve("h1", "key"))).toBe(DOWN);
  });

  it("never serves a stale positive verdict when a newer refusal is held in memory", async () => {
    const { resolver, kinde, store, clock } = setup({ staleIfErrorMs: 600_000 });
    await resolver.resolve("h1", "key");
    clock.advance(300_000);
    kinde.answer = REVOKED;
    store.failReads = true; // the read fails, yet the refusal is still written
    expect((await resolver.resolve("h1", "key")).verdict).toMatchObject({ valid: false, reason: "inactive_key" });
    expect(store.items.get("h1")?.valid).toBe(false);
    clock.advance(30_000);
    kinde.answer = DOWN;
    expect(await failure(resolver.resolve("h1", "key"))).toBe(DOWN);
  });

  it("never serves a stale positive verdict held in memory when the table holds a newer refusal", async () => {
    const { resolver, kinde, store, clock } = setup({ staleIfErrorMs: 600_000 });
    await resolver.resolve("h1", "key");
    clock.advance(310_000);
    // Another container learnt of the revocation 10 s ago.
    store.items.set("h1", { valid: false, reason: "inactive_key", verifiedAt: clock.now() - 10_000, freshUntil: clock.now() - 10_000 + 30_000 });
    clock.advance(30_000);
    kinde.answer = DOWN;
    expect(await failure(resolver.resolve("h1", "key"))).toBe(DOWN);
  });

  it("does not let a fresh stored positive verdict override a newer refusal held in memory", async () => {
    const { resolver, kinde, store, clock } = setup();
    kinde.answer = REVOKED;
    store.failWrites = true;
    store.items.set("h1", { valid: true, userId: "kp_alice", scopes: [], verifiedAt: clock.now() - 300_000, freshUntil: clock.now() });
    clock.advance(1);
    await resolver.resolve("h1", "key");
    // An older positive verdict reappears in the table (a racing writer); memory's refusal is newer.
    store.items.set("h1", { valid: true, userId: "kp_alice", scopes: [], verifiedAt: clock.now() - 1_000, freshUntil: clock.now() + 299_000 });
    clock.advance(30_000);
    kinde.answer = DOWN;
    expect(await failure(resolver.resolve("h1", "key"))).toBe(DOWN);
  });

  it("never turns a stale negative verdict into an allow", async () => {
    const { resolver, kinde, clock } = setup({ staleIfErrorMs: 600_000 });
    kinde.answer = UNKNOWN;
    await resolver.resolve("h1", "key");
    clock.advance(31_000);
    kinde.answer = DOWN;
    expect(await failure(resolver.resolve("h1", "key"))).toBe(DOWN);
  });
});

describe("VerdictResolver: the per-IP budget of failed keys", () => {
  it("refuses a new unknown key without Kinde once an IP used its budget, but not other IPs or known keys", async () => {
    const { resolver, kinde } = setup({ budget: 3 });
    await resolver.resolve("good", "good-key", "203.0.113.9");
    kinde.answer = UNKNOWN;
    for (const n of [1, 2, 3]) expect((await resolver.resolve(`bad${n}`, `bad-key-${n}`, "198.51.100.7")).verdict.valid).toBe(false);
    expect(await failure(resolver.resolve("bad4", "bad-key-4", "198.51.100.7"))).toBeInstanceOf(IpFailureBudgetExceededError);
    expect(kinde.calls).toBe(4);
    // A key already refused is not a new one: it still gets its (cached) answer.
    expect((await resolver.resolve("bad1", "bad-key-1", "198.51.100.7")).source).toBe("memory");
    // Another IP is not affected.
    expect((await resolver.resolve("bad4", "bad-key-4", "203.0.113.9")).source).toBe("kinde");
    // A key known valid is still verified from the exhausted IP.
    kinde.answer = ACTIVE;
    expect((await resolver.resolve("good", "good-key", "198.51.100.7")).verdict.valid).toBe(true);
  });

  it("counts keys still being verified, so a concurrent burst gets no further than the budget", async () => {
    const { resolver, kinde } = setup({ budget: 3 });
    kinde.answer = UNKNOWN;
    kinde.hold();
    const burst = Array.from({ length: 50 }, (_, n) => resolver.resolve(`bad${n}`, `bad-key-${n}`, "198.51.100.7").catch((error: unknown) => error));
    await new Promise((resolve) => setImmediate(resolve));
    kinde.release();
    const outcomes = await Promise.all(burst);
    expect(outcomes.filter((o) => o instanceof IpFailureBudgetExceededError)).toHaveLength(47);
    expect(kinde.calls).toBe(3);
  });

  it("gives the IP its budget back a minute after its failures", async () => {
    const { resolver, kinde, clock } = setup({ budget: 2 });
    kinde.answer = UNKNOWN;
    await resolver.resolve("bad1", "bad-key-1", "198.51.100.7");
    await resolver.resolve("bad2", "bad-key-2", "198.51.100.7");
    await failure(resolver.resolve("bad3", "bad-key-3", "198.51.100.7"));
    clock.advance(60_000);
    expect((await resolver.resolve("bad3", "bad-key-3", "198.51.100.7")).source).toBe("kinde");
  });
});

describe("the key's metadata, when the rules need it", () => {
  it("is fetched once for concurrent misses and stored with the verdict, which then answers for it", async () => {
    const { resolver, store, keyMetadata, kinde } = setup({ keyMetadata: true });
    kinde.hold();
    const misses = [resolver.resolve("h", "key"), resolver.resolve("h", "key")];
    kinde.release();
    for (const resolved of await Promise.all(misses)) expect(resolved.keyMetadata).toMatchObject({ resolved: { source: "kinde", lookup: { found: true } } });
    expect(keyMetadata.lookups).toBe(1);
    expect(store.items.get("h")).toMatchObject({ valid: true, keyMetadata: { metadata: { keyId: "api_key_alice", apiIds: ["api_ours"] } } });
    expect((await resolver.resolve("h", "key")).keyMetadata).toMatchObject({ resolved: { source: "with-verdict" } });
    expect(keyMetadata.lookups).toBe(1);
  });

  it("is not asked for a refusal", async () => {
    const { resolver, kinde, keyMetadata } = setup({ keyMetadata: true });
    kinde.answer = REVOKED;
    expect((await resolver.resolve("h", "key")).keyMetadata).toBeUndefined();
    expect(keyMetadata.lookups).toBe(0);
  });

  it("reports a failed lookup and still stores the verdict, without metadata", async () => {
    const { resolver, store, keyMetadata } = setup({ keyMetadata: true });
    const failure = new VerificationUnavailableError("kinde_server_error", "the key metadata endpoint answered 503");
    keyMetadata.failure = failure;
    expect((await resolver.resolve("h", "key")).keyMetadata).toEqual({ error: failure });
    expect(store.items.get("h")).toMatchObject({ valid: true });
    expect(store.items.get("h")).not.toHaveProperty("keyMetadata");
    // The verdict is fresh; the metadata is the caller's to look up now.
    expect((await resolver.resolve("h", "key")).keyMetadata).toBeUndefined();
  });

  it("writes the verdict alongside the metadata item, not after it, and reports the item's failure", async () => {
    const { resolver, store, keyMetadata } = setup({ keyMetadata: true });
    keyMetadata.holdWrite();
    const resolving = resolver.resolve("h", "key");
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.writes).toBe(1);
    keyMetadata.finishWrite?.("ThrottlingException");
    expect((await resolving).keyMetadata).toMatchObject({ resolved: { source: "kinde", cacheError: "ThrottlingException" } });
  });

  it("carried by a verdict is used only while usable, checked on every read", async () => {
    const { resolver, clock, keyMetadata } = setup({ keyMetadata: true, memoryTtlMs: 300_000 });
    await resolver.resolve("h", "key");
    clock.advance(keyMetadata.ttlMs - 1);
    // Past the verdict's own lifetime too: a refresh, whose metadata comes from the verdict it replaces while usable.
    const refreshed = await resolver.resolve("h", "key");
    expect(refreshed).toMatchObject({ source: "kinde", keyMetadata: { resolved: { source: "with-verdict" } } });
    clock.advance(1);
    expect((await resolver.resolve("h", "key")).keyMetadata).toBeUndefined();
  });
});
