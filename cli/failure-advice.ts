/**
 * A failed call, told as what to do about it: the flag or environment variable that fixes it. The
 * AWS SDK's errors name what went wrong in AWS's terms ("Region is missing", "Requested resource not
 * found", ECONNREFUSED); the operator needs to know which of their inputs to change.
 */
import { KeygateError } from "../lambda/errors";

interface FailureContext {
  /** The command ran against `npm start` (--local). */
  local: boolean;
}

const REFUSED_CREDENTIALS = new Set([
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "ExpiredTokenException",
  "ExpiredToken",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
]);

/** One line saying what failed and what to change. */
export function adviseFailure(error: unknown, context: FailureContext): string {
  const e = error as { name?: string; message?: string; code?: string; cause?: { code?: string } } | undefined;
  const name = e?.name ?? "Error";
  const message = e?.message ?? String(error);
  const what = name === "Error" || error instanceof KeygateError ? message : `${name}: ${message}`;
  const code = e?.code ?? e?.cause?.code;

  if (message === "Region is missing") return "no AWS Region: pass --region <region> or set AWS_REGION (or give your AWS profile a region)";
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(message)) {
    return `no AWS credentials (${message}): set AWS_PROFILE (after \`aws sso login\` for an SSO profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`;
  }
  if (REFUSED_CREDENTIALS.has(name)) return `AWS refused the credentials in use (${what}): renew them (\`aws sso login\`) or choose others with AWS_PROFILE`;
  if (name === "AccessDeniedException" || name === "AccessDenied") {
    return `the AWS identity in use may not do this (${what}): choose one that may with AWS_PROFILE (docs/keygate-command.md lists what each command calls)`;
  }
  if (name === "ResourceNotFoundException") {
    return `${what}: the cache table does not exist there: check --table (default: the stack's tableName output)${context.local ? "" : ", and --region or AWS_REGION"}`;
  }
  if (name === "NotFoundException") return `${what}: check --rest-api-id and --stage (default: the stack's apis output)`;
  if (code === "ECONNREFUSED" || /ECONNREFUSED/.test(message)) {
    return context.local
      ? `npm start no longer answers (${what}): start it again in this folder (npm start)`
      : `nothing answers at the AWS endpoint (${what}): check AWS_ENDPOINT_URL and the AWS_ENDPOINT_URL_* variables, or unset them`;
  }
  return what;
}
