/**
 * What each demo key can do under the settings in effect, decided by the authorizer's own rules:
 * its verdict on the emulator's answer for the key, `decide` (required scopes, org keys, the key's API), then the
 * policy it would return for the resource the local REST API routes each demo route to, evaluated
 * against the route's method ARN as API Gateway does (REST API), or the route rules that apply to
 * each demo route's route key (HTTP API). The banner shows no key or route as
 * working that the settings refuse.
 */
import { decide, needsKeyMetadata, type DenyReason } from "../lambda/decision";
import { parseKeyMetadata, type KeyMetadataLookup } from "../lambda/kinde/key-metadata";
import { buildPolicy, deniedRoutes } from "../lambda/policy/build-policy";
import { evaluatePolicy } from "../lambda/policy/evaluate-policy";
import { parseMethodArn } from "../lambda/policy/method-arn";
import { parseRouteScopes } from "../lambda/policy/route-rules";
import { rulesForRouteKey } from "../lambda/policy/route-template-match";
import { verdictFromKinde } from "../lambda/verdict/verdict";
import type { DemoRoute } from "./demo-backend";
import type { DemoKey } from "./demo-keys";
import { restApiResources } from "./local-api-routes";
import { ResourceRouter } from "./resource-router";
import { emulatedApiId, keyMetadataOf } from "./kinde-emulator";
import type { StageIdentity } from "./local-gateway";
import type { KeygateSettings } from "./stack-config";

export type DemoKeyAccess = { key: DemoKey; accepted: false; reason: DenyReason } | { key: DemoKey; accepted: true; routes: { route: DemoRoute; allowed: boolean }[] };

export function demoKeyAccess(
  keys: readonly DemoKey[],
  routes: readonly DemoRoute[],
  settings: Pick<KeygateSettings, "requiredScopes" | "allowOrgKeys" | "routeScopes" | "kindeApiIds"> & Partial<Pick<KeygateSettings, "authorizerType">>,
  stage: StageIdentity,
  /** HTTP API mode: the route key each demo route is sent to. */
  routeKeyOf?: (route: DemoRoute) => string,
): DemoKeyAccess[] {
  const rules = parseRouteScopes(settings.routeScopes);
  const router = new ResourceRouter(restApiResources(rules));
  const arn = (route: DemoRoute) => `arn:${stage.partition}:execute-api:${stage.region}:${stage.accountId}:${stage.apiId}/${stage.stage}/${route.method}${route.path}`;
  return keys.map((key) => {
    // The emulator's answer for this key (local/kinde-emulator.ts), as the authorizer reads it.
    const status = key.status ?? "active";
    const body = { is_valid: status === "active", status, key_id: key.key_id, user_id: key.user_id ?? undefined, org_code: key.org_code ?? undefined, scopes: key.scopes ?? [] };
    const verdict = verdictFromKinde({ kind: "answered", body }, 0, { positiveMs: 1, negativeMs: 1 });
    const decisionRules = { requiredScopes: settings.requiredScopes, allowOrgKeys: settings.allowOrgKeys, kindeApiIds: settings.kindeApiIds };
    // The emulator's key metadata answer, as the authorizer reads it.
    const metadata = parseKeyMetadata(key.key_id, { api_key: keyMetadataOf(key, emulatedApiId(settings.kindeApiIds)) });
    const lookup: KeyMetadataLookup = metadata ? { found: true, metadata } : { found: false };
    const decision = decide(verdict, decisionRules, needsKeyMetadata(verdict, decisionRules) ? lookup : undefined);
    if (!decision.allow) return { key, accepted: false, reason: decision.reason };
    return {
      key,
      accepted: true,
      routes: routes.map((route) => {
        if (routeKeyOf) return { route, allowed: rulesForRouteKey(deniedRoutes(new Set(decision.identity.scopes), rules), routeKeyOf(route)).length === 0 };
        const target = parseMethodArn(arn(route));
        if (!target) throw new Error(`not a method ARN: ${arn(route)}`);
        // A TOKEN event names no route. The REST API's `/{proxy+}` matches every path but the root, and `/` the root.
        const resource = settings.authorizerType === "TOKEN" ? undefined : router.route(route.path)?.resource;
        const policy = buildPolicy(target, new Set(decision.identity.scopes), rules, resource ? { method: route.method, resource } : undefined);
        return { route, allowed: evaluatePolicy(policy, arn(route)) === "allow" };
      }),
    };
  });
}
