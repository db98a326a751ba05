/**
 * The authorizer answering HTTP API events over the real protocols (Kinde through the loopback
 * emulator, DynamoDB through dynalite): payload 2.0 gets a simple response, payload 1.0 an IAM
 * policy; the verdict path, refusal reasons and audit record are the REST ones, naming the API kind.
 */
import type { APIGatewayAuthorizerResult } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../../lambda/audit/audit-log";
import { authorizerFromConfig } from "../../lambda/authorizer-from-config";
import { loadConfig } from "../../lambda/config";
import type { LocalKey } from "../../local/kinde-emulator";
import { fixture, httpApiEvent, httpApiEventV1 } from "../support/aws-events";
import { UNHURRIED_BUDGETS, useKindeEmulator, useLoopbackAws } from "../support/loopback-aws";

const CLIENT_SECRET = "m2m-secret-http-api";
const ALICE = "k_live_http_alice_0123456789abcdef";
const BOB = "k_live_http_bob_0123456789abcdef";
const REVOKED = "k_live_http_revoked_0123456789abcd";
const ORG = "k_live_http_org_0123456789abcdef";
const UNKNOWN = "k_live_http_unknown_0123456789abcd";
const KEYS: LocalKey[] = [
  { api_key: ALICE, key_id: "api_key_alice", user_id: "kp_alice", scopes: ["read:reports", "write:orders"] },
  { api_key: BOB, key_id: "api_key_bob", user_id: "kp_bob", scopes: ["read:profile"] },
  { api_key: REVOKED, key_id: "api_key_revoked", user_id: "kp_carol", status: "revoked" },
  { api_key: ORG, key_id: "api_key_org", org_code: "org_acme", scopes: ["read:reports"] },
];
const RULES = JSON.stringify({ "GET /reports/*": "read:reports", "POST /orders": "write:orders" });

const kinde = useKindeEmulator({ clientId: "keygate-http", clientSecret: CLIENT_SECRET, keys: () => KEYS, tokenLifetimeSeconds: 3600 });
const aws = useLoopbackAws("keygate-http");

function container(env: Record<string, string> = {}) {
  const records: AuditRecord[] = [];
  const config = loadConfig({
    KINDE_DOMAIN: kinde.url,
    KINDE_M2M_CLIENT_ID: "keygate-http",
    KINDE_M2M_CLIENT_SECRET: CLIENT_SECRET,
    CACHE_TABLE_NAME: aws.tableName,
    ...UNHURRIED_BUDGETS,
    ...env,
  });
  const handler = authorizerFromConfig(config, (record) => records.push(record));
  return { handler, records, last: () => records[records.length - 1]! };
}

/** A route-keyed event as the component's authorizer sends it with route rules: the key, then `$context.routeKey`. */
function routed(key: string, routeKey: string, method: string, path: string) {
  return httpApiEvent(`Bearer ${key}`, { routeKey, method, path, identitySource: [`Bearer ${key}`, routeKey] });
}

