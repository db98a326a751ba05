/** Principals held back from API Gateway after a failed attempt, on a clock the test sets. */
import { describe, expect, it } from "vitest";
import { PenaltyBox } from "../../lambda/usage/penalty-box";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const THIRTY_SECONDS = 30_000;

describe("PenaltyBox", () => {
  it("holds a principal for its duration from the failure, with the failure's reason", () => {
    const box = new PenaltyBox(10, THIRTY_SECONDS);
    box.hold("kp_alice", "provision_throttled: CreateApiKey: 429", T0);
    expect(box.heldFor("kp_alice", T0)).toEqual({ until: T0 + THIRTY_SECONDS, reason: "provision_throttled: CreateApiKey: 429" });
    expect(box.heldFor("kp_alice", T0 + THIRTY_SECONDS - 1)).toEqual({ until: T0 + THIRTY_SECONDS, reason: "provision_throttled: CreateApiKey: 429" });
  });

  it("lets the principal go at `until` exactly, and forgets them then", () => {
    const box = new PenaltyBox(10, THIRTY_SECONDS);
    box.hold("kp_alice", "provision_failed", T0);
    expect(box.heldFor("kp_alice", T0 + THIRTY_SECONDS)).toBeUndefined();
    // Forgotten, not merely out of date: asking with an earlier time finds nothing either.
    expect(box.heldFor("kp_alice", T0)).toBeUndefined();
  });

  it("holds nobody it was not told to, and each principal on their own clock", () => {
    const box = new PenaltyBox(10, THIRTY_SECONDS);
    box.hold("kp_alice", "first", T0);
    box.hold("kp_bob", "second", T0 + 10_000);
    expect(box.heldFor("kp_carol", T0)).toBeUndefined();
    expect(box.heldFor("kp_alice", T0 + 35_000)).toBeUndefined();
    expect(box.heldFor("kp_bob", T0 + 35_000)).toEqual({ until: T0 + 40_000, reason: "second" });
  });

  it("restarts the hold at a second failure, with the newer reason", () => {
    const box = new PenaltyBox(10, THIRTY_SECONDS);
    box.hold("kp_alice", "first", T0);
    box.hold("kp_alice", "second", T0 + 20_000);
    expect(box.heldFor("kp_alice", T0 + 40_000)).toEqual({ until: T0 + 50_000, reason: "second" });
  });

  it("lets a released principal go at once", () => {
    const box = new PenaltyBox(10, THIRTY_SECONDS);
    box.hold("kp_alice", "first", T0);
    box.release("kp_alice");
    box.release("kp_never_held");
    expect(box.heldFor("kp_alice", T0)).toBeUndefined();
  });

  it("keeps at most maxEntries principals, forgetting the least recently checked first", () => {
    const box = new PenaltyBox(2, THIRTY_SECONDS);
    box.hold("kp_alice", "a", T0);
    box.hold("kp_bob", "b", T0);
    box.heldFor("kp_alice", T0);
    box.hold("kp_carol", "c", T0);
    expect(box.heldFor("kp_bob", T0)).toBeUndefined();
    expect(box.heldFor("kp_alice", T0)?.reason).toBe("a");
    expect(box.heldFor("kp_carol", T0)?.reason).toBe("c");
  });
});
