import type * as aws from "@pulumi/aws";
import { usageProvisioningStatements, type UsageIamResources } from "../lambda/usage/iam-statements";
import type { AccountScope } from "./authorizer-function";

/**
 * IAM policy documents, as plain data so tests can read them statement by statement. Each grants
 * only what the authorizer's code calls, on the one resource it calls it on.
 */

/** The DynamoDB calls the verdict cache makes (lambda/cache/dynamodb-verdict-store.ts). */
export const CACHE_TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem"] as const;
/** The one Secrets Manager call (lambda/kinde/client-secret.ts). */
export const CLIENT_SECRET_ACTIONS = ["secretsmanager:GetSecretValue"] as const;
/** What Lambda needs to ship the function's output to a log group that already exists. */
export const AUDIT_LOG_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"] as const;

export interface AuthorizerPolicyResources {
  cacheTableArn: string;
  clientSecretArn: string;
  auditLogGroupArn: string;
}

export function lambdaAssumeRolePolicy(): aws.iam.PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
  };
}

/**
 * The authorizer function's permissions. `extraStatements` is where later features (usage plans)
 * add theirs, so the whole grant stays in one reviewed document.
 */
export function authorizerRolePolicy(resources: AuthorizerPolicyResources, extraStatements: aws.iam.PolicyStatement[] = []): aws.iam.PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "CacheTableItems", Effect: "Allow", Action: [...CACHE_TABLE_ACTIONS], Resource: resources.cacheTableArn },
      { Sid: "ReadKindeClientSecret", Effect: "Allow", Action: [...CLIENT_SECRET_ACTIONS], Resource: resources.clientSecretArn },
      // Log events are written to streams, whose ARNs are the group's ARN followed by ":log-stream:<name>".
      { Sid: "WriteAuditLog", Effect: "Allow", Action: [...AUDIT_LOG_ACTIONS], Resource: `${resources.auditLogGroupArn}:*` },
      ...extraStatements,
    ],
  };
}

/**
 * What usage plans add to the authorizer's role. With `autoProvision`, exactly the statements of
 * lambda/usage/iam-statements.ts, which lists what the run-time code calls: CreateApiKey, DeleteApiKey,
 * CreateUsagePlanKey on the tiers' plans, and GetItem, PutItem and UpdateItem on the cache table.
 * Without it the authorizer makes no API Gateway call and only reads mapping items (GetItem), which
 * `CacheTableItems` already grants: nothing is added.
 */
export function usagePlanStatements(autoProvision: boolean, resources: UsageIamResources): aws.iam.PolicyStatement[] {
  return autoProvision ? usageProvisioningStatements(resources) : [];
}

/**
 * For APIs defined with OpenAPI the authorizer's id is not known to this program, so a
 * `lambda.Permission` scoped to it cannot be written; API Gateway assumes this role instead. Only
 * for an authorizer of an API in the component's own account and Region: `aws:SourceArn` has the
 * shape API Gateway gives an authorizer invocation (`<api execution ARN>/authorizers/<id>`, as in
 * the permission `allowInvoke` writes), with the API and authorizer ids left open since they are
 * not known here. Both are `IfExists`: the key is in the request context only when the calling
 * service supplies it, and a condition on an absent key would refuse every invocation.
 */
export function apiGatewayAssumeRolePolicy(scope: AccountScope): aws.iam.PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "apigateway.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEqualsIfExists: { "aws:SourceAccount": scope.accountId },
          ArnLikeIfExists: { "aws:SourceArn": `arn:${scope.partition}:execute-api:${scope.region}:${scope.accountId}:*/authorizers/*` },
        },
      },
    ],
  };
}

export function invokeAuthorizerPolicy(functionArn: string): aws.iam.PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "InvokeAuthorizer", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: functionArn }],
  };
}
