/**
 * The authorizer function's environment, built from the stack settings the same way the Pulumi
 * component builds the deployed function's environment, and checked with the authorizer's own
 * parser so that a bad value is reported at start-up under the stack setting's name.
 */
import { authorizerEnvironment as encodeAuthorizerEnvironment, loadConfig, settingOfVariable } from "../lambda/config";
import { SettingError } from "../lambda/errors";
import { SETTINGS, type SettingSpec } from "../lambda/settings/settings-table";
import { CONFIG_NAMESPACE } from "../infra/stack-settings";
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

/** Variables the authorizer reads; inherited values of these never leak into the local function. */
const AUTHORIZER_VARIABLES: ReadonlySet<string> = new Set(Object.values(SETTINGS).flatMap((setting: SettingSpec) => (setting.env ? [setting.env.name] : [])));

/** Usage plans as the authorizer sees them: its USAGE_PLANS value and where API Gateway's control plane is. */
export interface UsagePlansConnection {
  variable: string;
  apiGatewayEndpoint: string;
}

/**
 * The local function's environment: the settings encoded by the same encoder as the deployed
 * function's, overlaid with what only local use has: its Kinde (the emulator or the tenant, with the
 * plaintext secret), its DynamoDB endpoint and its usage-plan control plane.
 */
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
    if (value !== undefined && !AUTHORIZER_VARIABLES.has(name)) env[name] = value;
  }
  Object.assign(
    env,
    encodeAuthorizerEnvironment(
      { ...settings, kindeDomain: kinde.domain },
      { clientId: kinde.clientId, clientSecret: kinde.clientSecret, cacheTableName: dynamodb.tableName, ...(usage ? { usagePlans: usage.variable } : {}) },
    ),
    {
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_REGION: region,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  );
  if (usage) env.AWS_ENDPOINT_URL_API_GATEWAY = usage.apiGatewayEndpoint;
  if (dynamodb.credentials) {
    env.AWS_ACCESS_KEY_ID = dynamodb.credentials.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = dynamodb.credentials.secretAccessKey;
    delete env.AWS_SESSION_TOKEN;
    delete env.AWS_PROFILE;
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
    if (!(error instanceof SettingError)) throw error;
    const setting = settingOfVariable(error.setting);
    const stackKey = setting ? (SETTINGS[setting] as SettingSpec).stackKey : undefined;
    throw new SettingsError(stackKey ? `${CONFIG_NAMESPACE}:${stackKey}` : error.setting, `${error.problem} (authorizer variable ${error.setting})`, file);
  }
}
