import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountUniqueName } from "./account-names";

/** The rules, by what they rank. */
export type ContributorRuleName = "top-users" | "top-denied-fingerprints" | "top-denied-source-ips";

interface RuleShape {
  /** The audit record field that names a contributor. */
  key: string;
  /** Only denials count. */
  deniedOnly: boolean;
}

const RULES: Record<ContributorRuleName, RuleShape> = {
  "top-users": { key: "user_id", deniedOnly: false },
  "top-denied-fingerprints": { key: "key_fingerprint", deniedOnly: true },
  "top-denied-source-ips": { key: "source_ip", deniedOnly: true },
};

/**
 * A rule definition in the CloudWatchLogRule schema
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ContributorInsights-RuleSyntax.html):
 * counts audit records per value of one field, among the records that have it.
 */
export function contributorRuleDefinition(logGroupName: string, shape: RuleShape): string {
  const filters: Record<string, unknown>[] = [{ Match: `$.${shape.key}`, IsPresent: true }];
  if (shape.deniedOnly) filters.push({ Match: "$.decision", In: ["deny"] });
  return JSON.stringify({
    Schema: { Name: "CloudWatchLogRule", Version: 1 },
    LogGroupNames: [logGroupName],
    LogFormat: "JSON",
    Contribution: { Keys: [`$.${shape.key}`], Filters: filters },
    AggregateOn: "Count",
  });
}

/**
 * Contributor Insights rules on the audit log group: the users with the most requests, and the key
 * fingerprints and source IPs with the most denials (who is hammering the gateway with bad keys).
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
