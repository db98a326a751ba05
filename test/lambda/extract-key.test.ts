import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { extractKey, MAX_KEY_LENGTH } from "../../lambda/key/extract-key";
import { fixture, requestEvent, tokenEvent } from "../support/aws-events";

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

  it("accepts a key of exactly the maximum length", () => {
    const key = "a".repeat(MAX_KEY_LENGTH);
    expect(extractKey(tokenEvent(`Bearer ${key}`))).toEqual({ ok: true, key });
  });
});
