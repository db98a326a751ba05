import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AccessLogDestination } from "./args";
import type { AccountScope } from "./authorizer-function";
import { InvalidSettingError } from "./validate-args";

/**
 * API Gateway's access log line for a protected stage, one JSON object per request. Unlike the
 * authorizer's audit log it has a line for every request, including the ~95 % that the gateway's
 * result cache answers without invoking the authorizer; the authorizer's context (`user_id`,
 * `key_id`) is in it either way, since a cached answer keeps its context.
 *
 * Variables from "Variables for access logging for API Gateway" (REST APIs). API Gateway writes `-`
 * for a variable with no value (`$context.authorizer.integrationLatency` on a cache hit, `user_id` on
 * a refusal), so every value is quoted: an unquoted `-` would not be JSON. Never
 * `$context.identity.apiKey`: that is the usage key's value; `apiKeyId` is only its id.
 */
export const ACCESS_LOG_FIELDS = {
  request_id: "$context.requestId",
  extended_request_id: "$context.extendedRequestId",
  request_time_epoch: "$context.requestTimeEpoch",
  api_id: "$context.apiId",
  stage: "$context.stage",
  method: "$context.httpMethod",
  resource_path: "$context.resourcePath",
  path: "$context.path",
  status: "$context.status",
  response_type: "$context.error.responseType",
  latency_ms: "$context.responseLatency",
  integration_latency_ms: "$context.integrationLatency",
  principal_id: "$context.authorizer.principalId",
  user_id: "$context.authorizer.user_id",
  key_id: "$context.authorizer.key_id",
  org_code: "$context.authorizer.org_code",
  authorizer_status: "$context.authorizer.status",
  authorizer_latency_ms: "$context.authorizer.latency",
  // Only when the function ran: `-` means the gateway's result cache answered.
  authorizer_integration_latency_ms: "$context.authorizer.integrationLatency",
  authorizer_error: "$context.authorizer.error",
  usage_key_id: "$context.identity.apiKeyId",
  source_ip: "$context.identity.sourceIp",
  user_agent: "$context.identity.userAgent",
} as const satisfies Record<string, `$context.${string}`>;

/** The `format` of a stage's `accessLogSettings`: the fields above as one line of JSON. */
export const ACCESS_LOG_FORMAT = `{${Object.entries(ACCESS_LOG_FIELDS)
  .map(([name, variable]) => `"${name}":"${variable}"`)
  .join(",")}}`;

/** The AWS managed policy that lets API Gateway create log groups and write to them. */
export const API_GATEWAY_PUSH_TO_CLOUDWATCH_LOGS = "service-role/AmazonAPIGatewayPushToCloudWatchLogs";

export interface AccessLogResources {
  logGroup: aws.cloudwatch.LogGroup;
  /** What each stage sets as `accessLogSettings`; with `cloudWatchRole: "create"` it waits for the account's role. */
  settings: pulumi.Output<AccessLogDestination>;
  /** With `cloudWatchRole: "create"`: the role and the account setting that names it. */
  cloudWatchRole: aws.iam.Role | undefined;
  account: aws.apigateway.Account | undefined;
}

/**
 * The access log group and, when asked for, the account's API Gateway CloudWatch role. That role is
 * one setting per account and Region (`aws.apigateway.Account`): creating it replaces whatever role
 * was set, for every API there. Deleting it would stop every API of the account from logging (since
 * version 6 of the Terraform AWS provider under Pulumi's, deleting the Account resource resets the
 * setting), so both are kept when the component goes (`retainOnDelete`).
 */
export function createAccessLogs(
  name: string,
  settings: { retentionInDays: number; cloudWatchRole: "create" | "existing"; tags: Record<string, string> | undefined },
  scope: pulumi.Output<AccountScope>,
  parent: pulumi.Resource,
): AccessLogResources {
  const logGroup = new aws.cloudwatch.LogGroup(`${name}-access`, { retentionInDays: settings.retentionInDays, tags: settings.tags }, { parent });
  if (settings.cloudWatchRole === "existing") {
    return { logGroup, settings: logGroup.arn.apply((destinationArn) => ({ destinationArn, format: ACCESS_LOG_FORMAT })), cloudWatchRole: undefined, account: undefined };
  }
  const cloudWatchRole = new aws.iam.Role(
    `${name}-apigateway-cloudwatch`,
    {
      description: "API Gateway's CloudWatch role for this account and Region (set by Keygate for access logs)",
      assumeRolePolicy: scope.apply((account) => JSON.stringify(apiGatewayLoggingAssumeRolePolicy(account))),
      tags: settings.tags,
    },
    { parent, retainOnDelete: true },
  );
  const pushToLogs = new aws.iam.RolePolicyAttachment(
    `${name}-apigateway-cloudwatch`,
    { role: cloudWatchRole.name, policyArn: scope.apply((account) => `arn:${account.partition}:iam::aws:policy/${API_GATEWAY_PUSH_TO_CLOUDWATCH_LOGS}`) },
    { parent, retainOnDelete: true },
  );
  // API Gateway checks the role's permissions when it is set, so the policy comes first.
  const account = new aws.apigateway.Account(`${name}-apigateway-account`, { cloudwatchRoleArn: cloudWatchRole.arn }, { parent, retainOnDelete: true, dependsOn: [pushToLogs] });
  // A stage that names a log group before the account has a role is refused by API Gateway.
  const destination = pulumi.all([logGroup.arn, account.cloudwatchRoleArn]).apply(([destinationArn]) => ({ destinationArn, format: ACCESS_LOG_FORMAT }));
  return { logGroup, settings: destination, cloudWatchRole, account };
}

/**
 * Lets API Gateway assume the logging role, for this account only. Unlike the OpenAPI invoke role
 * this one is used for every API of the account, so no API or authorizer narrows it.
 */
export function apiGatewayLoggingAssumeRolePolicy(scope: AccountScope): aws.iam.PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "apigateway.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEqualsIfExists: { "aws:SourceAccount": scope.accountId } },
      },
    ],
  };
}

/**
 * The stages `deployStages` returned must log to the component's group, or the access logs would
 * silently miss them: checked once the stages' settings are known.
 */
export function checkStagesLog(index: number, stages: readonly aws.apigateway.Stage[], settings: pulumi.Output<AccessLogDestination>): pulumi.Output<true> {
  return pulumi.all([settings, pulumi.all(stages.map((stage) => pulumi.all([stage.stageName, stage.accessLogSettings])))]).apply(([expected, actual]) => {
    for (const [stageName, logSettings] of actual) {
      if (logSettings?.destinationArn !== expected.destinationArn || logSettings.format !== expected.format) {
        throw new InvalidSettingError(
          `args.apis[${index}].deployStages`,
          `created stage ${JSON.stringify(stageName)} without the access log settings it was given: with accessLogs, set accessLogSettings: api.accessLogSettings on every stage it creates`,
        );
      }
    }
    return true as const;
  });
}
