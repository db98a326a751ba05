import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { METRIC_NAMESPACE, METRICS } from "../../lambda/audit/embedded-metrics";
import { accountUniqueName } from "./account-names";
import { DASHBOARD_QUERIES, logWidgetQuery } from "./audit-queries";
import { ContributorInsightsWidget, LogTableWidget } from "./dashboard-widgets";

const cw = awsx.classic.cloudwatch;
const PERIOD = 300;
const VERDICT_SOURCES = ["memory", "dynamodb", "kinde", "stale"] as const;

export interface DashboardOptions {
  fn: aws.lambda.Function;
  logGroupName: pulumi.Output<string>;
  region: pulumi.Output<string>;
  /** Alarm ARNs to show at the top, when the alarms exist. */
  alarmArns: pulumi.Output<string>[];
  /** Contributor Insights rule names, when the rules exist. */
  contributorRules?: { topUsers: pulumi.Output<string>; topApis: pulumi.Output<string>; topDeniedFingerprints: pulumi.Output<string>; topDeniedSourceIps: pulumi.Output<string> };
  /** Show the usage-key rows (with usage plans). */
  usagePlans: boolean;
}

const keygate = (name: string, dimensions: Record<string, string>, label: string, statistic: awsx.classic.cloudwatch.MetricStatistic = "Sum") =>
  new cw.Metric({ namespace: METRIC_NAMESPACE, name, dimensions, statistic, period: PERIOD, label });

/**
 * The authorizer's dashboard, built with awsx: alarms, decisions and reasons, where verdicts came
 * from (the cache hit ratio of each layer), Kinde calls and latency, the authorizer's p50/p99, and
 * who uses and who is refused the most (Logs Insights and, when the rules exist, Contributor Insights),
 * and the decisions of each protected API, REST and HTTP.
 */
