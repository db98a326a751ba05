import type { UsageKeyResolver } from "../authorizer";
import { LruCache } from "../cache/lru-cache";
import type { Identity } from "../decision";
import type { BackgroundWork } from "./background-work";
import type { KeyProvisioner } from "./key-provisioner";
import { PenaltyBox } from "./penalty-box";
import { tierForScopes } from "./tier";
import { describeError, UsageError, type UsageErrorCode } from "./usage-error";
import type { UsagePlansConfig } from "./usage-plans-config";
import type { UsageResolution } from "./usage-resolution";
import type { UserMapping } from "./user-mapping";
import type { UserMappingStore } from "./user-mapping-store";

export interface StoredUsageKeyResolverOptions {
  config: UsagePlansConfig;
  /** The cache table's mapping items; without a table every principal gets their tier's pool key. */
  store?: Pick<UserMappingStore, "get">;
  /** Present when `autoProvision` is on. */
  provisioner?: Pick<KeyProvisioner, "provision" | "changeTier" | "retire">;
  memory: { maxEntries: number; ttlMs: number };
  background: BackgroundWork;
  now?: () => number;
}

interface Remembered {
  /** undefined: the principal is known to have no mapping. */
  mapping: UserMapping | undefined;
  until: number;
}

/**
 * Names the API Gateway key a request is metered by: the principal's own key (memory, then the cache
 * table, then provisioned) or, failing that, their tier's pool key. The principal is the Kinde user
 * id, or `org:<org_code>` for organization keys (an organization then shares one key).
 *
 * It never throws and never waits longer than `provisionTimeoutMs`: provisioning that takes longer
 * goes on in the background, and the request is metered under the pool key meanwhile.
 */
