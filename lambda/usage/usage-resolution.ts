/** Where the key a request is metered by came from. */
export type UsageKeySource =
  /** A key Pulumi assigned to this principal (a fixed assignment). */
  | "fixed"
  /** The principal's own key, created by the authorizer. */
  | "user"
  /** The tier's shared pool key: the principal has no key of their own (yet). */
  | "pool";

/** What the authorizer returns as `usageIdentifierKey`, and what it audits about it. */
export interface UsageResolution {
  /** The API Gateway key's value: the handle API Gateway meters by. Never logged. */
  key?: string;
  /** The API Gateway key's id (unknown for pool keys). */
  keyId?: string;
  tier?: string;
  source?: UsageKeySource;
  /** Why the principal is not metered under a key of their own, as `<code>: <detail>`. */
  error?: string;
}
