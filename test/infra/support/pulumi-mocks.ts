import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";

/**
 * Pulumi mocks for Keygate's infra tests. Mocks only echo inputs, so the provider-computed
 * outputs the program reads (ARNs, invoke and execution ARNs, ids, generated names) are made up
 * here, deterministically, in the shape AWS gives them.
 */

export const MOCK_PARTITION = "aws";
export const MOCK_REGION = "eu-west-1";
export const MOCK_ACCOUNT = "123456789012";

export interface RecordedResource {
  type: string;
  name: string;
  id: string;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
}

export interface RecordedCall {
  token: string;
  inputs: Record<string, unknown>;
}

export interface MockedProgram {
  resources: RecordedResource[];
  calls: RecordedCall[];
  /** The only resource of this type (and name, if given); fails the test otherwise. */
  one(type: string, name?: string): RecordedResource;
  all(type: string): RecordedResource[];
}

const hash = (text: string, length: number): string => createHash("sha256").update(text).digest("hex").slice(0, length);

/** REST API and authorizer ids are short lower-case strings in AWS; derive them from the name. */
const shortId = (name: string, length: number): string =>
  hash(name, 32)
    .replace(/[^a-z0-9]/g, "")
    .slice(0, length);

/** The value the mocks give a generated API key: letters and digits, 40 of them, as API Gateway's. */
export function mockApiKeyValue(resourceName: string): string {
  return createHash("sha256").update(`api-key-value/${resourceName}`).digest("hex").slice(0, 40);
}

/** Where the mocked program deploys: the data sources answer it, and the made-up ARNs and URLs name it. */
export interface MockScope {
  partition: string;
  region: string;
}

function computedState(type: string, name: string, inputs: Record<string, unknown>, scope: MockScope): { id: string; state: Record<string, unknown> } {
  const physicalName = typeof inputs.name === "string" ? inputs.name : `${name}-${hash(name, 7)}`;
  const arn = (service: string, resource: string) => `arn:${scope.partition}:${service}:${scope.region}:${MOCK_ACCOUNT}:${resource}`;
  switch (type) {
    case "aws:secretsmanager/secret:Secret": {
      const secretArn = arn("secretsmanager", `secret:${physicalName}-${hash(name, 6)}`);
      return { id: secretArn, state: { name: physicalName, arn: secretArn } };
    }
    case "aws:secretsmanager/secretVersion:SecretVersion":
      return { id: `${String(inputs.secretId)}|v1`, state: { versionId: "v1", arn: inputs.secretId } };
    case "aws:dynamodb/table:Table":
      return { id: physicalName, state: { name: physicalName, arn: arn("dynamodb", `table/${physicalName}`) } };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { id: physicalName, state: { name: physicalName, arn: arn("logs", `log-group:${physicalName}`) } };
    case "aws:iam/role:Role":
      return { id: physicalName, state: { name: physicalName, arn: `arn:${scope.partition}:iam::${MOCK_ACCOUNT}:role/${physicalName}` } };
    case "aws:lambda/function:Function": {
      const functionArn = arn("lambda", `function:${physicalName}`);
      return {
        id: physicalName,
        state: {
          name: physicalName,
          arn: functionArn,
          invokeArn: `arn:${scope.partition}:apigateway:${scope.region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
        },
      };
    }
    case "aws:apigateway/restApi:RestApi": {
      const id = shortId(name, 10);
      return { id, state: { name: physicalName, executionArn: arn("execute-api", id), rootResourceId: shortId(`${name}/`, 10), arn: `arn:${scope.partition}:apigateway:${scope.region}::/restapis/${id}` } };
    }
    case "aws:apigateway/authorizer:Authorizer":
      return { id: shortId(name, 6), state: { name: physicalName } };
    case "aws:apigatewayv2/api:Api": {
      // An HTTP API: its id has the REST API id's shape, and the same execute-api host and ARN forms.
      const id = shortId(name, 10);
      return {
        id,
        state: {
          name: physicalName,
          apiEndpoint: `https://${id}.execute-api.${scope.region}.amazonaws.com`,
          executionArn: arn("execute-api", id),
          arn: `arn:${scope.partition}:apigateway:${scope.region}::/apis/${id}`,
        },
      };
    }
    case "aws:apigatewayv2/authorizer:Authorizer":
      return { id: shortId(`v2/${name}`, 7), state: { name: physicalName } };
    case "aws:apigateway/usagePlan:UsagePlan":
      return { id: shortId(name, 6), state: { name: physicalName, arn: `arn:${scope.partition}:apigateway:${scope.region}::/usageplans/${shortId(name, 6)}` } };
    case "aws:apigateway/apiKey:ApiKey":
      // API Gateway generates a 40-character value when none is given.
      return { id: shortId(name, 10), state: { name: physicalName, value: typeof inputs.value === "string" ? inputs.value : mockApiKeyValue(name) } };
    case "aws:apigateway/usagePlanKey:UsagePlanKey":
      return { id: String(inputs.keyId), state: {} };
    case "aws:wafv2/webAcl:WebAcl": {
      // AWS WAF ids are UUIDs; the ARN names the scope, the web ACL's name and its id.
      const id = [8, 4, 4, 4, 12].map((length, part) => hash(`${name}/${part}`, length)).join("-");
      return { id, state: { name: physicalName, arn: arn("wafv2", `regional/webacl/${physicalName}/${id}`) } };
    }
    case "aws:apigateway/stage:Stage": {
      const restApi = String(inputs.restApi);
      const stageName = String(inputs.stageName);
      return {
        id: `ags-${restApi}-${stageName}`,
        state: { invokeUrl: `https://${restApi}.execute-api.${scope.region}.amazonaws.com/${stageName}`, executionArn: `${arn("execute-api", restApi)}/${stageName}` },
      };
    }
    case "aws:cloudwatch/metricAlarm:MetricAlarm": {
      const alarmName = typeof inputs.name === "string" ? inputs.name : `${name}-${hash(name, 7)}`;
      return { id: alarmName, state: { name: alarmName, arn: arn("cloudwatch", `alarm:${alarmName}`) } };
    }
    case "aws:cloudwatch/dashboard:Dashboard":
      return { id: String(inputs.dashboardName), state: { dashboardArn: `arn:${scope.partition}:cloudwatch::${MOCK_ACCOUNT}:dashboard/${String(inputs.dashboardName)}` } };
    case "aws:cloudwatch/contributorInsightRule:ContributorInsightRule":
      return { id: String(inputs.ruleName), state: { resourceArn: arn("cloudwatch", `insight-rule/${String(inputs.ruleName)}`) } };
    case "aws:cloudwatch/queryDefinition:QueryDefinition":
      return { id: hash(`query/${name}`, 36), state: { queryDefinitionId: hash(`query/${name}`, 36) } };
    default:
      return { id: `${name}-id`, state: "name" in inputs || type.startsWith("aws:iam/") ? { name: physicalName } : {} };
  }
}

