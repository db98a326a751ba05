/**
 * An HTTP server as the local gateway, the Kinde emulator, the API Gateway control plane and the
 * tests' stand-ins need one: it listens on loopback (or the host given), tracks its connections, and
 * stops by ending them rather than waiting for idle keep-alive ones to time out.
 */
import { createServer, type RequestListener, type Server, type ServerOptions } from "node:http";
import type { Socket } from "node:net";

export class LoopbackHttpServer {
  readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private base: { url: string; port: number } | undefined;

  constructor(listener: RequestListener, options: ServerOptions = {}) {
    this.server = createServer(options, listener);
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  /** Resolves with the base URL; rejects with the listen error (EADDRINUSE: the port is taken). */
  listen(port = 0, host = "127.0.0.1"): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        const address = this.server.address();
        if (address === null || typeof address === "string") return reject(new Error("unexpected server address"));
        this.base = { url: `http://${host}:${address.port}`, port: address.port };
        resolve(this.base.url);
      });
    });
  }

  /** `http://<host>:<port>`, once listening. */
  get url(): string {
    return this.listening().url;
  }

  get port(): number {
    return this.listening().port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private listening(): { url: string; port: number } {
    if (!this.base) throw new Error("the server is not listening yet");
    return this.base;
  }
}

/** A server on a free port of 127.0.0.1, already listening. */
export async function startLoopbackServer(listener: RequestListener): Promise<LoopbackHttpServer> {
  const server = new LoopbackHttpServer(listener);
  await server.listen();
  return server;
}
