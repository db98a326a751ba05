import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountUniqueName } from "./account-names";

/** The rules, by what they rank. */
export type ContributorRuleName = "top-users" | "top-apis" | "top-denied-fingerprints" | "top-denied-source-ips";

interface RuleShape {
  /** The audit record fields that name a contributor (Contributor Insights allows up to four). */
  keys: readonly string[];
  /** Only denials count. */
  deniedOnly: boolean;
}

const RULES: Record<ContributorRuleName, RuleShape> = {
  "top-users": { keys: ["user_id"], deniedOnly: false },
  // REST and HTTP API ids never collide (both are execute-api host names); the kind says which is which.
  "top-apis": { keys: ["api_kind", "api_id"], deniedOnly: false },
  "top-denied-fingerprints": { keys: ["key_fingerprint"], deniedOnly: true },
  "top-denied-source-ips": { keys: ["source_ip"], deniedOnly: true },
};

/**
 * A rule definition in the CloudWatchLogRule schema
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ContributorInsights-RuleSyntax.html):
 * counts audit records per value of its fields, among the records that have them all.
 */
export function contributorRuleDefinition(logGroupName: string, shape: RuleShape): string {
  const filters: Record<string, unknown>[] = shape.keys.map((key) => ({ Match: `$.${key}`, IsPresent: true }));
  if (shape.deniedOnly) filters.push({ Match: "$.decision", In: ["deny"] });
  return JSON.stringify({
    Schema: { Name: "CloudWatchLogRule", Version: 1 },
    LogGroupNames: [logGroupName],
    LogFormat: "JSON",
    Contribution: { Keys: shape.keys.map((key) => `$.${key}`), Filters: filters },
    AggregateOn: "Count",
  });
}

/**
 * Contributor Insights rules on the audit log group: the users and the APIs (REST and HTTP) with the
 * most requests, and the key fingerprints and source IPs with the most denials (who is hammering the
 * gateway with bad keys).
 */
export function createContributorRules(
  name: string,
  args: { logGroupName: pulumi.Input<string>; tags?: Record<string, string> },
  parent: pulumi.Resource,
): Record<ContributorRuleName, aws.cloudwatch.ContributorInsightRule> {
  const entries = (Object.keys(RULES) as ContributorRuleName[]).map((rule) => [
    rule,
    new aws.cloudwatch.ContributorInsightRule(
      `${name}-insights-${rule}`,
      {
        ruleName: accountUniqueName(name, rule),
        ruleState: "ENABLED",
        ruleDefinition: pulumi.output(args.logGroupName).apply((group) => contributorRuleDefinition(group, RULES[rule])),
        ...(args.tags ? { tags: args.tags } : {}),
      },
      { parent },
    ),
  ]);
  return Object.fromEntries(entries) as Record<ContributorRuleName, aws.cloudwatch.ContributorInsightRule>;
}
