import { LruCache } from "../cache/lru-cache";

/** A key from a source IP that has used up its budget of failed keys; answered with 401, without asking Kinde. */
export class IpFailureBudgetExceededError extends Error {
  readonly reason = "ip_failure_budget";

  constructor() {
    super("this source IP sent too many unknown keys in the last minute");
    this.name = "IpFailureBudgetExceededError";
  }
}

export interface IpFailureBudgetOptions {
  /** Distinct failed keys one IP may send per minute before its further unknown keys are refused. */
  maxFailedKeysPerMinute: number;
  /** Bound on the IPs remembered; the least recently seen are forgotten first. */
  maxTrackedIps?: number;
}

/** A key counted against an IP: refused by Kinde at `at`, or still being verified. */
interface CountedKey {
  at: number;
  pending: boolean;
}

const WINDOW_MS = 60_000;
/**
 * Each tracked IP holds at most `maxFailedKeysPerMinute` short key prefixes, so this bounds the
 * memory (about 4,096 × 20 × 100 bytes, some 8 MB at the default budget). An attacker with more
 * addresses than this is beyond what a per-container budget can stop: that is the WAF rule's job.
 */
const DEFAULT_MAX_TRACKED_IPS = 4_096;
/** 64 bits of the key's SHA-256 tell keys apart well enough to count them, in a quarter of the memory. */
const COUNTED_PREFIX = 16;

/**
 * Counts, per source IP, the distinct keys Kinde refused in the last minute, and the keys still
 * being verified (so a burst of concurrent unknown keys cannot all get through before the first
 * refusal comes back). Per container, in memory.
 */
export class IpFailureBudget {
  private readonly ips: LruCache<Map<string, CountedKey>>;
  private readonly limit: number;

  constructor(options: IpFailureBudgetOptions) {
    if (!Number.isInteger(options.maxFailedKeysPerMinute) || options.maxFailedKeysPerMinute < 1) {
      throw new RangeError("maxFailedKeysPerMinute must be a positive integer");
    }
    this.limit = options.maxFailedKeysPerMinute;
    this.ips = new LruCache(options.maxTrackedIps ?? DEFAULT_MAX_TRACKED_IPS);
  }

  /** Whether a new key from this IP must be refused: the IP's budget is used up by other keys. */
  exhausted(ip: string, keyHash: string, now: number): boolean {
    const keys = this.current(ip, now);
    if (!keys || keys.has(keyHash.slice(0, COUNTED_PREFIX))) return false;
    return keys.size >= this.limit;
  }

  /** Counts the key against the IP while Kinde is asked about it. */
  hold(ip: string, keyHash: string, now: number): void {
    this.count(ip, keyHash, { at: now, pending: true });
  }

  /** Settles a held or new key: counted for a minute if it failed, forgotten otherwise. */
  settle(ip: string, keyHash: string, failed: boolean, now: number): void {
    if (failed) {
      this.count(ip, keyHash, { at: now, pending: false });
      return;
    }
    const keys = this.ips.get(ip);
    keys?.delete(keyHash.slice(0, COUNTED_PREFIX));
    if (keys?.size === 0) this.ips.delete(ip);
  }

  private count(ip: string, keyHash: string, counted: CountedKey): void {
    const keys = this.current(ip, counted.at) ?? new Map<string, CountedKey>();
    const id = keyHash.slice(0, COUNTED_PREFIX);
    // Past the budget nothing more needs remembering: the IP is refused until old entries age out.
    if (!keys.has(id) && keys.size >= this.limit) return;
    keys.set(id, counted);
    this.ips.set(ip, keys);
  }

  /** The IP's keys still inside the window, older ones dropped. */
  private current(ip: string, now: number): Map<string, CountedKey> | undefined {
    const keys = this.ips.get(ip);
    if (!keys) return undefined;
    for (const [id, counted] of keys) if (!counted.pending && counted.at <= now - WINDOW_MS) keys.delete(id);
    if (keys.size === 0) {
      this.ips.delete(ip);
      return undefined;
    }
    return keys;
  }
}
