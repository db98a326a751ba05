/**
 * `npm run bench`: Keygate measured against the alternatives a user would otherwise pick, in one
 * run, over loopback services only (dynalite, the Kinde emulator, the local gateway). Prints
 * markdown: docs/benchmarks.md is this output as it stands.
 *
 * Figures from a shared machine are noisy: read medians, percentiles and ratios, not single runs.
 */
import { coldStart } from "./cold-start";
import { endToEnd } from "./end-to-end";
import { handlerLatency } from "./handler-latency";
import { kindeShieldBench } from "./kinde-shield.bench";
import { kindeTraffic } from "./kinde-traffic";
import { memory } from "./memory";
import { machineDescription } from "./support/machine";

/**
 * The comparisons, in the order they run and print. Each starts and stops what it needs and
 * returns its section of markdown; a new comparison is one more entry here.
 */
const kindeShield = async (): Promise<string> => (await kindeShieldBench()).join("\n");
const SECTIONS: ReadonlyArray<() => Promise<string>> = [coldStart, kindeTraffic, endToEnd, handlerLatency, memory, kindeShield];

async function main(): Promise<void> {
  // The SDK's notice about future Node versions is not a figure.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const started = performance.now();
  console.log(`## Where and when\n\n${machineDescription()}`);
  for (const section of SECTIONS) console.log(`\n${await section()}`);
  console.log(`\nWhole run: ${((performance.now() - started) / 1000).toFixed(0)} s.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
