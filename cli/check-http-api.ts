/**
 * `keygate check --http-api-id <id>`: a read-only report on an HTTP API (API Gateway v2). Lists its
 * routes and says which use Keygate's authorizer (`authorizationType` CUSTOM with Keygate's
 * `authorizerId`), which another authorizer (CUSTOM, JWT or AWS_IAM) and which none. Exit status 1
 * when a route does not use Keygate's. An HTTP API has no usage plans and no gateway responses, and a
 * stage with automatic deployment serves a route as soon as it changes, so there is nothing else to
 * check there.
 */
import { ApiGatewayV2Client, GetApiCommand, GetAuthorizersCommand, GetRoutesCommand, NotFoundException, type Authorizer, type Route } from "@aws-sdk/client-apigatewayv2";
import { UsageError } from "./arguments";
import { localEndpointsPath, readLocalEndpoints } from "./local-endpoints";
import type { CommandIo } from "./command-io";
import { readStackOutputs } from "./stack-outputs";

export const HTTP_API_CHECK_HELP = `  --http-api-id <id>      an HTTP API (API Gateway v2) instead: list its routes and say which use
                          Keygate's authorizer (exit status 1 when one does not)`;

/** The options `keygate check` passes on (the HTTP API check reads these only). */
export interface HttpApiCheckOptions {
  "http-api-id"?: string;
  "authorizer-id"?: string;
  "rest-api-id"?: string;
  stage?: string[];
  "usage-plans"?: boolean;
  local?: boolean;
  stack?: string;
  region?: string;
}

/** The most items API Gateway v2 returns in one page of a list. */
const MAX_RESULTS = "500";

type RouteUse = "keygate" | "other" | "none";

export async function checkHttpApi(options: HttpApiCheckOptions, io: CommandIo): Promise<number> {
  const apiId = options["http-api-id"]!;
  if (options["rest-api-id"] !== undefined || options.stage !== undefined) {
    throw new UsageError("keygate check: --http-api-id names an HTTP API, which has no --rest-api-id, and whose routes are checked on every stage: pass one kind of API");
  }
  if (options["usage-plans"]) throw new UsageError("keygate check: --usage-plans is for REST APIs; HTTP APIs have no usage plans");
  const { client, stack, place } = await connect(options, io);
  try {
    const api = await client.send(new GetApiCommand({ ApiId: apiId })).catch((error: unknown) => {
      if (error instanceof NotFoundException) throw new UsageError(`keygate check: no HTTP API ${apiId} in ${place} (${error.message})`);
      throw error;
    });
    if (api.ProtocolType !== undefined && api.ProtocolType !== "HTTP") throw new UsageError(`keygate check: API ${apiId} is a ${api.ProtocolType} API, not an HTTP API`);
    const authorizers = await allPages((NextToken) => client.send(new GetAuthorizersCommand({ ApiId: apiId, MaxResults: MAX_RESULTS, NextToken })));
    const keygate = keygateAuthorizer(authorizers, options["authorizer-id"] ?? stack.authorizerIds.get(apiId), stack.functionName, apiId);
    io.out(`HTTP API ${apiId} (${api.Name ?? "unnamed"}); Keygate's authorizer: ${keygate.AuthorizerId} (${keygate.Name ?? "unnamed"})`);
    for (const warning of authorizerWarnings(keygate)) io.out(`  ${"WARNING".padEnd(12)}${warning}`);

    const routes = (await allPages((NextToken) => client.send(new GetRoutesCommand({ ApiId: apiId, MaxResults: MAX_RESULTS, NextToken })))).sort((a, b) =>
      (a.RouteKey ?? "").localeCompare(b.RouteKey ?? ""),
    );
    if (routes.length === 0) io.out("  The API has no routes yet.");
    let problems = 0;
    for (const route of routes) {
      const { use, text } = describeRoute(route, keygate, authorizers);
      // A CORS preflight is usually meant to be open, as in the REST API check.
      const preflight = use === "none" && route.RouteKey?.startsWith("OPTIONS ");
      const label = use === "keygate" ? "KEYGATE" : preflight ? "WARNING" : use === "other" ? "OTHER" : "NONE";
      io.out(`  ${label.padEnd(12)}${text}${preflight ? " (a CORS preflight is usually meant to be open)" : ""}`);
      if (use !== "keygate" && !preflight) problems++;
    }
    io.out(problems === 0 ? "  OK: every route uses Keygate's authorizer." : `  ${problems} route(s) do not use Keygate's authorizer.`);
    return problems > 0 ? 1 : 0;
  } finally {
    client.destroy();
  }
}

interface StackHints {
  /** Keygate's authorizer on each HTTP API, from the stack's `httpApis` output. */
  authorizerIds: Map<string, string>;
  functionName: string | undefined;
}

/**
 * The client, what the stack (or npm start) says about its HTTP APIs (nothing when the stack cannot be
 * read), and how to name where the API was looked for.
 */
