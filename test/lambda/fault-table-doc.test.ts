/** docs/how-a-request-is-decided.md's failure table is the tested one (test/support/fault-table.ts), row for row. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FAULT_TABLE, faultTableMarkdown } from "../support/fault-table";

const doc = readFileSync(join(__dirname, "..", "..", "docs", "how-a-request-is-decided.md"), "utf8");

/** The table rows under "## When something fails", up to the next heading. */
function documentedRows(): string[] {
  const start = doc.indexOf("## When something fails");
  const section = doc.slice(start, doc.indexOf("\n## ", start + 1));
  return section.split("\n").filter((line) => line.startsWith("|"));
}

/** A row's fault and answer columns. */
const faultAndAnswer = (row: string) => row.split(" | ").slice(0, 2).join(" | ");

describe("the failure table in docs/how-a-request-is-decided.md", () => {
  it("has one row per tested fault", () => {
    expect(documentedRows()).toHaveLength(Object.keys(FAULT_TABLE).length + 2);
  });

  it("gives each fault the caller's answer the fault suite asserts", () => {
    expect(documentedRows().map(faultAndAnswer)).toEqual(faultTableMarkdown().map(faultAndAnswer));
  });

  it("is the table rendered from the fault suite's data, Kinde calls and reasons included", () => {
    expect(documentedRows()).toEqual(faultTableMarkdown());
  });
});
