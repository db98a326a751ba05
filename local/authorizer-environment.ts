/**
 * The authorizer function's environment, built from the stack settings the same way the Pulumi
 * component builds the deployed function's environment, and checked with the authorizer's own
 * parser so that a bad value is reported at start-up under the stack setting's name.
 */
import { ConfigError, loadConfig } from "../lambda/config";
import { SettingsError, type KeygateSettings } from "./stack-config";

export interface KindeConnection {
  domain: string;
  clientId: string;
  clientSecret: string;
}

export interface DynamoDbConnection {
  endpoint: string;
  tableName: string;
  /** Dummy credentials for the embedded server; unset for a real endpoint (the SDK's own chain is used). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Which stack setting each authorizer variable comes from, to name the right one in errors. */
const SETTING_OF: Record<string, string> = {
  KINDE_DOMAIN: "keygate:kindeDomain",
  KINDE_M2M_CLIENT_ID: "keygate:kindeClientId",
  KINDE_M2M_CLIENT_SECRET: "keygate:kindeClientSecret",
  CACHE_TTL_SECONDS: "keygate:cacheTtlSeconds",
  NEGATIVE_CACHE_TTL_SECONDS: "keygate:negativeCacheTtlSeconds",
  MEMORY_CACHE_TTL_SECONDS: "keygate:memoryCacheTtlSeconds",
  STALE_IF_ERROR_SECONDS: "keygate:staleIfErrorSeconds",
  VERIFY_TIMEOUT_MS: "keygate:verifyTimeoutMs",
  DYNAMODB_TIMEOUT_MS: "keygate:dynamoDbTimeoutMs",
  REQUIRED_SCOPES: "keygate:requiredScopes",
  ROUTE_SCOPES: "keygate:routeScopes",
  ALLOW_ORG_KEYS: "keygate:allowOrgKeys",
  USAGE_PLANS: "keygate:usagePlans",
};

/** Variables the authorizer reads; inherited values of these never leak into the local function. */
const AUTHORIZER_VARIABLES = [
  ...Object.keys(SETTING_OF),
  "KINDE_M2M_CLIENT_SECRET_ARN",
  "CACHE_TABLE_NAME",
  "MEMORY_CACHE_MAX_ENTRIES",
];

/** Usage plans as the authorizer sees them: its USAGE_PLANS value and where API Gateway's control plane is. */
export interface UsagePlansConnection {
  variable: string;
  apiGatewayEndpoint: string;
}

export function authorizerEnvironment(
  settings: KeygateSettings,
  kinde: KindeConnection,
  dynamodb: DynamoDbConnection,
  region: string,
  inherited: Record<string, string | undefined> = process.env,
  usage?: UsagePlansConnection,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(inherited)) {
    if (value !== undefined && !AUTHORIZER_VARIABLES.includes(name)) env[name] = value;
  }
  Object.assign(env, {
    KINDE_DOMAIN: kinde.domain,
    KINDE_M2M_CLIENT_ID: kinde.clientId,
    KINDE_M2M_CLIENT_SECRET: kinde.clientSecret,
    CACHE_TABLE_NAME: dynamodb.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
    AWS_REGION: region,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    REQUIRED_SCOPES: settings.requiredScopes.join(" "),
    ALLOW_ORG_KEYS: String(settings.allowOrgKeys),
  });
  if (Object.keys(settings.routeScopes).length > 0) env.ROUTE_SCOPES = JSON.stringify(settings.routeScopes);
  if (usage) {
    env.USAGE_PLANS = usage.variable;
    env.AWS_ENDPOINT_URL_API_GATEWAY = usage.apiGatewayEndpoint;
  }
  if (dynamodb.credentials) {
    env.AWS_ACCESS_KEY_ID = dynamodb.credentials.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = dynamodb.credentials.secretAccessKey;
    delete env.AWS_SESSION_TOKEN;
    delete env.AWS_PROFILE;
  }
  const numbers: [keyof KeygateSettings, string][] = [
    ["cacheTtlSeconds", "CACHE_TTL_SECONDS"],
    ["negativeCacheTtlSeconds", "NEGATIVE_CACHE_TTL_SECONDS"],
    ["memoryCacheTtlSeconds", "MEMORY_CACHE_TTL_SECONDS"],
    ["staleIfErrorSeconds", "STALE_IF_ERROR_SECONDS"],
    ["verifyTimeoutMs", "VERIFY_TIMEOUT_MS"],
    ["dynamoDbTimeoutMs", "DYNAMODB_TIMEOUT_MS"],
  ];
  for (const [setting, variable] of numbers) {
    const value = settings[setting];
    if (typeof value === "number") env[variable] = String(value);
  }
  return env;
}

/**
 * Runs the authorizer's configuration parser over the environment, so that a value it refuses
 * stops `npm start` with the stack setting's name instead of failing every request.
 */
export function checkAuthorizerEnvironment(env: Record<string, string>, file?: string): ReturnType<typeof loadConfig> {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      const setting = SETTING_OF[error.variable] ?? error.variable;
      const problem = error.message.startsWith(`${error.variable}: `) ? error.message.slice(error.variable.length + 2) : error.message;
      throw new SettingsError(setting, `${problem} (authorizer variable ${error.variable})`, file);
    }
    throw error;
  }
}
