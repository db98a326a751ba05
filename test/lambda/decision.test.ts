import { describe, expect, it } from "vitest";
import { decide, needsKeyMetadata } from "../../lambda/decision";
import type { KeyMetadataLookup } from "../../lambda/kinde/key-metadata";
import { verdictFromKinde, type Verdict } from "../../lambda/verdict/verdict";

const NOW = 1_700_000_000_000;
const LIFETIMES = { positiveMs: 300_000, negativeMs: 30_000 };
const USER_KEY = { is_valid: true, status: "active", key_id: "api_key_1", user_id: "kp_1", org_code: null, scopes: ["read", "write"] };

const fromBody = (body: Record<string, unknown>) => verdictFromKinde({ kind: "answered", body }, NOW, LIFETIMES);

describe("verdictFromKinde", () => {
  it("keeps an active user key's identity for the positive lifetime", () => {
    expect(fromBody(USER_KEY)).toEqual({
      valid: true, keyId: "api_key_1", userId: "kp_1", scopes: ["read", "write"], verifiedAt: NOW, freshUntil: NOW + 300_000,
    });
  });

  it.each([
    ["200 with is_valid false", { ...USER_KEY, is_valid: false, status: undefined }, "invalid_key"],
    ["a revoked key", { ...USER_KEY, is_valid: false, status: "revoked" }, "inactive_key"],
    ["an inactive key Kinde still calls valid", { ...USER_KEY, status: "inactive" }, "inactive_key"],
    ["an unknown status", { ...USER_KEY, status: "suspended" }, "inactive_key"],
    ["no status at all", { ...USER_KEY, status: undefined }, "inactive_key"],
    ["a key with no owner", { ...USER_KEY, user_id: null }, "invalid_key"],
  ])("records %s as a negative verdict", (_, body, reason) => {
    expect(fromBody(body)).toEqual({ valid: false, reason, verifiedAt: NOW, freshUntil: NOW + 30_000 });
  });

  it("records Kinde's 400 for the key as invalid", () => {
    expect(verdictFromKinde({ kind: "rejected", status: 400 }, NOW, LIFETIMES)).toMatchObject({ valid: false, reason: "invalid_key" });
  });
});

