/**
 * The few API Gateway (REST, v1) control-plane calls Keygate's authorizer makes to give users keys of
 * their own (CreateApiKey, GetApiKeys, DeleteApiKey, CreateUsagePlanKey, DeleteUsagePlanKey), on
 * loopback for the real @aws-sdk/client-api-gateway (point AWS_ENDPOINT_URL_API_GATEWAY at `url`).
 * State is in memory. It checks requests as API Gateway does (SigV4 present, body and path shapes,
 * keys in one plan per stage, tags on creation) and answers errors in API Gateway's format: status,
 * an `x-amzn-ErrorType` header and a `{"message"}` body. It can also stand for the authorizer role's
 * IAM policy on DeleteApiKey (`deleteOnlyKeysTagged`).
 *
 * It also answers what the `keygate` command calls: GetUsagePlanKeys, GetUsage (from the local
 * gateway's metering, see `reportUsageFrom`), and for the local API it `serve`s, that API's description
 * and FlushStageAuthorizersCache (local/local-rest-api.ts); and for the local HTTP API it
 * `serveHttpApi`s, API Gateway v2's GetApi, GetAuthorizers and GetRoutes (local/local-http-api.ts), which
 * the v2 SDK (@aws-sdk/client-apigatewayv2) calls at the same endpoint, signed for the same service.
 *
 * `npm start` runs it so the authorizer provisions keys locally, and reports every change of plan
 * membership so that the local gateway meters exactly the keys that are in a plan, as API Gateway
 * does. Tests also make it fail the ways AWS can: throttle (429, or CreateApiKey/DeleteApiKey's
 * shared rate), fail (500), hang, reset the connection, or apply a call and never answer; and hold
 * calls until the test releases them, to stage races.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HeldCalls } from "./held-calls";
import { LoopbackHttpServer } from "./loopback-http-server";
import { HTTP_API_OPERATIONS, HttpApiBadRequest, type HttpApiOperation, type LocalHttpApi } from "./local-http-api";
import { REST_API_OPERATIONS, type LocalRestApi, type RestApiOperation } from "./local-rest-api";

export type Operation = "CreateApiKey" | "DeleteApiKey" | "GetApiKeys" | "CreateUsagePlanKey" | "DeleteUsagePlanKey" | "GetUsagePlanKeys" | "GetUsage" | RestApiOperation | HttpApiOperation;

export type Fault =
  /** 429 TooManyRequestsException with Retry-After, nothing applied. */
  | "throttle"
  /** 500 with nothing applied. */
  | "server-error"
  /** Never answers and applies nothing (until the control plane stops). */
  | "hang"
  /** Applies the call, then never answers: the client cannot know it happened. */
  | "apply-then-hang"
  /** Closes the connection without an answer, nothing applied. */
  | "reset";

export interface ControlPlaneKey {
  id: string;
  value: string;
  name?: string;
  description?: string;
  enabled: boolean;
  createdDate: number;
  /** As given to CreateApiKey (or `addKey`); empty when none. */
  tags: Record<string, string>;
}

export interface ControlPlanePlan {
  id: string;
  /** `apiId:stage` pairs: a key may be in one plan per stage at most. */
  stages: string[];
}

/**
 * A key's plans changed: `planIds` are the plans it is now in, empty once it has left them all (or
 * was deleted). A disabled key counts as in no plan, since API Gateway refuses it (403).
 */
export type MembershipListener = (keyValue: string, planIds: readonly string[]) => void;

export type ControlPlaneCalls = Record<Operation, number>;

