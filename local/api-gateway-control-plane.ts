/**
 * The few API Gateway control-plane calls Keygate's authorizer makes to give users keys of their own
 * (CreateApiKey, CreateUsagePlanKey, DeleteApiKey, DeleteUsagePlanKey), on loopback for the real
 * @aws-sdk/client-api-gateway (AWS_ENDPOINT_URL_API_GATEWAY). It answers in API Gateway's format
 * (status, `x-amzn-ErrorType`, `{"message"}`), and reports every change of plan membership so that the
 * local gateway meters exactly the keys that are in a plan, as API Gateway does.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ControlPlaneKey {
  id: string;
  value: string;
  name?: string;
  enabled: boolean;
  /** The usage plan the key is in (one per stage at most, and the local API has one stage). */
  planId?: string;
}

/** A key's value entered a plan's tier (`tier`) or left every plan (`undefined`). */
export type MembershipListener = (keyValue: string, tier: string | undefined) => void;

const KEY_VALUE = /^[A-Za-z0-9]{20,128}$/;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export class LocalApiGatewayControlPlane {
  private readonly keys = new Map<string, ControlPlaneKey>();
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private baseUrl = "";

  /** @param plans usage plan id → the tier it meters. */
  constructor(
    private readonly plans: ReadonlyMap<string, string>,
    private readonly onMembership: MembershipListener,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  get url(): string {
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Creates a key in a plan, as Pulumi does for pool keys and fixed users. */
  addKey(name: string, planId: string): ControlPlaneKey {
    const key = this.create({ name, enabled: true });
    this.join(key, planId);
    return { ...key };
  }

  list(): ControlPlaneKey[] {
    return [...this.keys.values()].map((key) => ({ ...key }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const body = await readJson(req);
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      let match: RegExpExecArray | null;
      if (req.method === "POST" && path === "/apikeys") return reply(res, 201, this.createApiKey(body));
      if (req.method === "DELETE" && (match = /^\/apikeys\/([^/]+)$/.exec(path))) {
        this.deleteApiKey(decodeURIComponent(match[1]!));
        return reply(res, 202);
      }
      if (req.method === "POST" && (match = /^\/usageplans\/([^/]+)\/keys$/.exec(path))) {
        return reply(res, 201, this.createUsagePlanKey(decodeURIComponent(match[1]!), body));
      }
      if (req.method === "DELETE" && (match = /^\/usageplans\/([^/]+)\/keys\/([^/]+)$/.exec(path))) {
        this.deleteUsagePlanKey(decodeURIComponent(match[1]!), decodeURIComponent(match[2]!));
        return reply(res, 202);
      }
      throw new ApiError(404, "NotFoundException", `Unable to find a route for ${req.method} ${path} (the local control plane serves only what Keygate calls)`);
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError(500, "InternalFailure", (error as Error).message);
      res.writeHead(e.status, { "content-type": "application/json", "x-amzn-ErrorType": e.type });
      res.end(JSON.stringify({ message: e.message }));
    }
  }

  private createApiKey(input: Record<string, unknown>): Record<string, unknown> {
    const value = input.value;
    if (value !== undefined && (typeof value !== "string" || !KEY_VALUE.test(value))) throw new ApiError(400, "BadRequestException", "API Key value should be at least 20 characters");
    if (typeof value === "string" && [...this.keys.values()].some((key) => key.value === value)) throw new ApiError(409, "ConflictException", "API Key already exists");
    // As at AWS, a key is created disabled unless asked otherwise.
    const key = this.create({ ...(typeof input.name === "string" ? { name: input.name } : {}), enabled: input.enabled === true, ...(typeof value === "string" ? { value } : {}) });
    const now = Math.floor(Date.now() / 1000);
    return { id: key.id, value: key.value, name: key.name, enabled: key.enabled, createdDate: now, lastUpdatedDate: now, stageKeys: [], tags: {} };
  }

  private deleteApiKey(id: string): void {
    const key = this.keys.get(id);
    if (!key) throw new ApiError(404, "NotFoundException", "Invalid API Key identifier specified");
    this.keys.delete(id);
    if (key.planId !== undefined) this.onMembership(key.value, undefined);
  }

  private createUsagePlanKey(planId: string, input: Record<string, unknown>): Record<string, unknown> {
    if (input.keyType !== "API_KEY") throw new ApiError(400, "BadRequestException", "Invalid key type specified");
    if (!this.plans.has(planId)) throw new ApiError(404, "NotFoundException", "Invalid Usage Plan ID specified");
    const key = typeof input.keyId === "string" ? this.keys.get(input.keyId) : undefined;
    if (!key) throw new ApiError(404, "NotFoundException", "Invalid API Key identifier specified");
    if (key.planId === planId) throw new ApiError(409, "ConflictException", `Usage Plan Key already exists: ${key.id}`);
    if (key.planId !== undefined) {
      throw new ApiError(409, "ConflictException", `Usage Plan ${planId} cannot be added because API Key ${key.id} cannot reference multiple Usage Plans with the same API Stage (already in ${key.planId})`);
    }
    this.join(key, planId);
    return { id: key.id, type: "API_KEY", name: key.name, value: key.value };
  }

  private deleteUsagePlanKey(planId: string, keyId: string): void {
    const key = this.keys.get(keyId);
    if (!key || key.planId !== planId) throw new ApiError(404, "NotFoundException", "Invalid Usage Plan Key identifier specified");
    delete key.planId;
    this.onMembership(key.value, undefined);
  }

  private create(fields: { name?: string; enabled: boolean; value?: string }): ControlPlaneKey {
    const key: ControlPlaneKey = { id: randomId(10, false), value: fields.value ?? randomId(40, true), enabled: fields.enabled, ...(fields.name ? { name: fields.name } : {}) };
    this.keys.set(key.id, key);
    return key;
  }

  private join(key: ControlPlaneKey, planId: string): void {
    key.planId = planId;
    // A disabled key is in the plan but API Gateway refuses it (403), so it is not metered as usable.
    if (key.enabled) this.onMembership(key.value, this.plans.get(planId));
  }
}

function reply(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, body === undefined ? {} : { "content-type": "application/json" });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(400, "BadRequestException", "Could not parse request body into json");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ApiError(400, "BadRequestException", "Invalid request body");
  return parsed as Record<string, unknown>;
}

function randomId(length: number, mixedCase: boolean): string {
  const alphabet = `abcdefghijklmnopqrstuvwxyz0123456789${mixedCase ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ" : ""}`;
  return Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join("");
}
