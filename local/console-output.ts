/** What `npm start` prints: the start-up banner and one line per request. */
import { relative } from "node:path";
import { DEFAULTS } from "../infra/args";
import type { DenyReason } from "../lambda/decision";
import { DEMO_ROUTES, type DemoRoute } from "./demo-backend";
import { demoKeyAccess } from "./demo-key-access";
import type { DemoKey } from "./demo-keys";
import type { KeygateLocal } from "./keygate-local";
import type { RequestLogEntry } from "./local-gateway";
import type { KeygateSettings } from "./stack-config";

/**
 * Lines written in one batch per turn of the event loop. Under load many requests finish in one
 * turn, and a write per line (as `console.log` makes, synchronously, to a terminal or a pipe) cost
 * more than everything else about printing them.
 */
export class LineBatcher {
  private pending: string[] = [];
  private scheduled = false;

  constructor(private readonly write: (text: string) => void) {}

  line(text: string): void {
    this.pending.push(text);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes what is pending now: before anything else is printed, and before the process exits. */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = `${this.pending.join("\n")}\n`;
    this.pending = [];
    this.write(text);
  }
}

/** One line per request: time, status, route, who, where the verdict came from, why, latency. */
export function formatRequestLine(entry: RequestLogEntry, now: Date = new Date()): string {
  const time = now.toISOString().slice(11, 19);
  const who = entry.userId ?? entry.principalId ?? "-";
  const verdict = entry.origin === "authorizer" ? (entry.source ?? "authorizer") : entry.origin;
  const parts = [time, String(entry.status), entry.method, entry.path, `user=${who}`, `verdict=${verdict}`];
  // The reason matters for refusals; for a pass it would only repeat "allowed".
  if (entry.reason && entry.status >= 300) parts.push(`reason=${entry.reason}`);
  if (entry.usageTier) parts.push(`tier=${entry.usageTier}`);
  parts.push(`${entry.latencyMs < 10 ? entry.latencyMs.toFixed(1) : Math.round(entry.latencyMs)}ms`);
  return parts.join(" ");
}

