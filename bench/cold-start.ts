/**
 * Cold start as a caller pays it: a fresh Node process imports the bundle (Lambda's init), then its
 * handler answers one request (the invocation that init was for). Two cases, as deployed (client
 * secret from the loopback Secrets Manager, cache table on dynalite, the loopback Kinde emulator):
 * a DynamoDB hit (a key another container verified) and a miss (a key no cache holds: Kinde
 * verifies it and the verdict is written back).
 *
 * Keygate, a conventional authorizer and a bare DynamoDB-client bundle (import and one GetItem: the
 * least any authorizer with a shared cache pays) are built here with the same esbuild options and
 * run in turn, round after round, so that a change in the machine's speed falls on all three
 * alike. All of it runs on this machine's Node and on Node 22, Lambda's runtime.
 */
import { build, type Metafile } from "esbuild";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { bundleAuthorizer, nodeBundleOptions } from "../lambda/bundle";
import { LOCAL_KINDE_API_ID } from "../local/kinde-emulator";
import { requestEvent } from "../test/support/aws-events";
import { importInFreshProcess, type FreshProcessResult } from "./support/fresh-process";
import { LAMBDA_NODE_VERSIONS, lambdaNodeBinary, LambdaNodeUnavailableError } from "./support/lambda-node";
import { CLIENT_ID, SECRET_ARN, startLoopback, type Loopback } from "./support/loopback";
import { fixed, median, table } from "./support/stats";

/** Rounds per Node; each round runs every contender once per case. */
const ROUNDS = Number(process.env.KEYGATE_BENCH_COLD_ROUNDS ?? 21);
/** Keygate's target: import plus first request at most this share of the conventional authorizer's. */
const TARGET_RATIO = 0.8;
const CASES = ["hit", "miss"] as const;
type Case = (typeof CASES)[number];
const CASE_NAMES: Record<Case, string> = { hit: "DynamoDB hit", miss: "miss: Kinde verifies" };

interface Contender {
  name: string;
  about: string;
  bundle: string;
  metafile: Metafile;
  env: Record<string, string>;
  /** The first request's event: for the hit case the one key cached beforehand, for a miss key `i`, never seen. */
  event(kind: Case, i: number): unknown;
  /** Why the run is not the case it stands for (a hit that went to Kinde), if it is not. */
  wrongCase?(kind: Case, result: FreshProcessResult): string | undefined;
}

