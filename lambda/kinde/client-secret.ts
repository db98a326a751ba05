import { VerificationUnavailableError } from "../errors";

/** Returns the M2M client secret. Deployed, it is read from Secrets Manager once per container. */
export type ClientSecretSource = () => Promise<string>;

export function clientSecretSource(options: { clientSecret?: string; clientSecretArn?: string }): ClientSecretSource {
  if (options.clientSecret !== undefined) {
    const secret = options.clientSecret;
    return () => Promise.resolve(secret);
  }
  const arn = options.clientSecretArn;
  if (arn === undefined) throw new Error("clientSecretSource needs a secret or a secret ARN");
  let pending: Promise<string> | undefined;
  return () => {
    pending ??= readSecret(arn).catch((error: unknown) => {
      pending = undefined; // a failed read is retried by the next verification
      throw error;
    });
    return pending;
  };
}

async function readSecret(arn: string): Promise<string> {
  // Loaded on first use only: containers that never miss their caches never pay for this client.
  const { SecretsManagerClient, GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
  try {
    const client = new SecretsManagerClient({ maxAttempts: 2 });
    const result = await client.send(new GetSecretValueCommand({ SecretId: arn }), { abortSignal: AbortSignal.timeout(2_000) });
    const value = result.SecretString?.trim();
    if (!value) throw new Error("the secret has no string value");
    return value;
  } catch (error) {
    // The SDK's message names the ARN and the failure, never the value.
    throw new VerificationUnavailableError("client_secret_unavailable", (error as Error).message);
  }
}
