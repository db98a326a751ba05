import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The folder holding Keygate's package.json, whether run from a clone or installed as a dependency. */
export function packageRoot(from: string = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "keygate") return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find Keygate's package.json above ${from}`);
  }
}
