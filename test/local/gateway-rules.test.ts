/** The gateway's rules on their own: what API Gateway accepts from an authorizer, its cache, the console line. */
import { describe, expect, it } from "vitest";
import { AuthorizerResultCache } from "../../local/authorizer-result-cache";
import { formatRequestLine } from "../../local/console-output";
import { checkAuthorizerResult, interpret } from "../../local/local-gateway";

const policy = { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: "arn:aws:execute-api:*" }] };

describe("what API Gateway accepts from an authorizer", () => {
  it("accepts a principal, a policy and scalar context values, keeping their types", () => {
    const result = checkAuthorizerResult({ principalId: "kp_1", policyDocument: policy, context: { a: "x", n: 1, b: true }, usageIdentifierKey: "k".repeat(20) });
    expect(result).toEqual({ principalId: "kp_1", policyDocument: policy, context: { a: "x", n: 1, b: true }, usageIdentifierKey: "k".repeat(20) });
  });

  it("reads a single Statement object as a list, as IAM does", () => {
    const result = checkAuthorizerResult({ principalId: "kp_1", policyDocument: { Version: "2012-10-17", Statement: policy.Statement[0] } });
    expect(result).toMatchObject({ policyDocument: { Statement: [policy.Statement[0]] }, context: {} });
  });

  it.each([
    [null, "not an object"],
    [[], "not an object"],
    [{ policyDocument: policy }, "principalId is missing"],
    [{ principalId: "", policyDocument: policy }, "principalId is missing"],
    [{ principalId: "p" }, "policyDocument is missing"],
    [{ principalId: "p", policyDocument: { Statement: [] } }, "no Statement"],
    [{ principalId: "p", policyDocument: { Statement: [{ Effect: "Allow", Action: "execute-api:Invoke" }] } }, "Resource is missing"],
    [{ principalId: "p", policyDocument: { Statement: [{ Effect: "Maybe", Action: "x", Resource: "*" }] } }, "Effect must be Allow or Deny"],
    [{ principalId: "p", policyDocument: policy, context: { scopes: ["a"] } }, "context.scopes is an array"],
    [{ principalId: "p", policyDocument: policy, context: { nested: { a: 1 } } }, "context.nested is object"],
    [{ principalId: "p", policyDocument: policy, context: { gone: null } }, "context.gone is null"],
    [{ principalId: "p", policyDocument: policy, context: "user=1" }, "context is not an object"],
    [{ principalId: "p", policyDocument: policy, usageIdentifierKey: 42 }, "usageIdentifierKey is not a string"],
  ])("refuses %j (%s)", (value, problem) => {
    expect(checkAuthorizerResult(value)).toEqual(expect.stringContaining(problem));
  });

  it("maps each way an invocation ends to what the client gets", () => {
    const at = (outcome: Parameters<typeof interpret>[0]["outcome"]) => interpret({ outcome, durationMs: 1 });
    expect(at({ kind: "threw", name: "Error", message: "Unauthorized" })).toEqual({ kind: "unauthorized" });
    expect(at({ kind: "threw", name: "Error", message: "unauthorized" })).toMatchObject({ kind: "failure", type: "AUTHORIZER_FAILURE" });
    expect(at({ kind: "threw", name: "Error", message: "Unauthorized " })).toMatchObject({ kind: "failure", type: "AUTHORIZER_FAILURE" });
    expect(at({ kind: "timed-out" })).toMatchObject({ kind: "failure", type: "AUTHORIZER_CONFIGURATION_ERROR" });
    expect(at({ kind: "crashed", message: "x" })).toMatchObject({ kind: "failure", type: "AUTHORIZER_FAILURE" });
    expect(at({ kind: "returned", value: { principalId: "p" } })).toMatchObject({ kind: "failure", type: "AUTHORIZER_CONFIGURATION_ERROR" });
    expect(at({ kind: "returned", value: { principalId: "p", policyDocument: policy } })).toMatchObject({ kind: "policy" });
  });
});

describe("the authorizer result cache", () => {
  it("keeps an answer for the TTL, keyed by the identity value only", () => {
    let now = 1_000;
    const cache = new AuthorizerResultCache(2, () => now);
    cache.set("Bearer a", { kind: "unauthorized" });
    expect(cache.get("Bearer a")).toEqual({ kind: "unauthorized" });
    expect(cache.get("Bearer b")).toBeUndefined();
    now += 1_999;
    expect(cache.get("Bearer a")).toBeDefined();
    now += 1;
    expect(cache.get("Bearer a")).toBeUndefined();
  });

  it("caches nothing with a TTL of 0, and is bounded", () => {
    const off = new AuthorizerResultCache(0);
    off.set("Bearer a", { kind: "unauthorized" });
    expect(off.get("Bearer a")).toBeUndefined();
    const small = new AuthorizerResultCache(60, Date.now, 2);
    for (const key of ["a", "b", "c"]) small.set(key, { kind: "unauthorized" });
    expect([small.get("a"), small.get("b"), small.get("c")].map(Boolean)).toEqual([false, true, true]);
    small.flush();
    expect(small.size).toBe(0);
  });
});

describe("the console line", () => {
  const at = new Date("2026-11-27T09:15:02Z");
  it("shows status, route, user, verdict source and latency; the reason only for refusals", () => {
    expect(formatRequestLine({ requestId: "r", method: "GET", path: "/whoami", status: 200, origin: "authorizer", source: "kinde", reason: "allowed", userId: "kp_1", principalId: "kp_1", latencyMs: 12.4 }, at)).toBe(
      "09:15:02 200 GET /whoami user=kp_1 verdict=kinde 12ms",
    );
    expect(formatRequestLine({ requestId: "r", method: "GET", path: "/x", status: 401, origin: "gateway", reason: "missing_key", latencyMs: 0.42 }, at)).toBe(
      "09:15:02 401 GET /x user=- verdict=gateway reason=missing_key 0.4ms",
    );
    expect(formatRequestLine({ requestId: "r", method: "POST", path: "/o", status: 429, origin: "gateway-cache", reason: "quota_exceeded", principalId: "org:acme", usageTier: "free", latencyMs: 1 }, at)).toBe(
      "09:15:02 429 POST /o user=org:acme verdict=gateway-cache reason=quota_exceeded tier=free 1.0ms",
    );
  });
});
