import { beforeAll, describe, expect, it } from "vitest";
import { MOCK_ACCOUNT, MOCK_REGION, mockPulumi, registrationsSettled, valueOf, type MockedProgram, type RecordedResource } from "./support/pulumi-mocks";

// One program, three components: "watched" with everything on and an SNS topic, "plain" with the
// defaults except Contributor Insights, plus access logs, and "quiet" with every part turned off
// (access logs on, but not their saved query).
const TOPIC = `arn:aws:sns:${MOCK_REGION}:${MOCK_ACCOUNT}:keygate-oncall`;
let program: MockedProgram;
let watched: import("../../infra/user-key-authorizer").UserKeyAuthorizer;
let quiet: import("../../infra/user-key-authorizer").UserKeyAuthorizer;

beforeAll(async () => {
  program = await mockPulumi();
  const { UserKeyAuthorizer } = await import("../../infra/user-key-authorizer.js");
  const kinde = { domain: "https://acme.kinde.com", clientId: "m2m-client-id", clientSecret: "not-the-real-secret", apiIds: ["api_0a1b2c"] };
  watched = new UserKeyAuthorizer("watched", {
    kinde,
    apis: [{ restApiId: "a1b2c3d4e5", stageNames: ["prod"] }],
    verifyTimeoutMs: 4_000,
    alarms: { topicArn: TOPIC, unavailablePerFiveMinutes: 25, denialsPerFiveMinutes: 5_000, p99LatencyMs: 800 },
    tags: { team: "platform" },
  });
  new UserKeyAuthorizer("plain", { kinde, apis: [{ restApiId: "f6g7h8i9j0", stageNames: ["prod"] }], contributorInsights: false, accessLogs: { enabled: true, cloudWatchRole: "existing" } });
  quiet = new UserKeyAuthorizer("quiet", {
    kinde,
    apis: [{ restApiId: "k1l2m3n4o5", stageNames: ["prod"] }],
    alarms: { enabled: false, topicArn: TOPIC },
    dashboard: false,
    contributorInsights: false,
    savedQueries: false,
    accessLogs: { enabled: true, cloudWatchRole: "existing" },
  });
  await valueOf(watched.apis);
  await valueOf(watched.dashboardUrl!);
  await registrationsSettled();
});

const ofComponent = (type: string, component: string): RecordedResource[] => program.all(type).filter((resource) => resource.name.startsWith(`${component}-`));
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const DASHBOARD = "aws:cloudwatch/dashboard:Dashboard";
const RULE = "aws:cloudwatch/contributorInsightRule:ContributorInsightRule";
const QUERY = "aws:cloudwatch/queryDefinition:QueryDefinition";
const auditGroup = (component: string) => String(program.one("aws:cloudwatch/logGroup:LogGroup", `${component}-audit`).state.name);
const functionName = (component: string) => String(program.one("aws:lambda/function:Function", `${component}-authorizer`).state.name);

interface MetricQuery {
  id: string;
  expression?: string;
  metric?: { namespace: string; metricName: string; dimensions: Record<string, string>; stat: string; period: number };
  returnData?: boolean;
}

