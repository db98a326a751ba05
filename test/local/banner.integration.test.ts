/**
 * The banner `npm start` prints: the settings in effect, and demo keys, routes and requests that
 * do what it says under those settings, whether they are the demo's own or a stack file's.
 */
import { afterEach, describe, expect, it } from "vitest";
import { formatBanner } from "../../local/console-output";
import { DEMO_ROUTES } from "../../local/demo-backend";
import { demoKeyAccess } from "../../local/demo-key-access";
import { DEMO_KEYS } from "../../local/demo-keys";
import { startHarness, type Harness } from "./local-harness";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** The requests of the banner's "Try:" section, with the answer each is said to get. */
function tryLines(banner: string): { method: string; key: string; path: string; status: "2xx" | 403 }[] {
  const section = banner.slice(banner.indexOf("\nTry:\n"));
  return [...section.matchAll(/curl -i (?:-X (\w+) )?-H "Authorization: Bearer (\S+)" http:\/\/127\.0\.0\.1:\d+(\S+)( +\(403:.*\))?/g)].map((m) => ({
    method: m[1] ?? "GET",
    key: m[2]!,
    path: m[3]!,
    status: m[4] ? 403 : "2xx",
  }));
}

const STACKS: [string, string | undefined][] = [
  ["the built-in demo settings", undefined],
  ["a stack requiring a scope no demo key has", "config:\n  keygate:requiredScopes: '[\"api:access\"]'\n"],
  ["a stack requiring read:reports, with org keys on", "config:\n  keygate:requiredScopes: '[\"read:reports\"]'\n  keygate:allowOrgKeys: \"true\"\n"],
  ["a stack with a route rule on /whoami", "config:\n  keygate:routeScopes:\n    GET /whoami: admin\n  keygate:cacheTtlSeconds: 120\n"],
  // /reports/monthly reaches /reports/{name}, which can serve /reports/annual: the rule applies there (REQUEST), not on the method ARN alone (TOKEN).
  ["a stack with a route rule on one report", "config:\n  keygate:routeScopes:\n    GET /reports/annual: admin\n"],
  ["a TOKEN authorizer with a route rule on one report", "config:\n  keygate:authorizerType: TOKEN\n  keygate:routeScopes:\n    GET /reports/annual: admin\n"],
];

describe("the npm start banner with the demo keys", () => {
  it.each(STACKS)("with %s: every key and route it shows as working works, and nothing else does", async (_name, stackYaml) => {
    harness = await startHarness(stackYaml === undefined ? {} : { stackYaml });
    const banner = formatBanner(harness.local, harness.dir, false);
    const access = demoKeyAccess(DEMO_KEYS, DEMO_ROUTES, harness.local.settings, harness.local.stage);

    for (const entry of access) {
      const line = banner.split("\n").find((text) => text.includes(entry.key.api_key))!;
      expect(line.includes("refused"), line).toBe(!entry.accepted);
      for (const route of DEMO_ROUTES) {
        const allowed = entry.accepted && entry.routes.some((r) => r.route === route && r.allowed);
        const reply = await harness.call(route.path, { key: entry.key.api_key, method: route.method });
        expect(reply.status >= 200 && reply.status < 300, `${entry.key.name} ${route.method} ${route.path}: ${reply.status}`).toBe(allowed);
        const routeLine = banner.split("\n").find((text) => text.startsWith(`  ${route.shown} `))!;
        expect(new RegExp(`[(, ]${entry.key.name}[,)]`).test(routeLine), routeLine).toBe(allowed);
      }
    }

    const requests = tryLines(banner);
    if (access.some((entry) => entry.accepted && entry.routes.some((r) => r.allowed))) expect(requests.length).toBeGreaterThan(0);
    else expect(banner).toContain("none of the demo keys passes these settings");
    for (const request of requests) {
      const reply = await harness.call(request.path, { key: request.key, method: request.method });
      if (request.status === 403) expect(reply.status).toBe(403);
      else expect(reply.status >= 200 && reply.status < 300).toBe(true);
    }
  });

  it("names the settings in effect, the defaults where the stack file sets nothing", async () => {
    harness = await startHarness({ stackYaml: "config:\n  keygate:requiredScopes: '[\"api:access\"]'\n  keygate:cacheTtlSeconds: 120\n  keygate:verifyTimeoutMs: 4000\n" });
    const banner = formatBanner(harness.local, harness.dir, false);
    expect(banner).toMatch(/accepts +keys of Kinde API \(any API of the business\); user keys only \(organization keys refused\)/);
    expect(banner).toMatch(/required +api:access on every key/);
    expect(banner).toMatch(/verdicts +shared cache 120 s, refusals 30 s, memory 30 s; no stale verdicts while Kinde is down/);
    expect(banner).toMatch(/budgets +Kinde 4000 ms, DynamoDB 250 ms; REQUEST authorizer/);
    expect(banner).toMatch(/k_live_demo_alice_\S+ +alice +scopes read:reports write:orders plan:pro +-> refused: it lacks api:access \(required of every key\)/);
    expect(banner).not.toContain(`Bearer ${DEMO_KEYS[0]!.api_key}`);
  });
});
