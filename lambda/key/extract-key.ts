import type { AuthorizerEvent } from "../event/request-view";
import { isWellFormedKey, MAX_KEY_LENGTH } from "./key-syntax";

export { MAX_KEY_LENGTH };

export type KeyExtraction = { ok: true; key: string } | { ok: false; reason: "missing_key" | "malformed_key" };

const SCHEME = "bearer";

/**
 * Finds the presented key: `Authorization: Bearer <key>` in a REQUEST event's headers (any
 * casing, single- or multi-value; an HTTP API's payload-2.0 event has lower-case names and joins a
 * repeated header's values with commas, so a comma in its value is refused), or the raw header value
 * of a TOKEN event. A key is 1 to 512
 * printable ASCII characters without spaces; anything else is refused here, before it is hashed
 * or sent anywhere. Every step is a single pass over the header, whatever it contains.
 */
export function extractKey(event: AuthorizerEvent): KeyExtraction {
  const found = event.type === "TOKEN" ? { values: [event.authorizationToken], ambiguous: false } : authorizationHeaders(event);
  if (!found.values.some((value) => typeof value === "string" && value.trim() !== "")) return { ok: false, reason: "missing_key" };
  // Two Authorization headers are ambiguous: refuse rather than guess which one counts.
  if (found.ambiguous || found.values.length > 1) return { ok: false, reason: "malformed_key" };
  const key = bearerKey(found.values[0] as string);
  return key !== undefined && isWellFormedKey(key) ? { ok: true, key } : { ok: false, reason: "malformed_key" };
}

/** The text after `Bearer` and one or more spaces (scheme in any casing), or undefined. */
function bearerKey(header: string): string | undefined {
  let start = 0;
  let end = header.length;
  while (start < end && isOptionalWhitespace(header.charCodeAt(start))) start++;
  while (end > start && isOptionalWhitespace(header.charCodeAt(end - 1))) end--;
  if (end - start <= SCHEME.length || header.slice(start, start + SCHEME.length).toLowerCase() !== SCHEME) return undefined;
  let keyStart = start + SCHEME.length;
  if (header.charCodeAt(keyStart) !== 0x20) return undefined;
  while (keyStart < end && header.charCodeAt(keyStart) === 0x20) keyStart++;
  return header.slice(keyStart, end);
}

/** HTTP's optional whitespace around a header value: space and horizontal tab. */
function isOptionalWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Every Authorization value in a REQUEST event. API Gateway fills `headers` with the last value
 * and `multiValueHeaders` with all of them (payload 2.0 has no `multiValueHeaders`); either may be
 * null (console tests). Names that differ only in case, several values, or maps that disagree all
 * mean more than one header was sent.
 */
function authorizationHeaders(event: Exclude<AuthorizerEvent, { type: "TOKEN" }>): { values: unknown[]; ambiguous: boolean } {
  const single = findHeaders(event.headers);
  const multi = findHeaders("multiValueHeaders" in event ? event.multiValueHeaders : undefined);
  const multiValues = multi.flatMap((value) => (Array.isArray(value) ? (value as unknown[]) : [value]));
  // Payload 2.0 joins a repeated header's values with commas: `Bearer a,Bearer b` would otherwise
  // read as the one key `a,Bearer b` when the second value lacks its space. A comma there is refused.
  const joined = "version" in event && event.version === "2.0" && single.some((value) => typeof value === "string" && value.includes(","));
  const ambiguous =
    joined ||
    single.length > 1 ||
    multi.length > 1 ||
    (single.length === 1 && multiValues.length > 0 && multiValues[multiValues.length - 1] !== single[0]);
  return { values: multiValues.length > 0 ? multiValues : single, ambiguous };
}

function findHeaders<T>(headers: Record<string, T | undefined> | null | undefined): T[] {
  if (!headers || typeof headers !== "object") return [];
  const found: T[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === "authorization" && value !== undefined) found.push(value);
  }
  return found;
}
