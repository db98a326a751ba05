/** The bounded map behind the verdict memory, the usage-key memory and the penalty box. */
import { describe, expect, it } from "vitest";
import { LruCache } from "../../lambda/cache/lru-cache";

describe("LruCache", () => {
  it.each([0, -1, 1.5, Number.NaN])("refuses %s entries", (maxEntries) => {
    expect(() => new LruCache(maxEntries)).toThrow(RangeError);
  });

  it("returns what was set, and nothing for a key never set or deleted", () => {
    const cache = new LruCache<string>(3);
    cache.set("a", "1");
    cache.set("b", "2");
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual(["1", "2", undefined]);
    cache.delete("a");
    cache.delete("never-set");
    expect(cache.get("a")).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it("keeps falsy values apart from a miss", () => {
    const cache = new LruCache<number | boolean | string>(3);
    cache.set("zero", 0);
    cache.set("false", false);
    cache.set("empty", "");
    expect([cache.get("zero"), cache.get("false"), cache.get("empty")]).toEqual([0, false, ""]);
  });

  it("evicts the least recently set entry once full", () => {
    const cache = new LruCache<number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("c", 3);
    expect(cache.size).toBe(2);
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual([undefined, 2, 3]);
  });

  it("counts a read as a use: the entry read last is kept", () => {
    const cache = new LruCache<number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.get("a");
    cache.set("c", 3);
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual([1, undefined, 3]);
  });

  it("replaces a key's value in place, as its newest use, without growing", () => {
    const cache = new LruCache<number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("a", 10);
    expect(cache.size).toBe(2);
    cache.set("c", 3);
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual([10, undefined, 3]);
  });

  it("holds exactly maxEntries, evicting one entry per new key past that", () => {
    const cache = new LruCache<number>(100);
    for (let i = 0; i < 250; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(100);
    expect(cache.get("k149")).toBeUndefined();
    expect(cache.get("k150")).toBe(150);
    expect(cache.get("k249")).toBe(249);
  });
});
