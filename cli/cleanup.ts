/**
 * `keygate cleanup`: deletes the usage keys the authorizer created at run time, with their mapping
 * items, so that `pulumi destroy` (which knows only the keys Pulumi made) leaves none behind to count
 * against the account's 10,000-key limit. Dry run unless --yes.
 *
 * Keys are named `keygate-<user>` in the account and Region, whichever stack made them. A key is this
 * stack's when this stack's table maps a user to it, or when it is in one of this stack's usage plans;
 * an orphan in no plan of ours could be another stack's, so it is deleted only with --orphans.
 */
import { deleteRuntimeKeys } from "./delete-usage-keys";
import { numberOption, parseOptions, TARGET_HELP, TARGET_OPTIONS } from "./arguments";
import type { CommandIo } from "./command-io";
import { adviseFailure } from "./failure-advice";
import { flushStages, stageName } from "./flush-stages";
import { SETTLE_MARGIN_SECONDS } from "./invalidate";
import { DEFAULT_MEMORY_CACHE_TTL_SECONDS, requireTable, resolveTarget } from "./target";
import { listKeygateKeys, planMembers } from "./usage-keys";

export const CLEANUP_HELP = `Usage: keygate cleanup [--yes] [--orphans] [options]

Deletes the usage keys the authorizer created at run time (not the keys Pulumi manages) and the
mapping items naming them. Run it before \`pulumi destroy\`: destroy removes only what Pulumi made,
and keys left behind count against the account's limit of 10,000 API keys. Users who call the API
afterwards get a new key on their next request.

Without --yes it only lists what it would delete.

  --yes                   delete
  --no-wait               skip what protects live traffic (flushing the authorizer cache, waiting out
                          the authorizer's memory lifetime, flushing again): right before a destroy
  --memory-ttl-seconds <n>  the authorizer's MEMORY_CACHE_TTL_SECONDS (default: the local one with
                          --local, else ${DEFAULT_MEMORY_CACHE_TTL_SECONDS})
  --orphans               also delete run-time keys that no mapping names and that are in none of
                          this stack's usage plans (they may be another stack's in the same account)
${TARGET_HELP}`;

const OPTIONS = { ...TARGET_OPTIONS, yes: { type: "boolean" }, orphans: { type: "boolean" }, "no-wait": { type: "boolean" }, "memory-ttl-seconds": { type: "string" } } as const;

export async function cleanup(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseOptions(argv, OPTIONS, "cleanup");
  if (values.help) {
    io.out(CLEANUP_HELP);
    return 0;
  }
  const target = await resolveTarget(values, io);
  try {
    const table = requireTable(target);
    const apiGateway = target.apiGateway();
    const dynamodb = target.dynamodb();
    const runtime = (await listKeygateKeys(apiGateway, dynamodb, table)).filter((key) => key.origin === "runtime");
    const inOurPlans = await planMembers(apiGateway, Object.values(target.usagePlanIds ?? {}));
    const ours = runtime.filter((key) => key.state !== "orphaned" || inOurPlans.has(key.id) || values.orphans === true);
    const skipped = runtime.filter((key) => !ours.includes(key));

    for (const key of ours) io.out(`${values.yes ? "deleting" : "would delete"} ${key.id} (${key.name}, ${key.state}${key.tier ? `, tier ${key.tier}` : ""})`);
    for (const key of skipped) io.out(`skipping ${key.id} (${key.name}): orphaned and in none of this stack's plans; --orphans deletes it too`);
    if (!values.yes) {
      io.out(`Dry run on ${target.label}: ${ours.length} run-time key(s) to delete. Run again with --yes to delete them.`);
      return 0;
    }

    const failures = await deleteRuntimeKeys(ours, { apiGateway, dynamodb, tableName: table, local: target.local }, io);
    io.out(`Deleted ${ours.length - failures} of ${ours.length} run-time key(s).`);
    if (ours.length === 0 || values["no-wait"]) return failures > 0 ? 1 : 0;

    // The gateway's cached policies name the deleted keys, and so does each warm container's memory for
    // MEMORY_CACHE_TTL_SECONDS: flush, wait that out, flush again, so no user stays refused (403) for the gateway's TTL.
    const memory = numberOption(values["memory-ttl-seconds"], "memory-ttl-seconds", target.memoryCacheTtlSeconds ?? DEFAULT_MEMORY_CACHE_TTL_SECONDS);
    const flushFailures = await flushStages(apiGateway, target.stages);
    io.out(`Flushed the authorizer cache; users of deleted keys may get 403 while warm containers remember their old key: waiting ${memory + SETTLE_MARGIN_SECONDS} s to flush again...`);
    await io.wait((memory + SETTLE_MARGIN_SECONDS) * 1000);
    flushFailures.push(...(await flushStages(apiGateway, target.stages)));
    for (const failure of flushFailures) io.err(`error: could not flush ${stageName(failure.stage)}: ${adviseFailure(failure.error, target)}`);
    io.out("Flushed again: the next request of each of those users is metered under a new key of their own.");
    return failures > 0 || flushFailures.length > 0 ? 1 : 0;
  } finally {
    target.close();
  }
}
