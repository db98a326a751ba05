/**
 * The Lambda entry point, bundled to dist/authorizer/index.mjs. Configuration is read once per
 * container at start-up, so a malformed setting fails the container with a message naming it.
 */
import { authorizerFromConfig } from "./authorizer-from-config";
import { loadConfig } from "./config";

export const handler = authorizerFromConfig(loadConfig());