describe("the alarms", () => {
  it("watch the component's function and notify the topic when they fire and when they recover", () => {
    const alarms = ofComponent(ALARM, "watched");
    expect(alarms.map((alarm) => alarm.name).sort()).toEqual(
      ["failing", "timeouts", "verification-unavailable", "denial-spike", "throttled", "p99-latency"].map((key) => `watched-alarm-${key}`).sort(),
    );
    for (const alarm of alarms) {
      expect(alarm.inputs, alarm.name).toMatchObject({ alarmActions: [TOPIC], okActions: [TOPIC], tags: { team: "platform" } });
      expect(String(alarm.inputs.alarmDescription), alarm.name).toContain("docs/operations.md#");
    }
  });

  it("use the thresholds given, and the function's own timeout", () => {
    const alarm = (key: string) => program.one(ALARM, `watched-alarm-${key}`).inputs;
    const fn = functionName("watched");
    expect(alarm("verification-unavailable")).toMatchObject({
      namespace: "Keygate",
      metricName: "Decisions",
      dimensions: { decision: "error", reason: "upstream_unavailable" },
      statistic: "Sum",
      period: 300,
      threshold: 25,
    });
    expect(alarm("denial-spike")).toMatchObject({ namespace: "Keygate", metricName: "Decisions", dimensions: { decision: "deny" }, threshold: 5_000 });
    expect(alarm("p99-latency")).toMatchObject({ namespace: "AWS/Lambda", metricName: "Duration", dimensions: { FunctionName: fn }, extendedStatistic: "p99", threshold: 800 });
    expect(alarm("throttled")).toMatchObject({ namespace: "AWS/Lambda", metricName: "Throttles", dimensions: { FunctionName: fn }, threshold: 1 });
    const timeoutSeconds = program.one("aws:lambda/function:Function", "watched-authorizer").inputs.timeout as number;
    expect(alarm("timeouts")).toMatchObject({ metricName: "Duration", statistic: "Maximum", threshold: Math.floor(timeoutSeconds * 950) });
  });

  it("count as failing the invocations that wrote no audit record and the internal errors, not the refusals", () => {
    const queries = program.one(ALARM, "watched-alarm-failing").inputs.metricQueries as MetricQuery[];
    const byId = Object.fromEntries(queries.map((query) => [query.id, query]));
    expect(byId.invocations!.metric).toMatchObject({ namespace: "AWS/Lambda", metricName: "Invocations", dimensions: { FunctionName: functionName("watched") }, stat: "Sum" });
    expect(byId.audited!.metric).toMatchObject({ namespace: "Keygate", metricName: "Decisions", dimensions: {} });
    expect(byId.errors!.metric!.dimensions).toEqual({ decision: "error" });
    expect(byId.unavailable!.metric!.dimensions).toEqual({ decision: "error", reason: "upstream_unavailable" });
    const returned = queries.filter((query) => query.returnData);
    expect(returned).toHaveLength(1);
    // Every id the expression names is a query of the alarm.
    for (const id of returned[0]!.expression!.match(/[a-z][A-Za-z]*(?=\s*[-+,)]|\s*$)/g) ?? []) expect(Object.keys(byId)).toContain(id);
    expect(returned[0]!.expression).toMatch(/invocations - FILL\(audited, 0\) \+ FILL\(errors, 0\) - FILL\(unavailable, 0\)/);
  });

  it("exist without a topic, with no actions", () => {
    const alarms = ofComponent(ALARM, "plain");
    expect(alarms).toHaveLength(6);
    for (const alarm of alarms) expect(alarm.inputs.alarmActions, alarm.name).toBeUndefined();
  });

  it("can be turned off, topic or not", () => {
    expect(ofComponent(ALARM, "quiet")).toEqual([]);
  });
});

interface WidgetJson {
  type: string;
  width: number;
  properties: Record<string, unknown> & { metrics?: unknown[][]; query?: string; insightRule?: { ruleName: string }; alarms?: string[]; view?: string };
}

describe("the dashboard", () => {
  const body = () => JSON.parse(String(program.one(DASHBOARD, "watched-dashboard").inputs.dashboardBody)) as { widgets: WidgetJson[]; start: string };

  it("is an awsx dashboard named after the component and the stack, whose URL is an output", async () => {
    const dashboard = program.one(DASHBOARD, "watched-dashboard");
    const awsx = await import("@pulumi/awsx");
    expect(watched.observability.dashboard).toBeInstanceOf(awsx.classic.cloudwatch.Dashboard);
    expect(dashboard.inputs.dashboardName).toBe("watched-test");
    expect(await valueOf(watched.dashboardUrl!)).toBe(`https://${MOCK_REGION}.console.aws.amazon.com/cloudwatch/home?region=${MOCK_REGION}#dashboards:name=watched-test`);
    for (const widget of body().widgets) expect(widget.width).toBeLessThanOrEqual(24);
  });

  it("shows the alarms, decisions, verdict sources with their share, Kinde calls and latency, and the function's p50 and p99", () => {
    const widgets = body().widgets;
    const alarmWidget = widgets.find((widget) => widget.type === "alarm")!;
    expect([...alarmWidget.properties.alarms!].sort()).toEqual(ofComponent(ALARM, "watched").map((alarm) => String(alarm.state.arn)).sort());

    const metrics = widgets.flatMap((widget) => widget.properties.metrics ?? []);
    const named = (namespace: string, name: string) => metrics.filter((metric) => metric[0] === namespace && metric[1] === name);
    expect(named("Keygate", "Decisions").map((metric) => metric.slice(2, 4))).toEqual(expect.arrayContaining([["decision", "allow"], ["decision", "deny"], ["decision", "error"]]));
    expect(named("Keygate", "Verdicts").map((metric) => metric[3])).toEqual(expect.arrayContaining(["memory", "dynamodb", "kinde", "stale"]));
    expect(named("Keygate", "KindeCalls")).not.toHaveLength(0);
    expect(named("Keygate", "KindeLatency").map((metric) => (metric.at(-1) as { stat: string }).stat).sort()).toEqual(["p50", "p99"]);
    const duration = named("AWS/Lambda", "Duration");
    expect(duration.map((metric) => (metric.at(-1) as { stat: string }).stat).sort()).toEqual(["p50", "p99"]);
    for (const metric of duration) expect(metric.slice(2, 4)).toEqual(["FunctionName", functionName("watched")]);

    const expressions = metrics.map((metric) => (metric[0] as { expression?: string }).expression).filter((expression): expression is string => typeof expression === "string");
    expect(expressions.filter((expression) => expression.startsWith("100 * FILL("))).toHaveLength(4);
    expect(expressions).toContain(`SEARCH('{Keygate,decision,reason} MetricName="Decisions"', 'Sum', 300)`);
  });

  it("ranks top users, refused fingerprints and source IPs from the audit log, and from the Contributor Insights rules", () => {
    const widgets = body().widgets;
    const tables = widgets.filter((widget) => widget.type === "log" && widget.properties.view === "table");
    expect(tables.map((widget) => widget.properties.title)).toEqual([
      "Top users by requests",
      "Top refused key fingerprints",
      "Top refused source IPs",
      "Decisions by API, REST and HTTP (from the audit log)",
    ]);
    for (const table of tables) expect(table.properties.query).toMatch(new RegExp(`^SOURCE '${auditGroup("watched")}' \\| `));
    expect(tables[1]!.properties.query).toContain('filter decision = "deny" and ispresent(key_fingerprint)');
    expect(tables[3]!.properties.query).toContain("stats count(*) as requests by kind, api_id, stage, decision");

    const rules = widgets.filter((widget) => widget.properties.insightRule !== undefined).map((widget) => widget.properties.insightRule!.ruleName);
    expect(rules).toEqual(["watched-test-top-users", "watched-test-top-apis", "watched-test-top-denied-fingerprints", "watched-test-top-denied-source-ips"]);
  });

  it("leaves out the Contributor Insights widgets without the rules, and is absent when turned off", () => {
    const plain = JSON.parse(String(program.one(DASHBOARD, "plain-dashboard").inputs.dashboardBody)) as { widgets: WidgetJson[] };
    expect(plain.widgets.some((widget) => widget.properties.insightRule !== undefined)).toBe(false);
    expect(ofComponent(DASHBOARD, "quiet")).toEqual([]);
    expect(quiet.dashboardUrl).toBeUndefined();
  });
});

