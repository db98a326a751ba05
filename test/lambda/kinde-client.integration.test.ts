/**
 * The Kinde clients on their own, over the loopback emulator: token renewal and the 429 back-off (with
 * a clock the test moves), which verify answers are verdicts, and the key metadata client.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clientSecretSource } from "../../lambda/kinde/client-secret";
import { M2MTokenProvider } from "../../lambda/kinde/m2m-token";
import { KindeKeyMetadataClient } from "../../lambda/kinde/key-metadata-client";
import { MAX_RATE_LIMIT_BACKOFF_MS } from "../../lambda/kinde/kinde-fetch";
import { KindeVerifyClient } from "../../lambda/kinde/verify-client";
import { KindeEmulator, LOCAL_KINDE_API_ID, type KeyMetadataMode, type LocalKey } from "../../local/kinde-emulator";
import { startLoopbackServer } from "../support/loopback-server";

const KEY = "k_live_clock_0123456789abcdef";
const KEYS: LocalKey[] = [
  { api_key: KEY, key_id: "api_key_c", user_id: "kp_c", scopes: [] },
  { api_key: "k_live_org_0123456789abcdef", key_id: "api_key_o", org_code: "org_o", user_id: "kp_o", type: "organization", api_ids: ["api_a", "api_b"], created_on: "2025-01-02T03:04:05Z" },
  { api_key: "k_live_legacy_org_0123456789", key_id: "api_key_lo", org_code: "org_lo" },
];
const kinde = new KindeEmulator({
  clientId: "clock",
  clientSecret: "clock-secret",
  keys: () => KEYS,
  tokenLifetimeSeconds: 3600,
});
let clock = 1_700_000_000_000;
const now = () => clock;

function client() {
  const tokens = new M2MTokenProvider(kinde.url, "clock", clientSecretSource({ clientSecret: "clock-secret" }), now);
  return new KindeVerifyClient(kinde.url, tokens, now);
}
const budget = () => AbortSignal.timeout(5_000);

beforeAll(() => kinde.start());
afterAll(() => kinde.stop());
beforeEach(() => {
  kinde.verifyMode = "normal";
  kinde.keyMetadataMode = "normal";
  kinde.unknownKeyAnswer = "200-invalid";
  kinde.resetCounts();
});

describe("the M2M token", () => {
  it("is kept until shortly before expires_in, then renewed", async () => {
    const verify = client();
    await verify.verify(KEY, budget());
    clock += 3_000_000; // 50 minutes: still well inside the hour
    await verify.verify(KEY, budget());
    expect(kinde.calls.token).toBe(1);
    clock += 570_000; // 59.5 minutes: inside the last minute, renewed early
    await verify.verify(KEY, budget());
    expect(kinde.calls.token).toBe(2);
  });
});

describe("after a 429", () => {
  it("makes no call until RateLimit-Reset has passed, capped at the maximum back-off", async () => {
    kinde.verifyMode = "rate-limited";
    kinde.rateLimitResetSeconds = 3600;
    const verify = client();
    await expect(verify.verify(KEY, budget())).rejects.toThrow(/^kinde_rate_limited: Kinde answered 429 \(reset in 3600s\)/);
    kinde.verifyMode = "normal";

    clock += MAX_RATE_LIMIT_BACKOFF_MS - 1_000;
    await expect(verify.verify(KEY, budget())).rejects.toThrow(/^kinde_rate_limited: backing off until /);
    expect(kinde.calls.verify).toBe(1);

    clock += 2_000;
    await expect(verify.verify(KEY, budget())).resolves.toMatchObject({ kind: "answered", body: { is_valid: true, user_id: "kp_c" } });
    expect(kinde.calls.verify).toBe(2);
  });

  it("backs off for the reset Kinde gives when it is shorter", async () => {
    kinde.verifyMode = "rate-limited";
    kinde.rateLimitResetSeconds = 2;
    const verify = client();
    await expect(verify.verify(KEY, budget())).rejects.toThrow(/kinde_rate_limited/);
    kinde.verifyMode = "normal";
    clock += 1_500;
    await expect(verify.verify(KEY, budget())).rejects.toThrow(/backing off/);
    clock += 1_000;
    await expect(verify.verify(KEY, budget())).resolves.toMatchObject({ kind: "answered" });
  });
});

describe("verify's answers", () => {
  it.each(["200-invalid", "400", "404"] as const)("takes Kinde's %s for an unknown key as a verdict", async (answer) => {
    kinde.unknownKeyAnswer = answer;
    const result = await client().verify("k_live_unknown_0123456789", budget());
    expect(result).toEqual(answer === "200-invalid" ? expect.objectContaining({ kind: "answered", body: expect.objectContaining({ is_valid: false }) }) : { kind: "rejected", status: Number(answer) });
  });

  it("takes a 422 in Kinde's error JSON as a refusal of the key", async () => {
    kinde.verifyMode = "unprocessable";
    await expect(client().verify(KEY, budget())).resolves.toEqual({ kind: "rejected", status: 422 });
  });

  it.each([
    ["route-not-found", /^kinde_unexpected_status: Kinde answered 404 ROUTE_NOT_FOUND: it does not serve verify there: check KINDE_DOMAIN/],
    ["html", /^kinde_bad_response: the verify answer \(HTTP 200\) is not JSON but "text\/html; charset=utf-8": check KINDE_DOMAIN/],
  ] as const)("treats %s as unavailable with a configuration hint, never a verdict", async (mode, message) => {
    kinde.verifyMode = mode;
    await expect(client().verify(KEY, budget())).rejects.toThrow(message);
  });

  /** A stand-in for Kinde that issues tokens but answers verify its own way; counts both. */
  async function withStandIn<T>(status: number, type: string, body: string, use: (verify: KindeVerifyClient, calls: { token: number; verify: number }) => Promise<T>): Promise<T> {
    const calls = { token: 0, verify: 0 };
    const standIn = await startLoopbackServer((req, res) => {
      req.resume();
      const token = req.url === "/oauth2/token";
      calls[token ? "token" : "verify"]++;
      res.writeHead(token ? 200 : status, { "content-type": token ? "application/json" : type });
      res.end(token ? '{"access_token":"t","expires_in":3600}' : body);
    });
    try {
      const tokens = new M2MTokenProvider(standIn.url, "x", clientSecretSource({ clientSecret: "y" }), now);
      return await use(new KindeVerifyClient(standIn.url, tokens, now), calls);
    } finally {
      await standIn.stop();
    }
  }

  it.each([
    ["a 404 API_KEY_NOT_FOUND (not_found_response)", 404, '{"errors":{"code":"API_KEY_NOT_FOUND","message":"API key not found"}}'],
    ["a 404 in the error_response list shape", 404, '{"errors":[{"code":"NOT_FOUND","message":"x"}]}'],
    ["a 400 with an error of no code", 400, '{"errors":[{"message":"bad key"}]}'],
    ["a 409", 409, '{"errors":[{"code":"CONFLICT","message":"x"}]}'],
    ["a 410", 410, '{"errors":{"code":"API_KEY_REVOKED","message":"x"}}'],
    ["a 413", 413, '{"errors":[{"code":"PAYLOAD_TOO_LARGE","message":"x"}]}'],
    ["a 422", 422, '{"errors":[{"code":"INVALID_API_KEY","message":"x"}]}'],
  ])("takes %s in Kinde's error JSON as a refusal of the key, after one call", async (_, status, body) => {
    await withStandIn(status, "application/json; charset=utf-8", body, async (verify, calls) => {
      await expect(verify.verify(KEY, budget())).resolves.toEqual({ kind: "rejected", status });
      expect(calls).toEqual({ token: 1, verify: 1 });
    });
  });

  it.each([
    ["a 400 that is an HTML page", 400, "text/html", "<h1>Bad Request</h1>", /^kinde_bad_response: the verify answer \(HTTP 400\) is not JSON/],
    ["a 400 without Kinde's errors", 400, "application/json", '{"message":"bad"}', /^kinde_bad_response: the verify answer \(HTTP 400\) is not Kinde's error object: check KINDE_DOMAIN/],
    ["a 200 in JSON sent as text", 200, "text/plain", '{"is_valid":true,"status":"active","user_id":"kp_x"}', /^kinde_bad_response: .*not JSON but "text\/plain"/],
    ["a 404 page that is not Kinde's (a wrong KINDE_DOMAIN)", 404, "text/html", "<h1>Not Found</h1>", /^kinde_bad_response: the verify answer \(HTTP 404\) is not JSON.*check KINDE_DOMAIN/],
    ["a 404 in JSON that is not Kinde's", 404, "application/json", '{"message":"Not Found"}', /^kinde_bad_response: the verify answer \(HTTP 404\) is not Kinde's error object/],
    ["a 404 ROUTE_NOT_FOUND", 404, "application/json", '{"errors":{"code":"ROUTE_NOT_FOUND","message":"x"}}', /^kinde_unexpected_status: Kinde answered 404 ROUTE_NOT_FOUND/],
    ["a 405 in Kinde's error JSON", 405, "application/json", '{"errors":[{"code":"METHOD_NOT_ALLOWED","message":"x"}]}', /^kinde_unexpected_status: verify answered HTTP 405, which is about the request, not the key/],
    ["a 415 in Kinde's error JSON", 415, "application/json", '{"errors":[{"code":"UNSUPPORTED","message":"x"}]}', /^kinde_unexpected_status: verify answered HTTP 415/],
    ["a 418 with an empty object", 418, "application/json", "{}", /^kinde_bad_response: the verify answer \(HTTP 418\) is not Kinde's error object/],
    ["a 204", 204, "application/json", "", /^kinde_unexpected_status: verify answered HTTP 204/],
  ])("treats %s as unavailable", async (_, status, type, body, message) => {
    await withStandIn(status, type, body, async (verify) => {
      await expect(verify.verify(KEY, budget())).rejects.toThrow(message);
    });
  });

  it.each([401, 403])("takes a %i in Kinde's error JSON as a refused M2M token: a new token once, then unavailable", async (status) => {
    await withStandIn(status, "application/json", '{"errors":[{"code":"TOKEN_INVALID","message":"x"}]}', async (verify, calls) => {
      await expect(verify.verify(KEY, budget())).rejects.toThrow(new RegExp(`^kinde_auth_failed: Kinde refused Keygate's M2M token \\(HTTP ${status}\\) twice`));
      expect(calls).toEqual({ token: 2, verify: 2 });
    });
  });
});

describe("the key metadata client", () => {
  const metadataClient = () => new KindeKeyMetadataClient(kinde.url, new M2MTokenProvider(kinde.url, "clock", clientSecretSource({ clientSecret: "clock-secret" }), now));

  it("reads api_ids, type and created_on from Kinde's get_api_key_response", async () => {
    await expect(metadataClient().get("api_key_o", budget())).resolves.toEqual({
      found: true,
      metadata: { keyId: "api_key_o", apiIds: ["api_a", "api_b"], type: "organization", createdOn: "2025-01-02T03:04:05Z" },
    });
  });

  it("serves a key written without metadata as issued for the local API, an organization key when it has only an org_code", async () => {
    await expect(metadataClient().get("api_key_lo", budget())).resolves.toMatchObject({ found: true, metadata: { apiIds: [LOCAL_KINDE_API_ID], type: "organization" } });
    await expect(metadataClient().get("api_key_c", budget())).resolves.toMatchObject({ found: true, metadata: { apiIds: [LOCAL_KINDE_API_ID], type: "user" } });
  });

  it("answers a key id Kinde does not know as not found", async () => {
    await expect(metadataClient().get("api_key_gone", budget())).resolves.toEqual({ found: false });
  });

  it("fetches a new token once when Kinde refuses the old one, and gives up after a second refusal", async () => {
    const tokens = new M2MTokenProvider(kinde.url, "clock", clientSecretSource({ clientSecret: "clock-secret" }), now);
    const metadata = new KindeKeyMetadataClient(kinde.url, tokens);
    await metadata.get("api_key_c", budget());
    kinde.expireTokens();
    await expect(metadata.get("api_key_c", budget())).resolves.toMatchObject({ found: true });
    expect(kinde.calls).toMatchObject({ token: 2, keyMetadata: 3 });
    kinde.keyMetadataMode = "always-401";
    await expect(metadata.get("api_key_c", budget())).rejects.toThrow(/^kinde_auth_failed: .*twice/);
  });

  it.each<[KeyMetadataMode, RegExp]>([
    ["forbidden", /^kinde_auth_failed: .*\(HTTP 403\).*read:api_keys/],
    ["rate-limited", /^kinde_rate_limited/],
    ["server-error", /^kinde_server_error: the key metadata endpoint answered 503/],
    ["route-not-found", /^kinde_unexpected_status: Kinde answered 404 ROUTE_NOT_FOUND .*check KINDE_DOMAIN/],
    ["html", /^kinde_bad_response: the key metadata answer \(HTTP 200\) is not JSON/],
  ])("treats %s as unavailable", async (mode, message) => {
    kinde.keyMetadataMode = mode;
    await expect(metadataClient().get("api_key_c", budget())).rejects.toThrow(message);
  });

  it.each([
    ["api_ids that are not strings", { api_ids: [1] }],
    ["a type that is not a string", { type: 5 }],
    ["another key's id", { id: "api_key_other" }],
    ["no api_key object", undefined],
  ])("refuses an answer with %s", async (_, apiKey) => {
    const standIn = await startLoopbackServer((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "application/json" });
      res.end(req.url === "/oauth2/token" ? '{"access_token":"t","expires_in":3600}' : JSON.stringify(apiKey === undefined ? { code: "OK" } : { api_key: { api_ids: ["a"], type: "user", ...apiKey } }));
    });
    try {
      const tokens = new M2MTokenProvider(standIn.url, "x", clientSecretSource({ clientSecret: "y" }), now);
      await expect(new KindeKeyMetadataClient(standIn.url, tokens).get("api_key_c", budget())).rejects.toThrow(/^kinde_bad_response: the key metadata response is not the documented object/);
    } finally {
      await standIn.stop();
    }
  });
});
