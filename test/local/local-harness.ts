/**
 * Starts Keygate locally the way `npm start` does (startKeygateLocal), in a scratch folder with a
 * stack file and keys file written by the test, and records what it reports.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { LOCAL_KINDE_API_ID, type LocalKey } from "../../local/kinde-emulator";
import { startKeygateLocal, type KeygateLocal, type KeygateLocalOptions } from "../../local/keygate-local";
import type { RequestLogEntry } from "../../local/local-gateway";

export const STUB_AUTHORIZER = join(__dirname, "fixtures", "stub-authorizer.mjs");

export interface HarnessOptions {
  /**
   * The body of a Pulumi.<stack>.yaml; without it the built-in demo settings apply. A stack that names
   * no Kinde API (nor requiredScopes, nor the opt-in) is given the emulator's own, `api_keygate_local`:
   * every stack must say which keys it accepts, and that rule is tested where it is enforced.
   */
  stackYaml?: string;
  /** Keys for the Kinde emulator; without them the built-in demo keys apply. */
  keys?: LocalKey[];
  env?: Record<string, string>;
  authorizerModule?: string;
  authorizerTimeoutMs?: number;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: () => unknown;
}

export interface Harness {
  local: KeygateLocal;
  dir: string;
  requests: RequestLogEntry[];
  audit: Record<string, unknown>[];
  warnings: string[];
  call(path: string, init?: { key?: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<Reply>;
  /** Replaces the keys file the way an editor saves it (write aside, then rename). */
  writeKeys(keys: LocalKey[]): void;
  stop(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "keygate-local-test-"));
  // A clean environment: nothing from the developer's shell (KINDE_*, AWS_*) may change the outcome.
  const env: Record<string, string> = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...options.env };
  if (options.stackYaml !== undefined) {
    writeFileSync(join(dir, "Pulumi.test.yaml"), boundToAnApi(options.stackYaml));
    env.KEYGATE_CONFIG = "Pulumi.test.yaml";
  }
  const keysPath = join(dir, "keys.json");
  const writeKeys = (keys: LocalKey[]) => {
    writeFileSync(`${keysPath}.tmp`, JSON.stringify(keys, null, 2));
    renameSync(`${keysPath}.tmp`, keysPath);
  };
  if (options.keys) {
    writeKeys(options.keys);
    env.KEYGATE_LOCAL_KEYS = "keys.json";
  }
  const requests: RequestLogEntry[] = [];
  const audit: Record<string, unknown>[] = [];
  const warnings: string[] = [];
  const startOptions: KeygateLocalOptions = {
    port: 0,
    cwd: dir,
    env,
    auditLog: join(dir, "audit.log"),
    onAuditRecord: (line) => audit.push(JSON.parse(line) as Record<string, unknown>),
    onRequest: (entry) => requests.push(entry),
    onWarning: (message) => warnings.push(message),
    ...(options.authorizerModule ? { authorizerModule: options.authorizerModule } : {}),
    ...(options.authorizerTimeoutMs ? { authorizerTimeoutMs: options.authorizerTimeoutMs } : {}),
  };
  let local: KeygateLocal;
  try {
    local = await startKeygateLocal(startOptions);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    local,
    dir,
    requests,
    audit,
    warnings,
    async call(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.key !== undefined) headers.Authorization = `Bearer ${init.key}`;
      const response = await fetch(`${local.url}${path}`, { method: init.method ?? "GET", headers, ...(init.body !== undefined ? { body: init.body } : {}) });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as unknown };
    },
    writeKeys,
    async stop() {
      await local.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Calls `probe` until it returns true, with a bound on attempts rather than on time. */
export async function eventually(probe: () => Promise<boolean>, attempts = 200, pauseMs = 100): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error(`condition not met after ${attempts} attempts`);
}

export const ALICE: LocalKey = {
  api_key: "k_live_test_alice_0123456789abcdef",
  key_id: "api_key_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  user_id: "kp_alice",
  org_code: null,
  scopes: ["read:reports", "write:orders"],
  status: "active",
};
export const BOB: LocalKey = {
  api_key: "k_live_test_bob_0123456789abcdef",
  key_id: "api_key_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
  user_id: "kp_bob",
  org_code: null,
  scopes: ["read:profile"],
  status: "active",
};
export const REVOKED: LocalKey = {
  api_key: "k_live_test_revoked_0123456789abcd",
  key_id: "api_key_cccccccccccccccccccccccccccccccc",
  user_id: "kp_carol",
  org_code: null,
  scopes: ["read:reports"],
  status: "revoked",
};
export const INACTIVE: LocalKey = {
  api_key: "k_live_test_inactive_0123456789abc",
  key_id: "api_key_dddddddddddddddddddddddddddddddd",
  user_id: "kp_dave",
  org_code: null,
  scopes: ["read:reports"],
  status: "inactive",
};
export const ORG: LocalKey = {
  api_key: "k_live_test_org_0123456789abcdef",
  key_id: "api_key_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
  user_id: null,
  org_code: "org_acme",
  scopes: ["read:reports"],
  status: "active",
};

export const STACK_YAML = `config:
  aws:region: eu-west-1
  keygate:kindeDomain: https://acme.kinde.com
  keygate:kindeClientId: 0123456789abcdef
  keygate:kindeClientSecret:
    secure: AAABAKm3RBSkZ4nRZ2Qx8R1bR1oq0Vj3bQ==
  keygate:routeScopes:
    GET /reports/*: read:reports
    POST /orders: write:orders
  keygate:authorizerResultTtlSeconds: 300
`;

function boundToAnApi(stackYaml: string): string {
  const document = (parseYaml(stackYaml) ?? {}) as { config?: Record<string, unknown> | null };
  const config = document.config ?? {};
  if (["kindeApiIds", "requiredScopes", "acceptKeysForAnyApi"].some((key) => `keygate:${key}` in config)) return stackYaml;
  return stringifyYaml({ ...document, config: { ...config, "keygate:kindeApiIds": LOCAL_KINDE_API_ID } });
}