describe("HTTP API payload 2.0", () => {
  it("answers AWS's captured event with a simple response carrying the REST context fields, and audits the API kind", async () => {
    const c = container();
    const result = await c.handler(httpApiEvent(`Bearer ${ALICE}`), { awsRequestId: "lambda-req-http" });
    expect(result).toEqual({
      isAuthorized: true,
      context: { user_id: "kp_alice", key_id: "api_key_alice", scopes: "read:reports write:orders", verdict_source: "kinde" },
    });
    expect(c.last()).toMatchObject({
      decision: "allow",
      reason: "allowed",
      api_kind: "http",
      api_id: "lsw1ro4ipb",
      stage: "$default",
      method: "POST",
      path: "/lambda",
      route_key: "POST /lambda",
      source_ip: "15.248.3.126",
      user_agent: "HTTPie/3.2.2",
      request_id: "ZhNHJhhLjoEEPiw=",
      function_request_id: "lambda-req-http",
      user_id: "kp_alice",
      verdict_source: "kinde",
    });
    expect(JSON.stringify(c.records)).not.toContain(ALICE);
  });

  it("refuses AWS's documented sample event (no Authorization header) with isAuthorized false, not an error, without calling Kinde", async () => {
    const c = container();
    await expect(c.handler(fixture("http-api-request-event-v2.aws-lambda-go.json"))).resolves.toEqual({ isAuthorized: false });
    expect(c.last()).toMatchObject({ decision: "deny", reason: "missing_key", api_kind: "http", stage: "$default", route_key: "$default", method: "POST", path: "/my/path" });
    expect(kinde.calls.token + kinde.calls.verify).toBe(0);
  });

  it.each([
    [`Bearer ${REVOKED}`, "inactive_key"],
    [`Bearer ${UNKNOWN}`, "invalid_key"],
    [`Bearer ${ORG}`, "org_key_not_allowed"],
    ["Basic abc", "malformed_key"],
    [`Bearer ${ALICE},Bearer ${BOB}`, "malformed_key"],
  ])("refuses %j as %s with isAuthorized false, never an error", async (header, reason) => {
    const c = container();
    await expect(c.handler(httpApiEvent(header))).resolves.toEqual({ isAuthorized: false });
    expect(c.last()).toMatchObject({ decision: "deny", reason, api_kind: "http" });
  });

  it("throws while Kinde is unavailable, never answering isAuthorized true, and does not remember the key as refused", async () => {
    kinde.verifyMode = "server-error";
    const c = container();
    await expect(c.handler(httpApiEvent(`Bearer ${ALICE}`))).rejects.toThrow(/unavailable/);
    expect(c.last()).toMatchObject({ decision: "error", reason: "upstream_unavailable", api_kind: "http" });
    kinde.verifyMode = "normal";
    await expect(c.handler(httpApiEvent(`Bearer ${ALICE}`))).resolves.toMatchObject({ isAuthorized: true });
    expect(c.last()).toMatchObject({ decision: "allow", verdict_source: "kinde" });
  });

  it("answers a repeat from memory and another container from DynamoDB, as for REST", async () => {
    await container().handler(httpApiEvent(`Bearer ${BOB}`));
    const c = container();
    await c.handler(httpApiEvent(`Bearer ${BOB}`));
    expect(c.last()).toMatchObject({ verdict_source: "dynamodb" });
    await expect(c.handler(httpApiEvent(`Bearer ${BOB}`))).resolves.toMatchObject({ isAuthorized: true, context: { verdict_source: "memory" } });
    expect(kinde.calls.verify).toBe(1);
  });

  describe("route rules, decided on the route key", () => {
    it("refuses a key lacking a rule's scope on the routes the rule covers, and allows it elsewhere", async () => {
      const c = container({ ROUTE_SCOPES: RULES });
      await expect(c.handler(routed(BOB, "GET /reports/{name}", "GET", "/reports/monthly"))).resolves.toEqual({ isAuthorized: false });
      expect(c.last()).toMatchObject({ decision: "deny", reason: "route_scope_missing", user_id: "kp_bob", route_key: "GET /reports/{name}" });
      await expect(c.handler(routed(BOB, "GET /whoami", "GET", "/whoami"))).resolves.toMatchObject({ isAuthorized: true, context: { user_id: "kp_bob" } });
      expect(c.last()).toMatchObject({ decision: "allow", reason: "allowed" });
      await expect(c.handler(routed(BOB, "POST /reports/{name}", "POST", "/reports/monthly"))).resolves.toMatchObject({ isAuthorized: true });
      for (const routeKey of ["GET /reports/{name}", "ANY /{proxy+}", "$default", "POST /orders"]) {
        await expect(c.handler(routed(ALICE, routeKey, "GET", "/reports/monthly"))).resolves.toMatchObject({ isAuthorized: true });
      }
    });

    it("applies a rule to catch-all routes, whatever the path's spelling", async () => {
      const c = container({ ROUTE_SCOPES: RULES });
      for (const [routeKey, path] of [
        ["ANY /{proxy+}", "/reports/monthly"],
        ["ANY /{proxy+}", "/REPORTS//monthly/"],
        ["$default", "/%72eports/monthly"],
        ["GET /{proxy+}", "/whoami"],
      ] as const) {
        await expect(c.handler(routed(BOB, routeKey, "GET", path)), routeKey).resolves.toEqual({ isAuthorized: false });
        expect(c.last()).toMatchObject({ reason: "route_scope_missing", route_key: routeKey, path });
      }
    });

    it("answers with an error when the route key is not among the identity sources, for keys some rule refuses", async () => {
      const c = container({ ROUTE_SCOPES: RULES });
      const bob = httpApiEvent(`Bearer ${BOB}`, { routeKey: "GET /whoami", method: "GET", path: "/whoami" });
      await expect(c.handler(bob)).rejects.toThrow(/routeKey/);
      expect(c.last()).toMatchObject({ decision: "error", reason: "route_key_not_in_identity_source", user_id: "kp_bob" });
      // A key holding every rule's scopes is allowed everywhere: its cached answer is right for any route.
      await expect(c.handler(httpApiEvent(`Bearer ${ALICE}`, { routeKey: "GET /whoami", method: "GET", path: "/whoami" }))).resolves.toMatchObject({ isAuthorized: true });
      // No identity source at all: API Gateway cannot cache, so the answer is decided per request.
      const uncached = httpApiEvent(`Bearer ${BOB}`, { routeKey: "GET /whoami", method: "GET", path: "/whoami", identitySource: [] });
      await expect(c.handler(uncached)).resolves.toMatchObject({ isAuthorized: true });
    });
  });
});

describe("HTTP API payload 1.0", () => {
  it("answers with the REST policy and audits the API kind", async () => {
    const c = container();
    const result = (await c.handler(httpApiEventV1(`Bearer ${ALICE}`))) as APIGatewayAuthorizerResult;
    expect(result).toMatchObject({ principalId: "kp_alice", context: { user_id: "kp_alice" } });
    expect(result.policyDocument.Statement).toEqual([
      { Action: "execute-api:Invoke", Effect: "Allow", Resource: ["arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod/*/*"] },
    ]);
    expect(c.last()).toMatchObject({ decision: "allow", api_kind: "http", api_id: "puhdx84jy9" });
  });

  it("refuses a key with an explicit Deny for the stage, not an error", async () => {
    const c = container();
    const result = (await c.handler(httpApiEventV1(`Bearer ${REVOKED}`))) as APIGatewayAuthorizerResult;
    expect(result.policyDocument.Statement).toEqual([
      { Action: "execute-api:Invoke", Effect: "Deny", Resource: ["arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod/*/*"] },
    ]);
    expect(result.context).toBeUndefined();
    expect(c.last()).toMatchObject({ decision: "deny", reason: "inactive_key", api_kind: "http" });
  });

  it("leaves REST events as they were: a thrown Unauthorized, and api_kind rest", async () => {
    const c = container();
    const event = httpApiEventV1(`Bearer ${REVOKED}`) as unknown as Record<string, unknown>;
    delete event.version;
    await expect(c.handler(event as never)).rejects.toThrow(/^Unauthorized$/);
    expect(c.last()).toMatchObject({ decision: "deny", api_kind: "rest" });
  });
});
