/**
 * API Gateway's authorizer result cache (`authorizerResultTtlInSeconds`). The key is the identity
 * sources' values and nothing else (the local gateway builds it): by default the `Authorization`
 * header alone, so one cached answer serves every route called with that key until it expires. That
 * reuse is what makes a policy naming only `event.methodArn` fail on the second route, and a simple
 * response right for one route wrong on another. With route rules, the route is an identity source
 * too (a REST REQUEST authorizer's resource template and method, an HTTP API's route key), and an
 * answer serves only its own route.
 */

/** A policy result, already checked for shape, and everything API Gateway keeps with it. */
export interface AuthorizerPolicyResult {
  principalId: string;
  policyDocument: unknown;
  context: Record<string, string | number | boolean>;
  usageIdentifierKey?: string;
}

/** An HTTP API's simple response (payload 2.0), already checked for shape; its context may hold any JSON value. */
export interface AuthorizerSimpleResult {
  isAuthorized: boolean;
  context: Record<string, unknown>;
}

/** What is cached: a policy, a simple response, or the authorizer's `Unauthorized` (API Gateway caches that answer too). */
export type CachedAuthorization =
  | { kind: "policy"; result: AuthorizerPolicyResult; audit?: Record<string, unknown> }
  | { kind: "simple"; result: AuthorizerSimpleResult; audit?: Record<string, unknown> }
  | { kind: "unauthorized"; audit?: Record<string, unknown> };

interface Entry {
  value: CachedAuthorization;
  expiresAt: number;
}

export class AuthorizerResultCache {
  private readonly entries = new Map<string, Entry>();

  /**
   * @param ttlSeconds 0 disables caching, as on API Gateway.
   * @param maxEntries bounds memory if a client sprays random keys; the oldest entry goes first.
   */
  constructor(
    readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  get(identity: string): CachedAuthorization | undefined {
    const entry = this.entries.get(identity);
    if (!entry) return undefined;
    if (this.now() >= entry.expiresAt) {
      this.entries.delete(identity);
      return undefined;
    }
    return entry.value;
  }

  set(identity: string, value: CachedAuthorization): void {
    if (!this.enabled) return;
    this.entries.delete(identity);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(identity, { value, expiresAt: this.now() + this.ttlSeconds * 1000 });
  }

  /** Like `FlushStageAuthorizersCache`: every cached answer is dropped. */
  flush(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
