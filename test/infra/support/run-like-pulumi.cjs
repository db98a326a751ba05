// Runs this project's Pulumi program the way `pulumi preview` does, minus the engine: it reads
// Pulumi.yaml as the Node.js language host does (main, runtime options), then hands over to
// @pulumi/pulumi's own program runner (cmd/run/run.js), which picks the entry point, registers
// Pulumi's vendored ts-node with the project's tsconfig.json, and requires the program inside a
// Stack. Only the engine is replaced, by mocks that echo inputs. Prints one JSON line at the end.
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const YAML = require("yaml");

const projectDir = path.resolve(__dirname, "../../..");
const project = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"));
const runtimeOptions = (typeof project.runtime === "object" && project.runtime.options) || {};
process.env.PULUMI_NODEJS_TYPESCRIPT = String(runtimeOptions.typescript !== false);
process.chdir(projectDir);

const pulumi = require("@pulumi/pulumi");
// run.js requires its sibling index.js only for an exit code, but index.js starts a real language
// host on load (and exits without --monitor): stand in for it before loading run.js.
const Module = require("node:module");
const hostEntry = require.resolve("@pulumi/pulumi/cmd/run/index.js");
const stub = new Module(hostEntry);
stub.filename = hostEntry;
stub.loaded = true;
stub.exports = { nodeJSProcessExitedAfterLoggingUserActionableMessage: 32 };
require.cache[hostEntry] = stub;
const { run } = require("@pulumi/pulumi/cmd/run/run.js");
const settings = require("@pulumi/pulumi/runtime/settings");

const resources = [];
let loggedError;
pulumi.runtime
  .setMocks(
    {
      newResource({ type, name, inputs }) {
        resources.push({ type, name });
        const physicalName = inputs.name ?? `${name}-0000000`;
        const arn = `arn:aws:mock:eu-west-1:123456789012:${physicalName}`;
        return {
          id: `${name}-id`,
          state: { ...inputs, name: physicalName, arn, invokeArn: `${arn}/invocations`, executionArn: arn, rootResourceId: "root", invokeUrl: `https://mock/${name}` },
        };
      },
      call({ token }) {
        return { partition: "aws", region: "eu-west-1", name: "eu-west-1", accountId: "123456789012", id: token };
      },
    },
    project.name,
    "entry-test",
    false,
  )
  .then(() =>
    // The language host passes `main` from Pulumi.yaml, or "." when there is none.
    run({ _: [project.main ?? "."] }, () => {}, (error) => (loggedError = error), () => false),
  )
  .then(async (outputs) => {
    await settings.waitForRPCs();
    process.stdout.write(`\n${JSON.stringify({ main: project.main ?? null, resources, outputs: Object.keys(outputs ?? {}) })}\n`);
    process.exit(0);
  })
  .catch((error) => {
    process.stdout.write(`\n${JSON.stringify({ error: String((loggedError ?? error)?.message ?? error) })}\n`);
    process.exit(1);
  });
