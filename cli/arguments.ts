/**
 * Argument parsing shared by every subcommand: node:util's parseArgs, strict, with the options that
 * say where Keygate runs. A mistake in the arguments is a {@link UsageError} (exit status 2).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
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
  --region <region>       AWS Region (default: AWS_REGION, then the SDK's own configuration)
  -h, --help              this help`;

export interface Parsed<T extends OptionsConfig> {
  values: { [K in keyof T]?: T[K] extends { type: "boolean" } ? boolean : T[K] extends { multiple: true } ? string[] : string };
}

/** Parses `argv` against `options`; unknown options and stray positionals are usage errors. */
export function parseOptions<T extends OptionsConfig>(argv: readonly string[], options: T, command: string): Parsed<T> {
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    return { values: values as Parsed<T>["values"] };
  } catch (error) {
    throw new UsageError(`keygate ${command}: ${(error as Error).message.replace(/\. To specify.*$/s, "")} (see keygate ${command} --help)`);
  }
}

/** A non-negative number of seconds or days from an option, or the default. */
export function numberOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0) throw new UsageError(`--${name} must be a number of 0 or more, not ${JSON.stringify(value)}`);
  return parsed;
}
