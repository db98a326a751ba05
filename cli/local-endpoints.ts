/**
 * `.keygate/local.json`: where a running `npm start` can be reached, so that `keygate ... --local`
 * operates on it as on a deployed stack. `npm start` writes it when it is up and removes it when it
 * stops; it holds endpoints and names only, never a key or a secret.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface LocalEndpoints {
  /** The local gateway's base URL. */
  gatewayUrl: string;
  region: string;
  dynamodb: { endpoint: string; tableName: string; embedded: boolean };
  /** The local API Gateway control plane (AWS_ENDPOINT_URL_API_GATEWAY for the SDK). */
  controlPlaneUrl: string;
  /** The kind of API the local gateway plays (KEYGATE_LOCAL_API): a REST API, or an HTTP API. */
  apiKind: "rest" | "http";
  /** In HTTP mode: the HTTP API's id, as API Gateway v2's calls name it. */
  httpApiId?: string;
  /** The REST API's description, which `keygate invalidate --local` flushes the authorizer cache through in either mode. */
  restApiId: string;
  stageName: string;
  authorizerId: string;
  /** The authorizer's MEMORY_CACHE_TTL_SECONDS. */
  memoryCacheTtlSeconds: number;
  /** With usage plans: each tier's plan id. */
  usagePlanIds?: Record<string, string>;
}

export function localEndpointsPath(cwd: string): string {
  return join(cwd, ".keygate", "local.json");
}

/** Writes the file; returns what removes it again. */
export function writeLocalEndpoints(path: string, endpoints: LocalEndpoints): () => void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(endpoints, null, 2)}\n`);
  return () => rmSync(path, { force: true });
}

/** The endpoints of the `npm start` running in `cwd`, or undefined when none is recorded there. */
export function readLocalEndpoints(path: string): LocalEndpoints | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: Partial<LocalEndpoints>;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<LocalEndpoints>;
  } catch {
    parsed = {};
  }
  const complete =
    typeof parsed.gatewayUrl === "string" &&
    typeof parsed.region === "string" &&
    typeof parsed.dynamodb?.endpoint === "string" &&
    typeof parsed.dynamodb.tableName === "string" &&
    typeof parsed.controlPlaneUrl === "string" &&
    (parsed.apiKind === "rest" || (parsed.apiKind === "http" && typeof parsed.httpApiId === "string")) &&
    typeof parsed.restApiId === "string" &&
    typeof parsed.stageName === "string" &&
    typeof parsed.authorizerId === "string" &&
    typeof parsed.memoryCacheTtlSeconds === "number";
  if (!complete) throw new Error(`${path} is not a file this version of keygate can read: restart npm start to rewrite it`);
  return parsed as LocalEndpoints;
}
