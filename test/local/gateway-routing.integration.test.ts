/**
 * The local gateway over HTTP on loopback: it routes by resource template as API Gateway does,
 * evaluates Keygate's policy against the concrete method ARN, and answers oversized headers the
 * way API Gateway does. The authorizer here builds Keygate's real policy for a key without scopes.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { request } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildPolicy } from "../../lambda/policy/build-policy";
import { parseMethodArn } from "../../lambda/policy/method-arn";
import { HTTP_VERBS, parseRouteScopes } from "../../lambda/policy/route-rules";
import { AuthorizerResultCache } from "../../local/authorizer-result-cache";
import { DEFAULT_RESOURCES, LocalGateway, MAX_HEADER_BYTES, type RequestLogEntry } from "../../local/local-gateway";

const RULES = parseRouteScopes({
  "GET /reports/{name}": "read:reports",
  "ANY /files/{proxy+}": "files",
  "GET /": "root",
  "ANY /admin/*": "admin",
  "ANY /health": "ops",
  "DELETE /users/{id}/sessions": "admin",
});

let gateway: LocalGateway;
let base: string;
const requests: RequestLogEntry[] = [];
const events: APIGatewayProxyEvent[] = [];
const methodArns: string[] = [];

beforeAll(async () => {
  gateway = new LocalGateway({
    stage: { partition: "aws", region: "eu-west-1", accountId: "123456789012", apiId: "puhdx84jy9", stage: "prod" },
    authorizerType: "REQUEST",
    authorizer: {
      invoke(event: unknown) {
        const methodArn = (event as { methodArn: string }).methodArn;
        methodArns.push(methodArn);
        const policyDocument = buildPolicy(parseMethodArn(methodArn)!, new Set(), RULES);
        return Promise.resolve({ outcome: { kind: "returned", value: { principalId: "kp_bob", policyDocument, context: {} } }, durationMs: 1 });
      },
    },
    cache: new AuthorizerResultCache(0),
    resources: [...DEFAULT_RESOURCES, "/reports/{name}", "/reports/latest", "/files/{proxy+}", "/health", "/users/{id}/sessions", "/docs/{proxy+}"],
    backend: (event) => {
      events.push(event);
      return { statusCode: 200, body: "ok" };
    },
    onRequest: (entry) => requests.push(entry),
  });
  const port = await gateway.listen(0, "127.0.0.1");
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await gateway?.close();
});
beforeEach(() => {
  requests.length = 0;
  events.length = 0;
  methodArns.length = 0;
});

/** One raw HTTP request, so the path and headers go out exactly as written. */
function send(method: string, path: string, headers: Record<string, string> = { Authorization: "Bearer k_live_bob" }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("routing by resource template", () => {
  it.each([
    ["/reports/monthly", "/reports/{name}", { name: "monthly" }],
    ["/reports/latest", "/reports/latest", null],
    ["/reports/caf%C3%A9", "/reports/{name}", { name: "café" }],
    ["/docs/a/b", "/docs/{proxy+}", { proxy: "a/b" }],
    ["/whoami", "/{proxy+}", { proxy: "whoami" }],
    ["/", "/", null],
  ])("gives the backend %s as resource %s", async (path, resource, pathParameters) => {
    // POST is open for every rule above, so each request reaches the backend.
    expect((await send("POST", path)).status).toBe(200);
    expect(events[0]).toMatchObject({ resource, pathParameters, requestContext: { resourcePath: resource } });
  });

  it("answers 403 Missing Authentication Token, without the authorizer, when no resource matches", async () => {
    const narrow = new LocalGateway({
      stage: { partition: "aws", region: "eu-west-1", accountId: "123456789012", apiId: "puhdx84jy9", stage: "prod" },
      authorizerType: "REQUEST",
      authorizer: { invoke: () => Promise.reject(new Error("the authorizer must not run")) },
      cache: new AuthorizerResultCache(0),
      resources: ["/reports/{name}"],
      backend: () => ({ statusCode: 200, body: "ok" }),
      onRequest: (entry) => requests.push(entry),
    });
    const port = await narrow.listen(0, "127.0.0.1");
    try {
      const reply = await fetch(`http://127.0.0.1:${port}/orders`, { headers: { Authorization: "Bearer k" } });
      expect(reply.status).toBe(403);
      expect(await reply.json()).toEqual({ message: "Missing Authentication Token" });
      expect(requests).toMatchObject([{ status: 403, origin: "gateway", reason: "no_resource" }]);
    } finally {
      await narrow.close();
    }
  });
});

describe("route rules through the local gateway, for a key without their scopes", () => {
  const matrix: [string, string, number][] = [
    ["GET", "/reports/monthly", 403],
    ["GET", "/reports/monthly/", 403],
    ["GET", "/reports/caf%C3%A9", 403],
    ["GET", "/reports/%E6%9C%88", 403],
    ["GET", "/reports/2026%2F11", 403],
    ["GET", "/reports/a%20b", 403],
    ["HEAD", "/reports/monthly", 200],
    ["POST", "/reports/monthly", 200],
    ["GET", "/reports", 200],
    ...HTTP_VERBS.map((verb): [string, string, number] => [verb, "/files/a/b", 403]),
    ["GET", "/files", 200],
    ["GET", "/", 403],
    ["POST", "/", 200],
    ...HTTP_VERBS.map((verb): [string, string, number] => [verb, "/admin/x", 403]),
    ["GET", "/admin/x/y", 403],
    ["GET", "/foo/admin/x", 200],
    ...HTTP_VERBS.map((verb): [string, string, number] => [verb, "/health", 403]),
    ["GET", "/health/", 403],
    ["GET", "/x/health", 200],
    ["GET", "/healthz", 200],
    ["DELETE", "/users/42/sessions", 403],
    ["DELETE", "/users/42/sessions/", 403],
    ["GET", "/users/42/sessions", 200],
  ];

  it.each(matrix)("%s %s answers %i", async (method, path, status) => {
    const reply = await send(method, path);
    expect(reply.status).toBe(status);
    expect(requests).toMatchObject([{ status, ...(status === 403 ? { reason: "explicit_deny" } : {}) }]);
    // The authorizer saw the concrete path, as API Gateway puts it in the method ARN.
    expect(methodArns[0]).toBe(`arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod/${method}/${decodeURIComponent(path).slice(1)}`);
  });
});

describe("request headers over API Gateway's limit", () => {
  // Request line and headers of a GET with one padding header, counted as the gateway counts them.
  const padded = (bytes: number) => {
    const fixed = Buffer.byteLength(`GET /whoami HTTP/1.1`) + "Authorization".length + "Bearer k_live_bob".length + "Host".length + `127.0.0.1:${new URL(base).port}`.length + "Connection".length + "close".length + "X-Pad".length;
    return { Authorization: "Bearer k_live_bob", "X-Pad": "p".repeat(bytes - fixed) };
  };

  it("lets a request right at the limit through", async () => {
    expect((await send("GET", "/whoami", padded(MAX_HEADER_BYTES))).status).toBe(200);
  });

  it("answers one byte over the limit with API Gateway's 413, and a console line, without the authorizer", async () => {
    const reply = await send("GET", "/whoami", padded(MAX_HEADER_BYTES + 1));
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toEqual({ message: "Request Too Long" });
    expect(methodArns).toEqual([]);
    expect(requests).toMatchObject([{ method: "GET", path: "/whoami", status: 413, origin: "gateway", reason: "headers_too_large" }]);
  });

  it("answers the same for much larger headers, and keeps serving", async () => {
    const reply = await send("GET", "/whoami", { Authorization: "Bearer k_live_bob", "X-Pad": "p".repeat(200_000) });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toEqual({ message: "Request Too Long" });
    expect(requests).toMatchObject([{ method: "GET", path: "/whoami", status: 413, origin: "gateway", reason: "headers_too_large" }]);
    expect((await send("GET", "/whoami")).status).toBe(200);
  });

  it("answers the same, with one console line, for headers beyond even the HTTP parser's limit", async () => {
    const reply = await send("GET", "/whoami", { Authorization: "Bearer k_live_bob", "X-Pad": "p".repeat(2 * 1024 * 1024) });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toEqual({ message: "Request Too Long" });
    expect(requests).toMatchObject([{ method: "-", path: "-", status: 413, origin: "gateway", reason: "headers_too_large" }]);
    expect(requests).toHaveLength(1);
    expect((await send("GET", "/whoami")).status).toBe(200);
  });
});
