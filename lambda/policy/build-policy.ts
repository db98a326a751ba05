import { stageArn, type MethodArn } from "./method-arn";
import { denyResources, type RouteRule } from "./route-rules";

export interface PolicyStatement {
  Action: "execute-api:Invoke";
  Effect: "Allow" | "Deny";
  Resource: string[];
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/**
 * The policy for one key on one API stage.
 *
 * API Gateway caches the authorizer's answer by key alone and reuses it for every route, so the
 * policy must describe the whole stage: it allows every route and explicitly denies the routes
 * whose scopes the key lacks (an explicit Deny wins in IAM evaluation). Never `event.methodArn`.
 * A Deny lists every resource pattern of the rule (one per verb), so it covers each concrete path
 * API Gateway routes to the rule's template.
 */
export function buildPolicy(target: MethodArn, grantedScopes: ReadonlySet<string>, rules: readonly RouteRule[]): PolicyDocument {
  const stage = stageArn(target);
  const statements: PolicyStatement[] = [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: [`${stage}/*/*`] }];
  const denied = [...new Set(deniedRoutes(grantedScopes, rules).flatMap((rule) => denyResources(rule).map((resource) => `${stage}/${resource}`)))];
  if (denied.length > 0) statements.push({ Action: "execute-api:Invoke", Effect: "Deny", Resource: denied });
  return { Version: "2012-10-17", Statement: statements };
}

export function deniedRoutes(grantedScopes: ReadonlySet<string>, rules: readonly RouteRule[]): RouteRule[] {
  return rules.filter((rule) => !rule.scopes.every((scope) => grantedScopes.has(scope)));
}
