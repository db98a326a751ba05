/**
 * `npm start`: the whole request path on this machine. Environment:
 *   PORT (default 3000; 0 = any free port), KEYGATE_CONFIG (a Pulumi.<stack>.yaml; default
 *   Pulumi.dev.yaml when present), KEYGATE_LOCAL_KEYS (keys for the Kinde emulator),
 *   KEYGATE_LOCAL_API (rest, the default, or http: the gateway plays an HTTP API),
 *   KEYGATE_VERBOSE=1 (print audit records too), KINDE_DOMAIN + KINDE_M2M_CLIENT_ID +
 *   KINDE_M2M_CLIENT_SECRET (use a real tenant), AWS_ENDPOINT_URL_DYNAMODB (a real DynamoDB endpoint).
 */
import { formatBanner, formatRequestLine, LineBatcher } from "./console-output";
import { startKeygateLocal, type KeygateLocal } from "./keygate-local";

// The SDK warns about Node 20 on every client; the local gateway runs on whatever Node the user has.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

async function main(): Promise<void> {
  const port = parsePort(process.env.PORT);
  const verbose = process.env.KEYGATE_VERBOSE === "1" || process.env.KEYGATE_VERBOSE === "true";
  const cwd = process.cwd();
  console.log("Starting Keygate locally...");
  // Request lines (and audit records, in their order) are written once per turn of the event loop.
  const requestLines = new LineBatcher((text) => process.stdout.write(text));

  let local: KeygateLocal;
  try {
    local = await startKeygateLocal({
      port,
      cwd,
      onRequest: (entry) => requestLines.line(formatRequestLine(entry)),
      onWarning: (message) => console.error(`warning: ${message}`),
      ...(verbose ? { onAuditRecord: (line: string) => requestLines.line(`  audit ${line}`) } : {}),
    });
  } catch (error) {
    console.error(`keygate: ${(error as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // One Ctrl-C can arrive twice: from the terminal, and from npm, which passes it on to the
    // script's process (this one: the start script execs node). A second Ctrl-C while
    // stopping must not cut the stop short either: later signals are ignored, and the stop below
    // is bounded anyway.
    if (stopping) return;
    stopping = true;
    requestLines.flush();
    console.log(`\n${signal}: stopping...`);
    // Bounded, so a stuck connection cannot keep the terminal hostage.
    const force = setTimeout(() => process.exit(1), 5_000);
    force.unref();
    local.stop().then(
      () => {
        requestLines.flush();
        console.log("Stopped.");
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`keygate: error while stopping: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // Only now: whoever reads the banner (a user, a supervisor, a test) may signal at once, and a
  // signal before the handlers exist would end the process without stopping what it started.
  console.log(formatBanner(local, cwd, verbose));
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === "") return 3000;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value > 65_535) {
    console.error(`keygate: PORT must be a whole number from 0 to 65535, not "${raw}"`);
    process.exit(1);
  }
  return value;
}

main().catch((error: unknown) => {
  console.error(`keygate: ${(error as Error).message}`);
  process.exit(1);
});
