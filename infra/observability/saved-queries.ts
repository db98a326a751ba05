import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { accountUniqueName } from "./account-names";
import { ACCESS_LOG_QUERIES, type AccessLogQueryName } from "./access-log-queries";
import { queryText, SAVED_QUERIES, type SavedQueryName } from "./audit-queries";

/**
 * The saved Logs Insights queries over the audit log group, in the console's query list under a
 * folder `Keygate/<component>-<stack>` (a `/` in a query's name makes a folder).
 */
export function createSavedQueries(name: string, logGroupName: pulumi.Input<string>, parent: pulumi.Resource): Record<SavedQueryName, aws.cloudwatch.QueryDefinition> {
  const folder = `Keygate/${accountUniqueName(name)}`;
  const entries = (Object.keys(SAVED_QUERIES) as SavedQueryName[]).map((query) => [
    query,
    new aws.cloudwatch.QueryDefinition(
      `${name}-query-${query}`,
      { name: `${folder}/${query}`, logGroupNames: [logGroupName], queryString: queryText(SAVED_QUERIES[query]) },
      { parent },
    ),
  ]);
  return Object.fromEntries(entries) as Record<SavedQueryName, aws.cloudwatch.QueryDefinition>;
}

/** The saved queries over the access log group, in the same folder under `access-log/`. */
export function createAccessLogQueries(name: string, logGroupName: pulumi.Input<string>, parent: pulumi.Resource): Record<AccessLogQueryName, aws.cloudwatch.QueryDefinition> {
  const folder = `Keygate/${accountUniqueName(name)}/access-log`;
  const entries = (Object.keys(ACCESS_LOG_QUERIES) as AccessLogQueryName[]).map((query) => [
    query,
    new aws.cloudwatch.QueryDefinition(
      `${name}-query-access-${query}`,
      { name: `${folder}/${query}`, logGroupNames: [logGroupName], queryString: queryText(ACCESS_LOG_QUERIES[query]) },
      { parent },
    ),
  ]);
  return Object.fromEntries(entries) as Record<AccessLogQueryName, aws.cloudwatch.QueryDefinition>;
}
