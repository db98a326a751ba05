import { VerificationUnavailableError } from "../errors";
import type { M2MTokenProvider } from "./m2m-token";

/**
 * Sends one Kinde call with the container's M2M token. When Kinde refuses the token (one of
 * `refusedStatuses`), it may have expired or been revoked at Kinde: the token is dropped and the call
 * made once more with a new one. A second refusal is a configuration fault of Keygate's, never the
 * caller's: "unavailable".
 */
export async function sendWithToken(
  tokens: Pick<M2MTokenProvider, "token" | "invalidate">,
  signal: AbortSignal,
  refusedStatuses: readonly number[],
  send: (token: string) => Promise<Response>,
): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const token = await tokens.token(signal);
    const response = await send(token);
    if (!refusedStatuses.includes(response.status)) return response;
    await response.body?.cancel();
    tokens.invalidate(token);
    if (attempt === 1) continue;
    throw new VerificationUnavailableError(
      "kinde_auth_failed",
      `Kinde refused Keygate's M2M token (HTTP ${response.status}) twice: check the M2M application's credentials and its read:api_keys scope`,
    );
  }
}
