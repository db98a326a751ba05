/**
 * The credential provider the bundled AWS SDK clients use instead of the SDK's default chain (the
 * build puts this module where the clients import `@aws-sdk/credential-provider-node`).
 *
 * Lambda hands a function its role's credentials as environment variables, so the chain's other
 * sources (SSO, shared files, process, web identity, instance and container metadata) and the
 * nested STS/SSO clients they carry are dead weight on every cold start. They stay reachable for
 * `npm start` against a real AWS account: without environment credentials, the SDK's own chain is
 * imported, in a chunk of its own, on first use.
 */

/** What the SDK clients accept from a credential provider. */
export interface EnvironmentCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
  credentialScope?: string;
  accountId?: string;
}

type CredentialProvider = () => Promise<EnvironmentCredentials>;
type ProviderChain = (init: unknown) => CredentialProvider;

/** The variables Lambda (and the SDK's own environment provider) use, or undefined when the key pair is incomplete. */
export function credentialsFromEnvironment(env: Record<string, string | undefined> = process.env): EnvironmentCredentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    ...(env.AWS_CREDENTIAL_EXPIRATION ? { expiration: new Date(env.AWS_CREDENTIAL_EXPIRATION) } : {}),
    ...(env.AWS_CREDENTIAL_SCOPE ? { credentialScope: env.AWS_CREDENTIAL_SCOPE } : {}),
    ...(env.AWS_ACCOUNT_ID ? { accountId: env.AWS_ACCOUNT_ID } : {}),
  };
}

const loadSdkChain: () => Promise<ProviderChain> = async () => (await import("./sdk-credential-chain.js")).defaultProvider as ProviderChain;

/**
 * Same signature as the SDK's `defaultProvider`. Environment credentials when present (read on each
 * call, as the SDK's environment provider does; the client memoizes what it gets), else the SDK's
 * chain, loaded once.
 */
export function defaultProvider(
  init?: unknown,
  env: Record<string, string | undefined> = process.env,
  loadChain: () => Promise<ProviderChain> = loadSdkChain,
): CredentialProvider {
  let chain: Promise<CredentialProvider> | undefined;
  return async () => {
    const fromEnvironment = credentialsFromEnvironment(env);
    if (fromEnvironment) return fromEnvironment;
    chain ??= loadChain().then(
      (provider) => provider(init),
      (error: unknown) => {
        chain = undefined; // a failed load is tried again by the next call
        throw error;
      },
    );
    return (await chain)();
  };
}
