/**
 * The built-in demo: what `npm start` serves when no keys file (`KEYGATE_LOCAL_KEYS`) and no stack
 * file are given. The key values are demo data, safe to print; real keys never are. Keys without
 * `api_ids` are issued for the emulator's own API (LOCAL_KINDE_API_ID), which the demo's
 * KINDE_API_IDS names, so dave's key for another API is refused.
 */
import { LOCAL_KINDE_API_ID, type LocalKey } from "./kinde-emulator";
import { parseStackConfig, type KeygateSettings } from "./stack-config";

export interface DemoKey extends LocalKey {
  /** Who holds it, as the banner names it. */
  name: string;
  /** What the banner says about the key itself; whether the settings accept it is worked out at start-up. */
  label: string;
}

export const DEMO_KEYS: readonly DemoKey[] = [
  {
    name: "alice",
    label: "scopes read:reports write:orders plan:pro",
    api_key: "k_live_demo_alice_5f1c9a7e2b8d4306",
    key_id: "api_key_0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    user_id: "kp_demo_alice",
    org_code: null,
    scopes: ["read:reports", "write:orders", "plan:pro"],
    status: "active",
  },
  {
    name: "bob",
    label: "scope read:profile",
    api_key: "k_live_demo_bob_93d0e6b4a1c7f258",
    key_id: "api_key_1b2c3d4e5f60718293a4b5c6d7e8f90a",
    user_id: "kp_demo_bob",
    org_code: null,
    scopes: ["read:profile"],
    status: "active",
  },
  {
    name: "carol",
    label: "scope read:reports, revoked",
    api_key: "k_live_demo_carol_2e7b5d1f8a4c9360",
    key_id: "api_key_2c3d4e5f60718293a4b5c6d7e8f90a1b",
    user_id: "kp_demo_carol",
    org_code: null,
    scopes: ["read:reports"],
    status: "revoked",
  },
  {
    name: "org_demo",
    label: "an organization's key, scope read:reports",
    api_key: "k_live_demo_org_7a3f9c2e5b1d8046",
    key_id: "api_key_3d4e5f60718293a4b5c6d7e8f90a1b2c",
    user_id: null,
    org_code: "org_demo",
    scopes: ["read:reports"],
    status: "active",
  },
  {
    name: "dave",
    label: "scopes read:reports read:profile, issued for another Kinde API",
    api_key: "k_live_demo_dave_6c2a8e4f1b9d3705",
    key_id: "api_key_4e5f60718293a4b5c6d7e8f90a1b2c3d",
    user_id: "kp_demo_dave",
    org_code: null,
    scopes: ["read:reports", "read:profile"],
    status: "active",
    api_ids: ["api_some_other_product"],
    type: "user",
  },
];

/**
 * The demo's stack settings, read by the same reader as a stack file: the deployed defaults, route
 * rules so that one route shows a 403 for a key without its scope, and two usage tiers: the
 * `plan:pro` scope on alice's key puts her in `pro`, everyone else is `free`, and each user gets an
 * API Gateway key of their own at their first request.
 */
export const DEMO_STACK_CONFIG = {
  "keygate:kindeApiIds": [LOCAL_KINDE_API_ID],
  "keygate:routeScopes": { "GET /reports/*": "read:reports", "POST /orders": "write:orders" },
  "keygate:usagePlans": {
    tiers: {
      free: { throttle: { rateLimit: 5, burstLimit: 10 }, quota: { limit: 1_000, period: "DAY" } },
      pro: { throttle: { rateLimit: 50, burstLimit: 100 }, quota: { limit: 100_000, period: "MONTH" } },
    },
    defaultTier: "free",
    tierScopes: { "plan:pro": "pro" },
    autoProvision: true,
  },
} as const;

export function demoSettings(): KeygateSettings {
  return parseStackConfig({ config: DEMO_STACK_CONFIG }, "the built-in demo settings").settings;
}
