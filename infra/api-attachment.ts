import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY_RESPONSES, responseParameters } from "./gateway-responses";
import { IDENTITY_SOURCE } from "./openapi";
import type { ResolvedApi } from "./validate-args";

export interface AttachmentTarget {
  /** The authorizer function. */
  fn: aws.lambda.Function;
  authorizerType: "REQUEST" | "TOKEN";
  resultTtlSeconds: number;
  /** Builds an API's execution ARN from its id, for APIs not defined in this program. */
  executionArnForId: (restApiId: pulumi.Input<string>) => pulumi.Output<string>;
}

export interface ApiAttachment {
  key: string;
  restApiId: pulumi.Output<string>;
  stageNames: string[];
  authorizer: aws.apigateway.Authorizer;
  permission: aws.lambda.Permission;
  gatewayResponses: aws.apigateway.Response[];
}

/**
 * Everything one REST API needs to use the authorizer: the authorizer itself, the permission for
 * that API (and only that authorizer of it) to invoke the function, and the gateway responses.
 * Resource names derive from the component's name and the API's key, never from its position.
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
      authorizerUri: target.fn.invokeArn,
      identitySource: IDENTITY_SOURCE,
      authorizerResultTtlInSeconds: target.resultTtlSeconds,
    },
    opts,
  );

  const permission = new aws.lambda.Permission(
    `${prefix}-invoke`,
    {
      action: "lambda:InvokeFunction",
      function: target.fn.name,
      principal: "apigateway.amazonaws.com",
      // Only this authorizer of this API may invoke the function, not any method or API in the account.
      sourceArn: pulumi.interpolate`${executionArn}/authorizers/${authorizer.id}`,
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

  return { key: api.key, restApiId, stageNames: api.stageNames, authorizer, permission, gatewayResponses };
}