export class StoredUsageKeyResolver implements UsageKeyResolver {
  private readonly config: UsagePlansConfig;
  private readonly memory: LruCache<Remembered>;
  private readonly penalties: PenaltyBox;
  private readonly inFlight = new Map<string, Promise<UserMapping>>();
  private readonly retiring = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: StoredUsageKeyResolverOptions) {
    this.config = options.config;
    this.memory = new LruCache(options.memory.maxEntries);
    this.penalties = new PenaltyBox(options.memory.maxEntries, options.config.retryAfterSeconds * 1000);
    this.now = options.now ?? Date.now;
  }

  async resolve(identity: Identity): Promise<UsageResolution> {
    const deadline = performance.now() + this.config.provisionTimeoutMs;
    let wanted = this.config.defaultTier;
    try {
      wanted = tierForScopes(identity.scopes, this.config);
      return await this.resolveFor(identity.principalId, wanted, deadline);
    } catch (error) {
      return this.pool(wanted, new UsageError("usage_internal", describeError(error)));
    }
  }

  /** Waits for background work (provisioning past its budget, discarding, retiring). */
  settled(): Promise<void> {
    return this.options.background.settled();
  }

  private async resolveFor(principal: string, wanted: string, deadline: number): Promise<UsageResolution> {
    let mapping: UserMapping | undefined;
    try {
      mapping = await this.lookUp(principal, deadline);
    } catch (error) {
      return this.pool(wanted, error instanceof UsageError ? error : new UsageError("store_unavailable", describeError(error)));
    }
    if (mapping?.fixed) return served(mapping);
    if (mapping) this.retireWhenDue(mapping);

    const provisioner = this.options.provisioner;
    const target = this.config.tiers[wanted];
    // A plan replaced under the same tier name counts as a move too: the old plan may no longer exist.
    const inPlace = mapping !== undefined && mapping.tier === wanted && mapping.usagePlanId === target?.usagePlanId;
    if (mapping && (inPlace || !provisioner)) return served(mapping);
    if (!provisioner) return this.pool(wanted);

    // Until the principal's key is made or moved, they are metered as before: the pool, or their old key.
    const meanwhile = mapping ? served(mapping) : this.pool(wanted);
    const held = this.penalties.heldFor(principal, this.now());
    if (held) {
      const code: UsageErrorCode = mapping ? "tier_change_deferred" : "provision_backoff";
      return withError(meanwhile, new UsageError(code, `next attempt after ${new Date(held.until).toISOString()}; the last one: ${held.reason}`));
    }

    const outcome = await settleBy(this.provisionOnce(principal, mapping, wanted), deadline);
    if (outcome.status === "fulfilled") return served(outcome.value);
    if (outcome.status === "rejected") return withError(meanwhile, outcome.reason instanceof UsageError ? outcome.reason : new UsageError("provision_failed", describeError(outcome.reason)));
    this.penalties.hold(principal, `provision_timeout: still running after ${this.config.provisionTimeoutMs} ms`, this.now());
    return withError(meanwhile, new UsageError("provision_timeout", `not done within ${this.config.provisionTimeoutMs} ms; it goes on in the background`));
  }

  private async lookUp(principal: string, deadline: number): Promise<UserMapping | undefined> {
    const remembered = this.memory.get(principal);
    if (remembered && this.now() < remembered.until) return remembered.mapping;
    const store = this.options.store;
    if (!store) return undefined;
    try {
      const mapping = await store.get(principal, { timeoutMs: deadline - performance.now() });
      this.remember(principal, mapping);
      return mapping;
    } catch (error) {
      // A mapping read a little while ago is a better answer than the pool key while the table is out of reach.
      if (remembered?.mapping && !(error instanceof UsageError)) return remembered.mapping;
      throw error;
    }
  }

  /** One provisioning (or tier change) per principal per container at a time; later requests join it. */
  private provisionOnce(principal: string, mapping: UserMapping | undefined, wanted: string): Promise<UserMapping> {
    const provisioner = this.options.provisioner;
    if (!provisioner) return Promise.reject(new UsageError("usage_internal", "provisioning is off"));
    let work = this.inFlight.get(principal);
    if (!work) {
      work = (mapping ? provisioner.changeTier(principal, mapping, wanted) : provisioner.provision(principal, wanted))
        .then(
          (result) => {
            this.remember(principal, result);
            this.penalties.release(principal);
            return result;
          },
          (error: unknown) => {
            this.penalties.hold(principal, describeError(error), this.now());
            throw error;
          },
        )
        .finally(() => this.inFlight.delete(principal));
      this.inFlight.set(principal, work);
      this.options.background.track(work);
    }
    return work;
  }

  /** Deletes a tier change's old key once its grace period is over, without holding up the request. */
  private retireWhenDue(mapping: UserMapping): void {
    const provisioner = this.options.provisioner;
    const { principal, retired } = mapping;
    if (!provisioner || !retired || this.now() < retired.at + this.config.retiredKeyGraceSeconds * 1000) return;
    const penaltyKey = `retire#${principal}`;
    if (this.retiring.has(principal) || this.penalties.heldFor(penaltyKey, this.now())) return;
    this.retiring.add(principal);
    this.options.background.track(
      provisioner
        .retire(principal, mapping)
        .then(
          (current) => this.remember(principal, current),
          (error: unknown) => this.penalties.hold(penaltyKey, describeError(error), this.now()),
        )
        .finally(() => this.retiring.delete(principal)),
    );
  }

  private remember(principal: string, mapping: UserMapping | undefined): void {
    if (this.options.memory.ttlMs <= 0) return;
    this.memory.set(principal, { mapping, until: this.now() + this.options.memory.ttlMs });
  }

  private pool(tier: string, error?: UsageError): UsageResolution {
    const poolKey = this.config.tiers[tier]?.poolKey;
    return { ...(poolKey ? { key: poolKey } : {}), tier, source: "pool", ...(error ? { error: error.message } : {}) };
  }
}

function served(mapping: UserMapping): UsageResolution {
  return { key: mapping.apiKeyValue, keyId: mapping.apiKeyId, tier: mapping.tier, source: mapping.fixed ? "fixed" : "user" };
}

function withError(resolution: UsageResolution, error: UsageError): UsageResolution {
  return { ...resolution, error: error.message.slice(0, 300) };
}

type Settled<T> = { status: "fulfilled"; value: T } | { status: "rejected"; reason: unknown } | { status: "timeout" };

/** The work's outcome, or "timeout" at the deadline (the work itself goes on). */
async function settleBy<T>(work: Promise<T>, deadline: number): Promise<Settled<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ status: "timeout" }), Math.max(0, deadline - performance.now()));
  });
  try {
    return await Promise.race([
      work.then(
        (value): Settled<T> => ({ status: "fulfilled", value }),
        (reason: unknown): Settled<T> => ({ status: "rejected", reason }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
