import type * as aws from "@pulumi/aws";
import type * as awsx from "@pulumi/awsx";
import type * as pulumi from "@pulumi/pulumi";
import type { ResolvedSettings } from "../resolve-settings";
import { createAlarms, type AlarmName } from "./alarms";
import { createContributorRules, type ContributorRuleName } from "./contributor-insights";
import { createDashboard } from "./dashboard";
import { createAccessLogQueries, createSavedQueries } from "./saved-queries";
import type { AccessLogQueryName } from "./access-log-queries";
import type { SavedQueryName } from "./audit-queries";

/** What the component creates to watch its authorizer; each part is undefined when turned off. */
export interface Observability {
  alarms: Record<AlarmName, aws.cloudwatch.MetricAlarm> | undefined;
  dashboard: awsx.classic.cloudwatch.Dashboard | undefined;
  contributorRules: Record<ContributorRuleName, aws.cloudwatch.ContributorInsightRule> | undefined;
  savedQueries: Record<SavedQueryName, aws.cloudwatch.QueryDefinition> | undefined;
  /** Over the access logs: only with both `savedQueries` and `accessLogs`. */
  accessLogQueries: Record<AccessLogQueryName, aws.cloudwatch.QueryDefinition> | undefined;
}

/** The alarms, dashboard, Contributor Insights rules and saved queries of one authorizer (and of its access logs), as its settings ask. */
export function observeAuthorizer(
  name: string,
  settings: ResolvedSettings,
  resources: { fn: aws.lambda.Function; auditLogGroup: aws.cloudwatch.LogGroup; accessLogGroup?: aws.cloudwatch.LogGroup; region: pulumi.Output<string> },
  parent: pulumi.Resource,
): Observability {
  const { fn, auditLogGroup } = resources;
  const alarms = settings.alarmsEnabled
    ? createAlarms(
        name,
        {
          functionName: fn.name,
          timeoutSeconds: settings.timeoutSeconds,
          unavailablePerFiveMinutes: settings.alarmUnavailablePerFiveMinutes,
          denialsPerFiveMinutes: settings.alarmDenialsPerFiveMinutes,
          p99LatencyMs: settings.alarmP99LatencyMs,
          ...(settings.alarmTopicArn !== undefined ? { topicArn: settings.alarmTopicArn } : {}),
          ...(settings.tags ? { tags: settings.tags } : {}),
        },
        parent,
      )
    : undefined;
  const contributorRules = settings.contributorInsights ? createContributorRules(name, { logGroupName: auditLogGroup.name, ...(settings.tags ? { tags: settings.tags } : {}) }, parent) : undefined;
  const savedQueries = settings.savedQueries ? createSavedQueries(name, auditLogGroup.name, parent) : undefined;
  const accessLogQueries = settings.savedQueries && resources.accessLogGroup ? createAccessLogQueries(name, resources.accessLogGroup.name, parent) : undefined;
  const dashboard = settings.dashboard
    ? createDashboard(
        name,
        {
          fn,
          logGroupName: auditLogGroup.name,
          region: resources.region,
          alarmArns: alarms ? Object.values(alarms).map((alarm) => alarm.arn) : [],
          ...(contributorRules
            ? {
                contributorRules: {
                  topUsers: contributorRules["top-users"].ruleName,
                  topApis: contributorRules["top-apis"].ruleName,
                  topDeniedFingerprints: contributorRules["top-denied-fingerprints"].ruleName,
                  topDeniedSourceIps: contributorRules["top-denied-source-ips"].ruleName,
                },
              }
            : {}),
          usagePlans: settings.usagePlans !== undefined,
        },
        parent,
      )
    : undefined;
  return { alarms, dashboard, contributorRules, savedQueries, accessLogQueries };
}
