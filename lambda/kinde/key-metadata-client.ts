import { VerificationUnavailableError } from "../errors";
import { parseKeyMetadata, type KeyMetadataLookup } from "./key-metadata";
import { DOMAIN_HINT, kindeErrorCodes, kindeFetch, readKindeJson } from "./kinde-fetch";
import type { M2MTokenProvider } from "./m2m-token";
import { sendWithToken } from "./token-renewal";

/**
 * `GET {domain}/api/v1/api_keys/{key_id}` (operation `getApiKey` in kinde-oss/management-api-js
 * spec/kinde-mgmt-api-specs.yaml: scope read:api_keys, the same M2M token as verify). The spec
 * documents 200, 400 (bad_request), 403 (forbidden: "invalid credentials"), 404 (not_found) and 429.
 *
 * Only a 200 in Kinde's shape and a 404 in Kinde's JSON saying the key does not exist are answers.
 * A 401 renews the token once, as verify does. Everything else (400, 403, 429, 5xx, a redirect, a
 * timeout, a body that is not Kinde's JSON) is "unavailable": never a reason to allow.
 */
export class KindeKeyMetadataClient {
  constructor(
    private readonly domain: string,
    private readonly tokens: Pick<M2MTokenProvider, "token" | "invalidate">,
  ) {}

  async get(keyId: string, signal: AbortSignal): Promise<KeyMetadataLookup> {
    const url = `${this.domain}/api/v1/api_keys/${encodeURIComponent(keyId)}`;
    const response = await sendWithToken(this.tokens, signal, [401], (token) =>
      kindeFetch(url, { method: "GET", headers: { authorization: `Bearer ${token}`, accept: "application/json" }, signal }, "key metadata"),
    );
    switch (response.status) {
      case 200: {
        const metadata = parseKeyMetadata(keyId, await readKindeJson(response, "key metadata"));
        if (!metadata) throw new VerificationUnavailableError("kinde_bad_response", "the key metadata response is not the documented object");
        return { found: true, metadata };
      }
      case 404:
        return notFound(await readKindeJson(response, "key metadata"));
      case 403:
        await response.body?.cancel();
        throw new VerificationUnavailableError("kinde_auth_failed", "Kinde refused to read the key's metadata (HTTP 403): give the M2M application the read:api_keys scope");
      case 429:
        await response.body?.cancel();
        throw new VerificationUnavailableError("kinde_rate_limited", `the key metadata endpoint answered 429`);
    }
    await response.body?.cancel();
    if (response.status >= 500) throw new VerificationUnavailableError("kinde_server_error", `the key metadata endpoint answered ${response.status}`);
    throw new VerificationUnavailableError("kinde_unexpected_status", `the key metadata endpoint answered HTTP ${response.status}`);
  }
}

/**
 * A 404 names a missing key only in Kinde's not_found_response shape. The spec's own example code for
 * it is ROUTE_NOT_FOUND, Kinde's answer for a path it does not serve: that one (or any body that is not
 * Kinde's error object) says the request went to the wrong place, so it is an outage, not a verdict.
 */
function notFound(payload: unknown): KeyMetadataLookup {
  const codes = kindeErrorCodes(payload);
  if (codes === undefined) throw new VerificationUnavailableError("kinde_bad_response", `the key metadata answer (HTTP 404) is not Kinde's error object: ${DOMAIN_HINT}`);
  if (codes.includes("ROUTE_NOT_FOUND")) throw new VerificationUnavailableError("kinde_unexpected_status", `Kinde answered 404 ROUTE_NOT_FOUND for the key metadata route: ${DOMAIN_HINT}`);
  return { found: false };
}
