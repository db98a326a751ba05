/**
 * The local API as API Gateway's control plane describes a REST API: its resources and methods (which
 * authorizer each uses, whether it requires an API key), its authorizers, its gateway responses, and
 * one stage pointing at a deployment, a snapshot of the methods and gateway responses taken when it
 * was deployed. `keygate check --local` reads it through the local control plane exactly as it reads a
 * real API, and `keygate invalidate --local` flushes the stage's authorizer cache through it.
 *
 * The description starts as `npm start` serves the API (every method behind Keygate's authorizer);
 * `putMethod` changes it as PutMethod would, without redeploying, so a check can find a method left
 * unprotected or a stage whose deployment predates a change. The local gateway itself keeps
 * authorizing every route: only what the control plane reports changes.
 */
import { GATEWAY_RESPONSES } from "../infra/gateway-responses";

export type AuthorizationType = "NONE" | "CUSTOM" | "AWS_IAM" | "COGNITO_USER_POOLS";

export interface LocalMethod {
  authorizationType: AuthorizationType;
  /** With CUSTOM: the authorizer's id. */
  authorizerId?: string;
  apiKeyRequired: boolean;
}

export interface LocalRestApiOptions {
  id: string;
  name: string;
  stageName: string;
  /** `AUTHORIZER` when usage plans meter by the key the authorizer returns. */
  apiKeySource: "HEADER" | "AUTHORIZER";
  authorizer: { id: string; name: string; type: "REQUEST" | "TOKEN"; identitySource: string; authorizerUri: string; resultTtlSeconds: number };
  /** Resource paths; each gets an `ANY` method behind the authorizer. */
  resourcePaths: readonly string[];
  apiKeyRequired: boolean;
  /** Empties the stage's authorizer result cache. */
  flushAuthorizerCache: () => void;
  now?: () => number;
}

interface Deployment {
  id: string;
  createdDate: number;
  methods: Map<string, Map<string, LocalMethod>>;
  gatewayResponseTypes: string[];
}

/** A control-plane answer: an HTTP status and a JSON body, or a raw document for exports. */
export interface RestApiAnswer {
  status: number;
  body?: unknown;
  raw?: string;
}

export const REST_API_OPERATIONS = [
  "GetRestApi",
  "GetResources",
  "GetAuthorizers",
  "GetGatewayResponses",
  "GetStage",
  "GetDeployment",
  "GetExport",
  "FlushStageAuthorizersCache",
] as const;
export type RestApiOperation = (typeof REST_API_OPERATIONS)[number];

export class LocalRestApi {
  readonly id: string;
  readonly stageName: string;
  private readonly methods = new Map<string, Map<string, LocalMethod>>();
  private readonly gatewayResponseTypes: string[] = GATEWAY_RESPONSES.map((response) => response.responseType);
  private deployment: Deployment;
  private deployments = 0;
  private readonly now: () => number;

  constructor(private readonly options: LocalRestApiOptions) {
    this.id = options.id;
    this.stageName = options.stageName;
    this.now = options.now ?? Date.now;
    for (const path of options.resourcePaths) {
      this.methods.set(path, new Map([["ANY", { authorizationType: "CUSTOM", authorizerId: options.authorizer.id, apiKeyRequired: options.apiKeyRequired }]]));
    }
    this.deployment = this.snapshot();
  }

  /** Adds or replaces a method (and its resource) as PutMethod does: the stage keeps serving its deployment until `deploy()`. */
  putMethod(path: string, httpMethod: string, method: LocalMethod): void {
    const resource = this.methods.get(path) ?? new Map<string, LocalMethod>();
    resource.set(httpMethod.toUpperCase(), { ...method });
    this.methods.set(path, resource);
  }

  /** Points the stage at a new deployment of the API as it is now (CreateDeployment). */
  deploy(): void {
    this.deployment = this.snapshot();
  }

