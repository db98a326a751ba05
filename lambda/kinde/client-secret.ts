import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { causeOfFetchFailure, VerificationUnavailableError } from "../errors";

/**
 * The M2M client secret. `get` waits at most as long as the caller's signal allows, so reading the
 * secret counts against the verification's budget. `invalidate` says Kinde refused the secret: the
 * next `get` reads it again (at most once per `REREAD_INTERVAL_MS`), so a rotated secret takes
 * effect in warm containers without restarting them. It returns whether that next `get` will read
 * afresh, so the caller knows if asking Kinde again can have another outcome.
 */
export interface ClientSecretSource {
  get(signal: AbortSignal): Promise<string>;
  invalidate(): boolean;
}

/** Kinde refusing the secret again and again must not turn into a Secrets Manager read per request. */
export const REREAD_INTERVAL_MS = 30_000;
/**
 * Bound on one Secrets Manager read shared by concurrent callers. Each caller stops waiting when its
 * own budget ends; the read itself may run on a little longer for the callers that come next.
 */
const READ_TIMEOUT_MS = 5_000;

export type SecretReader = (signal: AbortSignal) => Promise<string>;

export function clientSecretSource(
  options: { clientSecret?: string; clientSecretArn?: string },
  now: () => number = Date.now,
  reader?: SecretReader,
): ClientSecretSource {
  if (options.clientSecret !== undefined) {
    const secret = options.clientSecret;
    // A secret given directly cannot be re-read: nothing to invalidate.
    return { get: () => Promise.resolve(secret), invalidate: () => false };
  }
  const arn = options.clientSecretArn;
  if (arn === undefined) throw new Error("clientSecretSource needs a secret or a secret ARN");
  return new CachedSecret(reader ?? ((signal) => readSecret(arn, signal)), now);
}

/** The secret read once per container, shared by concurrent callers, re-read after Kinde refused it. */
class CachedSecret implements ClientSecretSource {
  private value: string | undefined;
  private stale = false;
  /** Epoch ms of the last read that returned a value. */
  private readAt = -Infinity;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly read: SecretReader,
    private readonly now: () => number,
  ) {}

  get(signal: AbortSignal): Promise<string> {
    if (this.value !== undefined && !this.stale) return Promise.resolve(this.value);
    this.pending ??= this.read(AbortSignal.timeout(READ_TIMEOUT_MS)).then(
      (value) => {
        this.pending = undefined;
        this.value = value;
        this.stale = false;
        this.readAt = this.now();
        return value;
      },
      (error: unknown) => {
        this.pending = undefined; // a failed read is retried by the next verification
        // Whatever the reader threw, the caller learns only that the secret is unavailable.
        throw error instanceof VerificationUnavailableError ? error : new VerificationUnavailableError("client_secret_unavailable", `reading the secret failed: ${String(error).slice(0, 200)}`);
      },
    );
    return withinBudget(this.pending, signal);
  }

  invalidate(): boolean {
    if (this.value !== undefined && this.now() - this.readAt >= REREAD_INTERVAL_MS) this.stale = true;
    // With no value held yet the next `get` reads too.
    return this.stale || this.value === undefined;
  }
}

/** The shared read's result, or a timeout as soon as this caller's own budget ends. */
function withinBudget(read: Promise<string>, signal: AbortSignal): Promise<string> {
  if (signal.aborted) return Promise.reject(unavailable(signal.reason));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(unavailable(signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    read.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function unavailable(reason: unknown): VerificationUnavailableError {
  const timedOut = causeOfFetchFailure(reason) === "kinde_timeout";
  return new VerificationUnavailableError("client_secret_unavailable", timedOut ? "reading the secret outlasted the verification budget" : "reading the secret was cancelled");
}

async function readSecret(arn: string, signal: AbortSignal): Promise<string> {
  try {
    // Bundled with the handler, not in a chunk of its own: as deployed (the secret's ARN) the
    // first request that misses the caches reads the secret, and a chunk would load right then,
    // in the caller's time. Beside the DynamoDB client it shares the SDK's core with, it adds
    // nothing measurable to the import.
    const client = new SecretsManagerClient({ maxAttempts: 2 });
    const result = await client.send(new GetSecretValueCommand({ SecretId: arn }), { abortSignal: signal });
    const value = result.SecretString?.trim();
    if (!value) throw new Error("the secret has no string value");
    return value;
  } catch (error) {
    // The SDK's message names the ARN and the failure, never the value.
    throw new VerificationUnavailableError("client_secret_unavailable", (error as Error).message);
  }
}
