/**
 * The local HTTP API's own rules, with an authorizer that answers what each test says: how a
 * request is routed among route keys, and what API Gateway makes of each kind of answer (AWS's
 * "Control access to HTTP APIs with AWS Lambda authorizers": false is 403, anything but a simple
 * response, an error or a timeout is 500).
 */
import { request } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { InvocationOutcome } from "../../local/authorizer-host";
import { AuthorizerResultCache } from "../../local/authorizer-result-cache";
import { checkSimpleResult, HttpApiFlavor, type HttpApiIntegrationEvent } from "../../local/http-api-flavor";
import { routeKeyForRule } from "../../local/local-api-routes";
import { LocalGateway, type RequestLogEntry } from "../../local/local-gateway";

const STAGE = { partition: "aws", region: "eu-west-1", accountId: "123456789012", apiId: "a1b2c3d4e5", stage: "$default" };
const ROUTES = ["GET /reports/{name}", "ANY /reports/{name}", "GET /reports/latest", "ANY /files/{proxy+}", "POST /orders", "$default"];

let gateway: LocalGateway;
let base: string;
let answer: InvocationOutcome = { kind: "returned", value: { isAuthorized: true, context: { user_id: "kp_1" } } };
const events: Record<string, unknown>[] = [];
const integrations: HttpApiIntegrationEvent[] = [];
const requests: RequestLogEntry[] = [];

beforeAll(async () => {
  gateway = new LocalGateway({
    stage: STAGE,
    api: new HttpApiFlavor({
      stage: STAGE,
      routes: ROUTES,
      routeKeyInIdentitySources: true,
      backend: (event) => {
        integrations.push(event);
        return { statusCode: 200, body: "ok" };
      },
    }),
    authorizer: {
      invoke(event: unknown) {
        events.push(event as Record<string, unknown>);
        return Promise.resolve({ outcome: answer, durationMs: 1 });
      },
    },
    cache: new AuthorizerResultCache(0),
    onRequest: (entry) => requests.push(entry),
  });
  base = `http://127.0.0.1:${await gateway.listen(0, "127.0.0.1")}`;
});
afterAll(async () => {
  await gateway?.close();
});
beforeEach(() => {
  answer = { kind: "returned", value: { isAuthorized: true, context: { user_id: "kp_1" } } };
  events.length = 0;
  integrations.length = 0;
  requests.length = 0;
});

const send = (method: string, path: string, headers: Record<string, string> = { Authorization: "Bearer k_live_x" }) => fetch(`${base}${path}`, { method, headers });