export function formatBanner(local: KeygateLocal, cwd: string, verbose: boolean): string {
  const lines: string[] = [];
  const show = (path: string) => (path.startsWith(cwd) ? relative(cwd, path) || "." : path);
  const s = local.settings;
  const kind = local.apiKind === "http" ? "HTTP API" : "REST API";
  lines.push(`Keygate local gateway on ${local.url}  (${kind} ${local.stage.apiId}, stage ${local.stage.stage}, ${local.stage.region})`);
  lines.push("");
  lines.push(
    `  settings     ${local.settingsSource.kind === "demo" ? "built-in demo settings (no Pulumi.dev.yaml here; KEYGATE_CONFIG=<path to Pulumi.<stack>.yaml> uses a stack's)" : `${show(local.settingsSource.path)} (stack ${local.settingsSource.stack})`}`,
  );
  const perRoute = local.apiKind === "http" && Object.keys(s.routeScopes).length > 0 ? " per key and route (the route key is an identity source)" : "";
  lines.push(`  authorizer   ${show(local.bundle.module)}${local.bundle.rebuilt && local.bundle.module === local.bundle.path ? " (just rebuilt from lambda/)" : ""}; gateway result cache ${s.authorizerResultTtlSeconds} s${perRoute}`);
  if (local.httpApi) lines.push(`  http api     payload 2.0, simple responses; routes ${local.httpApi.routes.join(", ")} (without KEYGATE_LOCAL_API=http: a REST API)`);
  if (local.kinde.mode === "tenant") lines.push(`  kinde        ${local.kinde.domain} (your tenant)`);
  else {
    const keys = local.kinde.keys.kind === "file" ? `keys from ${show(local.kinde.keys.path)} (edits apply without a restart)` : "built-in demo keys (KEYGATE_LOCAL_KEYS=<keys.json> uses your own)";
    lines.push(`  kinde        local emulator on ${local.kinde.url}, ${keys}`);
  }
  lines.push(`  dynamodb     ${local.dynamodb.mode === "embedded" ? "embedded (dynalite)" : "AWS_ENDPOINT_URL_DYNAMODB"} ${local.dynamodb.endpoint}, table ${local.dynamodb.tableName}`);
  lines.push(...settingsLines(s, local.apiKind));
  const tiers = s.usagePlans ? Object.entries(s.usagePlans.tiers).map(([name, t]) => describeTier(name, t)) : [];
  if (local.apiKind === "http") {
    lines.push(`  usage plans  none: HTTP APIs have no usage plans, nothing is metered${s.usagePlans ? " (keygate:usagePlans applies to REST APIs only)" : ""}`);
  } else lines.push(`  usage plans  ${tiers.length > 0 ? tiers.join("; ") : "none configured"}`);
  if (s.usagePlans && local.apiKind === "rest") {
    const scopes = Object.entries(s.usagePlans.tierScopes).map(([scope, tier]) => `${scope} → ${tier}`);
    const placement = [`default ${s.usagePlans.defaultTier}`, ...scopes, ...(Object.keys(s.usagePlans.users).length > 0 ? [`${Object.keys(s.usagePlans.users).length} fixed user(s)`] : [])];
    lines.push(`               ${placement.join("; ")}; ${s.usagePlans.autoProvision ? "each user gets a key of their own at the first request" : "users without a fixed key share their tier's pool key"}`);
    // As on API Gateway with apiKeySource AUTHORIZER and apiKeyRequired: no key from the authorizer, no entry.
    lines.push("               metered by the authorizer's usageIdentifierKey (429 past rate or quota; no key: 403)");
  }
  lines.push(`  audit log    ${local.auditLogPath ? show(local.auditLogPath) : "off"}${verbose ? " and this console" : " (KEYGATE_VERBOSE=1 also prints the records here)"}`);
  for (const note of local.notes) lines.push(`  note         ${note}`);

  if (local.kinde.mode === "emulator" && local.kinde.keys.kind === "demo") lines.push(...demoLines(local, local.kinde.keys.demoKeys));
  else {
    lines.push("");
    lines.push("Try:");
    lines.push(`  curl -i -H "Authorization: Bearer <your key>" ${local.url}/whoami`);
  }
  lines.push("");
  lines.push("One line per request below: status, route, user, where the verdict came from, latency. Ctrl-C stops.");
  return lines.join("\n");
}

/** The authorizer's rules and timings in effect: as the settings give them, else the deployed defaults. */
function settingsLines(s: KeygateSettings, apiKind: KeygateLocal["apiKind"]): string[] {
  const rules = Object.entries(s.routeScopes).map(([route, scopes]) => `${route} needs ${[scopes].flat().join(" + ")}`);
  const timing = <K extends keyof typeof DEFAULTS & keyof KeygateSettings>(name: K) => s[name] ?? DEFAULTS[name];
  return [
    `  route rules  ${rules.length > 0 ? rules.join("; ") : "none (every route is open to every valid key)"}`,
    `  accepts      keys of Kinde API ${s.kindeApiIds.length > 0 ? s.kindeApiIds.join(", ") : "(any API of the business)"}; ${s.allowOrgKeys ? "user and organization keys" : "user keys only (organization keys refused)"}`,
    `  required     ${s.requiredScopes.length > 0 ? `${s.requiredScopes.join(" + ")} on every key` : "no scope"}`,
    `  verdicts     shared cache ${timing("cacheTtlSeconds")} s, refusals ${timing("negativeCacheTtlSeconds")} s, memory ${timing("memoryCacheTtlSeconds")} s; ` +
      `${timing("staleIfErrorSeconds") > 0 ? `stale-if-error ${timing("staleIfErrorSeconds")} s` : "no stale verdicts while Kinde is down"}`,
    `  budgets      Kinde ${timing("verifyTimeoutMs")} ms, DynamoDB ${timing("dynamoDbTimeoutMs")} ms; ${apiKind === "http" ? "REQUEST" : (s.authorizerType ?? DEFAULTS.authorizerType)} authorizer`,
  ];
}

