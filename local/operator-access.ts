/**
 * What `keygate ... --local` reaches a running `npm start` through: the local API Gateway control
 * plane (the usage plans' own, or one started for this), answering for the local API as a REST API
 * (local/local-rest-api.ts), in HTTP mode also as an HTTP API (local/local-http-api.ts), and
 * `.keygate/local.json`, which records where everything listens and which kind of API runs.
 */
import { LocalApiGatewayControlPlane } from "./api-gateway-control-plane";
import { LocalHttpApi } from "./local-http-api";
import { LocalRestApi } from "./local-rest-api";
import type { LocalUsagePlans } from "./local-usage-plans";
import type { StageIdentity } from "./local-gateway";
import { writeLocalEndpoints } from "../cli/local-endpoints";
import { httpApiIdentitySources } from "../infra/http-api-identity-sources";

export interface OperatorAccessOptions {
  stage: StageIdentity;
  gatewayUrl: string;
  dynamodb: { endpoint: string; tableName: string; embedded: boolean };
  authorizer: { type: "REQUEST" | "TOKEN"; identitySource: string; resultTtlSeconds: number; memoryCacheTtlSeconds: number };
  resourcePaths: readonly string[];
  /**
   * In HTTP mode: the HTTP API's route keys, and whether `$context.routeKey` follows the Authorization
   * header among its authorizer's identity sources (as the component sets it when there are route rules).
   */
  httpApi?: { routes: readonly string[]; routeKeyInIdentitySources: boolean };
  usagePlans: LocalUsagePlans | undefined;
  /** Empties the local gateway's authorizer result cache. */
  flushAuthorizerCache: () => void;
  /** Where to record the endpoints, or undefined for nowhere. */
  endpointsFile: string | undefined;
}

export interface OperatorAccess {
  controlPlane: LocalApiGatewayControlPlane;
  restApi: LocalRestApi;
  /** In HTTP mode: the local API as API Gateway v2 describes it. */
  httpApi?: LocalHttpApi;
  stop(): Promise<void>;
}

const AUTHORIZER_ID = "keygateauth";

export async function startOperatorAccess(options: OperatorAccessOptions): Promise<OperatorAccess> {
  const { stage, usagePlans } = options;
  const own = usagePlans ? undefined : await new LocalApiGatewayControlPlane([]).start();
  const controlPlane = usagePlans?.controlPlane ?? own!;
  const functionArn = `arn:${stage.partition}:lambda:${stage.region}:${stage.accountId}:function:keygate-local-authorizer`;
  const authorizerUri = `arn:${stage.partition}:apigateway:${stage.region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;
  const restApi = new LocalRestApi({
    id: stage.apiId,
    name: "keygate-local",
    stageName: stage.stage,
    apiKeySource: usagePlans ? "AUTHORIZER" : "HEADER",
    authorizer: {
      id: AUTHORIZER_ID,
      name: "keygate-authorizer",
      type: options.authorizer.type,
      identitySource: options.authorizer.identitySource,
      authorizerUri,
      resultTtlSeconds: options.authorizer.resultTtlSeconds,
    },
    resourcePaths: options.resourcePaths,
    apiKeyRequired: usagePlans !== undefined,
    flushAuthorizerCache: options.flushAuthorizerCache,
  });
  controlPlane.serve(restApi);
  const httpApi = options.httpApi
    ? new LocalHttpApi({
        id: stage.apiId,
        name: "keygate-local",
        apiEndpoint: options.gatewayUrl,
        authorizer: {
          id: AUTHORIZER_ID,
          name: "keygate-authorizer",
          authorizerUri,
          identitySource: httpApiIdentitySources(options.httpApi.routeKeyInIdentitySources),
          resultTtlSeconds: options.authorizer.resultTtlSeconds,
        },
        routes: options.httpApi.routes,
      })
    : undefined;
  if (httpApi) controlPlane.serveHttpApi(httpApi);
  const removeEndpoints = options.endpointsFile
    ? writeLocalEndpoints(options.endpointsFile, {
        gatewayUrl: options.gatewayUrl,
        region: stage.region,
        dynamodb: options.dynamodb,
        controlPlaneUrl: controlPlane.url,
        ...(httpApi ? { apiKind: "http" as const, httpApiId: httpApi.id } : { apiKind: "rest" as const }),
        restApiId: stage.apiId,
        stageName: stage.stage,
        authorizerId: AUTHORIZER_ID,
        memoryCacheTtlSeconds: options.authorizer.memoryCacheTtlSeconds,
        ...(usagePlans ? { usagePlanIds: Object.fromEntries(usagePlans.tiers.map((tier) => [tier.name, tier.usagePlanId])) } : {}),
      })
    : () => undefined;
  return {
    controlPlane,
    restApi,
    ...(httpApi ? { httpApi } : {}),
    stop: async () => {
      removeEndpoints();
      await own?.stop();
    },
  };
}
