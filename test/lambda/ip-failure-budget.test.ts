import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lambda/config";
import { IpFailureBudget } from "../../lambda/flood/ip-failure-budget";

const hash = (n: number) => createHash("sha256").update(`key-${n}`).digest("hex");

describe("IpFailureBudget", () => {
  it("is exhausted for new keys once an IP has the limit of distinct failed keys in the last minute", () => {
    const budget = new IpFailureBudget({ maxFailedKeysPerMinute: 3 });
    for (const n of [1, 2, 3]) budget.settle("ip-a", hash(n), true, 0);
    expect(budget.exhausted("ip-a", hash(4), 59_999)).toBe(true);
    expect(budget.exhausted("ip-a", hash(1), 59_999)).toBe(false);
    expect(budget.exhausted("ip-b", hash(4), 59_999)).toBe(false);
    expect(budget.exhausted("ip-a", hash(4), 60_000)).toBe(false);
  });

  it("counts held keys until they settle, and forgets those that did not fail", () => {
    const budget = new IpFailureBudget({ maxFailedKeysPerMinute: 2 });
    budget.hold("ip-a", hash(1), 0);
    budget.hold("ip-a", hash(2), 0);
    expect(budget.exhausted("ip-a", hash(3), 120_000)).toBe(true);
    budget.settle("ip-a", hash(1), false, 120_000);
    expect(budget.exhausted("ip-a", hash(3), 120_000)).toBe(false);
  });

  it("keeps a bounded number of IPs, forgetting the least recently seen", () => {
    const budget = new IpFailureBudget({ maxFailedKeysPerMinute: 1, maxTrackedIps: 100 });
    for (let ip = 0; ip < 1_000; ip++) budget.settle(`ip-${ip}`, hash(ip), true, 0);
    expect(budget.exhausted("ip-999", hash(0), 1)).toBe(true);
    expect(budget.exhausted("ip-0", hash(1), 1)).toBe(false);
  });
});

describe("FAILED_KEYS_PER_IP_PER_MINUTE", () => {
  const base = { KINDE_DOMAIN: "https://acme.kinde.com", KINDE_M2M_CLIENT_ID: "client", KINDE_M2M_CLIENT_SECRET: "s3cret-value" };
  const read = (value?: string) => loadConfig(value === undefined ? base : { ...base, FAILED_KEYS_PER_IP_PER_MINUTE: value }).failedKeysPerIpPerMinute;

  it("defaults to 20, takes 0 (off) to 10,000, and refuses anything else", () => {
    expect([read(), read("0"), read("10000")]).toEqual([20, 0, 10_000]);
    for (const bad of ["10001", "-1", "5.5", "many"]) expect(() => read(bad)).toThrow(/^FAILED_KEYS_PER_IP_PER_MINUTE must be a whole number from 0 to 10000/);
  });
});
