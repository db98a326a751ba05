/** The authorizer's settings that bind keys to their Kinde API: KINDE_API_IDS, KEY_METADATA_TTL_SECONDS, ACCEPT_KEYS_FOR_ANY_API. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lambda/config";

const BASE = { KINDE_DOMAIN: "https://acme.kinde.com", KINDE_M2M_CLIENT_ID: "client", KINDE_M2M_CLIENT_SECRET: "s3cret-value" };

describe("key binding settings", () => {
  it("reads them", () => {
    const config = loadConfig({ ...BASE, KINDE_API_IDS: "api_a, api_b,api_a", KEY_METADATA_TTL_SECONDS: "3600", ACCEPT_KEYS_FOR_ANY_API: "true" });
    expect(config).toMatchObject({ kindeApiIds: ["api_a", "api_b"], keyMetadataTtlSeconds: 3600, acceptKeysForAnyApi: true });
  });

  it.each([
    ["59", /KEY_METADATA_TTL_SECONDS must be a whole number from 60 to 604800 \(got 59\)/],
    ["604801", /KEY_METADATA_TTL_SECONDS must be a whole number from 60 to 604800 \(got 604801\)/],
    ["1d", /KEY_METADATA_TTL_SECONDS must be a whole number from 60 to 604800 \(got "1d"\)/],
  ])("refuses KEY_METADATA_TTL_SECONDS=%s", (value, message) => {
    expect(() => loadConfig({ ...BASE, KEY_METADATA_TTL_SECONDS: value })).toThrow(message);
  });

  it("refuses an ACCEPT_KEYS_FOR_ANY_API that is not true or false", () => {
    expect(() => loadConfig({ ...BASE, ACCEPT_KEYS_FOR_ANY_API: "yes" })).toThrow(/ACCEPT_KEYS_FOR_ANY_API must be true or false \(got "yes"\)/);
  });
});
