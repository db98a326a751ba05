/**
 * The IAM statements run-time provisioning needs, as plain data (no Pulumi import) so that the
 * infrastructure code grants exactly what lambda/usage calls, on exactly the resources it calls it on.
 * API Gateway's management ARNs are `arn:<partition>:apigateway:<region>::` followed by the REST path.
 */
import { CREATED_BY_TAG_KEY, keyTags, STACK_TAG_KEY } from "./stack-tag";

export interface UsageIamStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface UsageIamResources {
  partition: string;
  region: string;
  /** Every tier's usage plan id. */
  usagePlanIds: readonly string[];
  cacheTableArn: string;
  /** The `keygate:stack` tag's value on this deployment's keys (lambda/usage/stack-tag.ts). */
  stackTag: string;
}

export function usageProvisioningStatements(resources: UsageIamResources): UsageIamStatement[] {
  const base = `arn:${resources.partition}:apigateway:${resources.region}::`;
  const tags = keyTags(resources.stackTag, "authorizer");
  // The request must carry exactly the authorizer's two tags with this deployment's values, so every
  // key the role creates is one it may later delete, and it can create no other.
  const requestTags = {
    StringEquals: Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:RequestTag/${key}`, value])),
    "ForAllValues:StringEquals": { "aws:TagKeys": [STACK_TAG_KEY, CREATED_BY_TAG_KEY] },
  };
  return [
    // CreateApiKey (POST /apikeys), with its tags.
    { Sid: "CreateUsageKeys", Effect: "Allow", Action: ["apigateway:POST"], Resource: [`${base}/apikeys`], Condition: requestTags },
    // Tags given to CreateApiKey are authorized as PUT on /tags/{the new key's ARN, URL-encoded}; the key
    // has no id yet, so that ARN ends in "/apikeys/*" (denials read "apigateway:PUT on resource
    // arn:aws:apigateway:us-east-1::/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2F*",
    // github.com/mattclay/aws-terminator/pull/284). IAM's "?" matches that one "*" and no 10-character
    // key id, so the role cannot tag an existing key (and so make another key deletable).
    {
      Sid: "TagUsageKeysOnCreate",
      Effect: "Allow",
      Action: ["apigateway:PUT"],
      Resource: [`${base}/tags/${encodeURIComponent(`${base}/apikeys/`)}?`],
      Condition: requestTags,
    },
    // DeleteApiKey (DELETE /apikeys/{id}): key ids are generated, so the path cannot narrow it; the
    // keys' tags do. API Gateway evaluates aws:ResourceTag for the resource a call acts on ("Using tags
    // to control access to API Gateway REST API resources",
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging-iam-policy.html),
    // and API keys can be tagged: only keys this deployment's authorizer created match, never the pool
    // keys, the fixed users' keys or any other key in the account.
    {
      Sid: "DeleteUsageKeys",
      Effect: "Allow",
      Action: ["apigateway:DELETE"],
      Resource: [`${base}/apikeys/*`],
      Condition: { StringEquals: Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:ResourceTag/${key}`, value])) },
    },
    // CreateUsagePlanKey (POST /usageplans/{id}/keys), on the tiers' plans only.
    { Sid: "AddUsageKeysToTierPlans", Effect: "Allow", Action: ["apigateway:POST"], Resource: resources.usagePlanIds.map((id) => `${base}/usageplans/${id}/keys`) },
    // The key counter and tier changes are conditional UpdateItems; mappings use GetItem and PutItem.
    { Sid: "UsageKeyMappings", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], Resource: [resources.cacheTableArn] },
  ];
}
