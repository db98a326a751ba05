import type { APIGatewayRequestAuthorizerEvent, APIGatewayTokenAuthorizerEvent } from "aws-lambda";
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
