/**
 * What the local gateway answers when a request does not reach the backend. The four authorizer
 * responses are the Pulumi component's own table (infra/gateway-responses.ts), so the local answer
 * is byte for byte the deployed one; the others are API Gateway's defaults.
 */
import { GATEWAY_RESPONSES } from "../infra/gateway-responses";

export type GatewayResponseType =
  | "UNAUTHORIZED"
  | "ACCESS_DENIED"
  | "AUTHORIZER_FAILURE"
  | "AUTHORIZER_CONFIGURATION_ERROR"
  | "INVALID_API_KEY"
  | "THROTTLED"
  | "QUOTA_EXCEEDED"
  | "REQUEST_TOO_LARGE"
  | "MISSING_AUTHENTICATION_TOKEN"
  | "RESOURCE_NOT_FOUND"
  | "BAD_GATEWAY";

export interface GatewayResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** API Gateway's `x-amzn-ErrorType` for each answer, which clients and SDKs key on. */
const ERROR_TYPES: Record<GatewayResponseType, string> = {
  UNAUTHORIZED: "UnauthorizedException",
  ACCESS_DENIED: "AccessDeniedException",
  AUTHORIZER_FAILURE: "AuthorizerFailureException",
  AUTHORIZER_CONFIGURATION_ERROR: "AuthorizerConfigurationException",
  INVALID_API_KEY: "ForbiddenException",
  THROTTLED: "TooManyRequestsException",
  QUOTA_EXCEEDED: "LimitExceededException",
  REQUEST_TOO_LARGE: "RequestEntityTooLargeException",
  MISSING_AUTHENTICATION_TOKEN: "MissingAuthenticationTokenException",
  RESOURCE_NOT_FOUND: "NotFoundException",
  BAD_GATEWAY: "InternalServerErrorException",
};

/** API Gateway's defaults, for the types Keygate does not customise. */
const DEFAULTS: Record<Exclude<GatewayResponseType, (typeof GATEWAY_RESPONSES)[number]["responseType"]>, { statusCode: number; message: string }> = {
  INVALID_API_KEY: { statusCode: 403, message: "Forbidden" },
  THROTTLED: { statusCode: 429, message: "Too Many Requests" },
  QUOTA_EXCEEDED: { statusCode: 429, message: "Limit Exceeded" },
  REQUEST_TOO_LARGE: { statusCode: 413, message: "Request Too Long" },
  // No resource and method match the request: API Gateway answers this, not 404.
  MISSING_AUTHENTICATION_TOKEN: { statusCode: 403, message: "Missing Authentication Token" },
  RESOURCE_NOT_FOUND: { statusCode: 404, message: "Not Found" },
  // A Lambda proxy integration that answers something API Gateway cannot use.
  BAD_GATEWAY: { statusCode: 502, message: "Internal server error" },
};

export function gatewayResponse(type: GatewayResponseType, requestId: string): GatewayResponse {
  const common = { "x-amzn-RequestId": requestId, "x-amzn-ErrorType": ERROR_TYPES[type] };
  const deployed = GATEWAY_RESPONSES.find((definition) => definition.responseType === type);
  if (deployed) {
    return {
      statusCode: deployed.statusCode,
      headers: { ...common, ...deployed.headers, "content-type": deployed.contentType },
      body: deployed.body,
    };
  }
  const fallback = DEFAULTS[type as keyof typeof DEFAULTS];
  return { statusCode: fallback.statusCode, headers: { ...common, "content-type": "application/json" }, body: JSON.stringify({ message: fallback.message }) };
}
