/**
 * The authorizer's answer in the shape the event's API expects (see {@link AnswerShape}): an IAM
 * policy for REST APIs and HTTP API payload 1.0, a simple response for HTTP API payload 2.0.
 * Route rules are applied here too, because where they are decided differs: in a REST policy (for
 * the whole stage, evaluated by API Gateway per request), or on the route key API Gateway resolved.
 */
import type { APIGatewayAuthorizerResult } from "aws-lambda";
import type { Identity } from "../decision";
import { buildAuthorizerContext, type AuthorizerContext } from "../policy/authorizer-context";
import { buildPolicy, deniedRoutes } from "../policy/build-policy";
import { evaluatePolicy } from "../policy/evaluate-policy";
import { stageArn } from "../policy/method-arn";
import type { RouteRule } from "../policy/route-rules";
import { rulesForRouteKey } from "../policy/route-template-match";
import type { VerdictSource } from "../verdict/verdict-resolver";
import type { RequestView } from "./request-view";

/** API Gateway turns exactly this message into a 401 (REST APIs). */
export const UNAUTHORIZED = "Unauthorized";

/** An HTTP API's simple response (payload 2.0 with `enableSimpleResponses`). */
export interface SimpleAuthorizerResult {
  isAuthorized: boolean;
  context?: AuthorizerContext;
}

export type AuthorizerResult = APIGatewayAuthorizerResult | SimpleAuthorizerResult;

/** Why the event cannot be answered at all (API Gateway never sends such an event): an error, never a refusal. */
export function unanswerable(view: RequestView): "bad_method_arn" | "bad_route_arn" | undefined {
  if (view.arn) return undefined;
  return view.answer === "http-simple" ? "bad_route_arn" : "bad_method_arn";
}

/**
 * The answer for a refused key: never an Allow, and never an error, so API Gateway answers the
 * caller 401 (REST) or 403 (HTTP APIs), not 500. HTTP APIs: AWS documents `isAuthorized: false` and
 * an explicit Deny as refusals, and a failed invocation as 500 ("Control access to HTTP APIs with
 * AWS Lambda authorizers", https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html);
 * the `Unauthorized` error convention is documented for REST APIs only, so it is not relied on there.
 */
export function refusal(view: RequestView): AuthorizerResult {
  switch (view.answer) {
    case "rest-policy":
      throw new Error(UNAUTHORIZED);
    case "http-simple":
      return { isAuthorized: false };
    case "http-policy":
      return {
        principalId: "refused",
        policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Deny", Resource: [`${stageArn(view.arn!)}/*/*`] }] },
      };
  }
}

/** Route rules on an HTTP API's simple answer need the route among the cache key's values; see {@link answerFor}. */
export class RouteNotInCacheKeyError extends Error {
  readonly reason = "route_key_not_in_identity_source";
  constructor() {
    super("Authorizer error: route rules need $context.routeKey among the authorizer's identity sources");
  }
  override name = "RouteNotInCacheKeyError";
}

/**
 * The answer for an accepted key, and whether this request's own route is allowed (false when a
 * route rule needs a scope the key lacks: the caller gets 403).
 *
 * A simple response allows or refuses everything its cache key covers. With route rules that must
 * be one route: `$context.routeKey` among the identity sources, or no identity source at all (no
 * caching). Otherwise an Allow for one route would be reused on a route the key may not call, so
 * the authorizer answers with an error (500) instead, for every key some rule would refuse.
 */
export function answerFor(
  view: RequestView,
  identity: Identity,
  source: VerdictSource,
  rules: readonly RouteRule[],
): { result: AuthorizerResult; routeAllowed: boolean } {
  const context = buildAuthorizerContext(identity, source);
  const granted = new Set(identity.scopes);
  if (view.answer === "http-simple") {
    const denied = deniedRoutes(granted, rules);
    if (denied.length > 0 && !routeInCacheKey(view)) throw new RouteNotInCacheKeyError();
    const routeAllowed = rulesForRouteKey(denied, view.routeKey).length === 0;
    return { result: routeAllowed ? { isAuthorized: true, context } : { isAuthorized: false }, routeAllowed };
  }
  // A policy for the whole stage (API Gateway caches it per key, for every route); this request's
  // own route may still be one the key lacks a scope for.
  const policyDocument = buildPolicy(view.arn!, granted, rules, view.resolvedRoute);
  const routeAllowed = evaluatePolicy(policyDocument, view.arnText!) === "allow";
  return { result: { principalId: identity.principalId, policyDocument, context }, routeAllowed };
}

/** Whether usage plans can meter this request: only REST APIs have them. */
export function meteredByUsagePlans(view: RequestView): boolean {
  return view.answer === "rest-policy";
}

function routeInCacheKey(view: RequestView): boolean {
  const sources = view.identitySource ?? [];
  return sources.length === 0 || (view.routeKey !== undefined && sources.includes(view.routeKey));
}
