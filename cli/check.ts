/**
 * `keygate check --rest-api-id <id> --stage <stage>`: a read-only report on an existing REST API.
 * Which methods do not use Keygate's authorizer; whether the API is set up as usage plans need
 * (`apiKeySource` AUTHORIZER, `apiKeyRequired` on every method); whether the stage's deployment
 * predates the authorizer (its methods as deployed) or Keygate's gateway responses (the stage's
 * export). Exit status 1 when a method is unprotected or unmetered, as deployed or as defined.
 * `--http-api-id` checks an HTTP API's routes instead (check-http-api.ts).
 */
import {
  GetAuthorizersCommand,
  GetDeploymentCommand,
  GetExportCommand,
  GetGatewayResponsesCommand,
  GetResourcesCommand,
  GetRestApiCommand,
  GetStageCommand,
  NotFoundException,
  type APIGatewayClient,
  type Authorizer,
  type Resource,
} from "@aws-sdk/client-api-gateway";
import { GATEWAY_RESPONSES } from "../infra/gateway-responses";
import { parseOptions, TARGET_HELP, TARGET_OPTIONS, UsageError } from "./arguments";
import { checkHttpApi, HTTP_API_CHECK_HELP } from "./check-http-api";
import type { CommandIo } from "./command-io";
import { resolveTarget, type Target } from "./target";

export const CHECK_HELP = `Usage: keygate check [--rest-api-id <id> --stage <stage> | --http-api-id <id>] [options]

Reports, without changing anything, the methods of a REST API that do not use Keygate's authorizer,
whether apiKeySource and apiKeyRequired are set as usage plans need, and whether the stage's
deployment predates the authorizer or Keygate's gateway responses (then redeploy the stage).
Without --rest-api-id, checks every stage in the stack's apis output (with --local, the API npm start
runs: its HTTP API when it runs one, KEYGATE_LOCAL_API=http).

Exit status 1 when a method is unprotected (or, with usage plans, unmetered).

  --authorizer-id <id>    Keygate's authorizer on the API (default: from the stack's outputs, or the
                          authorizer whose URI names the stack's function)
  --usage-plans           check as usage plans need (default: when the stack has usagePlanIds)
${HTTP_API_CHECK_HELP}
${TARGET_HELP}`;

const OPTIONS = { ...TARGET_OPTIONS, "authorizer-id": { type: "string" }, "usage-plans": { type: "boolean" }, "http-api-id": { type: "string" } } as const;

interface Finding {
  severity: "unprotected" | "unmetered" | "warning";
  text: string;
}

interface CurrentMethod {
  path: string;
  httpMethod: string;
  authorizationType: string;
  authorizerId: string | undefined;
  apiKeyRequired: boolean;
}

export async function check(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseOptions(argv, OPTIONS, "check");
  if (values.help) {
    io.out(CHECK_HELP);
    return 0;
  }
  if (values["http-api-id"] !== undefined) return checkHttpApi(values, io);
  const target = await resolveTarget(values, io);
  // npm start in HTTP mode runs an HTTP API: named by no REST flag, that is the API to check.
  if (target.localHttpApiId !== undefined && values["rest-api-id"] === undefined && values.stage === undefined) {
    target.close();
    return checkHttpApi({ ...values, "http-api-id": target.localHttpApiId }, io);
  }
  try {
    if (target.stages.length === 0) {
      throw new UsageError(
        values["rest-api-id"]
          ? `keygate check: which stage of ${values["rest-api-id"]}? pass --stage <stage> (the stack's outputs name none of that API)`
          : "keygate check: which API? pass --rest-api-id <id> --stage <stage>, or --http-api-id <id> (see keygate check --help)",
      );
    }
    const usagePlans = values["usage-plans"] === true || Object.keys(target.usagePlanIds ?? {}).length > 0;
    let failed = false;
    for (const stage of target.stages) {
      const findings = await checkStage(target, target.apiGateway(), stage.restApiId, stage.stageName, values["authorizer-id"] ?? stage.authorizerId, usagePlans, io);
      for (const finding of findings) io.out(`  ${finding.severity.toUpperCase().padEnd(12)}${finding.text}`);
      const problems = findings.filter((finding) => finding.severity !== "warning").length;
      io.out(problems === 0 ? `  OK: every method uses Keygate's authorizer${usagePlans ? " and is metered" : ""}.` : `  ${problems} problem(s).`);
      failed ||= problems > 0;
    }
    return failed ? 1 : 0;
  } finally {
    target.close();
  }
}

