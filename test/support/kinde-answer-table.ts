/**
 * Kinde's answers to verify and what each leads to: the caller's answer, whether the verdict is
 * cached, whether the circuit breaker counts it. test/lambda/kinde-answers.integration.test.ts has a
 * stand-in Kinde give every row's answer over HTTP and checks the three outcomes;
 * docs/how-a-request-is-decided.md shows the same rows (test/lambda/fault-table-doc.test.ts renders
 * them from here and compares).
 *
 * The line between a refusal and an outage follows who could have caused the answer: the key is the
 * only part of a verify request that changes between calls, and the caller chose it, so a 4xx in
 * Kinde's error JSON is about the key. Everything else says Kinde, or the path to it, is not working.
 */
import type { CallerAnswer } from "./fault-table";

/** How the stand-in answers verify (its token endpoint always issues a token). */
export type StandInVerify =
  | { kind: "http"; status: number; contentType: string; body: string; headers?: Record<string, string> }
  /** The connection is dropped without an answer. */
  | { kind: "reset" };

export interface KindeAnswerRow {
  /** Kinde's answer, as the documentation says it. */
  answer: string;
  caller: CallerAnswer;
  /** Whether the verdict is remembered (memory and DynamoDB), so the key's next request does not ask Kinde. */
  cached: boolean;
  /** Whether the circuit breaker counts it toward opening. */
  countsTowardBreaker: boolean;
  /** What the stand-in sends, for this row's test. */
  verify: StandInVerify;
}

const json = (status: number, body: unknown, headers?: Record<string, string>): StandInVerify => ({
  kind: "http",
  status,
  contentType: "application/json",
  body: JSON.stringify(body),
  ...(headers ? { headers } : {}),
});
const kindeErrors = (code: string) => ({ errors: [{ code, message: "from the stand-in" }] });

export const KINDE_ANSWER_TABLE = {
  "verified": {
    answer: "`200`, `is_valid: true`, `status: \"active\"`, an owner",
    caller: "allow",
    cached: true,
    countsTowardBreaker: false,
    verify: json(200, { code: "API_KEY_VERIFIED", is_valid: true, status: "active", key_id: "api_key_standin", user_id: "kp_standin", scopes: ["read:profile"] }),
  },
  "not-valid": {
    answer: "`200` with `is_valid: false`, or another `status`",
    caller: "401",
    cached: true,
    countsTowardBreaker: false,
    verify: json(200, { code: "API_KEY_INVALID", is_valid: false, status: "revoked", key_id: "api_key_standin", user_id: "kp_standin" }),
  },
  "bad-request": {
    answer: "`400` in Kinde's error JSON (`{\"errors\": [{code, message}]}`)",
    caller: "401",
    cached: true,
    countsTowardBreaker: false,
    verify: json(400, kindeErrors("INVALID_API_KEY")),
  },
  "key-not-found": {
    answer: "`404` in Kinde's error JSON (`{\"errors\": {code, message}}`), such as `API_KEY_NOT_FOUND`",
    caller: "401",
    cached: true,
    countsTowardBreaker: false,
    verify: json(404, { errors: { code: "API_KEY_NOT_FOUND", message: "API key not found" } }),
  },
  "other-refusal": {
    answer: "any other `4xx` in Kinde's error JSON about the request's content (`409`, `410`, `413`, `422`, …)",
    caller: "401",
    cached: true,
    countsTowardBreaker: false,
    verify: json(422, kindeErrors("UNPROCESSABLE")),
  },
  "token-refused": {
    answer: "`401` or `403`, again after a new M2M token (Keygate's token refused)",
    caller: "503",
    cached: false,
    countsTowardBreaker: true,
    verify: json(401, kindeErrors("TOKEN_INVALID")),
  },
  "rate-limited": {
    answer: "`429` (with or without `RateLimit-Reset`)",
    caller: "503",
    cached: false,
    countsTowardBreaker: true,
    verify: json(429, kindeErrors("RATE_LIMIT_EXCEEDED"), { "ratelimit-reset": "1" }),
  },
  "server-error": {
    answer: "`5xx`",
    caller: "503",
    cached: false,
    countsTowardBreaker: true,
    verify: json(502, kindeErrors("BAD_GATEWAY")),
  },
  "route-not-found": {
    answer: "`404` `ROUTE_NOT_FOUND` (Kinde does not serve the path: a wrong `kindeDomain`)",
    caller: "503",
    cached: false,
    countsTowardBreaker: true,
    verify: json(404, { errors: { code: "ROUTE_NOT_FOUND", message: "The requested API route does not exist" } }),
  },
  "not-kindes-4xx": {
    answer: "a `4xx` that is not Kinde's error JSON (an HTML page, other JSON): something else answered",
    caller: "503",
    cached: false,
    countsTowardBreaker: true,
    verify: { kind: "http", status: 404, contentType: "text/html", body: "<h1>Not Found</h1>" },
  },
  "about-the-request": {
    answer: "`405`, `406`, `407`, `408`, `411`, `414`, `415`, `421`, `426`, `431`: about the method, route, format or connection, the same for every key",
    caller: "503",
    cached: false,
    countsTowardBreaker: true,
    verify: json(415, kindeErrors("UNSUPPORTED_MEDIA_TYPE")),
  },
  "not-kindes-200": {
    answer: "`200` that is not Kinde's JSON object (HTML, broken JSON, another shape)",
    caller: "503",
    cached: false,
    countsTowardBreaker: true,
    verify: { kind: "http", status: 200, contentType: "text/html", body: "<p>Please sign in</p>" },
  },
  "redirect": {
    answer: "a redirect (`3xx`, never followed)",
    caller: "503",
    cached: false,
    countsTowardBreaker: true,
    verify: { kind: "http", status: 307, contentType: "text/plain", body: "", headers: { location: "http://127.0.0.1:9/api/v1/api_keys/verify" } },
  },
  "reset": {
    answer: "no answer: connection refused or reset, or nothing within `verifyTimeoutMs`",
    caller: "503",
    cached: false,
    countsTowardBreaker: true,
    verify: { kind: "reset" },
  },
} as const satisfies Record<string, KindeAnswerRow>;

export type KindeAnswerId = keyof typeof KINDE_ANSWER_TABLE;

const CALLER_TEXT: Record<CallerAnswer, string> = {
  allow: "allowed",
  "401": "`401`",
  "503": "`503`",
};

/** The rows as docs/how-a-request-is-decided.md shows them, header first. */
export function kindeAnswerTableMarkdown(): string[] {
  const yesNo = (value: boolean) => (value ? "yes" : "no");
  return [
    "| Kinde's answer to verify | the caller gets | verdict cached | counts toward the breaker |",
    "|---|---|---|---|",
    ...Object.values(KINDE_ANSWER_TABLE).map((row: KindeAnswerRow) => `| ${row.answer} | ${CALLER_TEXT[row.caller]} | ${yesNo(row.cached)} | ${yesNo(row.countsTowardBreaker)} |`),
  ];
}
