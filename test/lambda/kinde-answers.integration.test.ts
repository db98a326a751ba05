/**
 * Every row of Kinde's answer table (test/support/kinde-answer-table.ts), over HTTP: a stand-in Kinde
 * on loopback gives the row's answer to every verify call, the authorizer runs against it and
 * dynalite, and the test checks what the caller gets, whether the verdict was cached, and whether the
 * circuit breaker counted it.
 */
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../lambda/audit/audit-log";
import { authorizerFromConfig } from "../../lambda/authorizer-from-config";
import { DEFAULT_BREAKER } from "../../lambda/kinde/circuit-breaker";
import { loadConfig } from "../../lambda/config";
import { requestEvent } from "../support/aws-events";
import { FakeClock } from "../support/fake-clock";
import type { CallerAnswer } from "../support/fault-table";
import { KINDE_ANSWER_TABLE, type KindeAnswerId, type KindeAnswerRow, type StandInVerify } from "../support/kinde-answer-table";
import { UNHURRIED_BUDGETS, useLoopbackAws } from "../support/loopback-aws";
import { startLoopbackServer, type LoopbackServer } from "../support/loopback-server";

const aws = useLoopbackAws("keygate-kinde-answers");
let standIn: LoopbackServer | undefined;
afterEach(async () => {
  await standIn?.stop();
  standIn = undefined;
});

/** A Kinde that issues any token and answers every verify call with `verify`; it counts verify calls. */
async function startStandIn(verify: StandInVerify): Promise<{ url: string; verifyCalls: () => number }> {
  let calls = 0;
  standIn = await startLoopbackServer((req, res) => {
    req.resume();
    if (req.url === "/oauth2/token") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"access_token":"standin-token","token_type":"bearer","expires_in":3600}');
      return;
    }
    calls++;
    if (verify.kind === "reset") {
      req.socket.destroy();
      return;
    }
    res.writeHead(verify.status, { "content-type": verify.contentType, ...verify.headers });
    res.end(verify.body);
  });
  return { url: standIn.url, verifyCalls: () => calls };
}

function event(apiKey: string, sourceIp: string): APIGatewayRequestAuthorizerEvent {
  const e = requestEvent(`Bearer ${apiKey}`);
  e.requestContext.identity.sourceIp = sourceIp;
  return e;
}

describe("Kinde's answers to verify", () => {
  const rows = (Object.entries(KINDE_ANSWER_TABLE) as [KindeAnswerId, KindeAnswerRow][]).map(([id, row]) => ({ id, ...row }));
  it.each(rows)("$id: $answer → $caller, cached: $cached, counted: $countsTowardBreaker", async ({ id, ...row }) => {
    const kinde = await startStandIn(row.verify);
    const records: AuditRecord[] = [];
    const config = loadConfig({
      KINDE_DOMAIN: kinde.url,
      KINDE_M2M_CLIENT_ID: "keygate-test",
      KINDE_M2M_CLIENT_SECRET: "standin-secret",
      CACHE_TABLE_NAME: aws.tableName,
      REQUIRED_SCOPES: "read:profile",
      ...UNHURRIED_BUDGETS,
    });
    const clock = new FakeClock(Date.now());
    const handler = authorizerFromConfig(config, (record) => records.push(record), {}, { now: clock.now, random: () => 0 });
    const answer = (apiKey: string, sourceIp: string) =>
      handler(event(apiKey, sourceIp)).then(
        (): CallerAnswer => "allow",
        (error: Error) => (error.message === "Unauthorized" ? "401" : error.message === "Authorizer error: key verification is unavailable" ? "503" : error.message),
      );
    // Each key from its own address, so the per-IP budget of failed keys plays no part.
    const keyAt = (n: number) => [`k_live_${id.replace(/-/g, "_")}_${n}_0123456789abcdef`, `198.51.100.${n + 1}`] as const;

    expect(await answer(...keyAt(0))).toBe(row.caller);

    const { Items = [] } = await aws.client.send(new ScanCommand({ TableName: aws.tableName }));
    expect(Items.length > 0).toBe(row.cached);
    if (row.cached) {
      const before = kinde.verifyCalls();
      expect(await answer(...keyAt(0))).toBe(row.caller);
      expect(kinde.verifyCalls()).toBe(before);
      expect(records.at(-1)?.verdict_source).toBe("memory");
    }

    // As many more keys as it takes the breaker to open, then one more.
    for (let n = 1; n <= DEFAULT_BREAKER.failureThreshold; n++) await answer(...keyAt(n));
    const calledBefore = kinde.verifyCalls();
    const last = await answer(...keyAt(DEFAULT_BREAKER.failureThreshold + 1));
    if (row.countsTowardBreaker) {
      expect(last).toBe("503");
      expect(records.at(-1)).toMatchObject({ breaker: "open", upstream_error: expect.stringMatching(/^kinde_circuit_open:/) });
      expect(kinde.verifyCalls()).toBe(calledBefore);
    } else {
      expect(last).toBe(row.caller);
      expect(records.at(-1)?.breaker).toBeUndefined();
      expect(kinde.verifyCalls()).toBe(calledBefore + 1);
    }
  });
});
