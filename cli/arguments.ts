/**
 * Argument parsing shared by every subcommand: node:util's parseArgs, strict, with the options that
 * say where Keygate runs. A mistake in the arguments is a {@link UsageError} (exit status 2).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { closestName } from "../lambda/closest-name";
import { KeygateError } from "../lambda/errors";

export class UsageError extends KeygateError {
  constructor(message: string) {
    super("usage", message);
  }
  override name = "UsageError";
}

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** Where Keygate runs: a running `npm start`, or a deployed stack (its outputs, or these flags). */
export const TARGET_OPTIONS = {
  local: { type: "boolean" },
  stack: { type: "string" },
  table: { type: "string" },
  "rest-api-id": { type: "string" },
  stage: { type: "string", multiple: true },
  region: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionsConfig;

export const TARGET_HELP = `Where Keygate runs (default: the outputs of the current Pulumi stack, \`pulumi stack output --json\`):
  --local                 the \`npm start\` running in this folder (it records its endpoints in .keygate/local.json)
  --stack <name>          another Pulumi stack's outputs
  --table <name>          the cache table (instead of the stack's tableName output)
  --rest-api-id <id>      a protected REST API (instead of the stack's apis output)
  --stage <name>          one of its stages; repeat for several
  --region <region>       AWS Region (default: AWS_REGION, AWS_DEFAULT_REGION, then the AWS profile's region)
  -h, --help              this help`;

export interface Parsed<T extends OptionsConfig> {
  values: { [K in keyof T]?: T[K] extends { type: "boolean" } ? boolean : T[K] extends { multiple: true } ? string[] : string };
}

/** Parses `argv` against `options`; unknown options and stray positionals are usage errors that say what to type instead. */
export function parseOptions<T extends OptionsConfig>(argv: readonly string[], options: T, command: string): Parsed<T> {
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    return { values: values as Parsed<T>["values"] };
  } catch (error) {
    throw new UsageError(`keygate ${command}: ${explainParseError(error as Error & { code?: string }, options)} (see keygate ${command} --help)`);
  }
}

/** node:util's parseArgs message, with the option meant when one was mistyped. */
function explainParseError(error: Error & { code?: string }, options: OptionsConfig): string {
  const unknown = error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? /Unknown option '([^']+)'/.exec(error.message)?.[1] : undefined;
  if (unknown !== undefined) {
    const known = Object.keys(options).map((name) => `--${name}`);
    // A slip of a letter or two, or the start of exactly one option's name (--rest-api for --rest-api-id).
    const extending = known.filter((name) => name.startsWith(unknown));
    const meant = !unknown.startsWith("--") ? undefined : extending.length === 1 ? extending[0] : closestName(unknown, known);
    return `unknown option ${unknown}${meant ? `; did you mean ${meant}?` : ""}`;
  }
  const positional = error.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL" ? /Unexpected argument '([^']*)'/.exec(error.message)?.[1] : undefined;
  if (positional !== undefined) return `unexpected argument ${JSON.stringify(positional)}: every value follows the option it is for, as in --table <name>`;
  return error.message.replace(/\. To specify.*$/s, "");
}

/** A non-negative number of seconds or days from an option, or the default. */
export function numberOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0) throw new UsageError(`--${name} must be a number of 0 or more, not ${JSON.stringify(value)}`);
  return parsed;
}
