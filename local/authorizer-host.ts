import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { packageRoot } from "../lambda/bundle";

/** How one invocation ended, as API Gateway sees it. */
export type InvocationOutcome =
  | { kind: "returned"; value: unknown }
  | { kind: "threw"; name: string; message: string }
  | { kind: "timed-out" }
  /** The container died (an uncaught error, or it was stopped) before answering. */
  | { kind: "crashed"; message: string };

export interface Invocation {
  outcome: InvocationOutcome;
  /** The audit record the function printed for this invocation, when it printed one. */
  audit?: Record<string, unknown>;
  /** Wall time of the invocation, ms. */
  durationMs: number;
}

export interface AuthorizerHostOptions {
  /** The bundled authorizer (an ES module exporting `handler`). */
  bundlePath: string;
  /** The function's environment: its whole process.env, as Lambda would set it. */
  env: Record<string, string>;
  /** Like the Lambda function's timeout. */
  timeoutMs: number;
  functionName?: string;
  /** Every line the function prints (audit records included), in order. */
  onOutput?: (line: string, stream: "stdout" | "stderr") => void;
}

type WorkerMessage =
  | { type: "ready" }
  | { type: "load-error"; name: string; message: string }
  | { type: "output"; stream: "stdout" | "stderr"; text: string }
  | { type: "result"; id: string; ok: true; json: string }
  | { type: "result"; id: string; ok: false; name: string; message: string };

interface Pending {
  resolve: (invocation: Invocation) => void;
  timer: NodeJS.Timeout;
  started: number;
  audit?: Record<string, unknown>;
}

/** The authorizer's module failed to load: its configuration was refused, or the bundle is broken. */
export class AuthorizerLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthorizerLoadError";
  }
}

/**
 * Runs the bundled authorizer in a worker thread of this process, the way Lambda runs it in a
 * container: configuration through the environment, one module load, then invocations with a
 * context and a timeout. If the container dies, the next invocation starts a new one (a cold start).
 */
export class AuthorizerHost {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly partial = { stdout: "", stderr: "" };
  private stopped = false;
  readonly functionName: string;

  constructor(private readonly options: AuthorizerHostOptions) {
    this.functionName = options.functionName ?? "keygate-authorizer-local";
  }

  /** Loads the function now, so a configuration error surfaces at start-up rather than on the first request. */
  async start(): Promise<void> {
    await this.container();
  }

  async invoke(event: unknown): Promise<Invocation> {
    const started = performance.now();
    if (this.stopped) return { outcome: { kind: "crashed", message: "the authorizer was stopped" }, durationMs: 0 };
    let worker: Worker;
    try {
      worker = await this.container();
    } catch (error) {
      return { outcome: { kind: "crashed", message: (error as Error).message }, durationMs: performance.now() - started };
    }
    const id = randomUUID();
    return new Promise<Invocation>((resolve) => {
      const timer = setTimeout(() => this.settle(id, { kind: "timed-out" }), this.options.timeoutMs);
      this.pending.set(id, { resolve, timer, started });
      worker.postMessage({
        type: "invoke",
        id,
        event,
        context: {
          awsRequestId: id,
          deadline: Date.now() + this.options.timeoutMs,
          functionName: this.functionName,
          invokedFunctionArn: `arn:aws:lambda:${this.options.env.AWS_REGION ?? "us-east-1"}:123456789012:function:${this.functionName}`,
          memoryLimitInMB: 256,
        },
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.discardContainer("the authorizer was stopped");
  }

  private container(): Promise<Worker> {
    if (this.worker && this.ready) {
      const worker = this.worker;
      return this.ready.then(() => worker);
    }
    // A worker thread has its own module cache: each container loads the bundle afresh, with its own state.
    const worker = new Worker(join(packageRoot(), "local", "authorizer-worker.mjs"), {
      workerData: { bundleUrl: pathToFileURL(this.options.bundlePath).href },
      env: this.options.env,
      stdout: true,
      stderr: true,
    });
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on("message", (message: WorkerMessage) => {
        if (message.type === "ready") resolve();
        else if (message.type === "load-error") {
          reject(new AuthorizerLoadError(`${message.name}: ${message.message}`));
          void this.discardContainer(`the authorizer failed to load: ${message.message}`, worker);
        } else this.onMessage(message);
      });
      worker.on("error", (error) => {
        reject(new AuthorizerLoadError(`the authorizer crashed: ${error.message}`));
        void this.discardContainer(`the authorizer crashed: ${error.message}`, worker);
      });
      worker.on("exit", (code) => {
        reject(new AuthorizerLoadError(`the authorizer exited with code ${code}`));
        void this.discardContainer(`the authorizer exited with code ${code}`, worker);
      });
    });
    // Avoid an unhandled rejection when nobody awaits a container that dies before its first use.
    this.ready.catch(() => undefined);
    return this.ready.then(() => worker);
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type === "output") {
      this.output(message.stream, message.text);
    } else if (message.type === "result") {
      this.settle(message.id, message.ok ? { kind: "returned", value: parseJson(message.json) } : { kind: "threw", name: message.name, message: message.message });
    }
  }

  private output(stream: "stdout" | "stderr", text: string): void {
    const lines = (this.partial[stream] + text).split("\n");
    this.partial[stream] = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "") continue;
      this.options.onOutput?.(line, stream);
      if (stream === "stdout") this.attachAudit(line);
    }
  }

  /** The authorizer's audit record carries the invocation's awsRequestId as `function_request_id`. */
  private attachAudit(line: string): void {
    if (!line.startsWith("{")) return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof record !== "object" || record === null) return;
    const id = (record as { function_request_id?: unknown }).function_request_id;
    const pending = typeof id === "string" ? this.pending.get(id) : undefined;
    if (pending) pending.audit = record as Record<string, unknown>;
  }

  private settle(id: string, outcome: InvocationOutcome): void {
    const pending = this.pending.get(id);
    if (!pending) return; // a late answer after a timeout is dropped, as API Gateway drops it
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve({ outcome, durationMs: performance.now() - pending.started, ...(pending.audit ? { audit: pending.audit } : {}) });
  }

  private async discardContainer(reason: string, which?: Worker): Promise<void> {
    const worker = this.worker;
    if (!worker || (which && which !== worker)) return;
    this.worker = undefined;
    this.ready = undefined;
    for (const id of [...this.pending.keys()]) this.settle(id, { kind: "crashed", message: reason });
    await worker.terminate();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
