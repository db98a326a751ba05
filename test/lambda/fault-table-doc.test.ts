/**
 * docs/how-a-request-is-decided.md's failure table and table of Kinde's answers are the tested ones
 * (test/support/fault-table.ts, test/support/kinde-answer-table.ts), row for row.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FAULT_TABLE, faultTableMarkdown } from "../support/fault-table";
import { KINDE_ANSWER_TABLE, kindeAnswerTableMarkdown } from "../support/kinde-answer-table";

const doc = readFileSync(join(__dirname, "..", "..", "docs", "how-a-request-is-decided.md"), "utf8");

/** The table rows under a heading, up to the next heading. */
function documentedRows(heading = "## When something fails"): string[] {
  const start = doc.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
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

describe("the table of Kinde's answers in docs/how-a-request-is-decided.md", () => {
  it("is the table rendered from the rows the Kinde answers suite drives", () => {
    const rows = documentedRows("## What Kinde's answers lead to");
    expect(rows).toHaveLength(Object.keys(KINDE_ANSWER_TABLE).length + 2);
    expect(rows).toEqual(kindeAnswerTableMarkdown());
  });
});
