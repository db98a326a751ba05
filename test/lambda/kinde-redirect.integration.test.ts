/**
 * Keygate talks to Kinde only: a redirect from the token, verify or key metadata endpoint is never
 * followed. The server it points at would answer as a willing Kinde; it must receive nothing.
 */
import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clientSecretSource } from "../../lambda/kinde/client-secret";
import { VerificationUnavailableError } from "../../lambda/errors";
import { KindeKeyMetadataClient } from "../../lambda/kinde/key-metadata-client";
import { M2MTokenProvider } from "../../lambda/kinde/m2m-token";
import { KindeVerifyClient } from "../../lambda/kinde/verify-client";
import { KindeEmulator, type EmulatedRedirect } from "../../local/kinde-emulator";
import { startLoopbackServer, type LoopbackServer } from "../support/loopback-server";

const SECRET = "m2m-secret-for-redirects";
const KEY = "k_live_redirect_0123456789abcdef";
const kinde = new KindeEmulator({
  clientId: "redirects",
  clientSecret: SECRET,
  keys: () => [{ api_key: KEY, key_id: "api_key_r", user_id: "kp_r", scopes: [] }],
});

/** What a server standing in for Kinde would happily answer every request with. */
const WILLING_ANSWER = JSON.stringify({ access_token: "forged", expires_in: 3600, is_valid: true, status: "active", key_id: "api_key_r", user_id: "kp_attacker", api_key: { api_ids: ["api_x"], type: "user" } });
let elsewhere: LoopbackServer;
const received: string[] = [];

beforeAll(async () => {
  await kinde.start();
  elsewhere = await startLoopbackServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      received.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(WILLING_ANSWER);
    });
  });
});
afterAll(async () => {
  await kinde.stop();
  await elsewhere.stop();
});
beforeEach(() => {
  kinde.redirect = undefined;
  kinde.resetCounts();
  received.length = 0;
});

const budget = () => AbortSignal.timeout(5_000);
const tokens = () => new M2MTokenProvider(kinde.url, "redirects", clientSecretSource({ clientSecret: SECRET }));

async function failure(promise: Promise<unknown>): Promise<VerificationUnavailableError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof VerificationUnavailableError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

const STATUSES = [301, 302, 303, 307, 308] as const;
const redirect = (endpoint: EmulatedRedirect["endpoint"], status: EmulatedRedirect["status"]): EmulatedRedirect => ({
  endpoint,
  status,
  location: `${elsewhere.url}/elsewhere`,
});

describe("a redirect", () => {
  it.each(STATUSES)("from the token endpoint (%i) is unavailable, naming the status, and the client secret goes nowhere", async (status) => {
    kinde.redirect = redirect("token", status);
    const error = await failure(tokens().token(budget()));
    expect(error.code).toBe("kinde_redirect");
    expect(error.message).toContain(`HTTP ${status}`);
    expect(error.message).toContain("KINDE_DOMAIN");
    expect(error.message).not.toContain(SECRET);
    expect(kinde.calls.token).toBe(1);
    expect(received).toEqual([]);
  });

  it.each(STATUSES)("from verify (%i) is unavailable and the raw key goes nowhere", async (status) => {
    kinde.redirect = redirect("verify", status);
    const error = await failure(new KindeVerifyClient(kinde.url, tokens()).verify(KEY, budget()));
    expect(error.code).toBe("kinde_redirect");
    expect(error.message).toContain(`HTTP ${status}`);
    expect(error.message).not.toContain(KEY);
    expect(kinde.calls).toMatchObject({ token: 1, verify: 1 });
    expect(received).toEqual([]);
  });

  it.each(STATUSES)("from the key metadata endpoint (%i) is unavailable and the token goes nowhere", async (status) => {
    kinde.redirect = redirect("key-metadata", status);
    const error = await failure(new KindeKeyMetadataClient(kinde.url, tokens()).get("api_key_r", budget()));
    expect(error.code).toBe("kinde_redirect");
    expect(error.message).toContain(`HTTP ${status}`);
    expect(kinde.calls).toMatchObject({ token: 1, keyMetadata: 1 });
    expect(received).toEqual([]);
  });

  it("is not what the servers answer otherwise: the same calls succeed without it", async () => {
    const provider = tokens();
    await expect(new KindeVerifyClient(kinde.url, provider).verify(KEY, budget())).resolves.toMatchObject({ kind: "answered", body: { user_id: "kp_r" } });
    await expect(new KindeKeyMetadataClient(kinde.url, provider).get("api_key_r", budget())).resolves.toMatchObject({ found: true });
    // And the stand-in does answer when asked directly, so an empty `received` above means it was never asked.
    await fetch(`${elsewhere.url}/probe`);
    expect(received).toEqual(["GET /probe "]);
  });
});