export function createDashboard(name: string, options: DashboardOptions, parent: pulumi.Resource): awsx.classic.cloudwatch.Dashboard {
  const logQuery = (lines: readonly string[]) => options.logGroupName.apply((group) => logWidgetQuery(group, lines));
  const lambdaMetric = (change: awsx.classic.lambda.metrics.LambdaMetricChange) => ({ function: options.fn, period: PERIOD, ...change });
  const verdicts = VERDICT_SOURCES.map((source) => keygate(METRICS.verdicts, { verdict_source: source }, source).withId(source));

  const rows: awsx.classic.cloudwatch.Widget[] = [];
  if (options.alarmArns.length > 0) rows.push(new cw.RowWidget(new cw.AlarmWidget({ title: "Alarms", alarms: options.alarmArns, width: 24, height: 3, sortBy: "stateUpdatedTimestamp" })));
  rows.push(
    new cw.RowWidget(
      new cw.StackedAreaGraphMetricWidget({
        title: "Decisions",
        width: 12,
        metrics: (["allow", "deny", "error"] as const).map((decision) => keygate(METRICS.decisions, { decision }, decision)),
      }),
      new cw.LineGraphMetricWidget({
        title: "Decisions by reason",
        width: 12,
        metrics: [new cw.ExpressionWidgetMetric(`SEARCH('{${METRIC_NAMESPACE},decision,reason} MetricName="${METRICS.decisions}"', 'Sum', ${PERIOD})`, "reasons", "reasons")],
      }),
    ),
    new cw.RowWidget(
      new cw.StackedAreaGraphMetricWidget({ title: "Verdict sources", width: 12, metrics: verdicts }),
      new cw.LineGraphMetricWidget({
        title: "Share of verdicts per layer (%)",
        width: 12,
        yAxis: { left: { min: 0, max: 100 } },
        metrics: [
          ...verdicts.map((metric) => metric.withVisible(false)),
          ...VERDICT_SOURCES.map(
            (source) => new cw.ExpressionWidgetMetric(`100 * FILL(${source}, 0) / (${VERDICT_SOURCES.map((s) => `FILL(${s}, 0)`).join(" + ")})`, `${source} %`, `${source}Share`),
          ),
        ],
      }),
    ),
    new cw.RowWidget(
      new cw.LineGraphMetricWidget({
        title: "Kinde calls and circuit breaker",
        width: 12,
        metrics: [keygate(METRICS.kindeCalls, {}, "requests that asked Kinde"), keygate(METRICS.breakerNotClosed, { breaker: "open" }, "breaker open"), keygate(METRICS.breakerNotClosed, { breaker: "half_open" }, "breaker half-open")],
      }),
      new cw.LineGraphMetricWidget({
        title: "Latency of requests that asked Kinde (ms)",
        width: 12,
        metrics: [
          new cw.Metric({ namespace: METRIC_NAMESPACE, name: METRICS.kindeLatency, period: PERIOD, extendedStatistic: 50, label: "p50" }),
          new cw.Metric({ namespace: METRIC_NAMESPACE, name: METRICS.kindeLatency, period: PERIOD, extendedStatistic: 99, label: "p99" }),
        ],
      }),
    ),
    new cw.RowWidget(
      new cw.LineGraphMetricWidget({
        title: "Authorizer duration (ms)",
        width: 12,
        metrics: [
          awsx.classic.lambda.metrics.duration(lambdaMetric({ extendedStatistic: 50, label: "p50" })),
          awsx.classic.lambda.metrics.duration(lambdaMetric({ extendedStatistic: 99, label: "p99" })),
          new cw.Metric({ namespace: METRIC_NAMESPACE, name: METRICS.latency, period: PERIOD, extendedStatistic: 99, label: "p99 in the handler" }),
        ],
      }),
      new cw.LineGraphMetricWidget({
        title: "Invocations, throttles and errors",
        width: 12,
        metrics: [
          awsx.classic.lambda.metrics.invocations(lambdaMetric({ statistic: "Sum", label: "invocations" })),
          awsx.classic.lambda.metrics.throttles(lambdaMetric({ statistic: "Sum", label: "throttles" })),
          // Lambda counts a REST API's refusals (a thrown Unauthorized) as errors, not an HTTP API's (isAuthorized: false): internal errors are the error decisions.
          keygate(METRICS.decisions, { decision: "error" }, "error decisions"),
        ],
      }),
    ),
    new cw.RowWidget(
      new LogTableWidget({ title: "Top users by requests", query: logQuery(DASHBOARD_QUERIES.topUsers) }),
      new LogTableWidget({ title: "Top refused key fingerprints", query: logQuery(DASHBOARD_QUERIES.topDeniedFingerprints) }),
      new LogTableWidget({ title: "Top refused source IPs", query: logQuery(DASHBOARD_QUERIES.topDeniedSourceIps) }),
    ),
  );
  const rules = options.contributorRules;
  if (rules) {
    rows.push(
      new cw.RowWidget(
        new ContributorInsightsWidget({ title: "Top users (Contributor Insights)", ruleName: rules.topUsers, width: 6 }),
        new ContributorInsightsWidget({ title: "Top APIs, REST and HTTP (Contributor Insights)", ruleName: rules.topApis, width: 6 }),
        new ContributorInsightsWidget({ title: "Top refused fingerprints (Contributor Insights)", ruleName: rules.topDeniedFingerprints, width: 6 }),
        new ContributorInsightsWidget({ title: "Top refused source IPs (Contributor Insights)", ruleName: rules.topDeniedSourceIps, width: 6 }),
      ),
    );
  }
  if (options.usagePlans) {
    rows.push(
      new cw.RowWidget(
        new cw.StackedAreaGraphMetricWidget({
          title: "Metered requests by usage key",
          width: 12,
          metrics: (["user", "fixed", "pool"] as const).map((source) => keygate(METRICS.usageKeys, { usage_key_source: source }, source)),
        }),
        new cw.LineGraphMetricWidget({
          title: "Usage key changes and metering errors",
          width: 12,
          metrics: [
            new cw.ExpressionWidgetMetric(`SEARCH('{${METRIC_NAMESPACE},event} MetricName="${METRICS.usageKeyEvents}"', 'Sum', ${PERIOD})`, "key events", "keyEvents"),
            new cw.ExpressionWidgetMetric(`SEARCH('{${METRIC_NAMESPACE},usage_error_code} MetricName="${METRICS.usageErrors}"', 'Sum', ${PERIOD})`, "metering errors", "usageErrors"),
          ],
        }),
      ),
    );
  }
  rows.push(
    new cw.RowWidget(new LogTableWidget({ title: "Decisions by API, REST and HTTP (from the audit log)", query: logQuery(DASHBOARD_QUERIES.decisionsByApi), width: 24 })),
    new cw.RowWidget(
      new cw.LogWidget({ title: "Refusals and errors by reason (from the audit log)", width: 24, height: 6, query: logQuery(DASHBOARD_QUERIES.refusalsByReason) }),
    ),
  );

  return new cw.Dashboard(
    `${name}-dashboard`,
    { name: accountUniqueName(name), region: options.region as pulumi.Output<aws.Region>, start: "-PT6H", periodOverride: "inherit", widgets: rows },
    { parent },
  );
}
