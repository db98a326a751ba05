import { stageArn, type MethodArn } from "./method-arn";
import { denyResources, type RouteRule } from "./route-rules";
import { ruleMatchesRouteTemplate } from "./route-template-match";

export interface PolicyStatement {
  Action: "execute-api:Invoke";
  Effect: "Allow" | "Deny";
  Resource: string[];
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** The route API Gateway resolved a request to: a REST REQUEST event's `httpMethod` and `resource`. */
export interface ResolvedRoute {
  method: string;
  /** The resource template, e.g. `/reports/{name}`. */
  resource: string;
}

/**
 * The policy for one key on one API stage.
 *
 * It allows every route and explicitly denies what the key's scopes do not reach (an explicit Deny
 * wins in IAM). Never just `event.methodArn`: a cached answer is reused for other requests.
 *
 * - By method ARN, always: a Deny lists every resource pattern of each rule the key lacks scopes for
 *   (one per verb), so it covers each concrete path API Gateway routes to the rule's template in its
 *   usual spelling. For a TOKEN authorizer, which is told no route, this is all there is.
 * - By resolved route, when the event names one (`route`): if a rule the key lacks scopes for applies
 *   to that route (some request could both reach the route and be covered by the rule; see
 *   route-template-match.ts), the Deny also lists `{stage}/{VERB}/*`, every path of the request's
 *   verb, whatever its spelling. So a catch-all resource such as `/{proxy+}` needs every rule's
 *   scopes. This is right only because, with route rules, API Gateway caches the answer per key,
 *   resource and method (the component adds `context.resourcePath` and `context.httpMethod` to the
 *   identity sources), so the answer is reused only for requests to that same route.
 */
export function buildPolicy(target: MethodArn, grantedScopes: ReadonlySet<string>, rules: readonly RouteRule[], route?: ResolvedRoute): PolicyDocument {
  const stage = stageArn(target);
  const statements: PolicyStatement[] = [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: [`${stage}/*/*`] }];
  const denied = deniedRoutes(grantedScopes, rules);
  const resources = denied.flatMap((rule) => denyResources(rule).map((resource) => `${stage}/${resource}`));
  if (route && denied.some((rule) => ruleMatchesRouteTemplate(rule, route.method, route.resource))) resources.push(`${stage}/${target.method}/*`);
  if (resources.length > 0) statements.push({ Action: "execute-api:Invoke", Effect: "Deny", Resource: [...new Set(resources)] });
  return { Version: "2012-10-17", Statement: statements };
}

export function deniedRoutes(grantedScopes: ReadonlySet<string>, rules: readonly RouteRule[]): RouteRule[] {
  return rules.filter((rule) => !rule.scopes.every((scope) => grantedScopes.has(scope)));
}
