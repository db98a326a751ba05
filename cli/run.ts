/**
 * The `keygate` command: picks the subcommand, runs it, and turns what happened into an exit status:
 * 0 done (or nothing wrong found), 1 something unprotected or a call failed, 2 the arguments were wrong.
 */
import { closestName } from "../lambda/closest-name";
import { UsageError } from "./arguments";
import type { CommandIo } from "./command-io";
import { check } from "./check";
import { cleanup } from "./cleanup";
import { adviseFailure } from "./failure-advice";
import { invalidate } from "./invalidate";
import { keys } from "./keys";
import { prune } from "./prune";

const SUBCOMMANDS: Record<string, { run: (argv: readonly string[], io: CommandIo) => Promise<number>; summary: string }> = {
  invalidate: { run: invalidate, summary: "forget a key's or a user's cached verdicts everywhere (after revoking it in Kinde)" },
  check: { run: check, summary: "report the methods of a REST API, or routes of an HTTP API, that Keygate does not protect (read-only)" },
  keys: { run: keys, summary: "list the usage keys Keygate provisioned: user, tier, created, last seen" },
  prune: { run: prune, summary: "delete orphaned run-time keys, and keys unused for N days" },
  cleanup: { run: cleanup, summary: "delete the usage keys created at run time (before `pulumi destroy`)" },
};

export const HELP = `Usage: keygate <command> [options]

Commands:
${Object.entries(SUBCOMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(12)}${summary}`)
  .join("\n")}

Run \`keygate <command> --help\` for a command's options. Every command works against a deployed
stack (its outputs, or flags) and against \`npm start\` with --local. Nothing is changed without --yes.
Exit status: 0 done, 1 something unprotected or failed, 2 wrong arguments.`;

export async function runKeygate(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(HELP);
    return name === undefined ? 2 : 0;
  }
  const subcommand = SUBCOMMANDS[name];
  if (!subcommand) {
    const meant = closestName(name, Object.keys(SUBCOMMANDS));
    io.err(`keygate: unknown command ${JSON.stringify(name)}${meant ? `; did you mean keygate ${meant}?` : ""}\n\n${HELP}`);
    return 2;
  }
  try {
    return await subcommand.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(error.message);
      return 2;
    }
    io.err(`keygate ${name}: ${adviseFailure(error, { local: rest.includes("--local") })}`);
    return 1;
  }
}
