/**
 * The tags on every API key Keygate creates. `keygate:stack` names one deployment (the value is the
 * authorizer function's name, unique per account and Region); `keygate:created-by` says whether
 * Pulumi (pool keys, fixed users' keys) or the authorizer (users' own keys) made it. The authorizer's
 * role may delete only keys carrying both its stack and `authorizer` (iam-statements.ts), so neither
 * the pool keys nor any other key in the account can be deleted by it.
 */
export const STACK_TAG_KEY = "keygate:stack";
export const CREATED_BY_TAG_KEY = "keygate:created-by";

export type KeyCreator = "pulumi" | "authorizer";

/** The tags for a key of deployment `stack` made by `creator`; none when no stack is named (local use). */
export function keyTags(stack: string | undefined, creator: KeyCreator): Record<string, string> {
  return stack === undefined ? {} : { [STACK_TAG_KEY]: stack, [CREATED_BY_TAG_KEY]: creator };
}
