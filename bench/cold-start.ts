/**
 * Cold start, side by side: Keygate's bundle, a bare DynamoDB-client bundle and a conventional
 * authorizer, each built here with the same esbuild options and imported by fresh Node processes
 * in turn, so that a change in the machine's speed falls on all three alike. Then the first
 * invocation after the import: a Kinde miss (and a DynamoDB miss) against the loopback services.
 */
import { build, type Metafile } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { bundleAuthorizer, nodeBundleOptions } from "../lambda/bundle";
import { requestEvent } from "../test/support/aws-events";
import { importInFreshProcess, type FreshProcessResult } from "./support/fresh-process";
import { CLIENT_ID, CLIENT_SECRET, SECRET_ARN, startLoopback } from "./support/loopback";
import { fixed, median, mib, table } from "./support/stats";

const IMPORT_ROUNDS = 31;
const FIRST_CALL_ROUNDS = 11;
const TABLE = "keygate-bench-cold";

interface Contender {
  name: string;
  about: string;
  bundle: string;
  metafile: Metafile;
  env: Record<string, string>;
  /** Whether its handler authorizes a request event (the bare client has no authorizer). */
  authorizes: boolean;
}

/** Bytes and files an import loads (the entry and its static imports), and the bundle's total. */
function loadedAtImport(metafile: Metafile, bundle: string): { files: number; bytes: number; totalBytes: number } {
  const outputs = metafile.outputs;
  // esbuild names its outputs relative to the working directory.
  const entry = relative(process.cwd(), bundle);
  const reached = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (reached.has(path) || !outputs[path]) continue;
    reached.add(path);
    for (const imported of outputs[path]!.imports) if (imported.kind === "import-statement") pending.push(imported.path);
  }
  const bytes = [...reached].reduce((sum, path) => sum + outputs[path]!.bytes, 0);
  const totalBytes = Object.values(outputs).reduce((sum, output) => sum + output.bytes, 0);
  return { files: reached.size, bytes, totalBytes };
}

