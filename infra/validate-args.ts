import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { UserKeyAuthorizerArgs } from "./args";
import { checkSettings, componentSettingName, type ProgramValues, type ResolvedSettings, type SettingNamer } from "./resolve-settings";

export { componentSettingName, LOG_RETENTION_DAYS, SETTING_RANGES, type ResolvedApi, type ResolvedSettings, type SettingNamer } from "./resolve-settings";

/**
 * A bad setting. The message starts with the setting's name as the user wrote it (`args.x` for
 * the component, `keygate:x` for the stack) so `pulumi preview` points straight at it. A RunError
 * makes Pulumi print just the message, without a stack trace.
 */
export class InvalidSettingError extends pulumi.RunError {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting} ${problem}`);
    this.name = "InvalidSettingError";
  }
}

/** What only Pulumi can tell apart: the program's RestApi resources, and Outputs, checked once they resolve. */
const PULUMI_VALUES: ProgramValues = {
  isRestApi: (value) => aws.apigateway.RestApi.isInstance(value),
  isOutput: (value) => pulumi.Output.isInstance(value),
  whenResolved: (value, check) => pulumi.output(value).apply(check),
};

/**
 * Checks the component's arguments with the rules of resolve-settings.ts, so a bad value stops
 * `pulumi preview` with a message naming the setting.
 */
export function resolveSettings(args: UserKeyAuthorizerArgs, name: SettingNamer = componentSettingName): ResolvedSettings {
  return checkSettings(
    args,
    (path, problem) => {
      throw new InvalidSettingError(name(path), problem);
    },
    PULUMI_VALUES,
  );
}
