/**
 * package.json's engines.node is the Node versions on which every installed package of the
 * toolchain (vitest's vite, tsx, esbuild, Pulumi...) says it runs: no wider, so `npm ci` warns on
 * a Node that would fail later.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../lambda/package-root";

const root = packageRoot();
// semver comes with @pulumi/pulumi, a dependency of the library; it is taken from there.
const semver = createRequire(createRequire(join(root, "package.json")).resolve("@pulumi/pulumi/package.json"))("semver") as {
  subset(range: string, superset: string): boolean;
  validRange(range: string): string | null;
};

interface LockEntry {
  engines?: { node?: string };
}

describe("engines.node", () => {
  const stated = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;

  it("is a valid range, and the lockfile's root says the same", () => {
    expect(semver.validRange(stated)).not.toBeNull();
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
    expect(lock.packages[""]!.engines?.node).toBe(stated);
  });

  it("is the range docs/deploy.md's Node policy states, and the README's quick start names each of its lower bounds", () => {
    const policy = readFileSync(join(root, "docs", "deploy.md"), "utf8");
    expect(policy.replaceAll("\\|", "|")).toContain(`\`${stated}\``);
    const quickStart = readFileSync(join(root, "README.md"), "utf8").split("\n").find((line) => line.startsWith("Node "));
    for (const [, version] of stated.matchAll(/(?:\^|>=)(\d+\.\d+)\.0/g)) expect(quickStart, version).toContain(`${version!.replace(/\.0$/, "")}+`);
  });

  it("lies within the Node versions every installed package supports", () => {
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
    const installed = Object.entries(lock.packages).filter(([path, entry]) => path !== "" && entry.engines?.node !== undefined && existsSync(join(root, path, "package.json")));
    // vite (through vitest) is the narrowest today: ^20.19.0 || >=22.12.0.
    expect(installed.map(([path]) => path)).toContain("node_modules/vite");
    const narrower = installed.filter(([, entry]) => !semver.subset(stated, entry.engines!.node!)).map(([path, entry]) => `${path}: ${entry.engines!.node}`);
    expect(narrower).toEqual([]);
  });
});
