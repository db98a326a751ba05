#!/usr/bin/env node
/** The `keygate` executable: the command with this process's streams, folder, environment and clock. */
import { execFile } from "node:child_process";
import { runKeygate } from "./run";

runKeygate(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  cwd: process.cwd(),
  env: process.env,
  wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  pulumi: (args) =>
    new Promise((resolve, reject) => {
      execFile("pulumi", [...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => (error ? reject(new Error(stderr.trim() || error.message)) : resolve(stdout)));
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
