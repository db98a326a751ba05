/**
 * The Secrets Manager client and its one command Keygate sends. Imported lazily, so the bundle keeps
 * it in a chunk of its own that a container loads on its first read of the M2M client secret.
 */
export { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
