/**
 * The AWS SDK's default credential chain. Imported lazily, only when the environment holds no
 * credentials (`npm start` against a real account with a profile or SSO), so the bundle keeps it
 * and its nested STS/SSO clients in a chunk of their own.
 */
export { defaultProvider } from "@aws-sdk/credential-provider-node";
