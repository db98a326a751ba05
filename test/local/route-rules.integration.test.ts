/**
 * Route rules written as API Gateway resource templates, end to end: `npm start`'s gateway in
 * front of the real, built authorizer, with the Kinde emulator and embedded DynamoDB.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ALICE, BOB, startHarness, type Harness } from "./local-harness";

const STACK = `config:
  aws:region: eu-west-1
  keygate:routeScopes:
    GET /reports/{name}: read:reports
    ANY /files/{proxy+}: read:reports
    ANY /admin/*: admin
    ANY /health: admin
    POST /uploads: read:reports
  keygate:authorizerResultTtlSeconds: 300
`;

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ stackYaml: STACK, keys: [ALICE, BOB] });
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => {
  h.audit.length = 0;
  h.requests.length = 0;
});

describe("a key without the rule's scope (bob)", () => {
  it.each([
    ["GET", "/reports/monthly"],
    ["GET", "/reports/monthly/"],
    ["GET", "/reports/caf%C3%A9"],
    // A `*` of the path's own is a character, never IAM's wildcard: it cannot use up the rule's `*`.
    ["GET", "/reports/*x"],
    ["GET", "/reports/%2Ax"],
    ["GET", "/reports/*/x"],
    ["DELETE", "/files/a/b"],
    ["PUT", "/files/x"],
    ["POST", "/admin/users"],
    ["GET", "/health"],
  ])("is refused %s %s with 403", async (method, path) => {
    const reply = await h.call(path, { key: BOB.api_key, method });
    expect(reply.status).toBe(403);
    expect(h.requests).toMatchObject([{ status: 403, reason: "explicit_deny" }]);
  });

  it("records route_scope_missing when the authorizer itself runs for a denied route", async () => {
    h.local.cache.flush();
    expect((await h.call("/reports/monthly", { key: BOB.api_key })).status).toBe(403);
    expect(h.audit).toMatchObject([{ decision: "deny", reason: "route_scope_missing", path: "/reports/monthly" }]);
  });

  it.each([
    ["POST", "/reports/monthly"],
    ["GET", "/whoami"],
    ["GET", "/uploads"],
  ])("still reaches %s %s, a resource of its own that no rule applies to", async (method, path) => {
    expect((await h.call(path, { key: BOB.api_key, method })).status).toBe(200);
  });

  // `/{proxy+}` can receive any path a rule covers, so every rule of the request's verb applies to it.
  it.each([
    ["GET", "/reports"],
    ["GET", "/foo/admin/x"],
    ["GET", "/x/health"],
    ["GET", "/files"],
  ])("is refused %s %s, which reaches the catch-all /{proxy+}, with 403", async (method, path) => {
    h.local.cache.flush();
    expect((await h.call(path, { key: BOB.api_key, method })).status).toBe(403);
    expect(h.audit).toMatchObject([{ decision: "deny", reason: "route_scope_missing" }]);
  });
});

describe("a key with the scope (alice)", () => {
  it("reaches the templated routes", async () => {
    const reply = await h.call("/reports/monthly", { key: ALICE.api_key });
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ report: "monthly", for: "kp_alice" });
    expect((await h.call("/files/a/b", { key: ALICE.api_key, method: "DELETE" })).status).toBe(200);
  });
});

describe("a rule is decided on the resource API Gateway routed to, whatever the path's spelling", () => {
  // `POST /uploads` is its own resource; the local gateway decodes segments and drops one trailing slash to route, as API Gateway does.
  it.each(["/uploads", "/%75ploads", "/uploads/", "/%75pl%6Fads/"])("refuses bob POST %s, routed to /uploads, with 403", async (path) => {
    h.local.cache.flush();
    const reply = await h.call(path, { key: BOB.api_key, method: "POST" });
    expect(reply.status).toBe(403);
    expect(h.audit).toMatchObject([{ decision: "deny", reason: "route_scope_missing" }]);
    expect(h.requests).toMatchObject([{ status: 403, origin: "authorizer", reason: "explicit_deny" }]);
  });

  it.each(["/Uploads", "//uploads"])("refuses bob POST %s, routed to /{proxy+}, which can serve /uploads too, with 403", async (path) => {
    h.local.cache.flush();
    const reply = await h.call(path, { key: BOB.api_key, method: "POST" });
    expect(reply.status).toBe(403);
    expect(h.audit).toMatchObject([{ decision: "deny", reason: "route_scope_missing" }]);
  });

  it("lets alice, who holds the scope, POST /uploads in any spelling", async () => {
    for (const path of ["/uploads", "/%75ploads", "/uploads/"]) expect((await h.call(path, { key: ALICE.api_key, method: "POST" })).status).toBe(200);
  });
});

describe("with route rules, the gateway's result cache is kept per key and route", () => {
  it("invokes the authorizer once per key and route, and reuses each answer only on its own route", async () => {
    h.local.cache.flush();
    const calls: [string, string][] = [
      ["POST", "/uploads"],
      ["POST", "/orders"],
      ["POST", "/%75ploads"],
      ["GET", "/uploads"],
      ["POST", "/orders"],
    ];
    const statuses: number[] = [];
    for (const [method, path] of calls) statuses.push((await h.call(path, { key: BOB.api_key, method })).status);
    // POST /uploads is denied; its answer (a Deny for every POST path) never reaches POST /orders, another route.
    expect(statuses).toEqual([403, 201, 403, 200, 201]);
    expect(h.requests.map((r) => r.origin)).toEqual(["authorizer", "authorizer", "gateway-cache", "authorizer", "gateway-cache"]);
    expect(h.audit).toHaveLength(3);
  });
});
