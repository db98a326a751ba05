import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { extractKey, MAX_KEY_LENGTH } from "../../lambda/key/extract-key";
import { hashKey } from "../../lambda/key/fingerprint";
import { fixture, httpApiEvent, requestEvent, tokenEvent } from "../support/aws-events";

describe("extractKey", () => {
  it("reads the Bearer key of the Powertools REQUEST event", () => {
    expect(extractKey(fixture("request-event.powertools.json"))).toEqual({ ok: true, key: "foo" });
  });

  it("finds the header whatever its casing, and the scheme whatever its casing", () => {
    const event = requestEvent();
    event.headers = { AUTHORIZATION: "bearer k_live_abc" };
    event.multiValueHeaders = {};
    expect(extractKey(event)).toEqual({ ok: true, key: "k_live_abc" });
    event.headers = { authorization: "BEARER k_live_abc" };
    expect(extractKey(event)).toEqual({ ok: true, key: "k_live_abc" });
  });

  it("reads multiValueHeaders when headers is null (console test events)", () => {
    const event = requestEvent();
    event.headers = null;
    event.multiValueHeaders = { authorization: ["Bearer k_live_multi"] };
    expect(extractKey(event)).toEqual({ ok: true, key: "k_live_multi" });
  });

  it("refuses two Authorization values rather than pick one", () => {
    const event = requestEvent("Bearer k_live_one");
    event.multiValueHeaders = { Authorization: ["Bearer k_live_one", "Bearer k_live_two"] };
    expect(extractKey(event)).toEqual({ ok: false, reason: "malformed_key" });
  });

  it("reads a TOKEN event's authorizationToken", () => {
    expect(extractKey(tokenEvent("Bearer k_live_tok"))).toEqual({ ok: true, key: "k_live_tok" });
  });

  it("reports a missing key for absent, empty or blank headers", () => {
    expect(extractKey(fixture("request-event.aws-lambda-go.json"))).toEqual({ ok: false, reason: "missing_key" });
    expect(extractKey(requestEvent(""))).toEqual({ ok: false, reason: "missing_key" });
    expect(extractKey(requestEvent("   "))).toEqual({ ok: false, reason: "missing_key" });
    expect(extractKey(tokenEvent(""))).toEqual({ ok: false, reason: "missing_key" });
    const nullMaps = { ...requestEvent(), headers: null, multiValueHeaders: null } as APIGatewayRequestAuthorizerEvent;
    expect(extractKey(nullMaps)).toEqual({ ok: false, reason: "missing_key" });
  });

  it.each([
    ["the TOKEN fixture's scheme-less value", "allow"],
    ["a Basic scheme", "Basic dXNlcjpwYXNz"],
    ["a bare scheme", "Bearer"],
    ["a scheme with no key", "Bearer    "],
    ["a key with a space", "Bearer k_live abc"],
    ["a key with a tab", "Bearer k_live\tabc"],
    ["a key with a control character", "Bearer k_live\u0000abc"],
    ["a key with a DEL", "Bearer k_live\u007fabc"],
    ["a key with a Unicode space", "Bearer k_live\u00a0abc"],
    ["a key one character too long", `Bearer ${"a".repeat(MAX_KEY_LENGTH + 1)}`],
  ])("reports a malformed key for %s", (_, header) => {
    expect(extractKey(tokenEvent(header))).toEqual({ ok: false, reason: "malformed_key" });
  });

  it.each([
    ["both casings in headers", { Authorization: "Bearer k_live_one", authorization: "Bearer k_live_two" }, {}],
    ["both casings in headers, same value", { Authorization: "Bearer k_live_one", authorization: "Bearer k_live_one" }, {}],
    ["both casings in multiValueHeaders", {}, { Authorization: ["Bearer k_live_one"], authorization: ["Bearer k_live_two"] }],
    ["both casings in multiValueHeaders, one empty", {}, { Authorization: ["Bearer k_live_one"], AUTHORIZATION: [""] }],
    ["one casing in each map with different values", { Authorization: "Bearer k_live_one" }, { authorization: ["Bearer k_live_two"] }],
  ])("refuses case-variant duplicate Authorization headers: %s", (_, headers, multiValueHeaders) => {
    const event = requestEvent();
    event.headers = headers;
    event.multiValueHeaders = multiValueHeaders;
    expect(extractKey(event)).toEqual({ ok: false, reason: "malformed_key" });
  });

  it("accepts the same header in both maps under different casings, as API Gateway fills them", () => {
    const event = requestEvent();
    event.headers = { authorization: "Bearer k_live_one" };
    event.multiValueHeaders = { Authorization: ["Bearer k_live_one"] };
    expect(extractKey(event)).toEqual({ ok: true, key: "k_live_one" });
  });

  it.each([
    ["a non-ASCII letter", "Bearer k_live_caf\u00e9"],
    ["a lone high surrogate", "Bearer X\uD800"],
    ["a lone low surrogate", "Bearer X\uDC00"],
    ["an emoji", "Bearer k_\u{1F511}"],
    ["U+FFFD", "Bearer X\uFFFD"],
    ["a line separator after the key", "Bearer k_live_abc\u2028"],
    ["a tab between scheme and key", "Bearer\tk_live_abc"],
    ["no space after the scheme", "Bearerk_live_abc"],
  ])("refuses %s before hashing", (_, header) => {
    expect(extractKey(tokenEvent(header))).toEqual({ ok: false, reason: "malformed_key" });
    expect(extractKey(requestEvent(header))).toEqual({ ok: false, reason: "malformed_key" });
  });

  it("accepts every printable ASCII character in a key, and several spaces after the scheme", () => {
    const key = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join("");
    expect(extractKey(tokenEvent(`Bearer ${key}`))).toEqual({ ok: true, key });
    expect(extractKey(tokenEvent(`  bEaReR    ${key}\t`))).toEqual({ ok: true, key });
  });

  it("answers in one pass for a header built to make a backtracking pattern quadratic", () => {
    // Sizes stay where a backtracking pattern would take seconds, not hours, so a regression
    // shows as a slow run or the test's timeout rather than a hang.
    for (const header of [`Bearer${" ".repeat(32_000)}\u2028`, `Bearer${" ".repeat(32_000)}\u2028x`, `Bearer${" ".repeat(32_000)}\nx`]) {
      expect(extractKey(tokenEvent(header))).toEqual({ ok: false, reason: "malformed_key" });
      expect(extractKey(requestEvent(header))).toEqual({ ok: false, reason: "malformed_key" });
    }
  });

  it("accepts a key of exactly the maximum length", () => {
    const key = "a".repeat(MAX_KEY_LENGTH);
    expect(extractKey(tokenEvent(`Bearer ${key}`))).toEqual({ ok: true, key });
  });
});

