import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ApiAttachment } from "./api-attachment";
import type { AccountScope } from "./authorizer-function";

/** The rate-based rule's name, also the end of its CloudWatch metric's name. */
export const RATE_RULE_NAME = "requests-per-ip";
/** AWS WAF counts each IP's requests over this window, in seconds; the limit is per window. */
export const RATE_WINDOW_SECONDS = 300;

/** One protected stage the web ACL is associated with. */
export interface WafStage {
  /** The API's key in resource names (api-attachment.ts). */
  apiKey: string;
  restApiId: pulumi.Input<string>;
  stageName: string;
  /** The program's Stage resources of that API, which must exist before the association. */
  deployed?: aws.apigateway.Stage[];
}

export interface WafResources {
  webAcl: aws.wafv2.WebAcl;
  associations: aws.wafv2.WebAclAssociation[];
}

/** Every stage of every protected API, as `stageNames` names them (checked in validate-waf.ts). */
export function protectedStages(attachments: readonly ApiAttachment[], deployed: readonly (aws.apigateway.Stage[] | undefined)[]): WafStage[] {
  return attachments.flatMap((attachment, index) =>
    attachment.stageNames.map((stageName) => ({ apiKey: attachment.key, restApiId: attachment.restApiId, stageName, ...(deployed[index] ? { deployed: deployed[index] } : {}) })),
  );
}

/**
 * A regional web ACL in front of the protected stages: requests pass unless one source IP sent more
 * than `requestsPerFiveMinutesPerIp` in the last five minutes, across every stage it guards; AWS WAF
 * then answers 403 before API Gateway calls the authorizer, so a flood costs neither Lambda nor Kinde.
 * One association per stage; names derive from the component, the API's key and the stage.
 */
export function createWaf(
  componentName: string,
  requestsPerFiveMinutesPerIp: number,
  stages: readonly WafStage[],
  target: { scope: pulumi.Output<AccountScope>; tags: Record<string, string> | undefined },
  parent: pulumi.Resource,
): WafResources {
  const metricName = wafMetricName(componentName);
  const webAcl = new aws.wafv2.WebAcl(
    `${componentName}-waf`,
    {
      description: "Keygate: blocks a source IP that exceeds its request rate on the protected stages",
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      rules: [
        {
          name: RATE_RULE_NAME,
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: requestsPerFiveMinutesPerIp, aggregateKeyType: "IP", evaluationWindowSec: RATE_WINDOW_SECONDS } },
          visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: `${metricName}-${RATE_RULE_NAME}`, sampledRequestsEnabled: true },
        },
      ],
      visibilityConfig: { cloudwatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true },
      tags: target.tags,
    },
    { parent },
  );
  const associations = stages.map(
    (stage) =>
      new aws.wafv2.WebAclAssociation(
        `${componentName}-${stage.apiKey}-${stage.stageName}-waf`,
        { resourceArn: pulumi.interpolate`arn:${target.scope.partition}:apigateway:${target.scope.region}::/restapis/${stage.restApiId}/stages/${stage.stageName}`, webAclArn: webAcl.arn },
        // A stage of this program must exist before AWS WAF can be associated with it.
        { parent, ...(stage.deployed ? { dependsOn: stage.deployed } : {}) },
      ),
  );
  return { webAcl, associations };
}

/** AWS WAF metric names: 1 to 128 letters, digits and `_#:.-/`; the rule's name is appended to this one. */
function wafMetricName(componentName: string): string {
  return `${componentName.replace(/[^\w#:./-]/g, "-")}-waf`.slice(0, 128 - RATE_RULE_NAME.length - 1);
}
