/**
 * `keygate prune`: deletes run-time usage keys nobody needs: orphans (no mapping names them, left by a
 * provisioning that failed half-way) and, with --unused-days N, the keys of users who made no request
 * in the last N days (by API Gateway's own metering, GetUsage). Those users get a new key if they come
 * back. Dry run unless --yes; keys Pulumi manages are never touched.
 */
import { GetUsageCommand, type APIGatewayClient } from "@aws-sdk/client-api-gateway";
import { numberOption, parseOptions, TARGET_HELP, TARGET_OPTIONS } from "./arguments";
import { deleteRuntimeKeys } from "./delete-usage-keys";
import type { CommandIo } from "./command-io";
import { requireTable, resolveTarget } from "./target";
import { listKeygateKeys, planMembers, type KeygateKey } from "./usage-keys";

const DAY_MS = 86_400_000;

export const PRUNE_HELP = `Usage: keygate prune [--unused-days <n>] [--yes] [options]

Deletes run-time usage keys that nobody needs, with their mapping items:
  - orphans: keys the authorizer created that no mapping names (a provisioning that failed half-way),
    older than --min-age-minutes so that a provisioning in progress is left alone;
  - with --unused-days <n>: keys of users with no request in the last n days, by API Gateway's own
    metering (GetUsage; it keeps about 90 days). Such a user gets a new key on their next request.
Keys Pulumi manages (fixed users', pool keys) are never touched. Without --yes it only lists.

  --unused-days <n>         also prune keys unused for n days
  --min-age-minutes <n>     leave orphans younger than this (default 60)
  --orphans                 also prune orphans in none of this stack's usage plans (they may be another
                            stack's in the same account)
  --yes                     delete
${TARGET_HELP}`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  yes: { type: "boolean" },
  orphans: { type: "boolean" },
  "unused-days": { type: "string" },
  "min-age-minutes": { type: "string" },
} as const;

export async function prune(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseOptions(argv, OPTIONS, "prune");
  if (values.help) {
    io.out(PRUNE_HELP);
    return 0;
  }
  const minAgeMs = numberOption(values["min-age-minutes"], "min-age-minutes", 60) * 60_000;
  const unusedDays = values["unused-days"] === undefined ? undefined : numberOption(values["unused-days"], "unused-days", 0);
  const target = await resolveTarget(values, io);
  try {
    const tableName = requireTable(target);
    const apiGateway = target.apiGateway();
    const dynamodb = target.dynamodb();
    const now = io.now();
    const runtime = (await listKeygateKeys(apiGateway, dynamodb, tableName)).filter((key) => key.origin === "runtime");
    const ours = await planMembers(apiGateway, Object.values(target.usagePlanIds ?? {}));
    const olderThan = (key: KeygateKey, ms: number) => key.createdDate !== undefined && key.createdDate.getTime() <= now - ms;

    const chosen: { key: KeygateKey; why: string }[] = [];
    for (const key of runtime.filter((k) => k.state === "orphaned" && olderThan(k, minAgeMs))) {
      if (ours.has(key.id) || values.orphans) chosen.push({ key, why: "orphaned: no mapping names it" });
      else io.out(`skipping ${key.id} (${key.name}): orphaned and in none of this stack's plans; --orphans prunes it too`);
    }
    if (unusedDays !== undefined) {
      for (const key of runtime.filter((k) => k.state === "current" && k.mapping && olderThan(k, unusedDays * DAY_MS))) {
        if ((await requestsSince(apiGateway, key, now - unusedDays * DAY_MS, now)) === 0) chosen.push({ key, why: `no request in ${unusedDays} day(s)` });
      }
    }

    for (const { key, why } of chosen) io.out(`${values.yes ? "deleting" : "would delete"} ${key.id} (${key.name}${key.tier ? `, tier ${key.tier}` : ""}): ${why}`);
    if (!values.yes) {
      io.out(`Dry run on ${target.label}: ${chosen.length} key(s) to prune. Run again with --yes to delete them.`);
      return 0;
    }
    const failures = await deleteRuntimeKeys(
      chosen.map(({ key }) => key),
      { apiGateway, dynamodb, tableName, local: target.local },
      io,
    );
    io.out(`Pruned ${chosen.length - failures} of ${chosen.length} key(s).`);
    return failures > 0 ? 1 : 0;
  } finally {
    target.close();
  }
}

/** Requests metered under the key in its plan between the two days (UTC, inclusive). */
async function requestsSince(client: APIGatewayClient, key: KeygateKey, from: number, to: number): Promise<number> {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const usage = await client.send(new GetUsageCommand({ usagePlanId: key.mapping!.usagePlanId, keyId: key.id, startDate: day(from), endDate: day(to) }));
  return (usage.items?.[key.id] ?? []).reduce((sum, [used]) => sum + (used ?? 0), 0);
}
