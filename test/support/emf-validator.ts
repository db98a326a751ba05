/**
 * A checker for CloudWatch Embedded Metric Format log lines, written from the published specification
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html)
 * and CloudWatch's metric limits (API_Dimension, API_MetricDatum). It returns every problem it finds,
 * so a test failure says what is wrong rather than only that something is.
 */

/** CloudWatch's units (API_MetricDatum). */
const UNITS = new Set([
  "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
  "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
  "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
]);
const MAX_DIMENSIONS_PER_SET = 30;
const MAX_METRICS_PER_DIRECTIVE = 100;
const MAX_VALUES_PER_METRIC = 100;
// EMF events older than 14 days or more than 2 hours ahead are rejected.
const MAX_PAST_MS = 14 * 24 * 3600_000;
const MAX_FUTURE_MS = 2 * 3600_000;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isName = (value: unknown): value is string => typeof value === "string" && value.length >= 1 && value.length <= 255;
// Dimension values: ASCII without control characters, at least one non-whitespace character, at most 1024.
const isDimensionValue = (value: unknown): boolean => typeof value === "string" && value.length <= 1024 && /^[\x20-\x7e]*$/.test(value) && value.trim() !== "";

/** The problems of one log line as an EMF document; an empty list means it is valid. */
export function emfProblems(line: string, now: number): string[] {
  let root: unknown;
  try {
    root = JSON.parse(line);
  } catch {
    return ["the line is not JSON"];
  }
  if (!isObject(root)) return ["the root is not a JSON object"];
  const meta = root._aws;
  if (!isObject(meta)) return ["_aws is missing or not an object"];
  const problems: string[] = [];
  for (const key of Object.keys(meta)) {
    if (!["Timestamp", "CloudWatchMetrics", "LogGroupName", "LogStreamName"].includes(key)) problems.push(`_aws has an unknown member ${key}`);
  }
  if (typeof meta.Timestamp !== "number" || !Number.isInteger(meta.Timestamp)) problems.push("_aws.Timestamp must be a whole number of epoch milliseconds");
  else if (meta.Timestamp < now - MAX_PAST_MS || meta.Timestamp > now + MAX_FUTURE_MS) problems.push(`_aws.Timestamp ${meta.Timestamp} is outside what CloudWatch accepts`);
  if (!Array.isArray(meta.CloudWatchMetrics)) return [...problems, "_aws.CloudWatchMetrics must be an array"];

  meta.CloudWatchMetrics.forEach((directive: unknown, index) => {
    const at = `CloudWatchMetrics[${index}]`;
    if (!isObject(directive)) return problems.push(`${at} is not an object`);
    for (const key of Object.keys(directive)) if (!["Namespace", "Dimensions", "Metrics"].includes(key)) problems.push(`${at} has an unknown member ${key}`);
    if (!isName(directive.Namespace)) problems.push(`${at}.Namespace must be a string of 1 to 255 characters`);
    if (!Array.isArray(directive.Dimensions)) problems.push(`${at}.Dimensions must be an array of dimension sets`);
    else {
      directive.Dimensions.forEach((set: unknown, setIndex) => {
        if (!Array.isArray(set)) return problems.push(`${at}.Dimensions[${setIndex}] is not an array`);
        if (set.length > MAX_DIMENSIONS_PER_SET) problems.push(`${at}.Dimensions[${setIndex}] has ${set.length} dimensions; at most ${MAX_DIMENSIONS_PER_SET}`);
        for (const key of set) {
          if (!isName(key)) problems.push(`${at}.Dimensions[${setIndex}] holds ${JSON.stringify(key)}, not a dimension name`);
          else if (!(key in root)) problems.push(`dimension ${key} has no member in the root`);
          else if (!isDimensionValue(root[key])) problems.push(`dimension ${key} is ${JSON.stringify(root[key])}: dimension values must be non-empty ASCII strings`);
        }
      });
    }
    if (!Array.isArray(directive.Metrics)) return problems.push(`${at}.Metrics must be an array`);
    if (directive.Metrics.length > MAX_METRICS_PER_DIRECTIVE) problems.push(`${at}.Metrics has ${directive.Metrics.length} metrics; at most ${MAX_METRICS_PER_DIRECTIVE}`);
    directive.Metrics.forEach((metric: unknown, metricIndex) => {
      const where = `${at}.Metrics[${metricIndex}]`;
      if (!isObject(metric)) return problems.push(`${where} is not an object`);
      for (const key of Object.keys(metric)) if (!["Name", "Unit", "StorageResolution"].includes(key)) problems.push(`${where} has an unknown member ${key}`);
      if (metric.Unit !== undefined && !UNITS.has(metric.Unit as string)) problems.push(`${where}.Unit ${JSON.stringify(metric.Unit)} is not a CloudWatch unit`);
      if (metric.StorageResolution !== undefined && metric.StorageResolution !== 1 && metric.StorageResolution !== 60) problems.push(`${where}.StorageResolution must be 1 or 60`);
      if (!isName(metric.Name)) return problems.push(`${where}.Name must be a string of 1 to 255 characters`);
      const value = root[metric.Name];
      const numeric = (v: unknown) => typeof v === "number" && Number.isFinite(v);
      if (!(metric.Name in root)) problems.push(`metric ${metric.Name} has no member in the root`);
      else if (Array.isArray(value) ? value.length === 0 || value.length > MAX_VALUES_PER_METRIC || !value.every(numeric) : !numeric(value)) {
        problems.push(`metric ${metric.Name} is ${JSON.stringify(value)}: a metric's value must be a number or an array of 1 to ${MAX_VALUES_PER_METRIC} numbers`);
      }
    });
    return undefined;
  });
  return problems;
}

/** Every dimension name the line's directives use. */
export function emfDimensionNames(line: string): string[] {
  const root = JSON.parse(line) as { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } };
  return [...new Set(root._aws.CloudWatchMetrics.flatMap((directive) => directive.Dimensions.flat()))];
}

/** The metrics a line publishes: `Name{dim=value,...}` → value, one entry per dimension set. */
export function emfDatapoints(line: string): Record<string, number> {
  const root = JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } };
  const points: Record<string, number> = {};
  for (const directive of root._aws.CloudWatchMetrics) {
    for (const metric of directive.Metrics) {
      for (const set of directive.Dimensions) {
        points[`${metric.Name}{${set.map((key) => `${key}=${String(root[key])}`).join(",")}}`] = root[metric.Name] as number;
      }
    }
  }
  return points;
}
