import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The README is what a new user reads top to bottom; the deep dives are in docs/. A link that
// leads nowhere, or a README that grows back into a manual, fails here.

const root = resolve(__dirname, "..");
const README_MAX_LINES = 300;

const docsDirectory = join(root, "docs");
const pages = [join(root, "README.md"), ...readdirSync(docsDirectory).filter((name) => name.endsWith(".md")).map((name) => join(docsDirectory, name))];

/** Markdown without its fenced code blocks and inline code, where a `[x](y)` is not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!);
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const match of markdown.replace(/^```[\s\S]*?^```/gm, "").matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = match[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

describe("the documentation", () => {
  it(`keeps README.md to at most ${README_MAX_LINES} lines`, () => {
    const lines = readFileSync(join(root, "README.md"), "utf8").split("\n");
    if (lines.at(-1) === "") lines.pop();
    expect(lines.length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it("has pages to check: the README and the deep dives in docs/", () => {
    expect(pages.length).toBeGreaterThan(1);
  });

  for (const page of pages) {
    const name = relative(root, page);
    it(`${name}: every relative link points at a file of the repository, and every #anchor at a heading`, () => {
      const broken: string[] = [];
      const markdown = readFileSync(page, "utf8");
      for (const target of links(markdown)) {
        if (isExternal(target)) continue;
        const [pathPart, anchor] = target.split("#", 2) as [string, string | undefined];
        const file = pathPart === "" ? page : resolve(dirname(page), decodeURIComponent(pathPart));
        if (relative(root, file).startsWith("..")) {
          broken.push(`${target} (outside the repository)`);
          continue;
        }
        if (!existsSync(file)) {
          broken.push(`${target} (no such file)`);
          continue;
        }
        if (anchor !== undefined && anchor !== "" && file.endsWith(".md") && statSync(file).isFile() && !anchors(readFileSync(file, "utf8")).has(anchor)) {
          broken.push(`${target} (no such heading)`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});