async function connect(options: HttpApiCheckOptions, io: CommandIo): Promise<{ client: ApiGatewayV2Client; stack: StackHints; place: string }> {
  const none: StackHints = { authorizerIds: new Map(), functionName: undefined };
  if (options.local) {
    if (options.stack) throw new UsageError("--local and --stack name two different places: pass one");
    const path = localEndpointsPath(io.cwd);
    const local = readLocalEndpoints(path);
    if (!local) throw new UsageError(`--local: no running npm start recorded in ${path}; start it in this folder first (npm start)`);
    // The local control plane checks only that requests are signed.
    const client = new ApiGatewayV2Client({ endpoint: local.controlPlaneUrl, region: local.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    // npm start runs one API: in HTTP mode it is the HTTP API recorded here, in REST mode there is none.
    const place = local.httpApiId !== undefined ? `npm start, which serves only ${local.httpApiId}` : "npm start, which runs a REST API (KEYGATE_LOCAL_API=http npm start runs an HTTP API)";
    return { client, stack: { ...none, authorizerIds: local.httpApiId !== undefined ? new Map([[local.httpApiId, local.authorizerId]]) : new Map() }, place };
  }
  const region = options.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const client = new ApiGatewayV2Client(region ? { region } : {});
  const place = "this account and Region";
  if (options["authorizer-id"] !== undefined) return { client, stack: none, place };
  const outputs = await readStackOutputs(io, options.stack);
  if ("unavailable" in outputs) {
    io.err(`note: ${outputs.unavailable}; using the flags given`);
    return { client, stack: none, place };
  }
  return { client, place, stack: { authorizerIds: new Map(outputs.httpApis.map((api) => [api.apiId, api.authorizerId])), functionName: outputs.functionName } };
}

/** Keygate's authorizer on this API: the one named, else the stack's, else the one whose URI names the stack's function. */
function keygateAuthorizer(authorizers: readonly Authorizer[], named: string | undefined, functionName: string | undefined, apiId: string): Authorizer {
  const list = () => authorizers.map((a) => `${a.AuthorizerId} ${a.Name ?? ""}`.trim()).join(", ") || "none";
  if (named) {
    const found = authorizers.find((authorizer) => authorizer.AuthorizerId === named);
    if (!found) throw new UsageError(`HTTP API ${apiId} has no authorizer ${named} (its authorizers: ${list()})`);
    return found;
  }
  const byFunction = functionName ? authorizers.filter((authorizer) => authorizer.AuthorizerUri?.includes(`:function:${functionName}/`)) : [];
  if (byFunction.length === 1) return byFunction[0]!;
  throw new UsageError(`cannot tell which authorizer of HTTP API ${apiId} is Keygate's: pass --authorizer-id (its authorizers: ${list()})`);
}

/** What the component sets on an HTTP API's authorizer and the authorizer answers by (infra/api-attachment.ts). */
function authorizerWarnings(authorizer: Authorizer): string[] {
  const warnings: string[] = [];
  if (authorizer.AuthorizerPayloadFormatVersion !== "2.0" || authorizer.EnableSimpleResponses !== true) {
    warnings.push(
      `authorizer ${authorizer.AuthorizerId}: payload format ${authorizer.AuthorizerPayloadFormatVersion ?? "unset"}, simple responses ${authorizer.EnableSimpleResponses ? "on" : "off"}; Keygate's component sets 2.0 with simple responses`,
    );
  }
  return warnings;
}

function describeRoute(route: Route, keygate: Authorizer, authorizers: readonly Authorizer[]): { use: RouteUse; text: string } {
  const key = route.RouteKey ?? "?";
  const type = route.AuthorizationType ?? "NONE";
  if (type === "CUSTOM" && route.AuthorizerId === keygate.AuthorizerId) return { use: "keygate", text: key };
  if (type === "NONE") return { use: "none", text: `${key}: no authorization` };
  if (type === "AWS_IAM") return { use: "other", text: `${key}: IAM authorization, not Keygate's authorizer` };
  const other = authorizers.find((authorizer) => authorizer.AuthorizerId === route.AuthorizerId);
  const name = other ? `${other.AuthorizerType ?? type} authorizer ${other.AuthorizerId}${other.Name ? ` (${other.Name})` : ""}` : `authorizer ${route.AuthorizerId ?? "none"}`;
  return { use: "other", text: `${key}: ${name}, not Keygate's authorizer` };
}

/** Every item of a paged API Gateway v2 list. */
async function allPages<T>(fetchPage: (nextToken: string | undefined) => Promise<{ Items?: T[]; NextToken?: string }>): Promise<T[]> {
  const items: T[] = [];
  let nextToken: string | undefined;
  do {
    const page = await fetchPage(nextToken);
    items.push(...(page.Items ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return items;
}
