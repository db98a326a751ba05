/**
 * The IAM statements run-time provisioning needs, as plain data (no Pulumi import) so that the
 * infrastructure code grants exactly what lambda/usage calls, on exactly the resources it calls it on.
 * API Gateway's management ARNs are `arn:<partition>:apigateway:<region>::` followed by the REST path.
 */
export interface UsageIamStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
}

export interface UsageIamResources {
  partition: string;
  region: string;
  /** Every tier's usage plan id. */
  usagePlanIds: readonly string[];
  cacheTableArn: string;
}

export function usageProvisioningStatements(resources: UsageIamResources): UsageIamStatement[] {
  const base = `arn:${resources.partition}:apigateway:${resources.region}::`;
  return [
    // CreateApiKey (POST /apikeys). Keys are created without tags: tagging on create needs more.
    { Sid: "CreateUsageKeys", Effect: "Allow", Action: ["apigateway:POST"], Resource: [`${base}/apikeys`] },
    // DeleteApiKey (DELETE /apikeys/{id}): key ids are generated, so no narrower pattern exists.
    { Sid: "DeleteUsageKeys", Effect: "Allow", Action: ["apigateway:DELETE"], Resource: [`${base}/apikeys/*`] },
    // CreateUsagePlanKey (POST /usageplans/{id}/keys), on the tiers' plans only.
    { Sid: "AddUsageKeysToTierPlans", Effect: "Allow", Action: ["apigateway:POST"], Resource: resources.usagePlanIds.map((id) => `${base}/usageplans/${id}/keys`) },
    // The key counter and tier changes are conditional UpdateItems; mappings use GetItem and PutItem.
    { Sid: "UsageKeyMappings", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], Resource: [resources.cacheTableArn] },
  ];
}
