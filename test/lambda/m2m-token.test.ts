/** The M2M token provider after Kinde refuses the client credentials: one retry, and only with a freshly read secret. */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ClientSecretSource } from "../../lambda/kinde/client-secret";
import { M2MTokenProvider } from "../../lambda/kinde/m2m-token";

const DOMAIN = "https://keygate-test.kinde.com";

/** A token endpoint accepting only `accepted`, recording the secrets it was sent. */
function tokenEndpoint(accepted: string) {
  const sent: string[] = [];
  vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => {
    const secret = new URLSearchParams(String(init.body)).get("client_secret") ?? "";
    sent.push(secret);
    const body = secret === accepted ? { access_token: `token-for-${secret}`, expires_in: 3600 } : { error: "invalid_client" };
    return new Response(JSON.stringify(body), { status: secret === accepted ? 200 : 401, headers: { "content-type": "application/json" } });
  });
  return sent;
}

/** A secret source serving `values` in turn, re-reading only while `rereads` allows. */
function secretSource(values: string[], rereads: boolean): ClientSecretSource & { reads: number } {
  const source = {
    reads: 0,
    get: () => Promise.resolve(values[Math.min(source.reads++, values.length - 1)]!),
    invalidate: () => rereads,
  };
  return source;
}

const live = () => new AbortController().signal;

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("M2MTokenProvider when Kinde refuses the client credentials", () => {
  it("reads the secret again and asks once more in the same call, when the source will read afresh", async () => {
    const sent = tokenEndpoint("rotated");
    const tokens = new M2MTokenProvider(DOMAIN, "client", secretSource(["old", "rotated"], true));
    expect(await tokens.token(live())).toBe("token-for-rotated");
    expect(sent).toEqual(["old", "rotated"]);
  });

  it("asks only once more, however often the source would re-read", async () => {
    const sent = tokenEndpoint("never");
    const tokens = new M2MTokenProvider(DOMAIN, "client", secretSource(["old", "still-old"], true));
    await expect(tokens.token(live())).rejects.toMatchObject({ code: "kinde_auth_failed" });
    expect(sent).toEqual(["old", "still-old"]);
  });

  it("does not ask again when the secret would not be read afresh", async () => {
    const sent = tokenEndpoint("rotated");
    const tokens = new M2MTokenProvider(DOMAIN, "client", secretSource(["old", "rotated"], false));
    await expect(tokens.token(live())).rejects.toMatchObject({ code: "kinde_auth_failed" });
    expect(sent).toEqual(["old"]);
  });
});