describe("the Contributor Insights rules", () => {
  it("rank users and APIs (REST and HTTP) by requests, and fingerprints and source IPs by denials, on the audit log group only", () => {
    const rules = ofComponent(RULE, "watched");
    expect(rules.map((rule) => rule.inputs.ruleName)).toEqual(["watched-test-top-users", "watched-test-top-apis", "watched-test-top-denied-fingerprints", "watched-test-top-denied-source-ips"]);
    const definitions = rules.map((rule) => JSON.parse(String(rule.inputs.ruleDefinition)) as Record<string, unknown> & { Contribution: { Keys: string[]; Filters: unknown[] } });
    for (const definition of definitions) {
      expect(definition).toMatchObject({ Schema: { Name: "CloudWatchLogRule", Version: 1 }, LogGroupNames: [auditGroup("watched")], LogFormat: "JSON", AggregateOn: "Count" });
    }
    expect(definitions.map((definition) => definition.Contribution.Keys)).toEqual([["$.user_id"], ["$.api_kind", "$.api_id"], ["$.key_fingerprint"], ["$.source_ip"]]);
    expect(definitions[0]!.Contribution.Filters).toEqual([{ Match: "$.user_id", IsPresent: true }]);
    // Every API, of either kind, with all of its records: not only the REST APIs', not only denials.
    expect(definitions[1]!.Contribution.Filters).toEqual([
      { Match: "$.api_kind", IsPresent: true },
      { Match: "$.api_id", IsPresent: true },
    ]);
    expect(definitions[3]!.Contribution.Filters).toEqual([{ Match: "$.source_ip", IsPresent: true }, { Match: "$.decision", In: ["deny"] }]);
    for (const rule of rules) expect(rule.inputs).toMatchObject({ ruleState: "ENABLED", tags: { team: "platform" } });
  });

  it("can be turned off", () => {
    expect(ofComponent(RULE, "plain")).toEqual([]);
    expect(ofComponent(RULE, "quiet")).toEqual([]);
  });
});

