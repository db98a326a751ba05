/**
 * The API Gateway client and the three commands run-time provisioning sends. Imported lazily, so the
 * bundle keeps it in a chunk of its own that only containers with auto-provisioning load, and
 * re-exported by name, so that chunk holds these commands and not the client's other hundred.
 */
export { APIGatewayClient, CreateApiKeyCommand, CreateUsagePlanKeyCommand, DeleteApiKeyCommand } from "@aws-sdk/client-api-gateway";