async function checkStage(
  target: Target,
  client: APIGatewayClient,
  restApiId: string,
  stageName: string,
  authorizerIdOption: string | undefined,
  usagePlans: boolean,
  io: CommandIo,
): Promise<Finding[]> {
  const api = await client.send(new GetRestApiCommand({ restApiId })).catch((error: unknown) => {
    throw error instanceof NotFoundException ? noSuchApi(target, restApiId, error) : error;
  });
  const authorizers = (await client.send(new GetAuthorizersCommand({ restApiId, limit: 500 }))).items ?? [];
  const keygate = keygateAuthorizer(authorizers, authorizerIdOption, target.functionName, restApiId);
  io.out(`REST API ${restApiId} (${api.name ?? "unnamed"}), stage ${stageName}; Keygate's authorizer: ${keygate.id} (${keygate.name ?? "unnamed"})`);

  const findings: Finding[] = [];
  const methods = await currentMethods(client, restApiId);
  const protectedMethods: CurrentMethod[] = [];
  for (const method of methods) {
    const label = `${method.httpMethod} ${method.path}`;
    if (method.authorizationType === "CUSTOM" && method.authorizerId === keygate.id) {
      protectedMethods.push(method);
      continue;
    }
    const how = method.authorizationType === "CUSTOM" ? `another authorizer (${method.authorizerId ?? "none"})` : `authorization ${method.authorizationType}`;
    if (method.httpMethod === "OPTIONS" && method.authorizationType === "NONE") {
      findings.push({ severity: "warning", text: `${label}: ${how} (a CORS preflight is usually meant to be open)` });
    } else {
      findings.push({ severity: "unprotected", text: `${label}: ${how}, not Keygate's authorizer` });
    }
  }

  if (usagePlans) {
    if (api.apiKeySource !== "AUTHORIZER") {
      findings.push({ severity: "unmetered", text: `apiKeySource is ${api.apiKeySource ?? "HEADER"}: usage plans meter by the key the authorizer returns only with AUTHORIZER` });
    }
    for (const method of protectedMethods.filter((m) => !m.apiKeyRequired)) {
      findings.push({ severity: "unmetered", text: `${method.httpMethod} ${method.path}: apiKeyRequired is false, so no usage plan meters it` });
    }
  } else if (protectedMethods.some((m) => m.apiKeyRequired)) {
    findings.push({ severity: "warning", text: "some methods require an API key but no usage plans are known: pass --usage-plans if the stack meters users" });
  }

  findings.push(...(await deploymentFindings(client, restApiId, stageName, protectedMethods)));
  return findings;
}

/**
 * The API does not exist where the command looked. API Gateway's NotFoundException says "Invalid API
 * identifier specified", followed by `<account>:<id>` in its answers seen so far; the account is
 * named when the message holds one.
 */
function noSuchApi(target: Target, restApiId: string, error: Error): UsageError {
  if (target.local) return new UsageError(`no REST API ${restApiId} in ${target.label}, which serves only ${target.localRestApiId}: check --rest-api-id, or leave it out`);
  const account = /\b(\d{12}):/.exec(error.message)?.[1];
  return new UsageError(`no REST API ${restApiId} in ${account ? `account ${account}` : "this AWS account"}, Region ${target.region}: check --rest-api-id, and --region or AWS_REGION`);
}

