/** The outputs of Keygate's Pulumi stack that the `keygate` command uses, read with `pulumi stack output --json`. */
import type { CommandIo } from "./command-io";

export interface ProtectedStage {
  restApiId: string;
  stageName: string;
  /** Keygate's authorizer on that API, when known. */
  authorizerId?: string;
}

/** An HTTP API the stack protects, and Keygate's authorizer on it (the `httpApis` output). */
export interface ProtectedHttpApi {
  apiId: string;
  authorizerId: string;
}

export interface StackOutputs {
  tableName?: string;
  stages: ProtectedStage[];
  httpApis: ProtectedHttpApi[];
  functionName?: string;
  usagePlanIds?: Record<string, string>;
}

/** The stack's outputs, or the reason they could not be read. */
export async function readStackOutputs(io: CommandIo, stack: string | undefined): Promise<StackOutputs | { unavailable: string }> {
  let stdout: string;
  try {
    stdout = await io.pulumi(["stack", "output", "--json", ...(stack ? ["--stack", stack] : [])]);
  } catch (error) {
    return { unavailable: `pulumi stack output --json failed: ${firstLine((error as Error).message)}` };
  }
  let outputs: Record<string, unknown>;
  try {
    outputs = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    return { unavailable: "pulumi stack output --json did not print JSON" };
  }
  const stages: ProtectedStage[] = [];
  if (Array.isArray(outputs.apis)) {
    for (const api of outputs.apis as Record<string, unknown>[]) {
      if (typeof api.restApiId !== "string" || !Array.isArray(api.stageNames)) continue;
      for (const stageName of api.stageNames) {
        if (typeof stageName === "string") stages.push({ restApiId: api.restApiId, stageName, ...(typeof api.authorizerId === "string" ? { authorizerId: api.authorizerId } : {}) });
      }
    }
  }
  const httpApis = Array.isArray(outputs.httpApis)
    ? (outputs.httpApis as Record<string, unknown>[]).flatMap((api) => (typeof api.apiId === "string" && typeof api.authorizerId === "string" ? [{ apiId: api.apiId, authorizerId: api.authorizerId }] : []))
    : [];
  const plans = outputs.usagePlanIds;
  return {
    ...(typeof outputs.tableName === "string" ? { tableName: outputs.tableName } : {}),
    stages,
    httpApis,
    ...(typeof outputs.functionName === "string" ? { functionName: outputs.functionName } : {}),
    ...(plans && typeof plans === "object" ? { usagePlanIds: plans as Record<string, string> } : {}),
  };
}

function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "")?.trim() ?? text;
}
