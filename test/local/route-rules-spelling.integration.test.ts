/**
 * `npm start` with its built-in demo settings (rule `GET /reports/*`: read:reports), over HTTP: a
 * spelling of a reports path that reaches the catch-all `/{proxy+}` rather than a reports resource
 * is still refused to a key without read:reports, and the demo's own `/whoami` stays open to it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRouteScopes } from "../../lambda/policy/route-rules";
import { DEMO_KEYS } from "../../local/demo-keys";
import { restApiResources } from "../../local/local-api-routes";
import { ResourceRouter } from "../../local/resource-router";
import { startHarness, type Harness } from "./local-harness";

const demoKey = (name: string) => DEMO_KEYS.find((key) => key.name === name)!;
const BOB = demoKey("bob"); // no read:reports
const ALICE = demoKey("alice"); // read:reports and write:orders: every demo rule's scopes

let h: Harness;
let router: ResourceRouter;

beforeAll(async () => {
  h = await startHarness();
  router = new ResourceRouter(restApiResources(parseRouteScopes(h.local.settings.routeScopes)));
});
afterAll(async () => {
  await h?.stop();
});

describe("the demo's REST API, a key without read:reports (bob)", () => {
  it("runs as a REST API with the demo's rule on GET /reports/*", () => {
    expect(h.local.apiKind).toBe("rest");
    expect(h.local.settings.routeScopes).toMatchObject({ "GET /reports/*": "read:reports" });
    expect(BOB.scopes).not.toContain("read:reports");
  });

  // `/reports/x/y`: a REST resource has one variable child, here the demo's /reports/{name}, so no /reports/{proxy+} beside it.
  it.each(["/Reports/x", "/%52eports/x", "//reports/x", "/reports/x/y"])("is refused GET %s, which reaches /{proxy+}, with 403", async (path) => {
    expect(router.route(path)?.resource).toBe("/{proxy+}");
    h.local.cache.flush();
    const reply = await h.call(path, { key: BOB.api_key });
    expect(reply.status).toBe(403);
    expect(h.audit.at(-1)).toMatchObject({ decision: "deny", reason: "route_scope_missing" });
  });

  it("is refused GET /%72eports/x, which reaches /reports/{name}, with 403", async () => {
    const path = "/%72eports/x";
    expect(router.route(path)?.resource).toBe("/reports/{name}");
    expect((await h.call(path, { key: BOB.api_key })).status).toBe(403);
  });

  it("still gets 200 from GET /whoami, a resource of its own", async () => {
    expect(router.route("/whoami")?.resource).toBe("/whoami");
    const reply = await h.call("/whoami", { key: BOB.api_key });
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ user_id: "kp_demo_bob" });
  });
});

describe("the demo's REST API, a key with every rule's scopes (alice)", () => {
  it("reaches the catch-all in those spellings", async () => {
    for (const path of ["/Reports/x", "//reports/x"]) {
      const reply = await h.call(path, { key: ALICE.api_key });
      expect(reply.status, path).toBe(200);
      expect(reply.json()).toMatchObject({ route: `GET ${path}` });
    }
  });
});
