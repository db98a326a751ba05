import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2, APIGatewayTokenAuthorizerEvent } from "aws-lambda";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Real authorizer events written by AWS and Powertools, copied with their provenance and licences (see its README.md). */
const FIXTURES = join(__dirname, "..", "fixtures", "aws-events");

export function fixture<T = APIGatewayRequestAuthorizerEvent>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as T;
}

/** Powertools' captured REQUEST event, carrying `authorization` as its Authorization header (or none). */
export function requestEvent(authorization?: string, overrides: { methodArn?: string } = {}): APIGatewayRequestAuthorizerEvent {
  const event = fixture("request-event.powertools.json");
  delete event.headers!.Authorization;
  delete event.multiValueHeaders!.Authorization;
  if (authorization !== undefined) {
    event.headers!.Authorization = authorization;
    event.multiValueHeaders!.Authorization = [authorization];
  }
  if (overrides.methodArn) event.methodArn = overrides.methodArn;
  return event;
}

export function tokenEvent(authorizationToken: string): APIGatewayTokenAuthorizerEvent {
  return { ...fixture<APIGatewayTokenAuthorizerEvent>("token-event.aws-lambda-go.json"), authorizationToken };
}

/** An HTTP API's payload-2.0 event, from Powertools' captured one (AWS's sample events are HTTP API events too). */
export function httpApiEvent(
  authorization?: string,
  overrides: { routeKey?: string; method?: string; path?: string; identitySource?: string[] } = {},
): APIGatewayRequestAuthorizerEventV2 {
  const event = fixture<APIGatewayRequestAuthorizerEventV2>("http-api-request-event-v2.powertools.json");
  delete event.headers!.authorization;
  if (authorization !== undefined) event.headers!.authorization = authorization;
  const routeKey = overrides.routeKey ?? event.routeKey;
  event.routeKey = routeKey;
  event.requestContext.routeKey = routeKey;
  if (overrides.method) event.requestContext.http.method = overrides.method;
  if (overrides.path) {
    event.rawPath = overrides.path;
    event.requestContext.http.path = overrides.path;
  }
  // As API Gateway fills it: the Authorization header's value, then the route key when it is an identity source.
  event.identitySource = overrides.identitySource ?? (authorization !== undefined ? [authorization] : []);
  event.routeArn = `arn:aws:execute-api:eu-west-1:123456789012:lsw1ro4ipb/$default/${event.requestContext.http.method}${event.requestContext.http.path}`;
  return event;
}

/** An HTTP API's payload-1.0 event: AWS documents it as the REST REQUEST shape plus `version`, `identitySource` and `authorizationToken`. */
export function httpApiEventV1(authorization?: string): APIGatewayRequestAuthorizerEvent {
  const event = requestEvent(authorization);
  return { ...event, version: "1.0", identitySource: authorization ?? "", authorizationToken: authorization ?? "" } as APIGatewayRequestAuthorizerEvent;
}
