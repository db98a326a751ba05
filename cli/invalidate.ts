/**
 * `keygate invalidate --key-id <id> | --user <user_id>`: makes every cache forget a key's (or a
 * user's) verdicts, so the next request with it is verified with Kinde again.
 *
 * Three caches hold a verdict: the table (deleted here), API Gateway's result cache per stage
 * (flushed here), and each warm container's memory, which nothing outside the container can reach.
 * A container that still remembers the key answers Allow, and the gateway caches that answer again
 * for its whole TTL. So the command works in two passes: delete and flush, wait until every memory
 * entry made before the first pass has expired (MEMORY_CACHE_TTL_SECONDS plus a margin for index and
 * read lag), then delete and flush again. After the second pass no cache can hold the key's Allow.
 */
import { numberOption, parseOptions, TARGET_HELP, TARGET_OPTIONS, UsageError } from "./arguments";
import { adviseFailure } from "./failure-advice";
import { flushStages, stageName } from "./flush-stages";
import type { CommandIo } from "./command-io";
import { DEFAULT_MEMORY_CACHE_TTL_SECONDS, requireTable, resolveTarget, type Target } from "./target";
import { deleteVerdicts, describeOwner, findVerdicts, type VerdictOwner } from "./verdict-items";

/**
 * Added to the memory lifetime before the second pass. It covers a container that read the verdict
 * from the table just before the delete (reads are eventually consistent, typically well under a
 * second behind) and so remembers it from slightly after the first pass.
 */
export const SETTLE_MARGIN_SECONDS = 1;

export const INVALIDATE_HELP = `Usage: keygate invalidate (--key-id <id> | --user <user_id>) [--yes] [options]

Removes the key's (or the user's) cached verdicts from the cache table and flushes the authorizer
cache of every protected stage; waits out the authorizer's memory lifetime, then does both again,
so that no cache answers for the key afterwards. Revoke or disable the key in Kinde first:
this command makes Keygate ask Kinde again, it does not revoke anything.

Without --yes it only reports what it would do.

  --key-id <id>              the Kinde key id (api_key_...)
  --user <user_id>           every key of this Kinde user (kp_...)
  --yes                      act
  --memory-ttl-seconds <n>   the authorizer's MEMORY_CACHE_TTL_SECONDS (default: the local one with
                             --local, else ${DEFAULT_MEMORY_CACHE_TTL_SECONDS})
${TARGET_HELP}`;

const OPTIONS = { ...TARGET_OPTIONS, "key-id": { type: "string" }, user: { type: "string" }, yes: { type: "boolean" }, "memory-ttl-seconds": { type: "string" } } as const;

export async function invalidate(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseOptions(argv, OPTIONS, "invalidate");
  if (values.help) {
    io.out(INVALIDATE_HELP);
    return 0;
  }
  const keyId = values["key-id"]?.trim();
  const userId = values.user?.trim();
  if ((keyId === undefined) === (userId === undefined)) throw new UsageError("keygate invalidate: pass exactly one of --key-id <id> or --user <user_id> (see keygate invalidate --help)");
  if (keyId === "" || userId === "") throw new UsageError("keygate invalidate: --key-id and --user need a value");
  const owner: VerdictOwner = keyId !== undefined ? { keyId } : { userId: userId! };

  const target = await resolveTarget(values, io);
  try {
    const memoryTtlSeconds = numberOption(values["memory-ttl-seconds"], "memory-ttl-seconds", target.memoryCacheTtlSeconds ?? DEFAULT_MEMORY_CACHE_TTL_SECONDS);
    return await run(owner, target, memoryTtlSeconds, values.yes === true, io);
  } finally {
    target.close();
  }
}

async function run(owner: VerdictOwner, target: Target, memoryTtlSeconds: number, act: boolean, io: CommandIo): Promise<number> {
  const table = requireTable(target);
  const dynamodb = target.dynamodb();
  const who = describeOwner(owner);
  const waitSeconds = memoryTtlSeconds + SETTLE_MARGIN_SECONDS;
  if (target.stages.length === 0) io.err(`warning: no protected stage known for ${target.label}: pass --rest-api-id and --stage to flush the gateway's cache`);

  const found = await findVerdicts(dynamodb, table, owner);
  if (!act) {
    io.out(`Dry run on ${target.label}: ${found.length} cached verdict(s) of ${who} in ${table}.`);
    io.out(`With --yes: delete them, flush the authorizer cache of ${target.stages.map(stageName).join(", ") || "no stage"},`);
    io.out(`wait ${waitSeconds} s (MEMORY_CACHE_TTL_SECONDS ${memoryTtlSeconds} + ${SETTLE_MARGIN_SECONDS}), then delete and flush once more.`);
    return 0;
  }

  const firstDeleted = await deleteVerdicts(dynamodb, table, found);
  const firstFailures = await flushStages(target.apiGateway(), target.stages);
  for (const failure of firstFailures) io.err(`error: could not flush ${stageName(failure.stage)}: ${adviseFailure(failure.error, target)}`);
  io.out(`Removed ${firstDeleted} cached verdict(s) of ${who}; flushed ${target.stages.length - firstFailures.length} of ${target.stages.length} stage(s).`);
  io.out(`Worst case now: a warm authorizer container remembers the key for up to ${memoryTtlSeconds} s and may answer Allow again.`);
  io.out(`Waiting ${waitSeconds} s for those memories to expire, then removing and flushing again...`);
  await io.wait(waitSeconds * 1000);

  // Verdicts a container wrote back meanwhile (from a verification that began before the key was revoked).
  const again = await findVerdicts(dynamodb, table, owner);
  const secondDeleted = await deleteVerdicts(dynamodb, table, again);
  const secondFailures = await flushStages(target.apiGateway(), target.stages);
  for (const failure of secondFailures) io.err(`error: could not flush ${stageName(failure.stage)}: ${adviseFailure(failure.error, target)}`);
  io.out(`Second pass: removed ${secondDeleted} verdict(s) written back meanwhile; flushed ${target.stages.length - secondFailures.length} of ${target.stages.length} stage(s).`);
  if (firstFailures.length > 0 || secondFailures.length > 0) {
    io.out("Worst case remaining: a stage that could not be flushed keeps answering from its cache for its authorizerResultTtlInSeconds. Run this again.");
    return 1;
  }
  io.out(`Worst case remaining: none from Keygate's caches. The next request with the key is verified with Kinde; if Kinde still accepts it, revoke it in Kinde.`);
  return 0;
}
