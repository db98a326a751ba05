/** `keygate keys`: the usage keys Keygate made, one line each (read-only). */
import { parseOptions, TARGET_HELP, TARGET_OPTIONS } from "./arguments";
import type { CommandIo } from "./command-io";
import { requireTable, resolveTarget } from "./target";
import { listKeygateKeys, type KeygateKey } from "./usage-keys";

export const KEYS_HELP = `Usage: keygate keys [--json] [options]

Lists the API Gateway usage keys Keygate made (named keygate-...): the key id, the user it is for,
its tier, who made it (runtime: the authorizer; fixed: Pulumi, for a fixed user; pool: Pulumi, a
tier's shared key), when it was created, when the user was last seen (their newest cached verdict,
so only within the verdicts' lifetime), and its state (current, retired by a tier change, or
orphaned: no mapping names it). Read-only. Key values are never printed.

  --json                  one JSON array instead of a table
${TARGET_HELP}`;

const OPTIONS = { ...TARGET_OPTIONS, json: { type: "boolean" } } as const;

export async function keys(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseOptions(argv, OPTIONS, "keys");
  if (values.help) {
    io.out(KEYS_HELP);
    return 0;
  }
  const target = await resolveTarget(values, io);
  try {
    const listed = await listKeygateKeys(target.apiGateway(), target.dynamodb(), requireTable(target));
    if (values.json) {
      io.out(JSON.stringify(listed.map(({ mapping: _mapping, ...key }) => ({ ...key, createdDate: key.createdDate?.toISOString(), lastSeen: key.lastSeen && new Date(key.lastSeen).toISOString() })), null, 2));
      return 0;
    }
    io.out(formatTable(listed));
    io.out(`${listed.length} key(s); ${listed.filter((key) => key.origin === "runtime").length} created at run time (keygate cleanup deletes those).`);
    return 0;
  } finally {
    target.close();
  }
}

function formatTable(listed: readonly KeygateKey[]): string {
  const rows = [
    ["KEY ID", "USER", "TIER", "ORIGIN", "STATE", "CREATED", "LAST SEEN"],
    ...listed.map((key) => [
      key.id,
      key.principal ?? "-",
      key.tier ?? "-",
      key.origin,
      key.enabled ? key.state : `${key.state} (disabled)`,
      key.createdDate?.toISOString().slice(0, 19).replace("T", " ") ?? "-",
      key.lastSeen ? new Date(key.lastSeen).toISOString().slice(0, 19).replace("T", " ") : "-",
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()).join("\n");
}