  /** The control-plane call a request is, and how to answer it; undefined for a path that is not about this API. */
  route(method: string, path: string, query: URLSearchParams): { operation: RestApiOperation; run: () => RestApiAnswer } | undefined {
    const prefix = `/restapis/${encodeURIComponent(this.id)}`;
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return undefined;
    const rest = path.slice(prefix.length);
    const stagePrefix = `/stages/${encodeURIComponent(this.stageName)}`;
    const ok = (body: unknown): RestApiAnswer => ({ status: 200, body });
    if (method === "GET" && rest === "") return { operation: "GetRestApi", run: () => ok(this.restApi()) };
    if (method === "GET" && rest === "/resources") return { operation: "GetResources", run: () => ok({ item: this.resources(query.get("embed") === "methods") }) };
    if (method === "GET" && rest === "/authorizers") return { operation: "GetAuthorizers", run: () => ok({ item: [this.authorizer()] }) };
    if (method === "GET" && rest === "/gatewayresponses") return { operation: "GetGatewayResponses", run: () => ok({ item: this.gatewayResponses() }) };
    if (method === "GET" && rest === stagePrefix) return { operation: "GetStage", run: () => ok(this.stage()) };
    if (method === "GET" && rest === `/deployments/${this.deployment.id}`) {
      return { operation: "GetDeployment", run: () => ok(this.deploymentAnswer(query.get("embed") === "apisummary")) };
    }
    if (method === "GET" && rest.startsWith(`${stagePrefix}/exports/`)) return { operation: "GetExport", run: () => ({ status: 200, raw: JSON.stringify(this.exportDocument()) }) };
    if (method === "DELETE" && rest === `${stagePrefix}/cache/authorizers`) {
      return {
        operation: "FlushStageAuthorizersCache",
        run: () => {
          this.options.flushAuthorizerCache();
          return { status: 202 };
        },
      };
    }
    return undefined;
  }

  private snapshot(): Deployment {
    this.deployments++;
    const methods = new Map([...this.methods].map(([path, resource]) => [path, new Map([...resource].map(([verb, m]) => [verb, { ...m }]))]));
    return { id: `deploy${this.deployments}`, createdDate: Math.floor(this.now() / 1000), methods, gatewayResponseTypes: [...this.gatewayResponseTypes] };
  }

  private restApi(): Record<string, unknown> {
    return { id: this.id, name: this.options.name, apiKeySource: this.options.apiKeySource, createdDate: this.deployment.createdDate };
  }

  private resources(embedMethods: boolean): Record<string, unknown>[] {
    return [...this.methods].map(([path, resource], index) => ({
      id: `res${index}`,
      path,
      resourceMethods: Object.fromEntries(
        [...resource].map(([verb, m]) => [verb, embedMethods ? { httpMethod: verb, ...m } : {}]),
      ),
    }));
  }

  private authorizer(): Record<string, unknown> {
    const { id, name, type, identitySource, authorizerUri, resultTtlSeconds } = this.options.authorizer;
    return { id, name, type, authorizerUri, identitySource, authorizerResultTtlInSeconds: resultTtlSeconds };
  }

  private gatewayResponses(): Record<string, unknown>[] {
    return this.gatewayResponseTypes.map((responseType) => {
      const definition = GATEWAY_RESPONSES.find((response) => response.responseType === responseType)!;
      return { responseType, statusCode: String(definition.statusCode), defaultResponse: false };
    });
  }

  private stage(): Record<string, unknown> {
    return { stageName: this.stageName, deploymentId: this.deployment.id, createdDate: this.deployment.createdDate, lastUpdatedDate: this.deployment.createdDate };
  }

  private deploymentAnswer(embedSummary: boolean): Record<string, unknown> {
    const { id, createdDate, methods } = this.deployment;
    if (!embedSummary) return { id, createdDate };
    const apiSummary = Object.fromEntries(
      [...methods].map(([path, resource]) => [path, Object.fromEntries([...resource].map(([verb, m]) => [verb, { authorizationType: m.authorizationType, apiKeyRequired: m.apiKeyRequired }]))]),
    );
    return { id, createdDate, apiSummary };
  }

  /** The stage's deployed definition, as GetExport gives it with API Gateway's extensions: here only the gateway responses are read. */
  private exportDocument(): Record<string, unknown> {
    const responses = Object.fromEntries(this.deployment.gatewayResponseTypes.map((type) => [type, { statusCode: GATEWAY_RESPONSES.find((r) => r.responseType === type)!.statusCode }]));
    return { openapi: "3.0.1", info: { title: this.options.name }, paths: {}, "x-amazon-apigateway-gateway-responses": responses };
  }
}
