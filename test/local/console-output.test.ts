import { describe, expect, it } from "vitest";
import { LineBatcher } from "../../local/console-output";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("npm start's request lines", () => {
  it("are written once per turn of the event loop, every line in order", async () => {
    const writes: string[] = [];
    const lines = new LineBatcher((text) => writes.push(text));
    for (let i = 0; i < 50; i++) lines.line(`request ${i}`);
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual([`${Array.from({ length: 50 }, (_, i) => `request ${i}`).join("\n")}\n`]);

    lines.line("request 50");
    await nextTurn();
    await nextTurn();
    expect(writes).toHaveLength(2);
    expect(writes[1]).toBe("request 50\n");
  });

  it("are written at once on flush (before the stop message and the exit), and never twice", async () => {
    const writes: string[] = [];
    const lines = new LineBatcher((text) => writes.push(text));
    lines.line("a");
    lines.line("b");
    lines.flush();
    expect(writes).toEqual(["a\nb\n"]);
    await nextTurn();
    lines.flush();
    expect(writes).toEqual(["a\nb\n"]);
  });
});