const OPERATIONS: Operation[] = ["CreateApiKey", "DeleteApiKey", "GetApiKeys", "CreateUsagePlanKey", "DeleteUsagePlanKey", "GetUsagePlanKeys", "GetUsage", ...REST_API_OPERATIONS, ...HTTP_API_OPERATIONS];
const KEY_VALUE = /^[A-Za-z0-9]{20,128}$/;
// API Gateway's tag rules: keys up to 128 characters not starting with "aws:", values up to 256.
const TAG_KEY = /^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789";
const ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazonaws.backplane.controlplane/";

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
  /** Calls received, by operation. */
  readonly calls: ControlPlaneCalls = emptyCalls();
  /** Every key, in creation order. */
  private readonly keyStore = new Map<string, ControlPlaneKey>();
  private readonly plans = new Map<string, { stages: string[]; keyIds: Set<string> }>();
  private readonly faults = new Map<Operation, { fault: Fault; remaining: number }>();
  private readonly holds = new Map<Operation, HeldCalls>();
  private readonly restApis: LocalRestApi[] = [];
  private readonly httpApis: LocalHttpApi[] = [];
  private usageOf: (keyValue: string) => ReadonlyMap<string, number> = () => new Map();
  private readonly server = new LoopbackHttpServer((req, res) => void this.handle(req, res));
  /** CreateApiKey and DeleteApiKey share one token bucket when set, as they share AWS's 5 calls per second. */
  private bucket: { tokens: number; perSecond: number; updatedAt: number; now: () => number } | undefined;
  /** Tags a key must carry to be deleted, when the role's IAM condition is modelled. */
  private requiredDeleteTags: Readonly<Record<string, string>> | undefined;

  constructor(
    plans: readonly ControlPlanePlan[],
    private readonly onMembership: MembershipListener = () => undefined,
  ) {
    for (const plan of plans) this.plans.set(plan.id, { stages: plan.stages, keyIds: new Set() });
  }

  get url(): string {
    return this.server.url;
  }

  /** Listens on a free loopback port. */
  async start(): Promise<this> {
    await this.server.listen();
    return this;
  }

  stop(): Promise<void> {
    this.releaseHolds();
    return this.server.stop();
  }

  /** The next `times` calls of `operation` meet `fault` (every call when `times` is omitted). */
  fail(operation: Operation, fault: Fault, times = Number.POSITIVE_INFINITY): void {
    this.faults.set(operation, { fault, remaining: times });
  }

  /**
   * Holds every call of `operation` (counted, checked, not yet applied) until the returned barrier is
   * released: `await held.arrived(n)` then `held.release()` lets n racing calls go on together.
   */
  hold(operation: Operation): HeldCalls {
    this.holds.get(operation)?.release();
    const held = new HeldCalls();
    this.holds.set(operation, held);
    return held;
  }

  /** Clears faults and lets held calls go on. */
  heal(): void {
    this.faults.clear();
    this.releaseHolds();
  }

  /**
   * Enforces CreateApiKey/DeleteApiKey's shared rate (AWS: 5 per second per account), bursting to the
   * same number. `now` (ms) refills the bucket; a clock that stands still allows exactly the burst.
   */
  limitKeyCallsPerSecond(perSecond: number, now: () => number = () => performance.now()): void {
    this.bucket = { tokens: perSecond, perSecond, updatedAt: now(), now };
  }

  /**
   * This models IAM, not API Gateway: the authorizer's role may delete only keys carrying all of
   * `tags` (its `aws:ResourceTag` condition, lambda/usage/iam-statements.ts), so DeleteApiKey of any
   * other key is refused with 403 AccessDeniedException, as IAM refuses it in front of API Gateway.
   */
  deleteOnlyKeysTagged(tags: Readonly<Record<string, string>>): void {
    this.requiredDeleteTags = { ...tags };
  }

  /** Adds a key as Pulumi does (pool keys, fixed users' keys), in `planId` when given. */
  addKey(key: { id?: string; value?: string; name: string; enabled?: boolean; tags?: Record<string, string> }, planId?: string): ControlPlaneKey {
    const created: ControlPlaneKey = {
      id: key.id ?? randomId(10),
      value: key.value ?? randomId(40, true),
      name: key.name,
      enabled: key.enabled ?? true,
      createdDate: Math.floor(Date.now() / 1000),
      tags: { ...key.tags },
    };
    this.keyStore.set(created.id, created);
    if (planId) this.join(created, this.plan(planId));
    return { ...created };
  }

  /** Answers the control-plane calls about `api` (describing it, flushing its stage's authorizer cache). */
  serve(api: LocalRestApi): void {
    this.restApis.push(api);
  }

  /** Answers API Gateway v2's reads about `api` (GetApi, GetAuthorizers, GetRoutes). */
  serveHttpApi(api: LocalHttpApi): void {
    this.httpApis.push(api);
  }

  /** Where GetUsage reads a key's requests per UTC day (the gateway's metering). */
  reportUsageFrom(usageOf: (keyValue: string) => ReadonlyMap<string, number>): void {
    this.usageOf = usageOf;
  }

  keys(): ControlPlaneKey[] {
    return [...this.keyStore.values()].map(copyKey);
  }

  key(id: string): ControlPlaneKey | undefined {
    const key = this.keyStore.get(id);
    return key ? copyKey(key) : undefined;
  }

  /** Ids of the keys in a plan, sorted. */
  planKeys(planId: string): string[] {
    return [...this.plan(planId).keyIds].sort();
  }

  /** The plans each key is in, by key id (keys in no plan map to an empty list). */
  memberships(): Record<string, string[]> {
    const result: Record<string, string[]> = {};
    for (const id of this.keyStore.keys()) result[id] = this.planIdsOf(id);
    return result;
  }

  resetCalls(): void {
    Object.assign(this.calls, emptyCalls());
  }

  private plan(planId: string): { stages: string[]; keyIds: Set<string> } {
    const plan = this.plans.get(planId);
    if (!plan) throw new Error(`no plan ${planId} in the control plane`);
    return plan;
  }

  private planIdsOf(keyId: string): string[] {
    return [...this.plans].filter(([, plan]) => plan.keyIds.has(keyId)).map(([planId]) => planId);
  }

  private join(key: ControlPlaneKey, plan: { keyIds: Set<string> }): void {
    plan.keyIds.add(key.id);
    this.membershipChanged(key);
  }

  private membershipChanged(key: ControlPlaneKey): void {
    this.onMembership(key.value, key.enabled && this.keyStore.has(key.id) ? this.planIdsOf(key.id) : []);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://control-plane");
    const route = this.route(req.method ?? "", url.pathname);
    try {
      if (!route) throw this.notFound(req.method ?? "", url.pathname);
      this.calls[route.operation]++;
      checkSignature(req);

      const fault = this.takeFault(route.operation);
      await this.holds.get(route.operation)?.pass();
      if (fault === "hang") return;
      if (fault === "reset") {
        req.socket.destroy();
        return;
      }
      if (fault === "throttle") throw new ApiError(429, "TooManyRequestsException", "Too Many Requests");
      if (fault === "server-error") throw new ApiError(500, "InternalFailure", "Internal server error");
      if ((route.operation === "CreateApiKey" || route.operation === "DeleteApiKey") && !this.takeToken()) {
        throw new ApiError(429, "TooManyRequestsException", "Too Many Requests");
      }

      const answer = route.run(body, url.searchParams);
      if (fault === "apply-then-hang") return;
      if (answer.raw !== undefined) {
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(answer.raw);
        return;
      }
      res.writeHead(answer.status, answer.body === undefined ? {} : { "content-type": "application/json" });
      res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
    } catch (error) {
      const e = error instanceof ApiError ? error : error instanceof HttpApiBadRequest ? new ApiError(400, "BadRequestException", error.message) : new ApiError(500, "InternalFailure", String(error));
      res.writeHead(e.status, {
        "content-type": "application/json",
        "x-amzn-ErrorType": `${e.type}${ERROR_TYPE_SUFFIX}`,
        ...(e.status === 429 ? { "Retry-After": "1" } : {}),
      });
      res.end(JSON.stringify({ message: e.message }));
    }
  }

  /**
   * What API Gateway answers for a path it has no route for: an API or stage that does not exist is
   * named as such ("Invalid API identifier specified", "Invalid stage identifier specified"), so a
   * caller learns the id is wrong rather than that this stand-in lacks the call. The same holds for an
   * HTTP API id (API Gateway v2's `/v2/apis/{apiId}`), so in REST mode every HTTP API id is unknown.
   */
  private notFound(method: string, path: string): ApiError {
    const [, httpApiId] = /^\/v2\/apis\/([^/]+)/.exec(path) ?? [];
    if (httpApiId !== undefined && !this.httpApis.some((api) => api.id === decodeURIComponent(httpApiId))) {
      return new ApiError(404, "NotFoundException", `Invalid API identifier specified ${decodeURIComponent(httpApiId)}`);
    }
    const [, apiId, stageName] = /^\/restapis\/([^/]+)(?:\/stages\/([^/]+))?/.exec(path) ?? [];
    if (apiId !== undefined) {
      const api = this.restApis.find((candidate) => candidate.id === decodeURIComponent(apiId));
      if (!api) return new ApiError(404, "NotFoundException", `Invalid API identifier specified ${decodeURIComponent(apiId)}`);
      if (stageName !== undefined && decodeURIComponent(stageName) !== api.stageName) return new ApiError(404, "NotFoundException", "Invalid stage identifier specified");
    }
    return new ApiError(404, "NotFoundException", `Unable to find a route for ${method} ${path} (this control plane serves only what Keygate calls)`);
  }

  private route(method: string, path: string): { operation: Operation; run: (body: string, query: URLSearchParams) => Answer & { raw?: string } } | undefined {
    let match: RegExpExecArray | null;
    if (path === "/apikeys" && method === "POST") return { operation: "CreateApiKey", run: (body) => this.createApiKey(parseJson(body)) };
    if (path === "/apikeys" && method === "GET") return { operation: "GetApiKeys", run: (_body, query) => this.getApiKeys(query) };
    if ((match = /^\/apikeys\/([^/]+)$/.exec(path)) && method === "DELETE") {
      const id = decodeURIComponent(match[1]!);
      return { operation: "DeleteApiKey", run: () => this.deleteApiKey(id) };
    }
    if ((match = /^\/usageplans\/([^/]+)\/keys$/.exec(path)) && method === "POST") {
      const planId = decodeURIComponent(match[1]!);
      return { operation: "CreateUsagePlanKey", run: (body) => this.createUsagePlanKey(planId, parseJson(body)) };
    }
    if ((match = /^\/usageplans\/([^/]+)\/keys\/([^/]+)$/.exec(path)) && method === "DELETE") {
      const [planId, keyId] = [decodeURIComponent(match[1]!), decodeURIComponent(match[2]!)];
      return { operation: "DeleteUsagePlanKey", run: () => this.deleteUsagePlanKey(planId, keyId) };
    }
    if ((match = /^\/usageplans\/([^/]+)\/keys$/.exec(path)) && method === "GET") {
      const planId = decodeURIComponent(match[1]!);
      return { operation: "GetUsagePlanKeys", run: () => this.getUsagePlanKeys(planId) };
    }
    if ((match = /^\/usageplans\/([^/]+)\/usage$/.exec(path)) && method === "GET") {
      const planId = decodeURIComponent(match[1]!);
      return { operation: "GetUsage", run: (_body, query) => this.getUsage(planId, query) };
    }
    for (const api of this.restApis) {
      const found = api.route(method, path, new URLSearchParams());
      if (found) return { operation: found.operation, run: (_body, query) => api.route(method, path, query)!.run() };
    }
    for (const api of this.httpApis) {
      const found = api.route(method, path, new URLSearchParams());
      if (found) return { operation: found.operation, run: (_body, query) => api.route(method, path, query)!.run() };
    }
    return undefined;
  }

  private createApiKey(input: Record<string, unknown>): Answer {
    for (const field of ["name", "description", "value", "customerId"] as const) {
      if (input[field] !== undefined && typeof input[field] !== "string") throw new ApiError(400, "BadRequestException", `Invalid ${field}`);
    }
    for (const field of ["enabled", "generateDistinctId"] as const) {
      if (input[field] !== undefined && typeof input[field] !== "boolean") throw new ApiError(400, "BadRequestException", `Invalid ${field}`);
    }
    if (Array.isArray(input.stageKeys) && input.stageKeys.length > 0) throw new ApiError(400, "BadRequestException", "stageKeys are not supported with usage plans");
    const value = input.value as string | undefined;
    if (value !== undefined && !KEY_VALUE.test(value)) throw new ApiError(400, "BadRequestException", "API Key value should be at least 20 characters");
    if (value !== undefined && [...this.keyStore.values()].some((key) => key.value === value)) throw new ApiError(409, "ConflictException", "API Key already exists");
    const tags = parseTags(input.tags);
    const key: ControlPlaneKey = {
      id: randomId(10),
      value: value ?? randomId(40, true),
      ...(typeof input.name === "string" ? { name: input.name } : {}),
      ...(typeof input.description === "string" ? { description: input.description } : {}),
      // As at AWS, a key is created disabled unless asked otherwise.
      enabled: input.enabled === true,
      createdDate: Math.floor(Date.now() / 1000),
      tags,
    };
    this.keyStore.set(key.id, key);
    return { status: 201, body: { ...copyKey(key), lastUpdatedDate: key.createdDate, stageKeys: [] } };
  }

  private getApiKeys(query: URLSearchParams): Answer {
    const name = query.get("name");
    const includeValues = query.get("includeValues") === "true";
    const limit = Number(query.get("limit") ?? 25);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new ApiError(400, "BadRequestException", "Invalid limit");
    const start = Number(query.get("position") ?? 0);
    const matching = [...this.keyStore.values()].filter((key) => name === null || (key.name ?? "").startsWith(name));
    const page = matching.slice(start, start + limit).map(({ value, ...rest }) => (includeValues ? { ...rest, value } : rest));
    return { status: 200, body: { item: page, ...(start + limit < matching.length ? { position: String(start + limit) } : {}) } };
  }

  private deleteApiKey(id: string): Answer {
    const key = this.keyStore.get(id);
    const required = this.requiredDeleteTags;
    // IAM decides before API Gateway looks the key up: a missing key is refused the same way.
    if (required && !Object.entries(required).every(([tag, value]) => key?.tags[tag] === value)) {
      throw new ApiError(403, "AccessDeniedException", `User is not authorized to perform: apigateway:DELETE on resource: /apikeys/${id} because no identity-based policy allows it`);
    }
    if (!key) throw new ApiError(404, "NotFoundException", "Invalid API Key identifier specified");
    const wasInAPlan = this.planIdsOf(id).length > 0;
    this.keyStore.delete(id);
    // Deleting a key takes it out of every plan.
    for (const plan of this.plans.values()) plan.keyIds.delete(id);
    if (wasInAPlan) this.membershipChanged(key);
    return { status: 202 };
  }

  private createUsagePlanKey(planId: string, input: Record<string, unknown>): Answer {
    if (typeof input.keyId !== "string" || input.keyId === "") throw new ApiError(400, "BadRequestException", "Invalid API Key identifier specified");
    if (input.keyType !== "API_KEY") throw new ApiError(400, "BadRequestException", "Invalid key type specified");
    const plan = this.plans.get(planId);
    if (!plan) throw new ApiError(404, "NotFoundException", "Invalid Usage Plan ID specified");
    const key = this.keyStore.get(input.keyId);
    if (!key) throw new ApiError(404, "NotFoundException", "Invalid API Key identifier specified");
    if (plan.keyIds.has(key.id)) throw new ApiError(409, "ConflictException", `Usage Plan Key already exists: ${key.id}`);
    for (const [otherId, other] of this.plans) {
      const shared = other.keyIds.has(key.id) ? other.stages.find((stage) => plan.stages.includes(stage)) : undefined;
      if (shared) {
        throw new ApiError(
          409,
          "ConflictException",
          `Usage Plan ${planId} cannot be added because API Key ${key.id} cannot reference multiple Usage Plans with the same API Stage: ${shared} (already in ${otherId})`,
        );
      }
    }
    this.join(key, plan);
    return { status: 201, body: { id: key.id, type: "API_KEY", name: key.name, value: key.value } };
  }

  private getUsagePlanKeys(planId: string): Answer {
    const plan = this.plans.get(planId);
    if (!plan) throw new ApiError(404, "NotFoundException", "Invalid Usage Plan ID specified");
    const item = [...plan.keyIds].map((id) => this.keyStore.get(id)!).map((key) => ({ id: key.id, type: "API_KEY", name: key.name }));
    return { status: 200, body: { item } };
  }

  /** Each key's requests per day from startDate to endDate (inclusive), as [used, remaining] pairs; remaining is not tracked here (-1). */
  private getUsage(planId: string, query: URLSearchParams): Answer {
    const plan = this.plans.get(planId);
    if (!plan) throw new ApiError(404, "NotFoundException", "Invalid Usage Plan ID specified");
    const [startDate, endDate] = [query.get("startDate") ?? "", query.get("endDate") ?? ""];
    if (!/^\d{4}-\d\d-\d\d$/.test(startDate) || !/^\d{4}-\d\d-\d\d$/.test(endDate) || startDate > endDate) {
      throw new ApiError(400, "BadRequestException", "Invalid startDate or endDate");
    }
    const days: string[] = [];
    for (let day = Date.parse(`${startDate}T00:00:00Z`); day <= Date.parse(`${endDate}T00:00:00Z`); day += 86_400_000) days.push(new Date(day).toISOString().slice(0, 10));
    const keyId = query.get("keyId");
    const values: Record<string, number[][]> = {};
    for (const id of plan.keyIds) {
      if (keyId !== null && id !== keyId) continue;
      const used = this.usageOf(this.keyStore.get(id)!.value);
      values[id] = days.map((day) => [used.get(day) ?? 0, -1]);
    }
    return { status: 200, body: { usagePlanId: planId, startDate, endDate, values } };
  }

  private deleteUsagePlanKey(planId: string, keyId: string): Answer {
    const plan = this.plans.get(planId);
    if (!plan) throw new ApiError(404, "NotFoundException", "Invalid Usage Plan ID specified");
    if (!plan.keyIds.delete(keyId)) throw new ApiError(404, "NotFoundException", "Invalid Usage Plan Key identifier specified");
    this.membershipChanged(this.keyStore.get(keyId)!);
    return { status: 202 };
  }

  private takeFault(operation: Operation): Fault | undefined {
    const entry = this.faults.get(operation);
    if (!entry || entry.remaining <= 0) return undefined;
    entry.remaining--;
    return entry.fault;
  }

  private releaseHolds(): void {
    for (const held of this.holds.values()) held.release();
    this.holds.clear();
  }

  private takeToken(): boolean {
    const bucket = this.bucket;
    if (!bucket) return true;
    const now = bucket.now();
    bucket.tokens = Math.min(bucket.perSecond, bucket.tokens + ((now - bucket.updatedAt) / 1000) * bucket.perSecond);
    bucket.updatedAt = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }
}

