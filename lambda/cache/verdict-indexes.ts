/**
 * The cache table's secondary indexes over verdict items, so that an operator can find every verdict
 * of one Kinde key or one user without scanning the table. Verdict items carry `keyId` and `userId`
 * (positive verdicts only: a refusal names nobody), and only items with the attribute appear in an
 * index, so each index holds one small entry per cached positive verdict. This file must stay free
 * of Pulumi and of any runtime import: the infrastructure code and the `keygate` command load it.
 */
export interface VerdictIndex {
  /** The index name. */
  name: string;
  /** The item attribute the index is keyed by. */
  attribute: "keyId" | "userId";
}

export const VERDICTS_BY_KEY_ID: VerdictIndex = { name: "verdicts-by-key-id", attribute: "keyId" };
export const VERDICTS_BY_USER_ID: VerdictIndex = { name: "verdicts-by-user-id", attribute: "userId" };
export const VERDICT_INDEXES: readonly VerdictIndex[] = [VERDICTS_BY_KEY_ID, VERDICTS_BY_USER_ID];

/** Besides the keys, each index entry holds when the verdict was made: enough to tell when a user or key was last seen. */
export const VERDICT_INDEX_PROJECTED_ATTRIBUTES: readonly string[] = ["verifiedAt"];
