import type { Identity } from "../decision";
import type { VerdictSource } from "../verdict/verdict-resolver";

export type ContextValue = string | number | boolean;
export type AuthorizerContext = Record<string, ContextValue>;

/**
 * What the backend receives as `requestContext.authorizer.*`. API Gateway answers 500 for the
 * whole request if any value is an object or array, and emulators do not: hence the check below.
 */
export function buildAuthorizerContext(identity: Identity, source: VerdictSource): AuthorizerContext {
  const context: AuthorizerContext = {
    scopes: identity.scopes.join(" "),
    verdict_source: source,
  };
  if (identity.userId) context.user_id = identity.userId;
  if (identity.keyId) context.key_id = identity.keyId;
  if (identity.orgCode) context.org_code = identity.orgCode;
  assertScalarContext(context);
  return context;
}

export function assertScalarContext(context: Record<string, unknown>): asserts context is AuthorizerContext {
  for (const [key, value] of Object.entries(context)) {
    const type = typeof value;
    if (type !== "string" && type !== "number" && type !== "boolean") {
      throw new TypeError(`authorizer context value "${key}" is ${value === null ? "null" : type}; only strings, numbers and booleans are allowed`);
    }
  }
}
