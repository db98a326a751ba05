import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { keyMetadataOf, LOCAL_KINDE_API_ID } from "../../local/kinde-emulator";
import { FILE_SYSTEM, liveKeysFile, readKeysFile, type KeysFileAccess } from "../../local/keys-file";

const dir = mkdtempSync(join(tmpdir(), "keygate-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("the keys file", () => {
  it("reads Kinde's verify fields plus the raw key, with Kinde's defaults for what is left out", () => {
    const path = file("ok.json", JSON.stringify([{ api_key: "k1", key_id: "api_key_1", user_id: "kp_1", scopes: ["a"] }, { api_key: "k2", key_id: "api_key_2", org_code: "org_x", status: "revoked" }]));
    expect(readKeysFile(path)).toEqual([
      { api_key: "k1", key_id: "api_key_1", user_id: "kp_1", org_code: null, scopes: ["a"], status: "active" },
      { api_key: "k2", key_id: "api_key_2", user_id: null, org_code: "org_x", scopes: [], status: "revoked" },
    ]);
  });

  it("reads the optional metadata api_ids, type and created_on, leaving them out when a file has none", () => {
    const path = file("meta.json", JSON.stringify([
      { api_key: "k1", key_id: "api_key_1", user_id: "kp_1", api_ids: ["api_a", "api_b"], type: "user", created_on: "2025-01-02T03:04:05Z" },
      { api_key: "k2", key_id: "api_key_2", org_code: "org_x", type: "environment" },
    ]));
    expect(readKeysFile(path)).toEqual([
      { api_key: "k1", key_id: "api_key_1", user_id: "kp_1", org_code: null, scopes: [], status: "active", api_ids: ["api_a", "api_b"], type: "user", created_on: "2025-01-02T03:04:05Z" },
      { api_key: "k2", key_id: "api_key_2", user_id: null, org_code: "org_x", scopes: [], status: "active", type: "environment" },
    ]);
  });

  it("serves keys written without metadata as the local API's keys: user keys, or organization keys when they have only an org_code", () => {
    const path = file("old.json", JSON.stringify([
      { api_key: "k1", key_id: "a", user_id: "kp_1" },
      { api_key: "k2", key_id: "b", org_code: "org_x" },
      { api_key: "k3", key_id: "c", user_id: "kp_3", org_code: "org_x" },
    ]));
    expect(readKeysFile(path).map((key) => keyMetadataOf(key))).toEqual([
      { api_ids: [LOCAL_KINDE_API_ID], type: "user", created_on: expect.any(String) },
      { api_ids: [LOCAL_KINDE_API_ID], type: "organization", created_on: expect.any(String) },
      { api_ids: [LOCAL_KINDE_API_ID], type: "user", created_on: expect.any(String) },
    ]);
  });

  it.each([
    ["missing.json", undefined, /no such file/],
    ["badapiids.json", '[{"api_key": "k", "key_id": "x", "api_ids": "api_a"}]', /entry 0: "api_ids" must be an array of Kinde API ids/],
    ["emptyapiid.json", '[{"api_key": "k", "key_id": "x", "api_ids": [""]}]', /entry 0: "api_ids" must be an array/],
    ["badtype.json", '[{"api_key": "k", "key_id": "x", "type": "service"}]', /entry 0: "type" must be "user", "organization" or "environment"/],
    ["badcreated.json", '[{"api_key": "k", "key_id": "x", "created_on": 5}]', /entry 0: "created_on" must be a date-time string/],
    ["notjson.json", "{", /is not JSON/],
    ["object.json", "{}", /must be a JSON array/],
    ["nokey.json", '[{"key_id": "x"}]', /entry 0: "api_key" must be a non-empty string/],
    ["badscopes.json", '[{"api_key": "k", "key_id": "x", "scopes": "a b"}]', /entry 0: "scopes" must be an array of strings/],
    ["baduser.json", '[{"api_key": "k", "key_id": "x", "user_id": 5}]', /"user_id" must be a string or null/],
    ["twice.json", '[{"api_key": "secret-value", "key_id": "x"}, {"api_key": "secret-value", "key_id": "y"}]', /entry 1: the same api_key appears twice/],
  ])("explains what is wrong with %s, naming the variable", (name, text, message) => {
    const path = text === undefined ? join(dir, name) : file(name, text);
    expect(() => readKeysFile(path)).toThrow(message);
    expect(() => readKeysFile(path)).toThrow(/^KEYGATE_LOCAL_KEYS/);
  });

  it("never puts a key value in an error message", () => {
    const path = file("leak.json", '[{"api_key": "k_live_secret_value", "key_id": "x"}, {"api_key": "k_live_secret_value", "key_id": "y"}]');
    expect(() => readKeysFile(path)).toThrow(expect.objectContaining({ message: expect.not.stringContaining("k_live_secret_value") }));
  });

  it("picks up an edit at the next call, keeping the last good keys while the file is broken", () => {
    const path = file("live.json", '[{"api_key": "k1", "key_id": "a"}]');
    const problems: string[] = [];
    const keys = liveKeysFile(path, (p) => problems.push(p));
    expect(keys().map((k) => k.api_key)).toEqual(["k1"]);
    writeFileSync(path, '[{"api_key": "k2", "key_id": "a"}]');
    expect(keys().map((k) => k.api_key)).toEqual(["k2"]);
    writeFileSync(path, "[");
    expect(keys().map((k) => k.api_key)).toEqual(["k2"]);
    expect(keys().map((k) => k.api_key)).toEqual(["k2"]);
    expect(problems).toHaveLength(1);
    writeFileSync(path, '[{"api_key": "k3", "key_id": "a"}]');
    expect(keys().map((k) => k.api_key)).toEqual(["k3"]);
  });

  it("is read again only when the file changed, not at every call", () => {
    const path = file("counted.json", '[{"api_key": "k1", "key_id": "a"}]');
    let reads = 0;
    // The real file system, with reads counted and the file's change time an hour back, outside the window in
    // which a save could leave its metadata unchanged.
    const counted: KeysFileAccess = {
      version: (p) => ({ ...FILE_SYSTEM.version(p), changedAtMs: Date.now() - 3_600_000 }),
      read: (p) => {
        reads += 1;
        return FILE_SYSTEM.read(p);
      },
    };
    const keys = liveKeysFile(path, () => undefined, counted);
    expect(reads).toBe(1);
    for (let i = 0; i < 100; i++) expect(keys().map((k) => k.api_key)).toEqual(["k1"]);
    expect(reads).toBe(1);

    // Longer, so its size differs whatever the clock's granularity.
    writeFileSync(path, '[{"api_key": "k2", "key_id": "a", "scopes": ["read:profile"]}]');
    expect(keys().map((k) => [k.api_key, k.scopes])).toEqual([["k2", ["read:profile"]]]);
    expect(keys().map((k) => k.api_key)).toEqual(["k2"]);
    expect(reads).toBe(2);
  });

  it("keeps reading a file that changed within the last second, so a save in the same clock tick is not missed", () => {
    const path = file("racy.json", '[{"api_key": "k1", "key_id": "a"}]');
    let reads = 0;
    const changedAtMs = 1_000_000;
    let clock = changedAtMs;
    const files: KeysFileAccess = {
      // The metadata never changes, as when two saves of the same size land in one tick.
      version: () => ({ id: "same", changedAtMs }),
      read: (p) => {
        reads += 1;
        return FILE_SYSTEM.read(p);
      },
    };
    const keys = liveKeysFile(path, () => undefined, files, () => clock);
    writeFileSync(path, '[{"api_key": "k2", "key_id": "a"}]');
    clock += 10;
    expect(keys().map((k) => k.api_key)).toEqual(["k2"]);
    expect(reads).toBe(2);
    clock += 5_000;
    keys();
    keys();
    keys();
    expect(reads).toBe(3);
  });

  it("reports a broken file once and reads it again only when it changes", () => {
    const path = file("broken.json", '[{"api_key": "k1", "key_id": "a"}]');
    let reads = 0;
    const counted: KeysFileAccess = {
      version: (p) => ({ ...FILE_SYSTEM.version(p), changedAtMs: 0 }),
      read: (p) => {
        reads += 1;
        return FILE_SYSTEM.read(p);
      },
    };
    const problems: string[] = [];
    const keys = liveKeysFile(path, (p) => problems.push(p), counted);
    writeFileSync(path, "[ not json");
    expect(keys().map((k) => k.api_key)).toEqual(["k1"]);
    expect(keys().map((k) => k.api_key)).toEqual(["k1"]);
    expect(reads).toBe(2);
    expect(problems).toHaveLength(1);
    rmSync(path);
    expect(keys().map((k) => k.api_key)).toEqual(["k1"]);
    expect(problems[1]).toMatch(/no such file; still using the keys read before/);
  });

  it("must be readable at start", () => {
    expect(() => liveKeysFile(join(dir, "nope.json"))).toThrow(/KEYGATE_LOCAL_KEYS .*no such file/);
  });
});