interface Answer {
  status: number;
  body?: unknown;
}

function copyKey(key: ControlPlaneKey): ControlPlaneKey {
  return { ...key, tags: { ...key.tags } };
}

/** CreateApiKey's `tags`: a map of strings, by API Gateway's rules for tag keys and values. */
function parseTags(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ApiError(400, "BadRequestException", "Invalid tags");
  const tags: Record<string, string> = {};
  for (const [key, tag] of Object.entries(value)) {
    if (!TAG_KEY.test(key)) throw new ApiError(400, "BadRequestException", `Invalid tag key: ${key}`);
    if (typeof tag !== "string" || !TAG_VALUE.test(tag)) throw new ApiError(400, "BadRequestException", `Invalid tag value for ${key}`);
    tags[key] = tag;
  }
  return tags;
}

function emptyCalls(): ControlPlaneCalls {
  return Object.fromEntries(OPERATIONS.map((operation) => [operation, 0])) as ControlPlaneCalls;
}

function checkSignature(req: IncomingMessage): void {
  const authorization = req.headers.authorization ?? "";
  if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/apigateway\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/.test(authorization)) {
    throw new ApiError(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
  }
  if (!req.headers["x-amz-date"]) throw new ApiError(403, "IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header");
}

function parseJson(body: string): Record<string, unknown> {
  if (body === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ApiError(400, "BadRequestException", "Could not parse request body into json");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ApiError(400, "BadRequestException", "Invalid request body");
  return parsed as Record<string, unknown>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => resolve(body));
    req.on("error", () => resolve(body));
  });
}

function randomId(length: number, mixedCase = false): string {
  const alphabet = mixedCase ? `${ALPHANUMERIC}ABCDEFGHIJKLMNOPQRSTUVWXYZ` : ALPHANUMERIC;
  const bytes = randomBytes(length);
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join("");
}
