import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";

/** Lambda's limit on a function's name. */
const MAX_FUNCTION_NAME = 64;

/** Where the component deploys. */
export interface AccountScope {
  partition: string;
  region: string;
  accountId: string;
}

/**
 * The authorizer function's name, fixed by the program instead of generated at deployment, so
 * that the authorizers' URI can be written before the function exists (`lambdaInvokeArn`). With
 * usage plans the function's environment names the plans, a plan names stages, and a stage of this
 * program needs the authorizer its methods use: an authorizer waiting for the function would close
 * that cycle. Unique per project, stack and component, like the suffix Pulumi would have added.
 */
export function authorizerFunctionName(componentName: string, stack: { project: string; stack: string } = { project: pulumi.getProject(), stack: pulumi.getStack() }): string {
  const suffix = createHash("sha256").update(JSON.stringify([stack.project, stack.stack, componentName])).digest("hex").slice(0, 8);
  // Lambda allows letters, digits, "-" and "_"; the suffix keeps names apart once shortened.
  const base = `${componentName}-authorizer`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, MAX_FUNCTION_NAME - suffix.length - 1);
  return `${base}-${suffix}`;
}

/** A function's invoke ARN (what an authorizer's URI is), in the shape Lambda reports as `invokeArn`. */
export function lambdaInvokeArn(scope: AccountScope, functionName: string): string {
  const functionArn = `arn:${scope.partition}:lambda:${scope.region}:${scope.accountId}:function:${functionName}`;
  return `arn:${scope.partition}:apigateway:${scope.region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;
}
