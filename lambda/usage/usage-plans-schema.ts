/**
 * The schema of per-user usage plans, shared by the component (which checks `usagePlans` and creates
 * the plans) and the authorizer (which reads `USAGE_PLANS` at cold start): the options both read
 * are declared once here, with their kinds and defaults, so a value preview accepts never fails a
 * cold start. docs/usage-plans.md explains the design.
 */
import { boolean, integer, type SettingKind } from "../settings/setting-kinds";

/** API Gateway's token bucket: a steady rate and the most requests let through at once. */
export interface UsageThrottle {
  /** Requests per second, 0 or more; fractions are allowed (0.5 = one request every two seconds). */
  rateLimit: number;
  /** Bucket size: whole requests, 0 or more. */
  burstLimit: number;
}

export type UsageQuotaPeriod = "DAY" | "WEEK" | "MONTH";

/** Requests per period, counted per API Gateway key across every stage of the plan. */
export interface UsageQuota {
  /** Whole requests per period, at least 1. */
  limit: number;
  period: UsageQuotaPeriod;
  /** Requests taken off the limit in the first period only (0..limit). Default 0. */
  offset?: number;
}

/** One tier: one usage plan, whose throttle and quota apply to each user's key separately. */
export interface UsageTier {
  /** Per key. Without it, a key is throttled only by the account's and stages' own limits. */
  throttle?: UsageThrottle;
  /** Per key. Without it, requests are counted but not capped. */
  quota?: UsageQuota;
  /**
   * Throttles for single methods, keyed as API Gateway keys them: `/<resource path>/<METHOD>`, e.g.
   * `"/orders/{id}/GET"`; `*` as the path or the method matches every one. Applied on every stage
   * the plan covers.
   */
  methodThrottles?: Record<string, UsageThrottle>;
}

/**
 * Per-user usage plans: each user gets an API Gateway key of their own in the plan of their tier, so
 * the throttle and quota are theirs, not shared. See docs/usage-plans.md.
 */
export interface UsagePlansSettings {
  /** One usage plan per tier, by tier name (1 to 64 letters, digits, `-` or `_`). */
  tiers: Record<string, UsageTier>;
  /** The tier of a user no scope or fixed assignment places elsewhere. Required with several tiers. */
  defaultTier?: string;
  /** A Kinde key scope that places its user in a tier, e.g. `{"plan:pro": "pro"}`; tried in order. */
  tierScopes?: Record<string, string>;
  /**
   * Fixed assignments, user id (`kp_...`, or `org:<org_code>` with `allowOrgKeys`) to tier: Pulumi
   * creates each user's key, adds it to the tier's plan and records it in the cache table.
   */
  users?: Record<string, string>;
  /** Give every other user a key of their own at their first request. Default false: they share their tier's pool key. */
  autoProvision?: boolean;
  /**
   * Most keys the authorizer creates at run time (0..10000). Default 9000. With the pool keys and
   * the fixed users it must stay within API Gateway's 10,000 keys per account and Region.
   */
  maxProvisionedKeys?: number;
  /** Most a request waits for its user's key to be looked up or created, milliseconds (10..10000). Default 1000. */
  provisionTimeoutMs?: number;
  /** After a failed attempt, a user is served the pool key this long before the next one, seconds (1..3600). Default 30. */
  retryAfterSeconds?: number;
  /**
   * How long a tier change's old key stays in its old plan before it is deleted, seconds
   * (0..86400; at least `authorizerResultTtlSeconds`). Default 3600.
   */
  retiredKeyGraceSeconds?: number;
}

/** API Gateway's hard cap on API keys per account and Region, which AWS does not raise. */
export const API_KEYS_PER_ACCOUNT_AND_REGION = 10_000;

interface UsagePlanOption<T> {
  readonly kind: SettingKind<T>;
  readonly default: T;
  readonly doc: string;
}

/** The options of `usagePlans` that the authorizer reads too (`USAGE_PLANS`), by name. */
export const USAGE_PLAN_OPTIONS = {
  autoProvision: { kind: boolean, default: false, doc: "Give every other user a key of their own at their first request; otherwise they share their tier's pool key." },
  maxProvisionedKeys: {
    kind: integer(0, API_KEYS_PER_ACCOUNT_AND_REGION),
    default: 9_000,
    doc: "Most keys the authorizer creates at run time; with the pool keys and fixed users it must stay within 10,000 per account and Region.",
  },
  provisionTimeoutMs: { kind: integer(10, 10_000), default: 1_000, doc: "Most a request waits for its user's key to be looked up or created, milliseconds." },
  retryAfterSeconds: { kind: integer(1, 3_600), default: 30, doc: "After a failed attempt, a user is served the pool key this long before the next one, seconds." },
  retiredKeyGraceSeconds: {
    kind: integer(0, 86_400),
    default: 3_600,
    doc: "How long a tier change's old key stays in its old plan before it is deleted, seconds (at least authorizerResultTtlSeconds).",
  },
} as const satisfies Record<string, UsagePlanOption<boolean> | UsagePlanOption<number>>;

export type UsagePlanOptionName = keyof typeof USAGE_PLAN_OPTIONS;
export type UsagePlanOptions = { [N in UsagePlanOptionName]: (typeof USAGE_PLAN_OPTIONS)[N]["default"] extends boolean ? boolean : number };

/** Reads each option of a `usagePlans` object, its default when unset; `problem` names the option at fault. */
export function readUsagePlanOptions(root: Record<string, unknown>, problem: (option: UsagePlanOptionName, text: string) => never): UsagePlanOptions {
  const read = <N extends UsagePlanOptionName>(name: N): UsagePlanOptions[N] => {
    const option = USAGE_PLAN_OPTIONS[name] as UsagePlanOption<UsagePlanOptions[N]>;
    // A null written in JSON is a mistake to report, not a default.
    return root[name] === undefined ? option.default : option.kind.check(root[name], (text) => problem(name, text));
  };
  return {
    autoProvision: read("autoProvision"),
    maxProvisionedKeys: read("maxProvisionedKeys"),
    provisionTimeoutMs: read("provisionTimeoutMs"),
    retryAfterSeconds: read("retryAfterSeconds"),
    retiredKeyGraceSeconds: read("retiredKeyGraceSeconds"),
  };
}

// Tier names end up in resource names and in lookups by name.
const TIER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
// Names an object lookup would confuse with its prototype's members.
const RESERVED_TIER_NAMES = new Set(["__proto__", "constructor", "prototype"]);

/** What is wrong with a tier name ("is not a tier name: ..."), or undefined when it is a valid one. */
export function tierNameProblem(name: string): string | undefined {
  if (!TIER_NAME.test(name)) return 'is not a tier name: 1 to 64 letters, digits, "-" or "_"';
  if (RESERVED_TIER_NAMES.has(name)) return "is reserved: it cannot name a tier";
  return undefined;
}

/** A Kinde scope that places its key's principal in a tier. */
export const TIER_SCOPE = /^[\x21-\x7e]{1,128}$/;
