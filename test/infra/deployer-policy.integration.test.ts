import * as aws from "@pulumi/aws";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

// docs/deployer-policy.json is what the README tells a deployer to attach. This program makes the
// component create every resource type it can (a program API with the demo route, an API by id, an HTTP API by id,
// usage plans with fixed users and provisioning, OpenAPI, a KMS-encrypted audit log, the metric
// filter, the web ACL on every stage, alarms with a topic, the dashboard, Contributor Insights rules, saved queries,
// access logs with the account's CloudWatch role), and each type it registers must map to the IAM actions that create, read, update and
// delete it, all of them allowed by the document.

interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource: string | string[];
  Condition?: Record<string, unknown>;
}
interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

const policy = JSON.parse(readFileSync(join(__dirname, "..", "..", "docs", "deployer-policy.json"), "utf8")) as PolicyDocument;

const apiGatewayReadWrite = ["apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"];

/**
 * What the AWS provider calls to create, read (after create, on refresh and preview), update and
 * delete each resource type. Component resources register nothing at AWS themselves.
 */
const ACTIONS_BY_TYPE: Record<string, readonly string[]> = {
  "keygate:index:UserKeyAuthorizer": [],
  "keygate:index:DemoWhoamiRoute": [],
  "aws:lambda/function:Function": [
    "lambda:CreateFunction",
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "lambda:GetFunctionCodeSigningConfig",
    "lambda:ListVersionsByFunction",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
    "lambda:DeleteFunction",
    "lambda:TagResource",
    "lambda:UntagResource",
    "lambda:ListTags",
    // CreateFunction hands the function its execution role.
    "iam:PassRole",
  ],
  "aws:lambda/permission:Permission": ["lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"],
  "aws:iam/role:Role": [
    "iam:CreateRole",
    "iam:GetRole",
    "iam:UpdateRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:DeleteRole",
    "iam:TagRole",
    "iam:UntagRole",
    // Deleting a role first lists what is attached to it.
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
  ],
  "aws:iam/rolePolicy:RolePolicy": ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"],
  // The account's API Gateway CloudWatch role gets the AWS managed push-to-logs policy.
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies"],
  "aws:dynamodb/table:Table": [
    "dynamodb:CreateTable",
    "dynamodb:DescribeTable",
    "dynamodb:UpdateTable",
    "dynamodb:DeleteTable",
    "dynamodb:DescribeTimeToLive",
    "dynamodb:UpdateTimeToLive",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:UpdateContinuousBackups",
    "dynamodb:TagResource",
    "dynamodb:UntagResource",
    "dynamodb:ListTagsOfResource",
  ],
  "aws:dynamodb/tableItem:TableItem": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
  "aws:secretsmanager/secret:Secret": [
    "secretsmanager:CreateSecret",
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetResourcePolicy",
    "secretsmanager:UpdateSecret",
    "secretsmanager:DeleteSecret",
    "secretsmanager:TagResource",
    "secretsmanager:UntagResource",
  ],
  "aws:secretsmanager/secretVersion:SecretVersion": [
    "secretsmanager:PutSecretValue",
    "secretsmanager:GetSecretValue",
    "secretsmanager:DescribeSecret",
    "secretsmanager:UpdateSecretVersionStage",
    "secretsmanager:ListSecretVersionIds",
  ],
  "aws:cloudwatch/logGroup:LogGroup": [
    "logs:CreateLogGroup",
    "logs:DescribeLogGroups",
    "logs:DeleteLogGroup",
    "logs:PutRetentionPolicy",
    "logs:DeleteRetentionPolicy",
    "logs:AssociateKmsKey",
    "logs:DisassociateKmsKey",
    "logs:TagResource",
    "logs:UntagResource",
    "logs:ListTagsForResource",
    // The older tagging calls, still used for log groups by some provider versions.
    "logs:TagLogGroup",
    "logs:UntagLogGroup",
    "logs:ListTagsLogGroup",
  ],
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": ["logs:PutMetricFilter", "logs:DescribeMetricFilters", "logs:DeleteMetricFilter"],
  "aws:cloudwatch/metricAlarm:MetricAlarm": [
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:DeleteAlarms",
    "cloudwatch:TagResource",
    "cloudwatch:UntagResource",
    "cloudwatch:ListTagsForResource",
  ],
  "aws:cloudwatch/dashboard:Dashboard": ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"],
  // A rule's state is changed with Enable/DisableInsightRules; DescribeInsightRules has no resource-level permission.
  "aws:cloudwatch/contributorInsightRule:ContributorInsightRule": [
    "cloudwatch:PutInsightRule",
    "cloudwatch:DescribeInsightRules",
    "cloudwatch:DeleteInsightRules",
    "cloudwatch:EnableInsightRules",
    "cloudwatch:DisableInsightRules",
    "cloudwatch:TagResource",
    "cloudwatch:UntagResource",
    "cloudwatch:ListTagsForResource",
  ],
  // Saved queries have no ARN to scope to.
  "aws:cloudwatch/queryDefinition:QueryDefinition": ["logs:PutQueryDefinition", "logs:DescribeQueryDefinitions", "logs:DeleteQueryDefinition"],
  // API Gateway's IAM actions are its HTTP verbs; tags are written with PUT /tags/{arn}.
  "aws:apigateway/restApi:RestApi": [...apiGatewayReadWrite, "apigateway:PUT"],
  "aws:apigateway/resource:Resource": apiGatewayReadWrite,
  "aws:apigateway/method:Method": ["apigateway:GET", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"],
  "aws:apigateway/methodResponse:MethodResponse": ["apigateway:GET", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"],
  "aws:apigateway/integration:Integration": ["apigateway:GET", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"],
  "aws:apigateway/integrationResponse:IntegrationResponse": ["apigateway:GET", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"],
  "aws:apigateway/deployment:Deployment": apiGatewayReadWrite,
  "aws:apigateway/stage:Stage": [...apiGatewayReadWrite, "apigateway:PUT"],
  "aws:apigateway/authorizer:Authorizer": apiGatewayReadWrite,
  // An HTTP API's authorizer: CreateAuthorizer is POST /v2/apis/{apiId}/authorizers, UpdateAuthorizer PATCH.
  "aws:apigatewayv2/authorizer:Authorizer": apiGatewayReadWrite,
  "aws:apigateway/response:Response": ["apigateway:GET", "apigateway:PUT", "apigateway:DELETE"],
  "aws:apigateway/usagePlan:UsagePlan": [...apiGatewayReadWrite, "apigateway:PUT"],
  "aws:apigateway/apiKey:ApiKey": [...apiGatewayReadWrite, "apigateway:PUT"],
  "aws:apigateway/usagePlanKey:UsagePlanKey": ["apigateway:GET", "apigateway:POST", "apigateway:DELETE"],
  // GET and PATCH /account; naming the CloudWatch role passes it to API Gateway.
  "aws:apigateway/account:Account": ["apigateway:GET", "apigateway:PATCH", "iam:PassRole"],
  // Updates and deletes need the lock token GetWebACL returns.
  "aws:wafv2/webAcl:WebAcl": [
    "wafv2:CreateWebACL",
    "wafv2:GetWebACL",
    "wafv2:UpdateWebACL",
    "wafv2:DeleteWebACL",
    "wafv2:TagResource",
    "wafv2:UntagResource",
    "wafv2:ListTagsForResource",
  ],
  // Associating is authorized on the web ACL and on the stage; API Gateway also checks its own SetWebACL.
  "aws:wafv2/webAclAssociation:WebAclAssociation": ["wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACLForResource", "apigateway:SetWebACL"],
};

/** Data sources the component reads; none needs a permission (GetCallerIdentity never does). */
const ACTIONS_BY_CALL: Record<string, readonly string[]> = {
  "aws:index/getPartition:getPartition": [],
  "aws:index/getRegion:getRegion": [],
  "aws:index/getCallerIdentity:getCallerIdentity": [],
};

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** IAM action matching: case-insensitive, `*` any run of characters, `?` one character. */
function actionMatches(pattern: string, action: string): boolean {
  const expression = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${expression}$`, "i").test(action);
}

function allowedByPolicy(action: string): boolean {
  const matching = (effect: "Allow" | "Deny") =>
    policy.Statement.some((statement) => statement.Effect === effect && asList(statement.Action).some((pattern) => actionMatches(pattern, action)));
  return matching("Allow") && !matching("Deny");
}

let program: MockedProgram;

beforeAll(async () => {
  program = await mockPulumi();
  const { UserKeyAuthorizer } = await import("../../infra/user-key-authorizer.js");
  const { DemoWhoamiRoute } = await import("../../infra/demo-api.js");
  const restApi = new aws.apigateway.RestApi("keygate-demo", { apiKeySource: "AUTHORIZER", tags: { team: "platform" } });
  const auth = new UserKeyAuthorizer("keygate", {
    kinde: { domain: "https://acme.kinde.com", clientId: "m2m-client-id", clientSecret: "not-the-real-secret", apiIds: ["api_0123456789abcdef0123456789abcdef"] },
    apis: [
      {
        name: "demo",
        restApi,
        stageNames: ["demo"],
        deployStages: ({ authorizer, gatewayResponses, apiKeyRequired, accessLogSettings }) => [
          new DemoWhoamiRoute("keygate-demo", { restApi, authorizer, deploymentDependsOn: gatewayResponses, stageName: "demo", apiKeyRequired, ...(accessLogSettings ? { accessLogSettings } : {}) }).stage,
        ],
      },
      { restApiId: "a1b2c3d4e5", stageNames: ["prod"] },
    ],
    httpApis: [{ apiId: "f1g2h3i4j5" }],
    openApi: true,
    auditLog: { retentionInDays: 90, kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/audit", metrics: true },
    accessLogs: { enabled: true, cloudWatchRole: "create" },
    alarms: { topicArn: "arn:aws:sns:eu-west-1:123456789012:keygate-oncall" },
    cacheTable: { pointInTimeRecovery: true, deletionProtection: true },
    tags: { team: "platform" },
    waf: { requestsPerFiveMinutesPerIp: 2_000 },
    usagePlans: {
      tiers: {
        free: { throttle: { rateLimit: 5, burstLimit: 10 }, quota: { limit: 10_000, period: "MONTH" } },
        pro: { throttle: { rateLimit: 50, burstLimit: 100 }, methodThrottles: { "/whoami/GET": { rateLimit: 20, burstLimit: 40 } } },
      },
      defaultTier: "free",
      tierScopes: { "plan:pro": "pro" },
      users: { kp_0a1b2c3d: "pro" },
      autoProvision: true,
    },
  });
  await valueOf(auth.apis);
  await valueOf(auth.usagePlanIds!);
  await valueOf(auth.openApiSecurityScheme!);
  await registrationsSettled();
});

describe("docs/deployer-policy.json", () => {
  it("is an identity policy of Allow statements naming each action, with no wildcard action", () => {
    expect(policy.Version).toBe("2012-10-17");
    for (const statement of policy.Statement) {
      expect(statement.Effect, statement.Sid).toBe("Allow");
      expect(statement.NotAction, statement.Sid).toBeUndefined();
      for (const action of asList(statement.Action)) expect(action, statement.Sid).not.toMatch(/[*?]/);
    }
  });

  it("allows every action needed for every resource type and data source the component uses", () => {
    const types = [...new Set(program.resources.map((resource) => resource.type))].sort();
    // The program must really have reached the optional parts, or this test would prove less than it says.
    expect(types).toEqual(
      expect.arrayContaining([
        "aws:dynamodb/tableItem:TableItem",
        "aws:apigateway/usagePlan:UsagePlan",
        "aws:apigateway/apiKey:ApiKey",
        "aws:apigateway/usagePlanKey:UsagePlanKey",
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "aws:apigateway/stage:Stage",
        "aws:apigatewayv2/authorizer:Authorizer",
        "aws:wafv2/webAcl:WebAcl",
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:cloudwatch/dashboard:Dashboard",
        "aws:cloudwatch/contributorInsightRule:ContributorInsightRule",
        "aws:cloudwatch/queryDefinition:QueryDefinition",
        "aws:apigateway/account:Account",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
      ]),
    );
    expect(program.all("aws:iam/role:Role")).toHaveLength(3);
    expect(program.one("aws:cloudwatch/logGroup:LogGroup", "keygate-audit").inputs.kmsKeyId).toBe("arn:aws:kms:eu-west-1:123456789012:key/audit");

    const unmapped = types.filter((type) => !(type in ACTIONS_BY_TYPE));
    expect(unmapped, "resource types with no IAM actions listed in this test").toEqual([]);
    const calls = [...new Set(program.calls.map((call) => call.token))];
    expect(calls.filter((token) => !(token in ACTIONS_BY_CALL)), "data sources with no IAM actions listed in this test").toEqual([]);

    const missing = types.flatMap((type) => ACTIONS_BY_TYPE[type]!.filter((action) => !allowedByPolicy(action)).map((action) => `${type}: ${action}`));
    expect(missing).toEqual([]);
  });

  it("allows nothing that no resource type needs", () => {
    const needed = new Set(Object.values(ACTIONS_BY_TYPE).flat().map((action) => action.toLowerCase()));
    const granted = policy.Statement.flatMap((statement) => asList(statement.Action));
    expect(granted.filter((action) => !needed.has(action.toLowerCase()))).toEqual([]);
  });

  it("scopes names to keygate-*, the prefix of every named resource of a component called keygate", () => {
    for (const type of ["aws:lambda/function:Function", "aws:iam/role:Role", "aws:dynamodb/table:Table", "aws:cloudwatch/logGroup:LogGroup", "aws:secretsmanager/secret:Secret", "aws:wafv2/webAcl:WebAcl"]) {
      for (const resource of program.all(type)) expect(String(resource.state.name), type).toMatch(/^keygate-/);
    }
    for (const alarm of program.all("aws:cloudwatch/metricAlarm:MetricAlarm")) expect(String(alarm.state.name)).toMatch(/^keygate-/);
    expect(String(program.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardName)).toMatch(/^keygate-/);
    for (const rule of program.all("aws:cloudwatch/contributorInsightRule:ContributorInsightRule")) expect(String(rule.inputs.ruleName)).toMatch(/^keygate-/);
    // These statements hold only actions that cannot be scoped to a resource.
    // API Gateway's resources (the web ACL's stages among them) are named by path, not by name.
    const unscoped = new Set(["ListLogGroups", "ApiGateway", "WebAclStages", "InsightRulesAndSavedQueries"]);
    const namedResources = policy.Statement.filter((statement) => !unscoped.has(statement.Sid ?? "")).flatMap((statement) => asList(statement.Resource));
    for (const arn of namedResources) expect(arn).toMatch(/[:/]keygate-\*(:\*)?$/);
  });

  it("lets the deployer pass roles to Lambda, and to API Gateway (the access logs' account role), only", () => {
    const passRole = policy.Statement.filter((statement) => asList(statement.Action).includes("iam:PassRole"));
    expect(passRole.map((statement) => statement.Condition)).toEqual([
      { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } },
      { StringEquals: { "iam:PassedToService": "apigateway.amazonaws.com" } },
    ]);
  });

  it("lets the deployer attach the AWS managed push-to-logs policy to Keygate's roles, and no other", () => {
    const attach = policy.Statement.filter((statement) => asList(statement.Action).some((action) => /^iam:(Attach|Detach)RolePolicy$/.test(action)));
    expect(attach).toHaveLength(1);
    expect(attach[0]!.Condition).toEqual({ ArnEquals: { "iam:PolicyARN": "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs" } });
    expect(program.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs.policyArn).toBe("arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs");
  });
});
