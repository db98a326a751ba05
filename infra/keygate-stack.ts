import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DemoWhoamiRoute } from "./demo-api";
import type { AccessLogDestination } from "./args";
import type { StackSettings } from "./stack-config";
import { UserKeyAuthorizer, type AttachedApiSummary, type AttachedHttpApiSummary } from "./user-key-authorizer";

/** The stack's outputs. None of them holds a secret value. */
export interface KeygateStackOutputs {
  authorizerIds: pulumi.Output<string>[];
  apis: pulumi.Output<AttachedApiSummary[]>;
  /** With `keygate:httpApiIds`: each HTTP API's id and Keygate's authorizer on it, for its routes' `authorizerId`. */
  httpApis: pulumi.Output<AttachedHttpApiSummary[]> | undefined;
  /** With `keygate:httpApiIds`: the HTTP APIs' authorizer ids, in the order of the setting. */
  httpApiAuthorizerIds: pulumi.Output<string>[] | undefined;
  functionName: pulumi.Output<string>;
  functionArn: pulumi.Output<string>;
  tableName: pulumi.Output<string>;
  auditLogGroupName: pulumi.Output<string>;
  secretArn: pulumi.Output<string>;
  openApiSecurityScheme: pulumi.Output<Record<string, unknown>> | undefined;
  /** `GET /whoami` of the demo API, when the stack created it. */
  demoUrl: pulumi.Output<string> | undefined;
  /** With `keygate:usagePlans`: each tier's usage plan id (key values are never exported). */
  usagePlanIds: pulumi.Output<Record<string, string>> | undefined;
  /** The CloudWatch dashboard's URL, unless `keygate:dashboard` is false. */
  dashboardUrl: pulumi.Output<string> | undefined;
  /** With `keygate:accessLogs`: the log group of the API Gateway access logs. */
  accessLogGroupName: pulumi.Output<string> | undefined;
  /** With `keygate:accessLogs`: `accessLogSettings` for stages of the protected APIs defined elsewhere (docs/operations.md). */
  accessLogSettings: pulumi.Output<AccessLogDestination> | undefined;
}

/** Keygate's own stack: the component, attached to the configured REST and HTTP APIs or to a demo API of its own. */
export function createKeygateStack(settings: StackSettings): KeygateStackOutputs {
  if (!settings.demoApi) {
    const keygate = new UserKeyAuthorizer("keygate", { ...settings.component, apis: settings.apis, httpApis: settings.httpApis });
    return { ...outputsOf(keygate), demoUrl: undefined };
  }

  const restApi = new aws.apigateway.RestApi("keygate-demo", {
    description: "Keygate demo: GET /whoami answers with what the authorizer says about your key",
    endpointConfiguration: { types: "REGIONAL" },
    // With usage plans, API Gateway must meter by the key the authorizer returns, not by a header the caller sends.
    ...(settings.component.usagePlans ? { apiKeySource: "AUTHORIZER" } : {}),
    tags: settings.component.tags,
  });
  // The component calls deployStages once the authorizer exists, before the usage plans that name the stage.
  const routes: DemoWhoamiRoute[] = [];
  const keygate = new UserKeyAuthorizer("keygate", {
    ...settings.component,
    apis: [
      {
        name: "demo",
        restApi,
        stageNames: [settings.demoStageName],
        deployStages: ({ authorizer, gatewayResponses, apiKeyRequired, accessLogSettings }) => {
          const route = new DemoWhoamiRoute("keygate-demo", {
            restApi,
            authorizer,
            deploymentDependsOn: gatewayResponses,
            stageName: settings.demoStageName,
            apiKeyRequired,
            ...(accessLogSettings ? { accessLogSettings } : {}),
          });
          routes.push(route);
          return [route.stage];
        },
      },
    ],
  });
  return { ...outputsOf(keygate), demoUrl: routes[0]?.url };
}

function outputsOf(keygate: UserKeyAuthorizer): Omit<KeygateStackOutputs, "demoUrl"> {
  // usagePlanIds is undefined without usage plans, and the stack program leaves undefined outputs out.
  return {
    authorizerIds: keygate.authorizerIds,
    apis: keygate.apis,
    // Left out of a stack without HTTP APIs, as the other optional outputs are.
    httpApis: keygate.httpApiAuthorizers.length > 0 ? keygate.httpApis : undefined,
    httpApiAuthorizerIds: keygate.httpApiAuthorizers.length > 0 ? keygate.httpApiAuthorizerIds : undefined,
    functionName: keygate.functionName,
    functionArn: keygate.functionArn,
    tableName: keygate.tableName,
    auditLogGroupName: keygate.auditLogGroupName,
    secretArn: keygate.secretArn,
    openApiSecurityScheme: keygate.openApiSecurityScheme,
    usagePlanIds: keygate.usagePlanIds,
    dashboardUrl: keygate.dashboardUrl,
    accessLogGroupName: keygate.accessLogGroupName,
    accessLogSettings: keygate.accessLogSettings,
  };
}