describe("hashKey", () => {
  it("hashes a well-formed key as SHA-256 hex", () => {
    expect(hashKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it.each([["X\uD800"], ["X\uFFFD"], ["caf\u00e9"], ["two words"], [""], ["a".repeat(MAX_KEY_LENGTH + 1)]])("refuses to hash %j", (key) => {
    expect(() => hashKey(key)).toThrow(TypeError);
  });
});

describe("extractKey on HTTP API events (payload 2.0)", () => {
  it("reads the Bearer key of AWS's captured event, and finds none in AWS's documented sample", () => {
    expect(extractKey(fixture<APIGatewayRequestAuthorizerEventV2>("http-api-request-event-v2.powertools.json"))).toEqual({ ok: true, key: "foo" });
    expect(extractKey(fixture<APIGatewayRequestAuthorizerEventV2>("http-api-request-event-v2.aws-lambda-go.json"))).toEqual({ ok: false, reason: "missing_key" });
  });

  it("refuses a value API Gateway joined from two Authorization headers, even when it would read as one key", () => {
    expect(extractKey(httpApiEvent("Bearer k_live_one,Bearer k_live_two"))).toEqual({ ok: false, reason: "malformed_key" });
    expect(extractKey(httpApiEvent("Bearer k_live_one,Bearerk_live_two"))).toEqual({ ok: false, reason: "malformed_key" });
    expect(extractKey(httpApiEvent("Bearer k_live_one"))).toEqual({ ok: true, key: "k_live_one" });
  });
});