function callResult(token: string, scope: MockScope): Record<string, unknown> {
  switch (token) {
    case "aws:index/getPartition:getPartition":
      return { id: scope.partition, partition: scope.partition, dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
    case "aws:index/getRegion:getRegion":
      return { id: scope.region, region: scope.region, name: scope.region, endpoint: `ec2.${scope.region}.amazonaws.com`, description: `the mocked Region ${scope.region}` };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { id: MOCK_ACCOUNT, accountId: MOCK_ACCOUNT, arn: `arn:${scope.partition}:iam::${MOCK_ACCOUNT}:user/test`, userId: "AIDATEST" };
    default:
      throw new Error(`the program called ${token}, which these mocks do not implement`);
  }
}

/**
 * Installs the mocks (not in preview mode, so every `apply` runs). Stack config, if any, must be
 * given here: Pulumi reads PULUMI_CONFIG when the mocks are set. `scope` deploys elsewhere than
 * MOCK_PARTITION and MOCK_REGION (another partition's ARNs).
 */
export async function mockPulumi(options: { project?: string; stack?: string; config?: Record<string, string>; scope?: MockScope } = {}): Promise<MockedProgram> {
  const scope = options.scope ?? { partition: MOCK_PARTITION, region: MOCK_REGION };
  const project = options.project ?? "keygate";
  const stack = options.stack ?? "test";
  process.env.PULUMI_CONFIG = JSON.stringify(options.config ?? {});
  const resources: RecordedResource[] = [];
  const calls: RecordedCall[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = args.inputs as Record<string, unknown>;
        const { id, state } = computedState(args.type, args.name, inputs, scope);
        const full = { ...inputs, ...state };
        resources.push({ type: args.type, name: args.name, id, inputs, state: full });
        return { id, state: full };
      },
      call(args) {
        calls.push({ token: args.token, inputs: args.inputs as Record<string, unknown> });
        return callResult(args.token, scope);
      },
    },
    project,
    stack,
    false,
  );
  const all = (type: string) => resources.filter((resource) => resource.type === type);
  return {
    resources,
    calls,
    all,
    one(type, name) {
      const matches = all(type).filter((resource) => name === undefined || resource.name === name);
      if (matches.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${matches.length}: ${matches.map((m) => m.name).join(", ")}`);
      return matches[0]!;
    },
  };
}

/** The value of an output (mocks are not in preview mode, so it always resolves). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

// `waitForRPCs` is Pulumi's own "every registration has been answered" barrier; it is marked
// internal, so it is not in the type declarations and is reached through require.
const settings = createRequire(__filename)("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

/** Resolves once every resource the program started registering has been registered. */
export function registrationsSettled(): Promise<void> {
  return settings.waitForRPCs();
}
