/**
 * `keygate check --http-api-id --local` against `KEYGATE_LOCAL_API=http npm start`: the local control
 * plane answers API Gateway v2's GetApi, GetAuthorizers and GetRoutes for the local HTTP API, read by
 * the real @aws-sdk/client-apigatewayv2, and `.keygate/local.json` names the HTTP API so that
 * `keygate check --local` finds it without an id.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ApiGatewayV2Client, BadRequestException, GetAuthorizersCommand, GetRoutesCommand, type Route } from "@aws-sdk/client-apigatewayv2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readLocalEndpoints } from "../../cli/local-endpoints";
import { STACK_YAML, startHarness, type Harness } from "../local/local-harness";
import { runCli } from "./run-cli";

let h: Harness;
beforeAll(async () => {
  // STACK_YAML has route rules: the authorizer's identity sources then include the route key.
  h = await startHarness({ stackYaml: STACK_YAML, env: { KEYGATE_LOCAL_API: "http" } });
});
afterAll(async () => {
  await h?.stop();
});

const REPORT = [
  "HTTP API keygatelocal (keygate-local); Keygate's authorizer: keygateauth (keygate-authorizer)",
  "  KEYGATE     $default",
  "  KEYGATE     GET /reports/{name}",
  "  KEYGATE     GET /reports/{proxy+}",
  "  KEYGATE     GET /whoami",
  "  KEYGATE     POST /orders",
  "  OK: every route uses Keygate's authorizer.",
];

describe("keygate check --local against npm start in HTTP mode", () => {
  it("lists every route of the local HTTP API behind Keygate's authorizer, and exits 0", async () => {
    const run = await runCli(["check", "--local", "--http-api-id", "keygatelocal"], { cwd: h.dir });
    expect(run.err).toBe("");
    expect(run.out.split("\n")).toEqual(REPORT);
    expect(run.code).toBe(0);
    expect(h.local.controlPlane.calls).toMatchObject({ GetApi: 1, GetApiAuthorizers: 1, GetRoutes: 1 });
  });

  it("checks the local HTTP API when no id is given, as .keygate/local.json names it", async () => {
    const recorded = readLocalEndpoints(join(h.dir, ".keygate", "local.json"));
    expect(recorded).toMatchObject({ apiKind: "http", httpApiId: "keygatelocal", controlPlaneUrl: h.local.controlPlane.url });
    const run = await runCli(["check", "--local"], { cwd: h.dir });
    expect(run.err).toBe("");
    expect(run.out.split("\n")).toEqual(REPORT);
    expect(run.code).toBe(0);
  });

  it("says an HTTP API id npm start does not serve does not exist there", async () => {
    const run = await runCli(["check", "--local", "--http-api-id", "a1b2c3d4e5"], { cwd: h.dir });
    expect(run.code).toBe(2);
    expect(run.err).toBe("keygate check: no HTTP API a1b2c3d4e5 in npm start, which serves only keygatelocal (Invalid API identifier specified a1b2c3d4e5)");
  });

  it("describes the authorizer as the component creates it, and pages lists as API Gateway v2 does", async () => {
    const local = readLocalEndpoints(join(h.dir, ".keygate", "local.json"))!;
    const client = new ApiGatewayV2Client({ endpoint: local.controlPlaneUrl, region: local.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    try {
      const { Items: authorizers } = await client.send(new GetAuthorizersCommand({ ApiId: "keygatelocal" }));
      expect(authorizers).toEqual([
        expect.objectContaining({
          AuthorizerId: "keygateauth",
          AuthorizerType: "REQUEST",
          AuthorizerPayloadFormatVersion: "2.0",
          EnableSimpleResponses: true,
          IdentitySource: ["$request.header.Authorization", "$context.routeKey"],
          AuthorizerResultTtlInSeconds: 300,
        }),
      ]);
      const routes: Route[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await client.send(new GetRoutesCommand({ ApiId: "keygatelocal", MaxResults: "2", NextToken: nextToken }));
        expect(page.Items!.length).toBeLessThanOrEqual(2);
        routes.push(...page.Items!);
        nextToken = page.NextToken;
        pages++;
      } while (nextToken);
      expect(pages).toBe(3);
      expect(routes.map((route) => route.RouteKey).sort()).toEqual([...h.local.httpApi!.routes].sort());
      expect(routes.every((route) => route.AuthorizationType === "CUSTOM" && route.AuthorizerId === "keygateauth")).toBe(true);
      await expect(client.send(new GetRoutesCommand({ ApiId: "keygatelocal", MaxResults: "0" }))).rejects.toBeInstanceOf(BadRequestException);
    } finally {
      client.destroy();
    }
  });
});
