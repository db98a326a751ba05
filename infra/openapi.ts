/** The `Authorization` header, as API Gateway names an identity source. */
export const IDENTITY_SOURCE = "method.request.header.Authorization";

/**
 * The resolved resource template and HTTP method, as identity sources of a REQUEST authorizer
 * (context variables `$context.resourcePath` and `$context.httpMethod`, written `context.<name>`
 * like the API Gateway developer guide's "Context" identity sources and AWS SAM's
 * LambdaRequestAuthorizationIdentity `Context` list). API Gateway's result cache is keyed by the
 * identity sources' values: with these, by key, resource and method. `$context.resourcePath` is what a
 * REQUEST event carries as `requestContext.resourcePath`, the resource template, equal to its
 * `resource` (see AWS's sample events in test/fixtures/aws-events); were it ever the concrete path, the
 * cache would only be finer, and an answer still never reused on another route.
 */
export const ROUTE_IDENTITY_SOURCES = ["context.resourcePath", "context.httpMethod"] as const;

/**
 * The identity sources for an authorizer. With route rules, a REQUEST authorizer decides on the
 * route API Gateway resolved, so its cached answer must be reused only for that route: the cache is
 * kept per key and route, which costs one invocation per key and route instead of one per key. A
 * TOKEN authorizer can name only the header: its route rules are enforced by method ARN alone.
 */
export function identitySource(authorizerType: "REQUEST" | "TOKEN", hasRouteRules: boolean): string {
  return authorizerType === "REQUEST" && hasRouteRules ? [IDENTITY_SOURCE, ...ROUTE_IDENTITY_SOURCES].join(", ") : IDENTITY_SOURCE;
}

export interface OpenApiAuthorizerSettings {
  authorizerType: "REQUEST" | "TOKEN";
  /** From {@link identitySource}. */
  identitySource: string;
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
      identitySource: settings.identitySource,
      authorizerUri: settings.authorizerUri,
      authorizerCredentials: settings.authorizerCredentials,
      authorizerResultTtlInSeconds: settings.resultTtlSeconds,
    },
  };
}
