import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { AccessLogDestination } from "./args";
import { GATEWAY_RESPONSES } from "./gateway-responses";

/**
 * The demo's `GET /whoami` answer: what the authorizer told API Gateway about the caller. A MOCK
 * integration renders it from `$context.authorizer`, so the demo needs no backend function and
 * shows exactly what a real backend would receive. Keys match lambda/policy/authorizer-context.ts.
 */
export const WHOAMI_TEMPLATE = `{
  "message": "This key is valid. This is what the authorizer passes to your backend.",
  "principalId": "$util.escapeJavaScript($context.authorizer.principalId)",
  "user_id": "$util.escapeJavaScript($context.authorizer.user_id)",
  "key_id": "$util.escapeJavaScript($context.authorizer.key_id)",
  "scopes": "$util.escapeJavaScript($context.authorizer.scopes)",
  "org_code": "$util.escapeJavaScript($context.authorizer.org_code)",
  "verdict_source": "$util.escapeJavaScript($context.authorizer.verdict_source)",
  "request_id": "$context.requestId"
}`;

export interface DemoWhoamiRouteArgs {
  restApi: aws.apigateway.RestApi;
  /** The Keygate authorizer attached to `restApi`. */
  authorizer: aws.apigateway.Authorizer;
  /** Resources the deployment must include (the gateway responses). */
  deploymentDependsOn: pulumi.Resource[];
  stageName: string;
  /**
   * Require a usage key on `GET /whoami` (with usage plans; the RestApi then needs
   * `apiKeySource: "AUTHORIZER"`). Default false: without a plan holding the authorizer's key,
   * API Gateway would refuse every request with 403.
   */
  apiKeyRequired?: boolean;
  /** The stage's access log settings (the component's `accessLogSettings`, with `accessLogs`). Default: no access logs. */
  accessLogSettings?: pulumi.Input<AccessLogDestination>;
}

/**
 * The redeployment trigger: a deployment is a snapshot, so a new one is taken whenever anything it
 * snapshots changes, including settings that change in place without changing any resource's id
 * (a method's apiKeyRequired, the API's apiKeySource).
 */
export function deploymentFingerprint(parts: readonly unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

/** `GET /whoami` on the demo REST API, protected by the Keygate authorizer, deployed to one stage. */
export class DemoWhoamiRoute extends pulumi.ComponentResource {
  static readonly TYPE = "keygate:index:DemoWhoamiRoute";

  /** `https://.../<stage>/whoami` */
  readonly url: pulumi.Output<string>;
  readonly stage: aws.apigateway.Stage;

  constructor(name: string, args: DemoWhoamiRouteArgs, opts?: pulumi.ComponentResourceOptions) {
    super(DemoWhoamiRoute.TYPE, name, {}, opts);
    const parent = { parent: this };
    const restApi = args.restApi.id;

    const resource = new aws.apigateway.Resource(`${name}-whoami`, { restApi, parentId: args.restApi.rootResourceId, pathPart: "whoami" }, parent);
    const method = new aws.apigateway.Method(
      `${name}-whoami-get`,
      { restApi, resourceId: resource.id, httpMethod: "GET", authorization: "CUSTOM", authorizerId: args.authorizer.id, ...(args.apiKeyRequired ? { apiKeyRequired: true } : {}) },
      parent,
    );
    const integration = new aws.apigateway.Integration(
      `${name}-whoami-get`,
      {
        restApi,
        resourceId: resource.id,
        httpMethod: method.httpMethod,
        type: "MOCK",
        // A MOCK integration answers with the status code its request template names.
        requestTemplates: { "application/json": '{"statusCode": 200}' },
        passthroughBehavior: "WHEN_NO_TEMPLATES",
      },
      parent,
    );
    const methodResponse = new aws.apigateway.MethodResponse(
      `${name}-whoami-get-200`,
      { restApi, resourceId: resource.id, httpMethod: method.httpMethod, statusCode: "200", responseModels: { "application/json": "Empty" } },
      parent,
    );
    const integrationResponse = new aws.apigateway.IntegrationResponse(
      `${name}-whoami-get-200`,
      { restApi, resourceId: resource.id, httpMethod: method.httpMethod, statusCode: methodResponse.statusCode, responseTemplates: { "application/json": WHOAMI_TEMPLATE } },
      { parent: this, dependsOn: [integration] },
    );

    const routeParts: pulumi.Input<unknown>[] = [
      resource.id,
      method.id,
      integration.id,
      integrationResponse.id,
      args.authorizer.id,
      // Changed in place (the function's name, the cache TTL), yet only a new deployment serves them.
      args.authorizer.authorizerUri,
      args.authorizer.authorizerResultTtlInSeconds,
      args.apiKeyRequired ?? false,
      args.restApi.apiKeySource,
      ...args.deploymentDependsOn.map((dependency) => dependency.urn),
    ];
    const deployment = new aws.apigateway.Deployment(
      `${name}-deployment`,
      {
        restApi,
        description: "Keygate demo",
        triggers: { redeployment: pulumi.all([WHOAMI_TEMPLATE, JSON.stringify(GATEWAY_RESPONSES), ...routeParts]).apply(deploymentFingerprint) },
      },
      { parent: this, dependsOn: [method, integration, integrationResponse, methodResponse, args.authorizer, ...args.deploymentDependsOn] },
    );
    this.stage = new aws.apigateway.Stage(
      `${name}-stage`,
      { restApi, deployment: deployment.id, stageName: args.stageName, ...(args.accessLogSettings ? { accessLogSettings: args.accessLogSettings } : {}) },
      parent,
    );
    this.url = pulumi.interpolate`${this.stage.invokeUrl}/whoami`;
    this.registerOutputs({ url: this.url });
  }
}
