// Runs a compiled Pulumi program (argv[2]) under Pulumi mocks, with the @pulumi/pulumi the program
// itself resolves: copied into the program's folder, so every require below resolves there, as
// the program's own would. Prints one JSON line: the resources registered and the Lambda code.
"use strict";
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const settings = require("@pulumi/pulumi/runtime/settings");

const resources = [];
pulumi.runtime
  .setMocks(
    {
      newResource({ type, name, inputs }) {
        resources.push({ type, name, inputs });
        const physicalName = inputs.name ?? `${name}-0000000`;
        const arn = `arn:aws:mock:eu-west-1:123456789012:${physicalName}`;
        return { id: `${name}-id`, state: { ...inputs, name: physicalName, arn, invokeArn: `${arn}/invocations`, executionArn: arn } };
      },
      call() {
        return { partition: "aws", region: "eu-west-1", name: "eu-west-1", accountId: "123456789012" };
      },
    },
    "consumer",
    "test",
    false,
  )
  .then(async () => {
    require(path.resolve(process.argv[2]));
    await settings.waitForRPCs();
    const fn = resources.find((resource) => resource.type === "aws:lambda/function:Function");
    const assets = fn ? await fn.inputs.code.assets : {};
    const code = Object.fromEntries(await Promise.all(Object.entries(assets).map(async ([file, asset]) => [file, await asset.path])));
    process.stdout.write(`\n${JSON.stringify({ resources: resources.map(({ type, name }) => ({ type, name })), code })}\n`);
    process.exit(0);
  })
  .catch((error) => {
    process.stdout.write(`\n${JSON.stringify({ error: error && error.stack ? error.stack : String(error) })}\n`);
    process.exit(1);
  });