describe("the local HTTP API", () => {
  it.each([
    ["GET", "/reports/monthly", "GET /reports/{name}", { name: "monthly" }],
    ["PUT", "/reports/monthly", "ANY /reports/{name}", { name: "monthly" }],
    ["GET", "/reports/latest", "GET /reports/latest", undefined],
    ["DELETE", "/files/a/b", "ANY /files/{proxy+}", { proxy: "a/b" }],
    ["GET", "/orders", "$default", undefined],
    ["GET", "/", "$default", undefined],
  ])("routes %s %s to %s", async (method, path, routeKey, pathParameters) => {
    expect((await send(method, path)).status).toBe(200);
    expect(events[0]).toMatchObject({ version: "2.0", type: "REQUEST", routeKey, identitySource: ["Bearer k_live_x", routeKey] });
    expect(integrations[0]).toMatchObject({ version: "2.0", routeKey, requestContext: { routeKey, stage: "$default", http: { method, path } } });
    expect(integrations[0]!.pathParameters).toEqual(pathParameters);
  });

  it("sends the authorizer a payload-2.0 event: routeArn, lower-case headers joined by commas, cookies apart", async () => {
    // node:http, not fetch, which would merge the two X-Trace lines itself.
    await new Promise<void>((resolve, reject) => {
      const req = request(`${base}/reports/monthly?b=1&b=2`, (res) => res.resume().on("end", resolve));
      req.setHeader("Authorization", "Bearer k_live_x");
      req.setHeader("X-Trace", ["one", "two"]);
      req.setHeader("Cookie", "a=1; b=2");
      req.on("error", reject).end();
    });
    expect(events[0]).toMatchObject({
      routeArn: "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/$default/GET/reports/monthly",
      rawPath: "/reports/monthly",
      rawQueryString: "b=1&b=2",
      queryStringParameters: { b: "1,2" },
      cookies: ["a=1", "b=2"],
      headers: { authorization: "Bearer k_live_x", "x-trace": "one,two" },
      requestContext: { apiId: "a1b2c3d4e5", accountId: "123456789012", http: { method: "GET", path: "/reports/monthly", sourceIp: "127.0.0.1" } },
    });
    expect(events[0]!.headers).not.toHaveProperty("cookie");
  });

  it("hands the integration the context as requestContext.authorizer.lambda, values as returned", async () => {
    answer = { kind: "returned", value: { isAuthorized: true, context: { user_id: "kp_1", n: 1, ok: true } } };
    await send("GET", "/reports/monthly");
    expect(integrations[0]!.requestContext.authorizer).toEqual({ lambda: { user_id: "kp_1", n: 1, ok: true } });
  });

  it.each<[string, InvocationOutcome, number, string]>([
    ["isAuthorized false", { kind: "returned", value: { isAuthorized: false } }, 403, "Forbidden"],
    ["an Unauthorized error (documented for REST APIs only)", { kind: "threw", name: "Error", message: "Unauthorized" }, 500, "Internal Server Error"],
    ["another error", { kind: "threw", name: "Error", message: "boom" }, 500, "Internal Server Error"],
    ["a timeout", { kind: "timed-out" }, 500, "Internal Server Error"],
    ["an IAM policy (simple responses are on)", { kind: "returned", value: { principalId: "kp_1", policyDocument: { Version: "2012-10-17", Statement: [] } } }, 500, "Internal Server Error"],
    ["isAuthorized as a string", { kind: "returned", value: { isAuthorized: "true" } }, 500, "Internal Server Error"],
  ])("answers %s with %i", async (_name, outcome, status, message) => {
    answer = outcome;
    const reply = await send("GET", "/reports/monthly");
    expect([reply.status, await reply.json()]).toEqual([status, { message }]);
    expect(reply.headers.get("apigw-requestid")).toBe(requests[0]!.requestId);
    expect(integrations).toHaveLength(0);
  });

  it("answers 401 without invoking the authorizer when the Authorization header is missing or blank", async () => {
    for (const headers of [{}, { Authorization: "  " }] as Record<string, string>[]) {
      const reply = await send("GET", "/reports/monthly", headers);
      expect([reply.status, await reply.json()]).toEqual([401, { message: "Unauthorized" }]);
    }
    expect(events).toHaveLength(0);
  });

  it("answers 404 Not Found, without the authorizer, when no route matches and there is no $default", async () => {
    const narrow = new LocalGateway({
      stage: STAGE,
      api: new HttpApiFlavor({ stage: STAGE, routes: ["GET /whoami"], routeKeyInIdentitySources: false, backend: () => ({ statusCode: 200, body: "ok" }) }),
      authorizer: { invoke: () => Promise.reject(new Error("the authorizer must not run")) },
      cache: new AuthorizerResultCache(0),
    });
    const port = await narrow.listen(0, "127.0.0.1");
    try {
      const reply = await fetch(`http://127.0.0.1:${port}/elsewhere`, { headers: { Authorization: "Bearer k" } });
      expect([reply.status, await reply.json()]).toEqual([404, { message: "Not Found" }]);
    } finally {
      await narrow.close();
    }
  });
});

describe("HTTP API helpers", () => {
  it("checks a simple response's shape", () => {
    expect(checkSimpleResult({ isAuthorized: true })).toEqual({ isAuthorized: true, context: {} });
    expect(checkSimpleResult({ isAuthorized: false, context: { a: [1] } })).toEqual({ isAuthorized: false, context: { a: [1] } });
    expect(checkSimpleResult({ isAuthorized: 1 })).toMatch(/isAuthorized/);
    expect(checkSimpleResult({ isAuthorized: true, context: [] })).toMatch(/context/);
    expect(checkSimpleResult(null)).toMatch(/not an object/);
  });

  it("gives a rule's template the route an HTTP API can have", () => {
    expect(routeKeyForRule("GET", "/reports/*")).toBe("GET /reports/{proxy+}");
    expect(routeKeyForRule("ANY", "/a/*/b")).toBe("ANY /a/{any1}/b");
    expect(routeKeyForRule("POST", "/orders")).toBe("POST /orders");
    expect(routeKeyForRule("GET", "/")).toBe("GET /");
  });
});