/** The demo keys and routes, each with what the settings in effect let it do, and requests to try. */
function demoLines(local: KeygateLocal, keys: readonly DemoKey[]): string[] {
  const httpApi = local.httpApi;
  const access = demoKeyAccess(keys, DEMO_ROUTES, local.settings, local.stage, httpApi ? (route) => httpApi.routeFor(route.method, route.path)?.routeKey ?? "$default" : undefined);
  const lines = ["", "Demo keys (demo data for this local emulator only):"];
  const width = Math.max(...keys.map((key) => key.api_key.length));
  const nameWidth = Math.max(...keys.map((key) => key.name.length));
  for (const entry of access) {
    const verdict = entry.accepted ? "" : `  -> refused: ${refusal(entry.key, entry.reason, local.settings)}`;
    lines.push(`  ${entry.key.api_key.padEnd(width)}  ${entry.key.name.padEnd(nameWidth)}  ${entry.key.label}${verdict}`);
  }

  const accepted = access.filter((entry) => entry.accepted);
  lines.push("", "Demo routes (and the demo keys these settings let through):");
  const routeWidth = Math.max(...DEMO_ROUTES.map((route) => route.shown.length));
  for (const route of DEMO_ROUTES) {
    const callers = accepted.filter((entry) => entry.routes.some((r) => r.route === route && r.allowed)).map((entry) => entry.key.name);
    lines.push(`  ${route.shown.padEnd(routeWidth)}  ${route.about} (${callers.length > 0 ? callers.join(", ") : "no demo key"})`);
  }
  const catchAll = local.httpApi ? " (route $default: every route rule applies to it)" : "";
  lines.push(`  ${"anything else".padEnd(routeWidth)}  echoed back with the authorizer context${catchAll}`);

  lines.push("", "Try:");
  const pass = accepted.flatMap((entry) => entry.routes.filter((r) => r.allowed).map((r) => ({ key: entry.key, route: r.route })))[0];
  const forbidden = accepted.flatMap((entry) => entry.routes.filter((r) => !r.allowed).map((r) => ({ key: entry.key, route: r.route })))[0];
  if (!pass) {
    lines.push(`  (none of the demo keys passes these settings: KEYGATE_LOCAL_KEYS=<keys.json> gives the emulator keys of your own)`);
    lines.push(`  curl -i -H "Authorization: Bearer <your key>" ${local.url}/whoami`);
    return lines;
  }
  const curl = (key: DemoKey, route: DemoRoute) => `  curl -i ${route.method === "GET" ? "" : `-X ${route.method} `}-H "Authorization: Bearer ${key.api_key}" ${local.url}${route.path}`;
  lines.push(curl(pass.key, pass.route));
  if (forbidden) lines.push(`${curl(forbidden.key, forbidden.route)}    (403: a route rule needs a scope ${forbidden.key.name} lacks)`);
  return lines;
}

function refusal(key: DemoKey, reason: DenyReason, settings: KeygateSettings): string {
  switch (reason) {
    case "missing_scope":
      return `it lacks ${settings.requiredScopes.filter((scope) => !(key.scopes ?? []).includes(scope)).join(" + ")} (required of every key)`;
    case "org_key_not_allowed":
      return "organization keys are off (allowOrgKeys)";
    case "inactive_key":
      return `the key is ${key.status ?? "not active"} in Kinde`;
    case "invalid_key":
      return "Kinde does not know it as a valid key";
    case "wrong_api":
      return `it was issued for another Kinde API (this gateway accepts ${settings.kindeApiIds.join(", ") || "any"})`;
    case "environment_key_not_allowed":
      return "environment keys are never accepted";
    case "key_type_not_allowed":
      return "Kinde gives it no key type Keygate accepts";
  }
}

function describeTier(name: string, tier: { throttle?: { rateLimit: number; burstLimit: number }; quota?: { limit: number; period: string } }): string {
  const parts = [];
  if (tier.throttle) parts.push(`${tier.throttle.rateLimit}/s burst ${tier.throttle.burstLimit}`);
  if (tier.quota) parts.push(`${tier.quota.limit}/${tier.quota.period.toLowerCase()}`);
  return `${name} ${parts.length > 0 ? parts.join(", ") : "unlimited"}`;
}
