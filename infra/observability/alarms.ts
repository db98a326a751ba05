import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { METRIC_NAMESPACE, METRICS } from "../../lambda/audit/embedded-metrics";

/** The alarms, by what they watch (docs/operations.md says what each means and what to do). */
export type AlarmName = "failing" | "timeouts" | "verification-unavailable" | "denial-spike" | "throttled" | "p99-latency";

export interface AlarmOptions {
  functionName: pulumi.Input<string>;
  /** The function's timeout: an invocation this long was cut off. */
  timeoutSeconds: number;
  unavailablePerFiveMinutes: number;
  denialsPerFiveMinutes: number;
  p99LatencyMs: number;
  /** Notified when an alarm fires and when it recovers. */
  topicArn?: pulumi.Input<string>;
  tags?: Record<string, string>;
}

const FIVE_MINUTES = 300;
/** Share of invocations, percent, that may fail before the failing alarm fires. */
export const FAILING_PERCENT = 1;

/**
 * The alarms on one authorizer, for REST and HTTP APIs alike: they watch the function and the audit
 * records, whichever kind of API sent the request. A REST API's denial is a thrown `Unauthorized`,
 * which Lambda counts in its `Errors` metric (an HTTP API's is an answer, `isAuthorized: false`), so
 * `Errors` cannot tell a failing authorizer from a busy one: the failing alarm
 * compares invocations with the audit records instead. An invocation that wrote no record crashed,
 * timed out or never started (a bad setting stops the container at start-up), and a record with
 * `decision: error` other than `upstream_unavailable` (which has its own alarm) is a failure too.
 */
export function createAlarms(name: string, options: AlarmOptions, parent: pulumi.Resource): Record<AlarmName, aws.cloudwatch.MetricAlarm> {
  // A metric as a math alarm's query names it (`stat`), and as a single-metric alarm does (`statistic`).
  const lambda = (metricName: string, stat: string, period = FIVE_MINUTES) => ({ namespace: "AWS/Lambda", metricName, dimensions: { FunctionName: options.functionName }, period, stat });
  const keygate = (metricName: string, dimensions: Record<string, string>) => ({ namespace: METRIC_NAMESPACE, metricName, dimensions, period: FIVE_MINUTES, stat: "Sum" });
  const single = ({ stat, ...metric }: ReturnType<typeof lambda> | ReturnType<typeof keygate>) => ({ ...metric, statistic: stat });
  const actions = options.topicArn !== undefined ? { alarmActions: [options.topicArn], okActions: [options.topicArn] } : {};
  const alarm = (key: AlarmName, args: Omit<aws.cloudwatch.MetricAlarmArgs, "tags" | "alarmActions" | "okActions">) =>
    new aws.cloudwatch.MetricAlarm(`${name}-alarm-${key}`, { ...args, ...actions, ...(options.tags ? { tags: options.tags } : {}) }, { parent });

  return {
    failing: alarm("failing", {
      alarmDescription: `Keygate ${name}: more than ${FAILING_PERCENT}% of authorizer invocations failed (crashed, timed out, could not start, or answered an internal error) in two of three 5-minute periods. Callers got 503. See docs/operations.md#failing.`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: FAILING_PERCENT,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: "notBreaching",
      metricQueries: [
        { id: "invocations", metric: lambda("Invocations", "Sum"), returnData: false },
        { id: "audited", metric: keygate(METRICS.decisions, {}), returnData: false },
        { id: "errors", metric: keygate(METRICS.decisions, { decision: "error" }), returnData: false },
        { id: "unavailable", metric: keygate(METRICS.decisions, { decision: "error", reason: "upstream_unavailable" }), returnData: false },
        {
          id: "failedPercent",
          // EMF delivers at least once, so a duplicated record can make the difference negative: never below 0.
          expression: "100 * MAX([invocations - FILL(audited, 0) + FILL(errors, 0) - FILL(unavailable, 0), 0 * invocations]) / invocations",
          label: "Failed invocations (%)",
          returnData: true,
        },
      ],
    }),
    timeouts: alarm("timeouts", {
      alarmDescription: `Keygate ${name}: an authorizer invocation ran for 95% or more of its ${options.timeoutSeconds} s timeout: it timed out (its caller got 503) or nearly did. See docs/operations.md#timeouts.`,
      ...single(lambda("Duration", "Maximum", 60)),
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: Math.floor(options.timeoutSeconds * 1000 * 0.95),
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    }),
    "verification-unavailable": alarm("verification-unavailable", {
      alarmDescription: `Keygate ${name}: ${options.unavailablePerFiveMinutes} or more requests in 5 minutes were answered 503 because Kinde could not be asked (upstream_unavailable). See docs/operations.md#verification-unavailable.`,
      ...single(keygate(METRICS.decisions, { decision: "error", reason: "upstream_unavailable" })),
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: options.unavailablePerFiveMinutes,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    }),
    "denial-spike": alarm("denial-spike", {
      alarmDescription: `Keygate ${name}: ${options.denialsPerFiveMinutes} or more requests refused in 5 minutes: someone may be trying keys. See docs/operations.md#denial-spike.`,
      ...single(keygate(METRICS.decisions, { decision: "deny" })),
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: options.denialsPerFiveMinutes,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    }),
    throttled: alarm("throttled", {
      alarmDescription: `Keygate ${name}: Lambda throttled the authorizer (account or reserved concurrency reached). Throttled requests got 503. See docs/operations.md#throttled.`,
      ...single(lambda("Throttles", "Sum")),
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    }),
    "p99-latency": alarm("p99-latency", {
      alarmDescription: `Keygate ${name}: the authorizer's p99 duration stayed above ${options.p99LatencyMs} ms for 15 minutes. See docs/operations.md#p99-latency.`,
      namespace: "AWS/Lambda",
      metricName: "Duration",
      dimensions: { FunctionName: options.functionName },
      period: FIVE_MINUTES,
      extendedStatistic: "p99",
      comparisonOperator: "GreaterThanThreshold",
      threshold: options.p99LatencyMs,
      evaluationPeriods: 3,
      // A handful of requests cannot make a p99: too few samples do not count.
      evaluateLowSampleCountPercentiles: "ignore",
      treatMissingData: "notBreaching",
    }),
  };
}
