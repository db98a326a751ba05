import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SettingError } from "../lambda/errors";
import type { UserKeyAuthorizerArgs } from "./args";
import { checkSettings, componentSettingName, type ProgramValues, type ResolvedSettings, type SettingNamer } from "./resolve-settings";

export { componentSettingName, type ResolvedApi, type ResolvedHttpApi, type ResolvedSettings, type SettingNamer } from "./resolve-settings";

/**
 * A bad setting at `pulumi preview`: a `SettingError` named as the user wrote it (`args.x` for the
 * component, `keygate:x` for the stack), so the message points straight at it.
 */
export class InvalidSettingError extends SettingError {
  /**
   * Pulumi prints an error marked as its RunError as just its message, without a stack trace. It
   * recognizes the mark rather than the class (`RunError.isInstance`), so Keygate's errors can keep
   * their own base class.
   */
  readonly __pulumiRunError = true;
  override name = "InvalidSettingError";
}

/** What only Pulumi can tell apart: the program's RestApi and HTTP Api resources, and Outputs, checked once they resolve. */
const PULUMI_VALUES: ProgramValues = {
  isRestApi: (value) => aws.apigateway.RestApi.isInstance(value),
  isHttpApi: (value) => aws.apigatewayv2.Api.isInstance(value),
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
