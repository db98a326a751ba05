import type { APIGatewayRequestAuthorizerEvent, APIGatewayTokenAuthorizerEvent } from "aws-lambda";

export type AuthorizerEvent = APIGatewayTokenAuthorizerEvent | APIGatewayRequestAuthorizerEvent;

export type KeyExtraction = { ok: true; key: string } | { ok: false; reason: "missing_key" | "malformed_key" };

/** Keys longer than this are refused without asking Kinde (its keys are far shorter). */
export const MAX_KEY_LENGTH = 512;

// Any whitespace or control character: space, tabs, newlines, DEL, C0/C1 controls, Unicode spaces.
const FORBIDDEN = /[\s\x00-\x1f\x7f-\x9f]/u;

/**
 * Finds the presented key: `Authorization: Bearer <key>` in a REQUEST event's headers (any
 * casing, single- or multi-value), or the raw header value of a TOKEN event.
 */
export function extractKey(event: AuthorizerEvent): KeyExtraction {
  const values = event.type === "TOKEN" ? [event.authorizationToken] : authorizationHeaders(event);
  const header = values.find((value): value is string => typeof value === "string" && value.trim() !== "");
  if (header === undefined) return { ok: false, reason: "missing_key" };
  // Two Authorization headers are ambiguous: refuse rather than guess which one counts.
  if (values.length > 1) return { ok: false, reason: "malformed_key" };

  const match = /^bearer +(.*)$/i.exec(header.trim());
  if (!match) return { ok: false, reason: "malformed_key" };
  const key = match[1]!;
  if (key === "" || key.length > MAX_KEY_LENGTH || FORBIDDEN.test(key)) return { ok: false, reason: "malformed_key" };
  return { ok: true, key };
}

function authorizationHeaders(event: APIGatewayRequestAuthorizerEvent): unknown[] {
  const multi = findHeader(event.multiValueHeaders);
  if (Array.isArray(multi) && multi.length > 0) return multi;
  const single = findHeader(event.headers);
  return single === undefined ? [] : [single];
}

function findHeader<T>(headers: Record<string, T | undefined> | null | undefined): T | undefined {
  if (!headers || typeof headers !== "object") return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === "authorization") return value;
  }
  return undefined;
}
