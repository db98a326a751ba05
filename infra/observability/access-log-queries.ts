/**
 * CloudWatch Logs Insights queries over the API Gateway access logs (infra/access-logs.ts names the
 * fields). API Gateway writes `-` for a value it does not have, such as `user_id` on a refused request.
 */

/** The saved queries over the access logs, by the last part of their name. */
export const ACCESS_LOG_QUERIES = {
  // Every request counts here, the ones the gateway's result cache answered included, unlike the audit log.
  "requests-per-user": [
    'filter ispresent(user_id) and user_id != "-"',
    "stats count(*) as requests, count_distinct(key_id) as keys, max(@timestamp) as last_request by user_id",
    "sort requests desc",
    "limit 1000",
  ],
} as const satisfies Record<string, readonly string[]>;

export type AccessLogQueryName = keyof typeof ACCESS_LOG_QUERIES;