export async function coldStart(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "keygate-bench-cold-"));
  const loopback = await startLoopback(FIRST_CALL_ROUNDS * 2 + 1);
  try {
    await loopback.table(TABLE);
    const aws = { ...loopback.awsEnvironment(), CACHE_TABLE_NAME: TABLE };
    const kinde = { KINDE_DOMAIN: loopback.kinde.url, KINDE_M2M_CLIENT_ID: CLIENT_ID };
    const keygate = join(dir, "keygate", "index.mjs");
    const bare = join(dir, "bare", "index.mjs");
    const conventional = join(dir, "conventional", "index.mjs");
    const contenders: Contender[] = [
      {
        name: "Keygate",
        about: "dist/authorizer/index.mjs as `npm run build` makes it",
        bundle: keygate,
        metafile: (await bundleAuthorizer(keygate)).metafile,
        // As the component deploys it: the client secret in Secrets Manager.
        env: { ...aws, ...kinde, KINDE_M2M_CLIENT_SECRET_ARN: SECRET_ARN },
        authorizes: true,
      },
      {
        name: "bare DynamoDB client",
        about: "@aws-sdk/client-dynamodb and one GetItemCommand",
        bundle: bare,
        metafile: (await build(nodeBundleOptions(join(__dirname, "contenders", "bare-dynamodb.ts"), bare))).metafile,
        env: aws,
        authorizes: false,
      },
      {
        name: "conventional authorizer",
        about: "DynamoDB client, Powertools logger and metrics, Kinde's management SDK",
        bundle: conventional,
        metafile: (await build(nodeBundleOptions(join(__dirname, "contenders", "conventional-authorizer.ts"), conventional))).metafile,
        env: { ...aws, ...kinde, KINDE_M2M_CLIENT_SECRET: CLIENT_SECRET },
        authorizes: true,
      },
    ];

    // Import only, in rotating order: round r starts with contender r mod 3.
    const imports = new Map<Contender, FreshProcessResult[]>(contenders.map((c) => [c, []]));
    for (let round = 0; round < IMPORT_ROUNDS; round++) {
      for (let i = 0; i < contenders.length; i++) {
        const contender = contenders[(round + i) % contenders.length]!;
        imports.get(contender)!.push(await importInFreshProcess(contender.bundle, contender.env));
      }
    }
    const [kg, yardstick, usual] = contenders.map((c) => imports.get(c)!) as [FreshProcessResult[], FreshProcessResult[], FreshProcessResult[]];
    const pairRatios = (a: FreshProcessResult[], b: FreshProcessResult[], field: "importMs" | "importCpuMs") => a.map((run, i) => run[field] / b[i]![field]);

    // First invocation: import, then one request with a key never seen before (a Kinde miss).
    const authorizers = contenders.filter((c) => c.authorizes);
    const firstCalls = new Map<Contender, FreshProcessResult[]>(authorizers.map((c) => [c, []]));
    let nextKey = 0;
    for (let round = 0; round < FIRST_CALL_ROUNDS; round++) {
      for (let i = 0; i < authorizers.length; i++) {
        const contender = authorizers[(round + i) % authorizers.length]!;
        const event = requestEvent(`Bearer ${loopback.keys[nextKey++]!.api_key}`);
        const result = await importInFreshProcess(contender.bundle, contender.env, event);
        if (result.firstCallError !== undefined) throw new Error(`${contender.name}'s first invocation failed: ${result.firstCallError}`);
        firstCalls.get(contender)!.push(result);
      }
    }

    const lines = [
      `## Cold start: importing the bundle in a fresh Node process (${IMPORT_ROUNDS} rounds, the three in turn)`,
      "",
      table(
        ["bundle", "what it holds", "loaded at import", "whole bundle", "import median ms (wall)", "import median ms (CPU)", "RSS after import MiB"],
        contenders.map((c) => {
          const size = loadedAtImport(c.metafile, c.bundle);
          const runs = imports.get(c)!;
          return [
            c.name,
            c.about,
            `${(size.bytes / 1024).toFixed(0)} KiB in ${size.files} files`,
            `${(size.totalBytes / 1024).toFixed(0)} KiB`,
            fixed(median(runs.map((r) => r.importMs)), 1),
            fixed(median(runs.map((r) => r.importCpuMs)), 1),
            mib(median(runs.map((r) => r.rssBytes))),
          ];
        }),
      ),
      "",
      "Ratios, median over the rounds of each round's own ratio (below 1.00: the first loads faster):",
      "",
      table(
        ["ratio", "wall", "CPU", "wall, lowest round", "wall, highest round"],
        [
          ["Keygate / bare DynamoDB client", kg, yardstick],
          ["Keygate / conventional authorizer", kg, usual],
          ["conventional authorizer / bare DynamoDB client", usual, yardstick],
        ].map(([label, a, b]) => {
          const wall = pairRatios(a as FreshProcessResult[], b as FreshProcessResult[], "importMs");
          return [label as string, fixed(median(wall), 2), fixed(median(pairRatios(a as FreshProcessResult[], b as FreshProcessResult[], "importCpuMs")), 2), fixed(Math.min(...wall), 2), fixed(Math.max(...wall), 2)];
        }),
      ),
      "",
      `## First invocation after the import: one request with an unseen key (${FIRST_CALL_ROUNDS} fresh processes each, in turn)`,
      "",
      "The request misses DynamoDB and is verified at the loopback Kinde emulator (M2M token, then verify), and the verdict is written back. Keygate reads its client secret from the loopback Secrets Manager, as deployed; the conventional authorizer is given it in its environment.",
      "",
      table(
        ["authorizer", "import median ms", "first call median ms", "import + first call median ms"],
        authorizers.map((c) => {
          const runs = firstCalls.get(c)!;
          return [c.name, fixed(median(runs.map((r) => r.importMs)), 1), fixed(median(runs.map((r) => r.firstCallMs ?? NaN)), 1), fixed(median(runs.map((r) => r.importMs + (r.firstCallMs ?? NaN))), 1)];
        }),
      ),
    ];
    return lines.join("\n");
  } finally {
    await loopback.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
