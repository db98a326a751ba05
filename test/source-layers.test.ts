/**
 * The source folders are layers, each importing only from the ones below it: lambda/ (the
 * authorizer and its build) at the bottom, then infra/ (the Pulumi component), cli/ (the `keygate`
 * command), local/ (`npm start`). An arrow back up would drag a higher layer into the authorizer's
 * bundle or into the package's library. Inside cli/, the subcommands and the dispatcher must not
 * import each other in a loop. The graph is read from the sources themselves with TypeScript's own
 * import scanner (static imports, re-exports, `import()` and `require()`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = resolve(__dirname, "..");
/** Lowest first: a folder may import from itself and from those before it. */
const LAYERS = ["lambda", "infra", "cli", "local"] as const;

function sourceFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts"))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

/** The repository files `file` imports (relative specifiers only; packages are not layers). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => resolveSource(resolve(root, dirname(file), specifier)) ?? relative(root, resolve(root, dirname(file), specifier)));
}

function resolveSource(base: string): string | undefined {
  const candidates = [base, `${base}.ts`, `${base}.mts`, base.replace(/\.js$/, ".ts"), join(base, "index.ts")];
  const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  return found === undefined ? undefined : relative(root, found);
}

const folderOf = (file: string) => file.split("/")[0]!;

/** The import graph among `files`: each file with the files of the set it imports. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const inside = new Set(files);
  return new Map(files.map((file) => [file, importsOf(file).filter((target) => inside.has(target))]));
}

/** The loops of a graph: each strongly connected component of two or more files, or a file importing itself (Tarjan). */
function importLoops(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const loops: string[][] = [];
  let counter = 0;
  const visit = (file: string) => {
    index.set(file, counter);
    low.set(file, counter++);
    stack.push(file);
    for (const target of edges.get(file)!) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (stack.includes(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || edges.get(file)!.includes(file)) loops.push(component.sort());
    }
  };
  for (const file of edges.keys()) if (!index.has(file)) visit(file);
  return loops;
}

describe("the source layers", () => {
  for (const [level, folder] of LAYERS.entries()) {
    const allowed = new Set<string>(LAYERS.slice(0, level + 1));
    it(`${folder}/ imports from ${[...allowed].map((name) => `${name}/`).join(", ")} only`, () => {
      const files = sourceFiles(folder);
      expect(files.length).toBeGreaterThan(0);
      const upward = files.flatMap((file) => importsOf(file).filter((target) => !allowed.has(folderOf(target))).map((target) => `${file} -> ${target}`));
      expect(upward).toEqual([]);
    });
  }

  it("cli/ has no import loop: the subcommands share their types through a module of their own, not through the dispatcher", () => {
    expect(importLoops(importGraph(sourceFiles("cli")))).toEqual([]);
  });

  it("reads the arrows it judges: the files lambda/bundle.ts and cli/run.ts import, by their repository paths", () => {
    expect(importsOf("lambda/bundle.ts")).toEqual(expect.arrayContaining(["lambda/authorizer-bundle-file.ts", "lambda/package-root.ts"]));
    expect(importsOf("cli/run.ts")).toEqual(expect.arrayContaining(["cli/check.ts", "cli/command-io.ts"]));
  });

  it("finds a loop where there is one, and only there", () => {
    const graph = new Map([
      ["cli/run.ts", ["cli/check.ts", "cli/command-io.ts"]],
      ["cli/check.ts", ["cli/target.ts", "cli/command-io.ts"]],
      ["cli/target.ts", ["cli/run.ts"]],
      ["cli/command-io.ts", []],
      ["cli/main.ts", ["cli/run.ts"]],
    ]);
    expect(importLoops(graph)).toEqual([["cli/check.ts", "cli/run.ts", "cli/target.ts"]]);
    graph.set("cli/target.ts", ["cli/command-io.ts"]);
    expect(importLoops(graph)).toEqual([]);
  });
});
