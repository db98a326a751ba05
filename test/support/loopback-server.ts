import { startLoopbackServer } from "../../local/loopback-http-server";

/** Throwaway HTTP servers on 127.0.0.1, for stand-ins of AWS endpoints in tests. */
export { startLoopbackServer, type LoopbackHttpServer as LoopbackServer } from "../../local/loopback-http-server";

/** A loopback port with nothing listening on it. */
export async function closedPortUrl(): Promise<string> {
  const server = await startLoopbackServer(() => undefined);
  await server.stop();
  return server.url;
}