describe("the saved queries", () => {
  it("read the audit log group, in a folder of the component", () => {
    const queries = ofComponent(QUERY, "watched");
    expect(queries.map((query) => query.inputs.name)).toEqual(
      ["user-recent-decisions", "denials-by-reason", "decisions-by-api", "key-last-use", "keys-by-last-use", "old-keys-in-use"].map((name) => `Keygate/watched-test/${name}`),
    );
    for (const query of queries) expect(query.inputs.logGroupNames).toEqual([auditGroup("watched")]);
    const text = (name: string) => String(program.one(QUERY, `watched-query-${name}`).inputs.queryString);
    expect(text("user-recent-decisions")).toContain('filter user_id = "REPLACE_WITH_USER_ID"\n| sort @timestamp desc');
    expect(text("denials-by-reason")).toBe('filter decision = "deny"\n| stats count(*) as denials by reason\n| sort denials desc');
    expect(text("user-recent-decisions")).toMatch(/^fields @timestamp, decision, reason, api_kind, api_id, /);
    // Records from before HTTP APIs carry no api_kind: they came from REST APIs.
    expect(text("decisions-by-api")).toBe('fields coalesce(api_kind, "rest") as kind\n| stats count(*) as requests by kind, api_id, stage, decision\n| sort requests desc\n| limit 100');
    expect(text("key-last-use")).toContain("stats max(@timestamp) as last_used");
    expect(text("keys-by-last-use")).toContain("sort last_used asc");
    expect(text("old-keys-in-use")).toContain("key_age_days >= 90");
  });

  it("with access logs, include requests per user over the access log group", () => {
    expect(ofComponent(QUERY, "watched").filter((query) => String(query.inputs.name).includes("/access-log/"))).toEqual([]);
    const access = program.one(QUERY, "plain-query-access-requests-per-user").inputs;
    expect(access.name).toBe("Keygate/plain-test/access-log/requests-per-user");
    expect(access.logGroupNames).toEqual([program.one("aws:cloudwatch/logGroup:LogGroup", "plain-access").state.name]);
    expect(String(access.queryString)).toContain("stats count(*) as requests");
  });

  it("can be turned off", () => {
    expect(ofComponent(QUERY, "quiet")).toEqual([]);
    expect(ofComponent(QUERY, "plain")).toHaveLength(7);
  });
});

describe("the settings", () => {
  const kinde = { domain: "https://acme.kinde.com", clientId: "m2m-client-id", clientSecret: "not-the-real-secret", apiIds: ["api_0a1b2c"] };

  it("refuses a topic that is not a standard SNS topic ARN, naming the argument", async () => {
    const { resolveSettings } = await import("../../infra/validate-args.js");
    for (const topicArn of ["oncall", `${TOPIC}.fifo`, "arn:aws:sqs:eu-west-1:123456789012:queue"]) {
      expect(() => resolveSettings({ kinde, apis: [{ restApiId: "a1b2c3d4e5" }], alarms: { topicArn } }), topicArn).toThrow(/args\.alarms\.topicArn:? must be an SNS topic ARN/);
    }
    expect(() => resolveSettings({ kinde, apis: [{ restApiId: "a1b2c3d4e5" }], alarms: { p99LatencyMs: 5 } })).toThrow(/args\.alarms\.p99LatencyMs/);
  });

  it("checks a topic ARN known only once the program runs when it resolves", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const { resolveSettings } = await import("../../infra/validate-args.js");
    const settings = resolveSettings({ kinde, apis: [{ restApiId: "a1b2c3d4e5" }], alarms: { topicArn: pulumi.output(TOPIC) } });
    expect(await valueOf(pulumi.output(settings.alarmTopicArn!))).toBe(TOPIC);
  });

  it("reads keygate:alarms, keygate:alarmTopicArn and the switches from the stack, named as stack settings", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const { readStackConfig } = await import("../../infra/stack-config.js");
    const values: Record<string, string> = {
      kindeDomain: "https://acme.kinde.com",
      kindeClientId: "client-id",
      kindeClientSecret: "client-secret",
      requiredScopes: "api:access",
      alarms: "false",
      alarmTopicArn: TOPIC,
      alarmDenialsPerFiveMinutes: "250",
      dashboard: "false",
      contributorInsights: "false",
      savedQueries: "false",
    };
    const source = (entries: Record<string, string>) => ({
      get: (key: string) => entries[key],
      getSecret: (key: string) => (entries[key] === undefined ? undefined : pulumi.secret(entries[key]!)),
      names: () => Object.keys(entries),
    });
    const settings = readStackConfig(source(values));
    expect(settings.component).toMatchObject({ alarms: { enabled: false, topicArn: TOPIC, denialsPerFiveMinutes: 250 }, dashboard: false, contributorInsights: false, savedQueries: false });
    expect(() => readStackConfig(source({ ...values, alarmTopicArn: "oncall" }))).toThrow(/keygate:alarmTopicArn:? must be an SNS topic ARN/);
    expect(() => readStackConfig(source({ ...values, alarms: "yes" }))).toThrow(/keygate:alarms:? must be true or false/);
  });
});
