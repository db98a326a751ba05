import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY_RESPONSES, responseParameters } from "./gateway-responses";
import { httpApiIdentitySources } from "./http-api-identity-sources";
import type { ResolvedApi, ResolvedHttpApi } from "./resolve-settings";

export interface AttachmentTarget {
  /**
   * The authorizer function's invoke ARN, written from its name rather than read from the function,
   * so the authorizer need not wait for the function (see authorizer-function.ts).
   */
  invokeArn: pulumi.Input<string>;
  authorizerType: "REQUEST" | "TOKEN";
  /** From openapi.ts's `identitySource`: the header, and with route rules the route as well. */
  identitySource: string;
  resultTtlSeconds: number;
  /** Builds an API's execution ARN from its id, for APIs not defined in this program. */
  executionArnForId: (restApiId: pulumi.Input<string>) => pulumi.Output<string>;
}

export interface ApiAttachment {
  key: string;
  restApiId: pulumi.Output<string>;
  executionArn: pulumi.Output<string>;
  stageNames: string[];
  authorizer: aws.apigateway.Authorizer;
  gatewayResponses: aws.apigateway.Response[];
}

/**
 * What one REST API needs to use the authorizer, apart from the permission to invoke the function
 * (`allowInvoke`, which has to wait for the function): the authorizer itself and the gateway
 * responses. Resource names derive from the component's name and the API's key, never from its position.
 */
export function attachToApi(componentName: string, api: ResolvedApi, target: AttachmentTarget, parent: pulumi.Resource): ApiAttachment {
  const prefix = `${componentName}-${api.key}`;
  const opts = { parent };
  const restApiId = api.restApi ? api.restApi.id : pulumi.output(api.restApiId as pulumi.Input<string>);
  const executionArn = api.restApi ? api.restApi.executionArn : target.executionArnForId(restApiId);

  const authorizer = new aws.apigateway.Authorizer(
    `${prefix}-authorizer`,
    {
      restApi: restApiId,
      type: target.authorizerType,
      authorizerUri: target.invokeArn,
      identitySource: target.identitySource,
      authorizerResultTtlInSeconds: target.resultTtlSeconds,
    },
    opts,
  );

  const gatewayResponses = GATEWAY_RESPONSES.map((definition) => {
    const parameters = responseParameters(definition);
    return new aws.apigateway.Response(
      `${prefix}-${definition.responseType.toLowerCase().replace(/_/g, "-")}`,
      {
        restApiId,
        responseType: definition.responseType,
        statusCode: String(definition.statusCode),
        // Left unset rather than {} when there are no headers, which the provider would report as a diff.
        ...(Object.keys(parameters).length > 0 ? { responseParameters: parameters } : {}),
        responseTemplates: { [definition.contentType]: definition.body },
      },
      opts,
    );
  });

  return { key: api.key, restApiId, executionArn, stageNames: api.stageNames, authorizer, gatewayResponses };
}

/** What one HTTP API (API Gateway v2) needs to use the authorizer, apart from the permission to invoke the function. */
export interface HttpApiAttachment {
  key: string;
  apiId: pulumi.Output<string>;
  executionArn: pulumi.Output<string>;
  authorizer: aws.apigatewayv2.Authorizer;
}

/**
 * The authorizer of one HTTP API: `REQUEST`, payload format 2.0 with simple responses
 * (`{ isAuthorized, context }`), as AWS's "Control access to HTTP APIs with AWS Lambda authorizers"
 * describes. API Gateway caches an answer under the identity sources' values, for every route of the
 * API: with route rules, a key allowed on one route must not be let through another on that cached
 * answer, so the route key is among them. HTTP APIs have no gateway responses to configure: a
 * missing `Authorization` header is answered 401 and `isAuthorized: false` 403 by API Gateway itself.
 */
export function attachToHttpApi(componentName: string, api: ResolvedHttpApi, target: Omit<AttachmentTarget, "authorizerType" | "identitySource"> & { routeRules: boolean }, parent: pulumi.Resource): HttpApiAttachment {
  const prefix = `${componentName}-${api.key}`;
  const apiId = api.api ? api.api.id : pulumi.output(api.apiId as pulumi.Input<string>);
  const executionArn = api.api ? api.api.executionArn : target.executionArnForId(apiId);
  const authorizer = new aws.apigatewayv2.Authorizer(
    `${prefix}-authorizer`,
    {
      apiId,
      name: prefix,
      authorizerType: "REQUEST",
      authorizerUri: target.invokeArn,
      authorizerPayloadFormatVersion: "2.0",
      enableSimpleResponses: true,
      identitySources: httpApiIdentitySources(target.routeRules),
      authorizerResultTtlInSeconds: target.resultTtlSeconds,
    },
    { parent },
  );
  return { key: api.key, apiId, executionArn, authorizer };
}

/** The permission for that API, and only that authorizer of it, to invoke the function. */
export function allowInvoke(componentName: string, attachment: Pick<ApiAttachment | HttpApiAttachment, "key" | "executionArn" | "authorizer">, fn: aws.lambda.Function, parent: pulumi.Resource): aws.lambda.Permission {
  return new aws.lambda.Permission(
    `${componentName}-${attachment.key}-invoke`,
    {
      action: "lambda:InvokeFunction",
      function: fn.name,
      principal: "apigateway.amazonaws.com",
      // Not any method or API in the account: only this authorizer of this API.
      sourceArn: pulumi.interpolate`${attachment.executionArn}/authorizers/${attachment.authorizer.id}`,
    },
    { parent },
  );
}
