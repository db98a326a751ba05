import { describe, expect, it } from "vitest";
import { decide } from "../../lambda/decision";
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

  it.each([400, 404, 422])("records Kinde's %i for the key as invalid", (status) => {
    expect(verdictFromKinde({ kind: "rejected", status }, NOW, LIFETIMES)).toMatchObject({ valid: false, reason: "invalid_key" });
  });
});

describe("decide", () => {
  const rules = { requiredScopes: [] as string[], allowOrgKeys: false };
  const userVerdict = fromBody(USER_KEY);
  const orgVerdict = fromBody({ ...USER_KEY, user_id: null, org_code: "org_9" });

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
    expect(decide(orgVerdict, rules)).toEqual({ allow: false, reason: "org_key_not_allowed" });
    expect(decide(orgVerdict, { ...rules, allowOrgKeys: true })).toEqual({
      allow: true,
      identity: { principalId: "org:org_9", orgCode: "org_9", keyId: "api_key_1", scopes: ["read", "write"] },
    });
  });
});
