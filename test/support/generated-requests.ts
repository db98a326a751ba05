/**
 * Generated authorizer events for property tests: TOKEN and REQUEST events of REST APIs and HTTP API
 * events (payload 2.0), the scheme and header name in any casing, extra spaces, duplicate or
 * conflicting Authorization headers, null header maps, and keys of every kind of byte, with the keys
 * each event presents.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import fc from "fast-check";
import { UNAUTHORIZED } from "../../lambda/authorizer";
import type { AuthorizerResult } from "../../lambda/event/answer";
import type { AuthorizerEvent } from "../../lambda/event/request-view";
import { httpApiEvent, requestEvent, tokenEvent } from "./aws-events";

/** Keys that are not the pool's: bytes of every kind, lengths at and past the limit, look-alikes of `like`. */
function oddKeys(like: string): fc.Arbitrary<string> {
  const stem = like.slice(0, -1);
  return fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 40 }),
    fc.constantFrom(
      `${stem}\uD800`,
      `${stem}\uFFFD`,
      `${stem}\u00e9`,
      `${stem}\u2028`,
      `${stem} ${like.slice(-1)}`,
      like.toUpperCase(),
      "x".repeat(512),
      "x".repeat(513),
    ),
  );
}

/** Requests presenting `pool`'s keys or odd ones: mostly what a client sends, otherwise one thing changed. */
export function requestSpecs(pool: readonly string[]) {
  return fc.record({
    key: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: oddKeys(pool[0]!) }),
    shape: fc.constantFrom("TOKEN" as const, "REQUEST" as const, "HTTP" as const),
    scheme: fc.oneof({ weight: 6, arbitrary: fc.constantFrom("Bearer", "bearer", "BEARER", "bEaReR") }, { weight: 1, arbitrary: fc.constantFrom("Basic", "", "Bearer:") }),
    separator: fc.oneof({ weight: 6, arbitrary: fc.constant(" ") }, { weight: 1, arbitrary: fc.constantFrom("   ", "\t", "") }),
    padding: fc.oneof({ weight: 6, arbitrary: fc.constant("") }, { weight: 1, arbitrary: fc.constantFrom(" ", "\t") }),
    headerName: fc.oneof({ weight: 6, arbitrary: fc.constantFrom("Authorization", "authorization", "AUTHORIZATION") }, { weight: 1, arbitrary: fc.constant("X-Api-Key") }),
    duplicate: fc.oneof(
      { weight: 8, arbitrary: fc.constant("none" as const) },
      { weight: 3, arbitrary: fc.constantFrom("second-name" as const, "multi-two" as const, "multi-other" as const, "no-single" as const, "null-headers" as const) },
    ),
    otherKey: fc.constantFrom(...pool),
    sourceIp: fc.constantFrom("198.51.100.7", "203.0.113.9", undefined),
    container: fc.integer({ min: 0, max: 1 }),
    /** Simulated time before this request starts; 0 with `together` makes it concurrent with the one before. */
    gapMs: fc.constantFrom(0, 1_000, 31_000, 301_000, 900_000),
    together: fc.boolean(),
  });
}
export type RequestSpec = ReturnType<typeof requestSpecs> extends fc.Arbitrary<infer T> ? T : never;

/**
 * The credential a header carries: spaces between scheme and key are one separator however many,
 * and whitespace at the end of a header value is not part of it (HTTP's optional whitespace).
 */
function credentialIn(key: string): string {
  return key.replace(/^ +/, "").replace(/[ \t]+$/, "");
}

/** The event, and the keys it presents (one, or two when a second Authorization header carries another). */
export function authorizerEvent(spec: RequestSpec): { event: AuthorizerEvent; presented: string[] } {
  const header = `${spec.padding}${spec.scheme}${spec.separator}${spec.key}${spec.padding}`;
  if (spec.shape === "TOKEN") return { event: tokenEvent(header), presented: [credentialIn(spec.key)] };
  if (spec.shape === "HTTP") return httpEvent(spec, header);
  const event: APIGatewayRequestAuthorizerEvent = requestEvent();
  const other = `Bearer ${spec.otherKey}`;
  const headers: Record<string, string | undefined> = { ...event.headers, [spec.headerName]: header };
  const multi: Record<string, string[] | undefined> = { ...event.multiValueHeaders, [spec.headerName]: [header] };
  const presented = [credentialIn(spec.key)];
  switch (spec.duplicate) {
    case "second-name":
      headers[spec.headerName === "authorization" ? "Authorization" : "authorization"] = other;
      presented.push(spec.otherKey);
      break;
    case "multi-two":
      multi[spec.headerName] = [header, header];
      break;
    case "multi-other":
      multi[spec.headerName] = [other, header];
      presented.push(spec.otherKey);
      break;
    case "no-single":
      delete headers[spec.headerName];
      break;
  }
  event.headers = spec.duplicate === "null-headers" ? null : headers;
  event.multiValueHeaders = spec.duplicate === "null-headers" ? null : multi;
  if (spec.sourceIp !== undefined) event.requestContext.identity.sourceIp = spec.sourceIp;
  return { event, presented };
}

/**
 * An HTTP API's payload-2.0 event: one `headers` map (names kept as generated, since AWS's own sample
 * keeps `Header1`), a repeated header's values joined by commas, and no `multiValueHeaders`.
 */
function httpEvent(spec: RequestSpec, header: string): { event: AuthorizerEvent; presented: string[] } {
  const event = httpApiEvent();
  const other = `Bearer ${spec.otherKey}`;
  const headers: Record<string, string | undefined> = { ...event.headers, [spec.headerName]: header };
  const presented = [credentialIn(spec.key)];
  switch (spec.duplicate) {
    case "second-name":
      headers[spec.headerName === "authorization" ? "Authorization" : "authorization"] = other;
      presented.push(spec.otherKey);
      break;
    case "multi-two":
      headers[spec.headerName] = `${header},${header}`;
      break;
    case "multi-other":
      headers[spec.headerName] = `${other},${header}`;
      presented.push(spec.otherKey);
      break;
    case "no-single":
      delete headers[spec.headerName];
      break;
  }
  event.headers = spec.duplicate === "null-headers" ? (null as unknown as typeof event.headers) : headers;
  event.identitySource = [header];
  if (spec.sourceIp !== undefined) event.requestContext.http.sourceIp = spec.sourceIp;
  return { event, presented };
}

/**
 * An answer in the REST shape the property tests judge: a simple response's refusal as the REST
 * refusal (`Unauthorized`), its Allow as a policy answer for the principal its context names.
 */
export function asRestOutcome(result: AuthorizerResult): APIGatewayAuthorizerResult {
  if (!("isAuthorized" in result)) return result;
  if (!result.isAuthorized) throw new Error(UNAUTHORIZED);
  const context = result.context ?? {};
  const principalId = typeof context.user_id === "string" ? context.user_id : `org:${String(context.org_code)}`;
  return { principalId, policyDocument: { Version: "2012-10-17", Statement: [] }, context };
}