describe("decide", () => {
  const rules = { requiredScopes: [] as string[], allowOrgKeys: false, kindeApiIds: [] as string[] };
  const userVerdict = fromBody(USER_KEY);
  const orgVerdict = fromBody({ ...USER_KEY, user_id: null, org_code: "org_9" });
  // Kinde's own quick-start sample verify answer: both an org_code and a user_id.
  const bothVerdict = fromBody({ ...USER_KEY, org_code: "org_9" });
  const metadata = (type: string | undefined, apiIds = ["api_ours"]): KeyMetadataLookup => ({
    found: true,
    metadata: { keyId: "api_key_1", apiIds, ...(type !== undefined ? { type } : {}) },
  });

  it("authenticates a user key as its user", () => {
    expect(decide(userVerdict, rules)).toEqual({
      allow: true,
      identity: { principalId: "kp_1", userId: "kp_1", keyId: "api_key_1", scopes: ["read", "write"] },
    });
  });

  it("passes a negative verdict's reason on", () => {
    const negative: Verdict = { valid: false, reason: "inactive_key", verifiedAt: NOW, freshUntil: NOW };
    expect(decide(negative, rules)).toEqual({ allow: false, reason: "inactive_key" });
  });

  it("requires every required scope", () => {
    expect(decide(userVerdict, { ...rules, requiredScopes: ["read", "write"] }).allow).toBe(true);
    expect(decide(userVerdict, { ...rules, requiredScopes: ["read", "admin"] })).toEqual({ allow: false, reason: "missing_scope" });
  });

  it("refuses organization keys unless allowed, then names the organization as principal", () => {
    expect(decide(orgVerdict, rules, metadata("organization"))).toEqual({ allow: false, reason: "org_key_not_allowed" });
    expect(decide(orgVerdict, { ...rules, allowOrgKeys: true }, metadata("organization"))).toEqual({
      allow: true,
      identity: { principalId: "org:org_9", orgCode: "org_9", keyId: "api_key_1", scopes: ["read", "write"] },
    });
  });

  describe("which keys need Kinde's metadata", () => {
    it("a plain user key does not, unless the gateway is bound to its APIs", () => {
      expect(needsKeyMetadata(userVerdict, rules)).toBe(false);
      expect(needsKeyMetadata(userVerdict, { ...rules, kindeApiIds: ["api_ours"] })).toBe(true);
    });

    it("any key verify names an organization for does, whatever allowOrgKeys says", () => {
      expect(needsKeyMetadata(orgVerdict, rules)).toBe(true);
      expect(needsKeyMetadata(bothVerdict, rules)).toBe(true);
      expect(needsKeyMetadata(bothVerdict, { ...rules, allowOrgKeys: true })).toBe(true);
    });

    it("a negative verdict never does", () => {
      expect(needsKeyMetadata({ valid: false, reason: "invalid_key", verifiedAt: NOW, freshUntil: NOW }, { ...rules, kindeApiIds: ["api_ours"] })).toBe(false);
    });

    it("deciding without metadata the rules need is an error, never an allow", () => {
      expect(() => decide(bothVerdict, rules)).toThrow(/need the key's metadata/);
    });
  });

  describe("with the key's metadata", () => {
    const bound = { ...rules, kindeApiIds: ["api_ours", "api_also_ours"] };

    it("allows a key issued for one of the accepted APIs", () => {
      expect(decide(userVerdict, bound, metadata("user", ["api_other", "api_also_ours"]))).toMatchObject({ allow: true, identity: { principalId: "kp_1" } });
    });

    it.each([
      ["another API", ["api_other"]],
      ["no API at all", []],
    ])("refuses a key issued for %s as wrong_api", (_, apiIds) => {
      expect(decide(userVerdict, bound, metadata("user", apiIds))).toEqual({ allow: false, reason: "wrong_api" });
    });

    it("does not check the API when no API ids are configured", () => {
      expect(decide(bothVerdict, rules, metadata("user", ["api_other"])).allow).toBe(true);
    });

    it("refuses an organization key that also carries a user_id unless organization keys are allowed, then names the organization", () => {
      expect(decide(bothVerdict, bound, metadata("organization"))).toEqual({ allow: false, reason: "org_key_not_allowed" });
      expect(decide(bothVerdict, { ...bound, allowOrgKeys: true }, metadata("organization"))).toEqual({
        allow: true,
        identity: { principalId: "org:org_9", orgCode: "org_9", keyId: "api_key_1", scopes: ["read", "write"] },
      });
    });

    it("names a user key carrying an org_code as its user", () => {
      expect(decide(bothVerdict, bound, metadata("user"))).toMatchObject({ allow: true, identity: { principalId: "kp_1", userId: "kp_1", orgCode: "org_9" } });
    });

    it("refuses environment keys, even with organization keys allowed", () => {
      expect(decide(userVerdict, { ...bound, allowOrgKeys: true }, metadata("environment"))).toEqual({ allow: false, reason: "environment_key_not_allowed" });
    });

    it.each([["service"], [undefined]])("refuses a key whose type is %s", (type) => {
      expect(decide(userVerdict, bound, metadata(type))).toEqual({ allow: false, reason: "key_type_not_allowed" });
    });

    it.each([
      ["a user key without a user_id", orgVerdict, "user"],
      ["an organization key without an org_code", userVerdict, "organization"],
    ])("refuses %s as invalid", (_, verdict, type) => {
      expect(decide(verdict, { ...bound, allowOrgKeys: true }, metadata(type))).toEqual({ allow: false, reason: "invalid_key" });
    });

    it("refuses a key Kinde says does not exist as invalid", () => {
      expect(decide(userVerdict, bound, { found: false })).toEqual({ allow: false, reason: "invalid_key" });
    });

    it("still requires every required scope", () => {
      expect(decide(userVerdict, { ...bound, requiredScopes: ["admin"] }, metadata("user"))).toEqual({ allow: false, reason: "missing_scope" });
    });
  });
});
