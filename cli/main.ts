#!/usr/bin/env node
/** The `keygate` executable: the command with this process's streams, folder, environment and clock. */
import { execFile } from "node:child_process";
import { nodeSupportNotice, SDK_NODE_WARNING_DISABLED } from "./node-support";
import { runKeygate } from "./run";

// One line of Keygate's on an old Node instead of the SDK's nine: the SDK reads the variable when the
// command makes its first client, after this.
const notice = nodeSupportNotice(process.version, process.env);
if (notice) process.stderr.write(`${notice}\n`);
process.env[SDK_NODE_WARNING_DISABLED] = "true";

runKeygate(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  cwd: process.cwd(),
  env: process.env,
  wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  pulumi: (args) =>
    new Promise((resolve, reject) => {
      execFile("pulumi", [...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const notInstalled = (error as NodeJS.ErrnoException).code === "ENOENT";
        reject(new Error(notInstalled ? "the pulumi CLI is not on PATH" : stderr.trim() || error.message));
      });
    }),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`keygate: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
