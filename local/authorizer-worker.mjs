// @ts-check
/**
 * One authorizer "container" for the local gateway, run in a worker thread: the bundle reads its
 * configuration from process.env at import, and a worker has its own process.env and module
 * cache, so every gateway gets a fresh container with its own settings and nothing leaks into the
 * gateway's process. Plain JavaScript because a worker thread starts without any TypeScript loader.
 *
 * Protocol with the parent (see authorizer-host.ts):
 *   in:  { type: "invoke", id, event, context: { awsRequestId, deadline, ... } }
 *   out: { type: "ready" } | { type: "load-error", name, message }
 *        { type: "output", stream: "stdout" | "stderr", text }   (what the function prints, e.g. audit lines)
 *        { type: "result", id, ok: true, json } | { type: "result", id, ok: false, name, message }
 * Output written during an invocation is posted before that invocation's result, since both go
 * through the same port in order.
 */
import { parentPort, workerData } from "node:worker_threads";

if (!parentPort) throw new Error("authorizer-worker.mjs must run in a worker thread");
const port = parentPort;

/** @param {"stdout" | "stderr"} stream */
function capture(stream) {
  const target = process[stream];
  /** @type {(chunk: unknown, encoding?: unknown, callback?: unknown) => boolean} */
  const write = (chunk, encoding, callback) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(/** @type {Uint8Array} */ (chunk)).toString("utf8");
    port.postMessage({ type: "output", stream, text });
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") done();
    return true;
  };
  // Lambda ships the function's stdout to CloudWatch; here the parent decides where it goes.
  target.write = /** @type {typeof target.write} */ (write);
}
capture("stdout");
capture("stderr");

/** @type {(event: unknown, context: unknown) => Promise<unknown>} */
let handler;
try {
  const loaded = await import(workerData.bundleUrl);
  if (typeof loaded.handler !== "function") throw new TypeError(`${workerData.bundleUrl} exports no handler function`);
  handler = loaded.handler;
  port.postMessage({ type: "ready" });
} catch (error) {
  const e = /** @type {{ name?: string, message?: string }} */ (error ?? {});
  port.postMessage({ type: "load-error", name: e.name ?? "Error", message: e.message ?? String(error) });
  // Nothing else can run in this container; the parent terminates the worker.
  await new Promise(() => undefined);
}

port.on("message", async (message) => {
  if (message?.type !== "invoke") return;
  const { id, event, context } = message;
  const lambdaContext = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: context.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: String(context.memoryLimitInMB),
    awsRequestId: context.awsRequestId,
    logGroupName: `/aws/lambda/${context.functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, context.deadline - Date.now()),
  };
  try {
    const value = await handler(event, lambdaContext);
    // Lambda hands the result to API Gateway as JSON; serialising here keeps that exact view
    // (undefined becomes null, functions vanish, a cycle is an error).
    let json;
    try {
      json = JSON.stringify(value ?? null);
    } catch (error) {
      const e = /** @type {{ name?: string, message?: string }} */ (error ?? {});
      port.postMessage({ type: "result", id, ok: false, name: "Runtime.SerializationError", message: e.message ?? "result is not serialisable" });
      return;
    }
    port.postMessage({ type: "result", id, ok: true, json });
  } catch (error) {
    const e = /** @type {{ name?: unknown, message?: unknown }} */ (error ?? {});
    port.postMessage({
      type: "result",
      id,
      ok: false,
      name: typeof e.name === "string" ? e.name : "Error",
      message: typeof e.message === "string" ? e.message : String(error),
    });
  }
});
