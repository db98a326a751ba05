import type { BackgroundWork } from "./background-work";
import type { ProvisionedKeyCounter } from "./provisioned-key-counter";
import { ApiCallError, type UsageKeyApi } from "./usage-key-api";
import { describeError, UsageError } from "./usage-error";
import type { UsageEventWriter } from "./usage-events";
import type { UsageTier } from "./usage-plans-config";
import type { UserMapping } from "./user-mapping";
import type { UserMappingStore } from "./user-mapping-store";

export interface KeyProvisionerOptions {
  tiers: Readonly<Record<string, UsageTier>>;
  maxProvisionedKeys: number;
  retiredKeyGraceMs: number;
  store: Pick<UserMappingStore, "get" | "create" | "replaceKey" | "clearRetired">;
  counter: Pick<ProvisionedKeyCounter, "reserve" | "release">;
  api: UsageKeyApi;
  events: UsageEventWriter;
  background: BackgroundWork;
  now?: () => number;
  /** Pauses between attempts to delete a key (DeleteApiKey shares CreateApiKey's 5 calls per second). */
  deleteRetryDelaysMs?: readonly number[];
}

/**
 * Gives principals API Gateway keys of their own, safely under concurrency: containers racing for one
 * principal each create a key, one conditional write decides which key is recorded, and the others
 * delete theirs. A key is deleted only when no mapping can name it, and a key whose fate is unknown is
 * kept and reported (`possible_orphan`) rather than deleted: an orphan costs a slot, a deleted key in
 * use would cost the user a 403.
 */
export class KeyProvisioner {
  private readonly now: () => number;
  private readonly deleteRetryDelaysMs: readonly number[];

  constructor(private readonly options: KeyProvisionerOptions) {
    this.now = options.now ?? Date.now;
    this.deleteRetryDelaysMs = options.deleteRetryDelaysMs ?? [250, 1_000];
  }

  /** The principal's first key, in the tier's plan; or the mapping another container recorded first. */
  async provision(principal: string, tier: string): Promise<UserMapping> {
    const usagePlanId = this.plan(tier).usagePlanId;
    // The caller's miss may be stale (memory, or an eventually consistent read): look again before spending a key.
    const existing = await this.read(principal);
    if (existing) return existing;

    const key = await this.newKeyInPlan(principal, usagePlanId);
    const mine: UserMapping = { principal, apiKeyId: key.id, apiKeyValue: key.value, tier, usagePlanId, fixed: false, updatedAt: this.now() };
    const recorded = await this.record(mine, () => this.options.store.create(mine));
    if (recorded === mine) this.options.events({ event: "key_provisioned", principal, api_key_id: key.id, tier, usage_plan_id: usagePlanId });
    return recorded;
  }

  /**
   * Moves a principal's run-time mapping to `tier`. API Gateway lets a key be in only one plan per
   * stage, and every tier's plan covers the same stages, so the key cannot be added to the new plan
   * before leaving the old one; removing it first would leave the user in no plan (403) for a while,
   * or for good if the second call failed. So the principal gets a new key in the new plan, and the
   * old key stays in its plan, retired, until API Gateway's cached authorizer results naming it have
   * expired (`retiredKeyGraceSeconds`). One tier change per grace period, so a principal holds at most two keys.
   */
  async changeTier(principal: string, current: UserMapping, tier: string): Promise<UserMapping> {
    const usagePlanId = this.plan(tier).usagePlanId;
    let fresh = await this.read(principal);
    if (!fresh) return this.provision(principal, tier);
    // Someone else changed it already, or Pulumi took it over: serve what is recorded.
    if (fresh.fixed || fresh.apiKeyId !== current.apiKeyId || (fresh.tier === tier && fresh.usagePlanId === usagePlanId)) return fresh;
    if (fresh.retired) {
      const due = fresh.retired.at + this.options.retiredKeyGraceMs;
      if (this.now() < due) {
        throw new UsageError(
          "tier_change_deferred",
          `the key replaced at ${iso(fresh.retired.at)} is kept until ${iso(due)}; one tier change per retiredKeyGraceSeconds`,
        );
      }
      fresh = await this.retire(principal, fresh);
    }

    const key = await this.newKeyInPlan(principal, usagePlanId);
    const now = this.now();
    const next: UserMapping = {
      ...fresh,
      apiKeyId: key.id,
      apiKeyValue: key.value,
      tier,
      usagePlanId,
      updatedAt: now,
      retired: { apiKeyId: fresh.apiKeyId, at: now },
    };
    const replaced = fresh;
    const recorded = await this.record(next, () => this.options.store.replaceKey(next, replaced.apiKeyId));
    if (recorded === next) {
      this.options.events({ event: "tier_changed", principal, api_key_id: key.id, tier, usage_plan_id: usagePlanId, detail: `from ${replaced.tier}; key ${replaced.apiKeyId} retires` });
    }
    return recorded;
  }

  /** Deletes the key a tier change replaced, once its grace period is over; returns the mapping without it. */
  async retire(principal: string, mapping: UserMapping): Promise<UserMapping> {
    const { retired, ...rest } = mapping;
    if (!retired) return mapping;
    try {
      await this.deleteKey(retired.apiKeyId);
    } catch (error) {
      throw asUsageError(error, "DeleteApiKey");
    }
    let cleared: boolean;
    try {
      cleared = await this.options.store.clearRetired(principal, retired.apiKeyId);
    } catch (error) {
      throw new UsageError("store_unavailable", `forgetting retired key ${retired.apiKeyId}: ${describeError(error)}`);
    }
    // Two containers may retire the same key; only the one that cleared the item gives the slot back.
    if (cleared) {
      this.options.events({ event: "key_retired", principal, api_key_id: retired.apiKeyId });
      await this.releaseSlot(principal, retired.apiKeyId);
    }
    return rest;
  }

