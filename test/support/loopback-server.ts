import { createServer, type RequestListener } from "node:http";
import type { Socket } from "node:net";

export interface LoopbackServer {
  url: string;
  stop(): Promise<void>;
}

/** A throwaway HTTP server on 127.0.0.1, for stand-ins of AWS endpoints in tests. */
export async function startLoopbackServer(listener: RequestListener): Promise<LoopbackServer> {
  const server = createServer(listener);
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("unexpected address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port with nothing listening on it. */
export async function closedPortUrl(): Promise<string> {
  const server = await startLoopbackServer(() => undefined);
  await server.stop();
  return server.url;
}
