import * as pulumi from "@pulumi/pulumi";

/** What the mock monitor recorded per resource: its URN (which encodes the parent chain) and final state. */
interface MockMonitorLike {
  getRegisteredResources(): Map<string, { urn: string; id: string | null; state: unknown }>;
}

/** URNs of every registered resource, from the mock monitor that `setMocks` installed. */
export function registeredUrns(): string[] {
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
  return [...monitor.getRegisteredResources().keys()];
}

/** The type chain from the stack down to a resource, e.g. ["keygate:index:UserKeyAuthorizer", "aws:dynamodb/table:Table"]. */
export function typeChain(urn: string): string[] {
  return urn.split("::")[2]!.split("$");
}

/** The outputs a component passed to registerOutputs, as the monitor recorded them. */
export function registeredOutputs(urnSuffix: string): unknown {
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
  const entry = [...monitor.getRegisteredResources().values()].find((resource) => resource.urn.endsWith(urnSuffix));
  if (!entry) throw new Error(`no registered resource ends with ${urnSuffix}`);
  // registerOutputs stores the protobuf Struct it received.
  const state = entry.state as { toJavaScript?: () => unknown };
  return typeof state.toJavaScript === "function" ? state.toJavaScript() : state;
}
