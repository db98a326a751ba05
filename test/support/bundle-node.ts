/**
 * The Node binary the tests run the authorizer bundle with, in a process of its own as Lambda runs
 * it: KEYGATE_LAMBDA_NODE when set (.ci/run sets it to Node 22 and to Node 24, Lambda's runtimes,
 * from bench/support/lambda-node.ts), else the Node running the tests.
 */
import { execFileSync } from "node:child_process";

export function bundleNode(): string {
  return process.env.KEYGATE_LAMBDA_NODE || process.execPath;
}

/** That binary's version ("v22.23.5"), for test names: a report says which Node ran the bundle. */
export function bundleNodeVersion(): string {
  return bundleNode() === process.execPath ? process.version : execFileSync(bundleNode(), ["--version"], { encoding: "utf8" }).trim();
}
