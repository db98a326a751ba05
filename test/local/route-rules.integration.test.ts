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
    ["GET", "/reports"],
    ["POST", "/reports/monthly"],
    ["GET", "/foo/admin/x"],
    ["GET", "/x/health"],
    ["GET", "/files"],
  ])("still reaches %s %s, which no rule covers", async (method, path) => {
    expect((await h.call(path, { key: BOB.api_key, method })).status).toBe(200);
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
