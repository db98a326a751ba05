/** The `Authorization` header, as API Gateway names an identity source. */
export const IDENTITY_SOURCE = "method.request.header.Authorization";

export interface OpenApiAuthorizerSettings {
  authorizerType: "REQUEST" | "TOKEN";
  /** The function's `invokeArn`. */
  authorizerUri: string;
  /** The role API Gateway assumes to invoke the function. */
  authorizerCredentials: string;
  resultTtlSeconds: number;
}

/**
 * An OpenAPI security scheme for APIs defined with a `body`: put it under
 * `components.securitySchemes` (OpenAPI 3) or `securityDefinitions` (Swagger 2) and reference it
 * in each protected operation's `security`.
 */
export function openApiSecurityScheme(settings: OpenApiAuthorizerSettings): Record<string, unknown> {
  return {
    type: "apiKey",
    name: "Authorization",
    in: "header",
    "x-amazon-apigateway-authtype": "custom",
    "x-amazon-apigateway-authorizer": {
      type: settings.authorizerType.toLowerCase(),
      identitySource: IDENTITY_SOURCE,
      authorizerUri: settings.authorizerUri,
      authorizerCredentials: settings.authorizerCredentials,
      authorizerResultTtlInSeconds: settings.resultTtlSeconds,
    },
  };
}