interface Runtime {
  label: string;
  node: string;
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

/** This machine's Node, and Node 22 as Lambda runs it where the registry's build can run here. */
function runtimes(): { runtimes: Runtime[]; notes: string[] } {
  const list: Runtime[] = [{ label: `Node ${process.version.slice(1)} (this machine's)`, node: process.execPath }];
  try {
    list.push({ label: `Node ${LAMBDA_NODE_VERSIONS[22]} (Lambda's nodejs22.x)`, node: lambdaNodeBinary(22) });
    return { runtimes: list, notes: [] };
  } catch (error) {
    if (!(error instanceof LambdaNodeUnavailableError)) throw error;
    return { runtimes: list, notes: [`Node 22 was not measured: ${error.message}.`] };
  }
}

const total = (run: FreshProcessResult): number => run.importMs + (run.firstCallMs ?? NaN);

async function contenders(dir: string, loopback: Loopback): Promise<Contender[]> {
  const aws = loopback.awsEnvironment();
  const kinde = { KINDE_DOMAIN: loopback.kinde.url, KINDE_M2M_CLIENT_ID: CLIENT_ID, KINDE_M2M_CLIENT_SECRET_ARN: SECRET_ARN };
  const keygateTable = await loopback.table("keygate-bench-cold");
  const conventionalTable = await loopback.table("conventional-bench-cold");
  // Keys 0 and 1 are the two authorizers' cached keys; misses use a key of their own each, from 2 on.
  const keys = loopback.keys;
  const authorization = (i: number) => requestEvent(`Bearer ${keys[i]!.api_key}`);
  const keygate = join(dir, "keygate", "index.mjs");
  const conventional = join(dir, "conventional", "index.mjs");
  const bare = join(dir, "bare", "index.mjs");
  return [
    {
      name: "Keygate",
      about: "dist/authorizer/index.mjs as `npm run build` makes it",
      bundle: keygate,
      metafile: (await bundleAuthorizer(keygate)).metafile,
      // As the component deploys it, but for two settings: the positive lifetime outlasts the run, so the
      // cached key stays a hit, and the DynamoDB budget allows for a shared machine, so a slow hit is not
      // abandoned for Kinde (the conventional authorizer has no budget at all). KINDE_API_IDS is set, as
      // preview requires of a deployment without requiredScopes: the key's metadata is read too.
      env: {
        ...aws,
        ...kinde,
        CACHE_TABLE_NAME: keygateTable,
        CACHE_TTL_SECONDS: "86400",
        DYNAMODB_TIMEOUT_MS: "2000",
        KINDE_API_IDS: LOCAL_KINDE_API_ID,
      },
      event: (kind, i) => authorization(kind === "hit" ? 0 : 2 + 2 * i),
      wrongCase: (kind, result) => {
        const source = /"verdict_source":"(\w+)"/.exec(result.output)?.[1];
        const expected = kind === "hit" ? "dynamodb" : "kinde";
        return source === expected && !result.output.includes("cache_error") ? undefined : `the ${kind} was answered from ${source ?? "nowhere"}: ${result.output.slice(0, 300)}`;
      },
    },
    {
      name: "conventional authorizer",
      about: "SDK DynamoDB and Secrets Manager clients, fetch to Kinde",
      bundle: conventional,
      metafile: (await build(nodeBundleOptions(join(__dirname, "contenders", "conventional-authorizer.ts"), conventional))).metafile,
      env: { ...aws, ...kinde, CACHE_TABLE_NAME: conventionalTable },
      event: (kind, i) => authorization(kind === "hit" ? 1 : 3 + 2 * i),
      wrongCase: (kind, result) => (result.output.includes(`"cached":${kind === "hit"}`) ? undefined : `the ${kind} printed ${result.output.slice(0, 200)}`),
    },
    {
      name: "bare DynamoDB client",
      about: "@aws-sdk/client-dynamodb and one GetItemCommand",
      bundle: bare,
      metafile: (await build(nodeBundleOptions(join(__dirname, "contenders", "bare-dynamodb.ts"), bare))).metafile,
      env: { ...aws, CACHE_TABLE_NAME: keygateTable },
      // A hit reads Keygate's cached verdict item; a miss reads a key no one wrote.
      event: (kind, i) => ({ key: kind === "hit" ? `verdict#${createHash("sha256").update(keys[0]!.api_key).digest("hex")}` : `verdict#none-${i}` }),
    },
  ];
}

export async function coldStart(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "keygate-bench-cold-"));
  const { runtimes: nodes, notes } = runtimes();
  const loopback = await startLoopback(2 + 2 * ROUNDS * nodes.length);
  try {
    const all = await contenders(dir, loopback);
    const authorizers = all.slice(0, 2);
    // Each authorizer verifies its cached key once, in a process of its own: the hit case then finds it in the table.
    for (const contender of authorizers) {
      const primed = await importInFreshProcess(contender.bundle, contender.env, contender.event("hit", 0));
      if (primed.firstCallError !== undefined) throw new Error(`${contender.name} could not cache its key: ${primed.firstCallError}`);
    }

    const lines = [
      `## Cold start: import plus the first request, in fresh Node processes (${ROUNDS} rounds per Node, the three in turn)`,
      "",
      "What a caller waits for when a request starts a new container: Lambda's init (importing the bundle) and then the request. As deployed: the client secret from the loopback Secrets Manager, the cache table on dynalite, Kinde on the loopback emulator. A **DynamoDB hit** is a key another container verified; a **miss** is a key no cache holds (Kinde verifies it, the verdict is written back). The bare DynamoDB client imports the SDK's client and sends one GetItem: the floor for any authorizer with a shared cache. Keygate runs with the component's settings but two: a positive lifetime that outlasts the run (so the cached key stays a hit) and a DynamoDB budget of 2 s (so that on a busy machine a slow first GetItem is not abandoned for Kinde; the conventional authorizer sets none). Keygate runs with `KINDE_API_IDS` set, as a deployment must have it or `requiredScopes` (preview refuses neither), so it also checks the key's API and type from the key's Kinde record, which the conventional authorizer does not.",
      "",
      table(
        ["bundle", "what it holds", "loaded at import", "whole bundle"],
        all.map((c) => {
          const size = loadedAtImport(c.metafile, c.bundle);
          return [c.name, c.about, `${(size.bytes / 1024).toFixed(0)} KiB in ${size.files} files`, `${(size.totalBytes / 1024).toFixed(0)} KiB`];
        }),
      ),
    ];
    let miss = 0;
    for (const runtime of nodes) {
      const runs = new Map<string, FreshProcessResult[]>();
      const key = (contender: Contender, kind: Case) => `${contender.name}/${kind}`;
      for (let round = 0; round < ROUNDS; round++) {
        for (const kind of CASES) {
          for (let i = 0; i < all.length; i++) {
            const contender = all[(round + i) % all.length]!;
            const result = await importInFreshProcess(contender.bundle, contender.env, contender.event(kind, miss), runtime.node);
            if (result.firstCallError !== undefined) throw new Error(`${contender.name}'s first request (${kind}) failed on ${runtime.label}: ${result.firstCallError}`);
            const wrong = contender.wrongCase?.(kind, result);
            if (wrong !== undefined) throw new Error(`${contender.name} on ${runtime.label}: ${wrong}`);
            runs.set(key(contender, kind), [...(runs.get(key(contender, kind)) ?? []), result]);
          }
          if (kind === "miss") miss++;
        }
      }
      const of = (contender: Contender, kind: Case) => runs.get(key(contender, kind))!;
      const ratios = (a: Contender, b: Contender, kind: Case) => of(a, kind).map((run, i) => total(run) / total(of(b, kind)[i]!));
      const cpuRatios = (a: Contender, b: Contender, kind: Case) => of(a, kind).map((run, i) => (run.totalCpuMs ?? NaN) / (of(b, kind)[i]!.totalCpuMs ?? NaN));
      const [keygate, conventional, bare] = all as [Contender, Contender, Contender];
      lines.push(
        "",
        `### ${runtime.label}`,
        "",
        table(
          ["bundle", "case", "import median ms", "first request median ms", "import + first request median ms", "import + first request median ms (CPU)"],
          CASES.flatMap((kind) =>
            all.map((c) => {
              const runs = of(c, kind);
              return [c.name, CASE_NAMES[kind], fixed(median(runs.map((r) => r.importMs)), 1), fixed(median(runs.map((r) => r.firstCallMs ?? NaN)), 1), fixed(median(runs.map(total)), 1), fixed(median(runs.map((r) => r.totalCpuMs ?? NaN)), 1)];
            }),
          ),
        ),
        "",
        "Import plus first request, median over the rounds of each round's own ratio (below 1.00: the first is faster):",
        "",
        table(
          ["ratio", "case", "wall median", "wall, lowest round", "wall, highest round", "CPU median", `Keygate's target (wall ≤ ${fixed(TARGET_RATIO, 2)})`],
          CASES.flatMap((kind) =>
            ([
              ["Keygate / conventional authorizer", keygate, conventional],
              ["Keygate / bare DynamoDB client", keygate, bare],
              ["conventional authorizer / bare DynamoDB client", conventional, bare],
            ] as const).map(([label, a, b]) => {
              const r = ratios(a, b, kind);
              const target = b === conventional ? (median(r) <= TARGET_RATIO ? "met" : "not met") : "";
              return [label, CASE_NAMES[kind], fixed(median(r), 2), fixed(Math.min(...r), 2), fixed(Math.max(...r), 2), fixed(median(cpuRatios(a, b, kind)), 2), target];
            }),
          ),
        ),
      );
    }
    if (notes.length > 0) lines.push("", ...notes);
    return lines.join("\n");
  } finally {
    await loopback.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// `tsx bench/cold-start.ts`: this section alone.
if (require.main === module) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  coldStart().then(console.log, (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
