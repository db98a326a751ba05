/**
 * Where the command acts: a running `npm start` (`--local`, read from .keygate/local.json), or a
 * deployed stack, from its outputs with flags taking precedence. Gives the AWS SDK clients to use.
 */
import { APIGatewayClient } from "@aws-sdk/client-api-gateway";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SETTINGS } from "../lambda/settings/settings-table";
import { UsageError, type TARGET_OPTIONS, type Parsed } from "./arguments";
import type { CommandIo } from "./command-io";
import { localEndpointsPath, readLocalEndpoints } from "./local-endpoints";
import { readStackOutputs, type ProtectedStage } from "./stack-outputs";

export interface Target {
  /** How to name it in reports: "npm start (local)" or "stack dev". */
  label: string;
  local: boolean;
  /** The AWS Region the clients call (the local one with --local). */
  region: string;
  /** With --local: the REST API `npm start` serves (the only one there). */
  localRestApiId: string | undefined;
  /** With --local, when `npm start` runs an HTTP API (KEYGATE_LOCAL_API=http): its id. */
  localHttpApiId: string | undefined;
  tableName: string | undefined;
  stages: ProtectedStage[];
  /** The authorizer function's name, to recognise its authorizers on an API. */
  functionName: string | undefined;
  /** The authorizer's MEMORY_CACHE_TTL_SECONDS when known (local), else undefined. */
  memoryCacheTtlSeconds: number | undefined;
  usagePlanIds: Record<string, string> | undefined;
  dynamodb(): DynamoDBClient;
  apiGateway(): APIGatewayClient;
  close(): void;
}

/** The authorizer's own default, used when the target does not say. */
export const DEFAULT_MEMORY_CACHE_TTL_SECONDS = SETTINGS.memoryCacheTtlSeconds.default as number;

export async function resolveTarget(values: Parsed<typeof TARGET_OPTIONS>["values"], io: CommandIo): Promise<Target> {
  const clients = lazyClients();
  if (values.local) {
    if (values.stack) throw new UsageError("--local and --stack name two different places: pass one");
    const path = localEndpointsPath(io.cwd);
    const local = readLocalEndpoints(path);
    if (!local) throw new UsageError(`--local: no running npm start recorded in ${path}; start it in this folder first (npm start), or run keygate in the folder where it runs`);
    // Embedded DynamoDB checks no credentials; the local control plane checks only that requests are signed.
    const credentials = { accessKeyId: "local", secretAccessKey: "local" };
    const flagStages = (values.stage ?? []).map((stageName) => ({ restApiId: values["rest-api-id"] ?? local.restApiId, stageName, authorizerId: local.authorizerId }));
    return {
      label: `npm start at ${local.gatewayUrl}`,
      local: true,
      region: local.region,
      localRestApiId: local.restApiId,
      localHttpApiId: local.httpApiId,
      tableName: values.table ?? local.dynamodb.tableName,
      stages: flagStages.length > 0 ? flagStages : [{ restApiId: local.restApiId, stageName: local.stageName, authorizerId: local.authorizerId }],
      // The local API's authorizer is known by id (above): no function name is needed to recognise it.
      functionName: undefined,
      memoryCacheTtlSeconds: local.memoryCacheTtlSeconds,
      usagePlanIds: local.usagePlanIds,
      ...clients.bind(
        () => new DynamoDBClient({ endpoint: local.dynamodb.endpoint, region: local.region, ...(local.dynamodb.embedded ? { credentials } : {}) }),
        () => new APIGatewayClient({ endpoint: local.controlPlaneUrl, region: local.region, credentials }),
      ),
    };
  }

  // Before anything is asked of Pulumi or AWS: without a Region no call can be made.
  const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? (await regionOfSdkConfiguration());
  if (!region) throw new UsageError("no AWS Region: pass --region <region> or set AWS_REGION (or give your AWS profile a region)");
  // Flags alone suffice when they name everything needed; otherwise the stack's outputs fill the gaps.
  const flagsComplete = values.table !== undefined && values["rest-api-id"] !== undefined && (values.stage?.length ?? 0) > 0;
  const outputs = flagsComplete ? undefined : await readStackOutputs(io, values.stack);
  if (outputs && "unavailable" in outputs) io.err(`note: ${outputs.unavailable}; using the flags given`);
  const stack = outputs && !("unavailable" in outputs) ? outputs : undefined;
  const restApiId = values["rest-api-id"];
  let stages: ProtectedStage[];
  if (restApiId) {
    const known = stack?.stages.filter((stage) => stage.restApiId === restApiId) ?? [];
    const names = values.stage ?? known.map((stage) => stage.stageName);
    stages = names.map((stageName) => ({ restApiId, stageName, ...authorizerOf(known, restApiId) }));
  } else {
    if (values.stage) throw new UsageError("--stage needs --rest-api-id: which API is the stage of?");
    stages = stack?.stages ?? [];
  }
  return {
    label: values.stack ? `stack ${values.stack}` : stack ? "the current Pulumi stack" : "the API named by the flags",
    local: false,
    region,
    localRestApiId: undefined,
    localHttpApiId: undefined,
    tableName: values.table ?? stack?.tableName,
    stages,
    functionName: stack?.functionName,
    memoryCacheTtlSeconds: undefined,
    usagePlanIds: stack?.usagePlanIds,
    ...clients.bind(
      () => new DynamoDBClient({ region }),
      () => new APIGatewayClient({ region }),
    ),
  };
}

/** The Region the SDK finds on its own (the AWS profile's `region`), or undefined when it finds none. */
async function regionOfSdkConfiguration(): Promise<string | undefined> {
  const client = new DynamoDBClient({});
  try {
    return await client.config.region();
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}

function authorizerOf(stages: readonly ProtectedStage[], restApiId: string): { authorizerId?: string } {
  const id = stages.find((stage) => stage.restApiId === restApiId && stage.authorizerId)?.authorizerId;
  return id ? { authorizerId: id } : {};
}

/** Clients made on first use (a read-only command never opens one it does not need), destroyed by close(). */
function lazyClients() {
  return {
    bind(makeDynamoDb: () => DynamoDBClient, makeApiGateway: () => APIGatewayClient): Pick<Target, "dynamodb" | "apiGateway" | "close"> {
      let dynamodb: DynamoDBClient | undefined;
      let apiGateway: APIGatewayClient | undefined;
      return {
        dynamodb: () => (dynamodb ??= makeDynamoDb()),
        apiGateway: () => (apiGateway ??= makeApiGateway()),
        close: () => {
          dynamodb?.destroy();
          apiGateway?.destroy();
        },
      };
    },
  };
}

/** The table name, or a usage error saying how to give it. */
export function requireTable(target: Target): string {
  if (!target.tableName) throw new UsageError("no cache table: pass --table <name>, or run where `pulumi stack output` shows Keygate's tableName");
  return target.tableName;
}
