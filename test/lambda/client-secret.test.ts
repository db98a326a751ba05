/** The client secret source with a reader the test controls and a clock moved by hand. */
import { describe, expect, it } from "vitest";
import { clientSecretSource, REREAD_INTERVAL_MS } from "../../lambda/kinde/client-secret";
import { FakeClock } from "../support/fake-clock";

const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keygate-kinde-AbCdEf";

function setup() {
  const clock = new FakeClock();
  const reads: { resolve: (value: string) => void; reject: (error: Error) => void }[] = [];
  const source = clientSecretSource({ clientSecretArn: ARN }, clock.now, () => new Promise<string>((resolve, reject) => reads.push({ resolve, reject })));
  const live = () => new AbortController().signal;
  return { clock, reads, source, live };
}

describe("clientSecretSource", () => {
  it("shares one read among concurrent callers and keeps the secret", async () => {
    const { reads, source, live } = setup();
    const all = Promise.all([source.get(live()), source.get(live()), source.get(live())]);
    reads[0]!.resolve("s1");
    expect(await all).toEqual(["s1", "s1", "s1"]);
    expect(await source.get(live())).toBe("s1");
    expect(reads).toHaveLength(1);
  });

  it("stops waiting when the caller's budget ends, and lets the next caller reuse the read", async () => {
    const { reads, source, live } = setup();
    const budget = new AbortController();
    const waiting = source.get(budget.signal);
    budget.abort(new DOMException("budget", "TimeoutError"));
    await expect(waiting).rejects.toMatchObject({ code: "client_secret_unavailable" });
    const next = source.get(live());
    reads[0]!.resolve("s1");
    expect(await next).toBe("s1");
    expect(reads).toHaveLength(1);
  });

  it("reads again after a failed read", async () => {
    const { reads, source, live } = setup();
    const first = source.get(live());
    reads[0]!.reject(new Error("AccessDenied"));
    await expect(first).rejects.toMatchObject({ code: "client_secret_unavailable", message: expect.stringContaining("AccessDenied") });
    const second = source.get(live());
    reads[1]!.resolve("s1");
    expect(await second).toBe("s1");
  });

  it("says a secret given directly is never read again", () => {
    expect(clientSecretSource({ clientSecret: "s1" }).invalidate()).toBe(false);
  });

  it("re-reads after invalidate, at most once per 30 s, and says when it will", async () => {
    const { clock, reads, source, live } = setup();
    const first = source.get(live());
    reads[0]!.resolve("s1");
    await first;
    clock.advance(REREAD_INTERVAL_MS - 1);
    expect(source.invalidate()).toBe(false);
    expect(await source.get(live())).toBe("s1");
    expect(reads).toHaveLength(1);
    clock.advance(1);
    expect(source.invalidate()).toBe(true);
    expect(source.invalidate()).toBe(true); // still to be read: the answer holds until the read
    const rotated = source.get(live());
    reads[1]!.resolve("s2");
    expect(await rotated).toBe("s2");
    expect(source.invalidate()).toBe(false);
    expect(await source.get(live())).toBe("s2");
    expect(reads).toHaveLength(2);
  });
});
