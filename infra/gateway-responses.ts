/**
 * How API Gateway answers when the authorizer does not let a request through. This module is plain
 * data with no Pulumi import: the Pulumi component turns each entry into an
 * `aws.apigateway.Response`, and the local gateway emulator imports the same table so that it
 * answers byte for byte like the deployed API.
 */

export interface GatewayResponseDefinition {
  /** API Gateway's gateway response type. */
  responseType: "UNAUTHORIZED" | "ACCESS_DENIED" | "AUTHORIZER_FAILURE" | "AUTHORIZER_CONFIGURATION_ERROR";
  statusCode: number;
  /** Plain header values, as the client receives them (API Gateway wants them quoted: see `responseParameters`). */
  headers: Readonly<Record<string, string>>;
  contentType: "application/json";
  /** The exact response body. */
  body: string;
}

/** Seconds a client should wait before retrying when key verification is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

const json = (message: string): string => JSON.stringify({ message });

export const GATEWAY_RESPONSES: readonly GatewayResponseDefinition[] = Object.freeze<GatewayResponseDefinition[]>([
  {
    // No key, a malformed key, or a key Kinde does not vouch for. The header tells clients which
    // scheme to use (RFC 6750).
    responseType: "UNAUTHORIZED",
    statusCode: 401,
    headers: { "WWW-Authenticate": "Bearer" },
    contentType: "application/json",
    body: json("Unauthorized"),
  },
  {
    // A valid key without the scope a route rule asks for.
    responseType: "ACCESS_DENIED",
    statusCode: 403,
    headers: {},
    contentType: "application/json",
    body: json("Forbidden"),
  },
  {
    // The authorizer threw something other than "Unauthorized": Kinde could not be reached and
    // there was no stale verdict to fall back on. That is an outage, not the caller's fault.
    responseType: "AUTHORIZER_FAILURE",
    statusCode: 503,
    headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
    contentType: "application/json",
    body: json("Key verification is temporarily unavailable"),
  },
  {
    // The authorizer timed out or returned a malformed answer; also transient from the client's side.
    responseType: "AUTHORIZER_CONFIGURATION_ERROR",
    statusCode: 503,
    headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
    contentType: "application/json",
    body: json("Key verification is temporarily unavailable"),
  },
]);

/**
 * API Gateway's `responseParameters` for a definition: header values are mapping expressions, so
 * a literal must be single-quoted (`'Bearer'`), otherwise it is read as a request parameter name.
 */
export function responseParameters(definition: GatewayResponseDefinition): Record<string, string> {
  return Object.fromEntries(
    Object.entries(definition.headers).map(([name, value]) => [`gatewayresponse.header.${name}`, `'${value}'`]),
  );
}

/** The same table as OpenAPI's `x-amazon-apigateway-gateway-responses`, for APIs defined that way. */
export function openApiGatewayResponses(): Record<string, unknown> {
  return Object.fromEntries(
    GATEWAY_RESPONSES.map((definition) => [
      definition.responseType,
      {
        statusCode: String(definition.statusCode),
        responseParameters: responseParameters(definition),
        responseTemplates: { [definition.contentType]: definition.body },
      },
    ]),
  );
}
