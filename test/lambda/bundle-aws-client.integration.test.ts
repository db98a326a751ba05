/**
 * The bundle talks to DynamoDB through AWS's own client, and so reaches the host the SDK would in
 * every partition and with the FIPS and dual-stack switches. The built bundle runs in a fresh Node
 * process, as Lambda runs it, with no endpoint override; a preload replaces Node's DNS lookup, so
 * the hostname each connection asks for is recorded and the connection fails before anything
 * leaves the machine. The expected host is what @aws-sdk/client-dynamodb's own endpoint provider
 * gives for the same Region and switches.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Metafile } from "esbuild";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleAuthorizer, packageRoot } from "../../lambda/bundle";
import { requestEvent } from "../support/aws-events";
import { bundleNode, bundleNodeVersion } from "../support/bundle-node";

const run = promisify(execFile);

/** Records each hostname Node is asked to resolve, and fails the lookup: no query, no connection. */
const DNS_PRELOAD = `
import dns from "node:dns";
import { appendFileSync } from "node:fs";
const record = process.env.KEYGATE_TEST_LOOKUPS;
dns.lookup = function lookup(hostname, options, callback) {
  const done = typeof options === "function" ? options : callback;
  appendFileSync(record, hostname + "\\n");
  const error = Object.assign(new Error("getaddrinfo ENOTFOUND " + hostname), { code: "ENOTFOUND", syscall: "getaddrinfo", hostname });
  process.nextTick(done, error);
};
`;

let dir: string;
let bundle: string;
let metafile: Metafile;
let preload: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keygate-aws-client-"));
  bundle = join(dir, "bundle", "index.mjs");
  metafile = (await bundleAuthorizer(bundle)).metafile;
  preload = join(dir, "record-dns-lookups.mjs");
  writeFileSync(preload, DNS_PRELOAD);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the bundle once with `env` on top of Lambda-like credentials; returns the hostnames it looked up. */
async function lookupsOfOneRequest(name: string, env: Record<string, string>): Promise<string[]> {
  const lookups = join(dir, `${name}.lookups`);
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    await handler(${JSON.stringify(requestEvent("Bearer k_live_endpoint_0123456789abcdef"))}, { awsRequestId: "r1" }).catch(() => undefined);`;
  await run(bundleNode(), ["--import", pathToFileURL(preload).href, "--input-type=module", "-e", script], {
    env: {
      PATH: process.env.PATH,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      KEYGATE_TEST_LOOKUPS: lookups,
      // Kinde on a loopback port nothing listens on: an address, so no lookup, and refused at once.
      KINDE_DOMAIN: "http://127.0.0.1:9",
      KINDE_M2M_CLIENT_ID: "endpoints",
      KINDE_M2M_CLIENT_SECRET: "endpoints-secret",
      CACHE_TABLE_NAME: "keygate-endpoints",
      // The SDK's first call in a fresh process can outlast the default budget on a busy machine, before any lookup.
      DYNAMODB_TIMEOUT_MS: "2000",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_SESSION_TOKEN: "local-session",
      // No profile of this machine's may steer the client.
      AWS_CONFIG_FILE: join(dir, "no-aws-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-aws-credentials"),
      ...env,
    },
  });
  return existsSync(lookups) ? readFileSync(lookups, "utf8").trim().split("\n") : [];
}

/** The host @aws-sdk/client-dynamodb's endpoint provider names for these settings. */
function sdkHost(region: string, switches: { fips?: boolean; dualStack?: boolean }): string {
  const client = new DynamoDBClient({ region });
  try {
    return client.config.endpointProvider({ Region: region, UseFIPS: switches.fips ?? false, UseDualStack: switches.dualStack ?? false }, {}).url.hostname;
  } finally {
    client.destroy();
  }
}

describe(`the bundle's AWS client, on Node ${bundleNodeVersion()}`, () => {
  it("is the AWS SDK's DynamoDB client and signer, wherever Keygate's code imports the client", () => {
    const root = packageRoot();
    const fromRoot = (path: string) => relative(root, join(process.cwd(), path)).split(sep).join("/");
    const inputs = Object.entries(metafile.inputs).map(([path, input]) => ({ path: fromRoot(path), imports: input.imports }));
    expect(inputs.some((input) => input.path.startsWith("node_modules/@smithy/signature-v4/"))).toBe(true);
    const imports = inputs.filter((input) => input.path.startsWith("lambda/")).flatMap((input) => input.imports.filter((i) => i.original === "@aws-sdk/client-dynamodb"));
    expect(imports.length).toBeGreaterThan(0);
    for (const imported of imports) expect(fromRoot(imported.path)).toMatch(/^node_modules\/@aws-sdk\/client-dynamodb\//);
    // No AWS client, signer or credential code of Keygate's own is bundled.
    expect(inputs.filter((input) => input.path.startsWith("lambda/aws/"))).toEqual([]);
  });

  const cases: { name: string; region: string; fips?: boolean; dualStack?: boolean }[] = [
    { name: "aws", region: "us-east-1" },
    { name: "aws-cn", region: "cn-north-1" },
    { name: "aws-us-gov", region: "us-gov-west-1" },
    { name: "aws-iso", region: "us-iso-east-1" },
    { name: "aws-iso-b", region: "us-isob-east-1" },
    { name: "aws-eusc (the EU sovereign cloud)", region: "eusc-de-east-1" },
    { name: "aws with AWS_USE_FIPS_ENDPOINT=true", region: "us-east-1", fips: true },
    { name: "aws with AWS_USE_DUALSTACK_ENDPOINT=true", region: "us-east-1", dualStack: true },
  ];

  it.each(cases)("reaches the host the SDK names in $name", async ({ name, region, fips, dualStack }) => {
    const expected = sdkHost(region, { fips, dualStack });
    const lookups = await lookupsOfOneRequest(name.replace(/\W+/g, "-"), {
      AWS_REGION: region,
      ...(fips ? { AWS_USE_FIPS_ENDPOINT: "true" } : {}),
      ...(dualStack ? { AWS_USE_DUALSTACK_ENDPOINT: "true" } : {}),
    });
    // The cache's read, and after Kinde failed no write: every lookup the request made is DynamoDB's.
    expect(lookups.length).toBeGreaterThan(0);
    expect(new Set(lookups)).toEqual(new Set([expected]));
  });
});