/** Keygate's authorizer on this API: the one named, else the stack's, else the one whose URI names the stack's function. */
function keygateAuthorizer(authorizers: readonly Authorizer[], named: string | undefined, functionName: string | undefined, restApiId: string): Authorizer {
  if (named) {
    const found = authorizers.find((authorizer) => authorizer.id === named);
    if (!found) throw new UsageError(`REST API ${restApiId} has no authorizer ${named} (its authorizers: ${authorizers.map((a) => a.id).join(", ") || "none"}): check --authorizer-id`);
    return found;
  }
  const byFunction = functionName ? authorizers.filter((authorizer) => authorizer.authorizerUri?.includes(`:function:${functionName}/`)) : [];
  if (byFunction.length === 1) return byFunction[0]!;
  throw new UsageError(
    `cannot tell which authorizer of REST API ${restApiId} is Keygate's: pass --authorizer-id (its authorizers: ${authorizers.map((a) => `${a.id} ${a.name ?? ""}`.trim()).join(", ") || "none"})`,
  );
}

async function currentMethods(client: APIGatewayClient, restApiId: string): Promise<CurrentMethod[]> {
  const resources: Resource[] = [];
  let position: string | undefined;
  do {
    const page = await client.send(new GetResourcesCommand({ restApiId, embed: ["methods"], limit: 500, ...(position ? { position } : {}) }));
    resources.push(...(page.items ?? []));
    position = page.position;
  } while (position);
  return resources.flatMap((resource) =>
    Object.entries(resource.resourceMethods ?? {}).map(([httpMethod, method]) => ({
      path: resource.path ?? "?",
      httpMethod,
      authorizationType: method.authorizationType ?? "NONE",
      authorizerId: method.authorizerId,
      apiKeyRequired: method.apiKeyRequired === true,
    })),
  );
}

/** Whether the stage serves what is defined now: its deployment's methods, and the gateway responses in its export. */
async function deploymentFindings(client: APIGatewayClient, restApiId: string, stageName: string, protectedMethods: readonly CurrentMethod[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  const stage = await client.send(new GetStageCommand({ restApiId, stageName })).catch((error: unknown) => {
    throw error instanceof NotFoundException ? new UsageError(`REST API ${restApiId} has no stage ${stageName}: check --stage`) : error;
  });
  if (!stage.deploymentId) return [{ severity: "unprotected", text: `stage ${stageName} has no deployment` }];
  const deployment = await client.send(new GetDeploymentCommand({ restApiId, deploymentId: stage.deploymentId, embed: ["apisummary"] }));
  const deployedAt = deployment.createdDate ? ` (deployed ${deployment.createdDate.toISOString()})` : "";
  for (const method of protectedMethods) {
    const deployed = deployment.apiSummary?.[method.path]?.[method.httpMethod];
    if (!deployed) {
      findings.push({ severity: "warning", text: `${method.httpMethod} ${method.path}: not in the stage's deployment${deployedAt} yet; redeploy the stage to serve it` });
    } else if (deployed.authorizationType !== "CUSTOM") {
      findings.push({
        severity: "unprotected",
        text: `${method.httpMethod} ${method.path}: the stage's deployment${deployedAt} predates the authorizer (deployed with ${deployed.authorizationType}); redeploy the stage`,
      });
    }
  }

  const defined = new Set(
    ((await client.send(new GetGatewayResponsesCommand({ restApiId, limit: 500 }))).items ?? []).filter((r) => r.defaultResponse === false).map((r) => r.responseType),
  );
  const exported = await client.send(new GetExportCommand({ restApiId, stageName, exportType: "oas30", parameters: { extensions: "apigateway" }, accepts: "application/json" }));
  const document = JSON.parse(new TextDecoder().decode(exported.body ?? new Uint8Array())) as Record<string, unknown>;
  const deployedResponses = new Set(Object.keys((document["x-amazon-apigateway-gateway-responses"] as Record<string, unknown> | undefined) ?? {}));
  for (const { responseType } of GATEWAY_RESPONSES) {
    if (!defined.has(responseType)) findings.push({ severity: "warning", text: `gateway response ${responseType} is not Keygate's: clients get API Gateway's default answer` });
    else if (!deployedResponses.has(responseType)) findings.push({ severity: "warning", text: `gateway response ${responseType}: the stage's deployment${deployedAt} predates it; redeploy the stage` });
  }
  return findings;
}
