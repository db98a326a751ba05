import { afterEach, describe, expect, it, vi } from "vitest";
import { stdoutAuditWriter, type AuditRecord } from "../../lambda/audit/audit-log";
import { auditMetricsJson, METRIC_NAMESPACE, withMembers } from "../../lambda/audit/embedded-metrics";
import { stdoutUsageEventWriter } from "../../lambda/usage/usage-events";
import { emfDatapoints, emfDimensionNames, emfProblems } from "../support/emf-validator";

const NOW = Date.parse("2026-12-01T10:00:00Z");
/** The low-cardinality fields Keygate allows as dimensions; never ids, fingerprints or addresses. */
const ALLOWED_DIMENSIONS = new Set(["decision", "reason", "verdict_source", "breaker", "usage_key_source", "usage_error_code", "event"]);

function written(write: () => void): string[] {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk).trimEnd());
    return true;
  });
  try {
    write();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

afterEach(() => vi.restoreAllMocks());

/** A record with its metrics, as one line. */
const lineOf = (record: AuditRecord) => withMembers(JSON.stringify(record), auditMetricsJson(record, NOW));

const base: AuditRecord = {
  decision: "allow",
  reason: "allowed",
  user_id: "kp_0a1b2c3d",
  key_id: "api_key_0a1b",
  key_fingerprint: "84bd4d892568",
  source_ip: "203.0.113.9",
  verdict_source: "kinde",
  key_metadata_source: "kinde",
  latency_ms: 104.5,
  cold_start: true,
};

describe("the audit line's embedded metrics", () => {
  it("make every kind of record a valid EMF line, without touching the record's own fields", () => {
    const records: AuditRecord[] = [
      base,
      { ...base, verdict_source: "memory", key_metadata_source: "memory", latency_ms: 0.4, cold_start: false },
      { decision: "deny", reason: "missing_key", latency_ms: 0.1, cold_start: false },
      { decision: "error", reason: "upstream_unavailable", upstream_error: "kinde_timeout: no answer in 2500 ms", breaker: "open", key_fingerprint: "aa", latency_ms: 2500, cold_start: false },
      { ...base, usage_tier: "pro", usage_key_source: "pool", usage_error: "provision_timeout: not done within 1000 ms" },
      { ...base, usage_key_source: "user", usage_key_id: "3f1ge75s9r", breaker: "half_open" },
    ];
    const writer = stdoutAuditWriter("keygate-authorizer", () => NOW);
    for (const record of records) {
      const [line] = written(() => writer(record));
      expect(emfProblems(line!, NOW), line).toEqual([]);
      const parsed = JSON.parse(line!) as Record<string, unknown>;
      expect(parsed).toMatchObject({ ...record, timestamp: new Date(NOW).toISOString(), message: "authorizer decision" });
      for (const name of emfDimensionNames(line!)) expect(ALLOWED_DIMENSIONS, name).toContain(name);
      expect((parsed._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics.every((d) => d.Namespace === METRIC_NAMESPACE)).toBe(true);
    }
  });

  it("count the decision by reason, by decision and in total, and time it", () => {
    const points = emfDatapoints(lineOf(base));
    expect(points).toMatchObject({
      "Decisions{decision=allow,reason=allowed}": 1,
      "Decisions{decision=allow}": 1,
      "Decisions{}": 1,
      "Latency{}": 104.5,
      "Verdicts{verdict_source=kinde}": 1,
      "KindeCalls{}": 1,
      "KindeLatency{}": 104.5,
    });
    expect(Object.keys(points).some((key) => key.startsWith("BreakerNotClosed") || key.startsWith("Usage"))).toBe(false);
  });

  it("count a memory hit without a Kinde call, and an unavailable verification with the breaker's state", () => {
    const memory = emfDatapoints(lineOf({ ...base, verdict_source: "memory", key_metadata_source: "memory" }));
    expect(memory["Verdicts{verdict_source=memory}"]).toBe(1);
    expect(Object.keys(memory).some((key) => key.startsWith("Kinde"))).toBe(false);

    const failed: AuditRecord = { decision: "error", reason: "upstream_unavailable", breaker: "open", latency_ms: 3, cold_start: false };
    const points = emfDatapoints(lineOf(failed));
    expect(points).toMatchObject({ "Decisions{decision=error,reason=upstream_unavailable}": 1, "BreakerNotClosed{breaker=open}": 1 });
    expect(Object.keys(points).some((key) => key.startsWith("Verdicts"))).toBe(false);
  });

  it("count metering by key source, and metering errors by their code only", () => {
    const record: AuditRecord = { ...base, usage_key_source: "pool", usage_error: "provision_throttled: API Gateway answered 429 for kp_0a1b2c3d" };
    const line = lineOf(record);
    expect(emfProblems(line, NOW)).toEqual([]);
    expect(emfDatapoints(line)).toMatchObject({ "UsageKeys{usage_key_source=pool}": 1, "UsageErrors{usage_error_code=provision_throttled}": 1 });
    const odd: AuditRecord = { ...base, usage_error: "Something Else: kp_0a1b2c3d" };
    expect(JSON.parse(lineOf(odd))).toMatchObject({ usage_error_code: "other", usage_error: "Something Else: kp_0a1b2c3d" });
  });

  it("count usage key events by event", () => {
    const [line] = written(() => stdoutUsageEventWriter("keygate-authorizer", () => NOW)({ event: "key_provisioned", principal: "kp_0a1b2c3d", api_key_id: "k1", tier: "free" }));
    expect(emfProblems(line!, NOW)).toEqual([]);
    expect(emfDatapoints(line!)).toEqual({ "UsageKeyEvents{event=key_provisioned}": 1 });
    expect(JSON.parse(line!)).toMatchObject({ message: "usage key event", principal: "kp_0a1b2c3d" });
  });
});

describe("withMembers", () => {
  it("closes an object with more members, empty or not", () => {
    expect(withMembers('{"a":1}', '"b":2')).toBe('{"a":1,"b":2}');
    expect(withMembers("{}", '"b":2')).toBe('{"b":2}');
  });
});

describe("the EMF checker", () => {
  // The checker must be able to fail: each broken line below breaks one rule of the specification.
  const good = () => ({ _aws: { Timestamp: NOW, CloudWatchMetrics: [{ Namespace: "Keygate", Dimensions: [["decision"]], Metrics: [{ Name: "Decisions", Unit: "Count" }] }] }, decision: "deny", Decisions: 1 });
  const problemsOf = (mutate: (doc: ReturnType<typeof good>) => unknown) => {
    const doc = good();
    const result = mutate(doc);
    // A mutation that replaces the whole line returns { raw }; the others change the document in place.
    const raw = typeof result === "object" && result !== null && "raw" in result ? String(result.raw) : JSON.stringify(doc);
    return emfProblems(raw, NOW);
  };

  it("accepts a well-formed line", () => {
    expect(problemsOf(() => undefined)).toEqual([]);
  });

  it.each([
    ["not JSON", () => ({ raw: "decision=deny" }), /not JSON/],
    ["no _aws", (d: Record<string, unknown>) => delete d._aws, /_aws is missing/],
    ["no Timestamp", (d: ReturnType<typeof good>) => delete (d._aws as Partial<typeof d._aws>).Timestamp, /Timestamp/],
    ["a Timestamp in seconds", (d: ReturnType<typeof good>) => (d._aws.Timestamp = Math.floor(NOW / 1000)), /outside/],
    ["a metric without its member", (d: Record<string, unknown>) => delete d.Decisions, /metric Decisions has no member/],
    ["a metric that is a string", (d: Record<string, unknown>) => (d.Decisions = "1"), /must be a number/],
    ["a dimension without its member", (d: Record<string, unknown>) => delete d.decision, /dimension decision has no member/],
    ["a dimension that is a number", (d: Record<string, unknown>) => (d.decision = 3), /must be non-empty ASCII strings/],
    ["an empty dimension value", (d: Record<string, unknown>) => (d.decision = " "), /must be non-empty ASCII strings/],
    ["31 dimensions", (d: ReturnType<typeof good>) => {
      const keys = Array.from({ length: 31 }, (_, i) => `d${i}`);
      for (const key of keys) (d as Record<string, unknown>)[key] = "x";
      d._aws.CloudWatchMetrics[0]!.Dimensions = [keys];
    }, /31 dimensions; at most 30/],
    ["101 metrics", (d: ReturnType<typeof good>) => {
      d._aws.CloudWatchMetrics[0]!.Metrics = Array.from({ length: 101 }, () => ({ Name: "Decisions", Unit: "Count" }));
    }, /101 metrics; at most 100/],
    ["an unknown unit", (d: ReturnType<typeof good>) => (d._aws.CloudWatchMetrics[0]!.Metrics[0]!.Unit = "Requests"), /not a CloudWatch unit/],
    ["no namespace", (d: ReturnType<typeof good>) => ((d._aws.CloudWatchMetrics[0] as { Namespace?: string }).Namespace = undefined), /Namespace/],
  ])("refuses %s", (_name, mutate, message) => {
    const problems = problemsOf(mutate as (doc: ReturnType<typeof good>) => unknown);
    expect(problems.join("; ")).toMatch(message);
  });
});

describe("the key's age in the audit line", () => {
  it("is whole days since Kinde's created_on, including Kinde's hour-only offsets", () => {
    const writer = stdoutAuditWriter("keygate-authorizer", () => Date.parse("2026-12-01T10:00:00Z"));
    const ageOf = (createdOn: string) => (JSON.parse(written(() => writer({ ...base, key_created_on: createdOn }))[0]!) as { key_age_days?: number }).key_age_days;
    expect(ageOf("2026-11-30T10:00:00Z")).toBe(1);
    expect(ageOf("2024-11-18T13:32:03+11")).toBe(743);
    expect(ageOf("2026-12-01T09:00:00+00:00")).toBe(0);
    expect(ageOf("not a date")).toBeUndefined();
    expect(ageOf("2027-01-01T00:00:00Z")).toBeUndefined();
    expect((JSON.parse(written(() => writer(base))[0]!) as Record<string, unknown>).key_age_days).toBeUndefined();
  });
});