  private plan(tier: string): UsageTier {
    const plan = this.options.tiers[tier];
    if (!plan) throw new UsageError("usage_internal", `"${tier}" is not a configured tier`);
    return plan;
  }

  private async read(principal: string): Promise<UserMapping | undefined> {
    try {
      return await this.options.store.get(principal, { consistent: true });
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError("store_unavailable", `reading the mapping: ${describeError(error)}`);
    }
  }

  /** Reserves a counter slot, creates an enabled key and adds it to the plan; undoes what it can on failure. */
  private async newKeyInPlan(principal: string, usagePlanId: string): Promise<{ id: string; value: string }> {
    const max = this.options.maxProvisionedKeys;
    let reserved: boolean;
    try {
      reserved = await this.options.counter.reserve(max);
    } catch (error) {
      throw new UsageError("store_unavailable", `reserving a key slot: ${describeError(error)}`);
    }
    if (!reserved) throw new UsageError("key_ceiling", `${max} keys are provisioned (maxProvisionedKeys)`);

    let key: { id: string; value: string };
    try {
      key = await this.options.api.createKey(`keygate-${principal}`, `Keygate usage key for ${principal}, created by the authorizer`);
    } catch (error) {
      if (error instanceof ApiCallError && error.applied === "no") {
        await this.releaseSlot(principal);
      } else {
        // A timed-out CreateApiKey may still have created a key, which nothing can name now: keep its slot.
        this.options.events({
          event: "possible_orphan",
          principal,
          usage_plan_id: usagePlanId,
          detail: `CreateApiKey may have created a key named keygate-${principal}: ${describeError(error)}; its counter slot is kept`,
        });
      }
      throw asUsageError(error, "CreateApiKey");
    }

    try {
      await this.options.api.addToPlan(usagePlanId, key.id);
    } catch (error) {
      this.discard(principal, key.id, `CreateUsagePlanKey failed: ${describeError(error)}`);
      throw asUsageError(error, "CreateUsagePlanKey");
    }
    return key;
  }

  /**
   * Makes `mine` the recorded mapping through `write` (a conditional write). When another container's
   * key won, ours is named nowhere and is discarded; the winner's mapping is returned.
   */
  private async record(mine: UserMapping, write: () => Promise<boolean>): Promise<UserMapping> {
    let written: boolean;
    try {
      written = await write();
    } catch (writeError) {
      // A failed call may still have written: look before discarding a key that may be in use.
      let current: UserMapping | undefined;
      try {
        current = await this.options.store.get(mine.principal, { consistent: true });
      } catch {
        this.options.events({
          event: "possible_orphan",
          principal: mine.principal,
          api_key_id: mine.apiKeyId,
          tier: mine.tier,
          usage_plan_id: mine.usagePlanId,
          detail: `recording the mapping failed (${describeError(writeError)}) and could not be checked; the key and its slot are kept`,
        });
        throw new UsageError("store_unavailable", `recording the mapping: ${describeError(writeError)}`);
      }
      if (current?.apiKeyId === mine.apiKeyId) return current;
      this.discard(mine.principal, mine.apiKeyId, `recording the mapping failed: ${describeError(writeError)}`);
      throw new UsageError("store_unavailable", `recording the mapping: ${describeError(writeError)}`);
    }
    if (written) return mine;

    this.discard(mine.principal, mine.apiKeyId, "another container recorded its key first");
    const winner = await this.read(mine.principal);
    if (!winner) throw new UsageError("store_unavailable", "the mapping that won the race is gone");
    return winner;
  }

  /** Deletes a key no mapping names and gives its slot back, in the background; reports what it cannot do. */
  private discard(principal: string, keyId: string, reason: string): void {
    this.options.background.track(
      this.deleteKey(keyId).then(
        async () => {
          this.options.events({ event: "key_discarded", principal, api_key_id: keyId, detail: reason });
          await this.releaseSlot(principal, keyId);
        },
        (error: unknown) => {
          this.options.events({
            event: "possible_orphan",
            principal,
            api_key_id: keyId,
            detail: `${reason}; deleting the key failed: ${describeError(error)}; its counter slot is kept`,
          });
        },
      ),
    );
  }

  private async deleteKey(keyId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.api.deleteKey(keyId);
        return;
      } catch (error) {
        const delay = this.deleteRetryDelaysMs[attempt];
        // Deleting is idempotent (a second delete finds nothing), so anything but a refusal is worth another try.
        if (delay === undefined || (error instanceof ApiCallError && error.kind === "rejected")) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async releaseSlot(principal: string, keyId?: string): Promise<void> {
    try {
      await this.options.counter.release();
    } catch (error) {
      this.options.events({ event: "slot_not_released", principal, ...(keyId ? { api_key_id: keyId } : {}), detail: describeError(error) });
    }
  }
}

function asUsageError(error: unknown, call: string): UsageError {
  if (error instanceof UsageError) return error;
  const throttled = error instanceof ApiCallError && error.kind === "throttled";
  return new UsageError(throttled ? "provision_throttled" : "provision_failed", `${call}: ${describeError(error)}`);
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
