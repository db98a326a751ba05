/** What `npm start` prints: the start-up banner and one line per request. */
import { relative } from "node:path";
import { DEMO_ROUTES } from "./demo-backend";
import type { KeygateLocal } from "./keygate-local";
import type { RequestLogEntry } from "./local-gateway";

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
  lines.push(`Keygate local gateway on ${local.url}  (API ${local.stage.apiId}, stage ${local.stage.stage}, ${local.stage.region})`);
  lines.push("");
  lines.push(
    `  settings     ${local.settingsSource.kind === "demo" ? "built-in demo settings (no Pulumi.dev.yaml here; KEYGATE_CONFIG=<path to Pulumi.<stack>.yaml> uses a stack's)" : `${show(local.settingsSource.path)} (stack ${local.settingsSource.stack})`}`,
  );
  lines.push(`  authorizer   ${show(local.bundle.module)}${local.bundle.rebuilt && local.bundle.module === local.bundle.path ? " (just rebuilt from lambda/)" : ""}; gateway result cache ${s.authorizerResultTtlSeconds} s`);
  if (local.kinde.mode === "tenant") lines.push(`  kinde        ${local.kinde.domain} (your tenant)`);
  else {
    const keys = local.kinde.keys.kind === "file" ? `keys from ${show(local.kinde.keys.path)} (edits apply without a restart)` : "built-in demo keys (KEYGATE_LOCAL_KEYS=<keys.json> uses your own)";
    lines.push(`  kinde        local emulator on ${local.kinde.url}, ${keys}`);
  }
  lines.push(`  dynamodb     ${local.dynamodb.mode === "embedded" ? "embedded (dynalite)" : "AWS_ENDPOINT_URL_DYNAMODB"} ${local.dynamodb.endpoint}, table ${local.dynamodb.tableName}`);
  const rules = Object.entries(s.routeScopes).map(([route, scopes]) => `${route} needs ${[scopes].flat().join(" + ")}`);
  lines.push(`  route rules  ${rules.length > 0 ? rules.join("; ") : "none (every route is open to every valid key)"}`);
  if (s.requiredScopes.length > 0) lines.push(`  required     ${s.requiredScopes.join(" ")}`);
  const tiers = s.usagePlans ? Object.entries(s.usagePlans.tiers).map(([name, t]) => describeTier(name, t)) : [];
  lines.push(`  usage plans  ${tiers.length > 0 ? tiers.join("; ") : "none configured"}`);
  if (s.usagePlans) {
    const scopes = Object.entries(s.usagePlans.tierScopes).map(([scope, tier]) => `${scope} → ${tier}`);
    const placement = [`default ${s.usagePlans.defaultTier}`, ...scopes, ...(Object.keys(s.usagePlans.users).length > 0 ? [`${Object.keys(s.usagePlans.users).length} fixed user(s)`] : [])];
    lines.push(`               ${placement.join("; ")}; ${s.usagePlans.autoProvision ? "each user gets a key of their own at the first request" : "users without a fixed key share their tier's pool key"}`);
    // As on API Gateway with apiKeySource AUTHORIZER and apiKeyRequired: no key from the authorizer, no entry.
    lines.push("               metered by the authorizer's usageIdentifierKey (429 past rate or quota; no key: 403)");
  }
  lines.push(`  audit log    ${local.auditLogPath ? show(local.auditLogPath) : "off"}${verbose ? " and this console" : " (KEYGATE_VERBOSE=1 also prints the records here)"}`);
  for (const note of local.notes) lines.push(`  note         ${note}`);

  if (local.kinde.mode === "emulator" && local.kinde.keys.kind === "demo") {
    lines.push("");
    lines.push("Demo keys (demo data for this local emulator only):");
    const width = Math.max(...local.kinde.keys.demoKeys.map((key) => key.api_key.length));
    for (const key of local.kinde.keys.demoKeys) lines.push(`  ${key.api_key.padEnd(width)}  ${key.label}`);
    const [alice, bob] = local.kinde.keys.demoKeys;
    lines.push("");
    lines.push("Demo routes:");
    for (const route of DEMO_ROUTES) lines.push(`  ${route}`);
    lines.push("");
    lines.push("Try:");
    lines.push(`  curl -i -H "Authorization: Bearer ${alice!.api_key}" ${local.url}/whoami`);
    lines.push(`  curl -i -H "Authorization: Bearer ${bob!.api_key}" ${local.url}/reports/monthly`);
  } else {
    lines.push("");
    lines.push("Try:");
    lines.push(`  curl -i -H "Authorization: Bearer <your key>" ${local.url}/whoami`);
  }
  lines.push("");
  lines.push("One line per request below: status, route, user, where the verdict came from, latency. Ctrl-C stops.");
  return lines.join("\n");
}

function describeTier(name: string, tier: { throttle?: { rateLimit: number; burstLimit: number }; quota?: { limit: number; period: string } }): string {
  const parts = [];
  if (tier.throttle) parts.push(`${tier.throttle.rateLimit}/s burst ${tier.throttle.burstLimit}`);
  if (tier.quota) parts.push(`${tier.quota.limit}/${tier.quota.period.toLowerCase()}`);
  return `${name} ${parts.length > 0 ? parts.join(", ") : "unlimited"}`;
}
