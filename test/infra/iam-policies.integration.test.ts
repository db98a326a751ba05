import { beforeAll, describe, expect, it } from "vitest";
import { MOCK_ACCOUNT, MOCK_PARTITION, MOCK_REGION, mockPulumi, registrationsSettled, valueOf, type MockedProgram } from "./support/pulumi-mocks";

// The role policies as the program sends them to AWS, read statement by statement.
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
}
interface PolicyDocument {
  Version: string;
  Statement: Statement[];
}

let program: MockedProgram;
let scheme: Record<string, unknown> | undefined;
const parse = (json: unknown) => JSON.parse(String(json)) as PolicyDocument;

beforeAll(async () => {
  program = await mockPulumi();
  const { UserKeyAuthorizer } = await import("../../infra/user-key-authorizer.js");
  const auth = new UserKeyAuthorizer("keys", {
    kinde: { domain: "https://acme.kinde.com", clientId: "id", clientSecret: "secret", apiIds: ["api_0123456789abcdef0123456789abcdef"] },
    apis: [{ restApiId: "a1b2c3d4e5" }],
    openApi: true,
    authorizerResultTtlSeconds: 120,
  });
  scheme = await valueOf(auth.openApiSecurityScheme!);
  await registrationsSettled();
});

describe("the authorizer function's role", () => {
  it("can be assumed by Lambda only", () => {
    const role = program.one("aws:iam/role:Role", "keys-authorizer").inputs;
    expect(parse(role.assumeRolePolicy)).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    expect(role.managedPolicyArns).toBeUndefined();
    expect(program.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toEqual([]);
  });

  it("has exactly one inline policy, on that role", () => {
    const policies = program.all("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === program.one("aws:iam/role:Role", "keys-authorizer").id);
    expect(policies.map((p) => p.name)).toEqual(["keys-authorizer"]);
  });

  describe("its statements", () => {
    const statements = () => parse(program.one("aws:iam/rolePolicy:RolePolicy", "keys-authorizer").inputs.policy).Statement;
    const bySid = (sid: string) => statements().find((statement) => statement.Sid === sid)!;

    it("are these three and no others, all Allow", () => {
      expect(statements().map((s) => s.Sid)).toEqual(["CacheTableItems", "ReadKindeClientSecret", "WriteAuditLog"]);
      expect(statements().every((s) => s.Effect === "Allow")).toBe(true);
    });

    it("read and write items of the cache table, and only of it", () => {
      expect(bySid("CacheTableItems").Action).toEqual(["dynamodb:GetItem", "dynamodb:PutItem"]);
      expect(bySid("CacheTableItems").Resource).toBe(program.one("aws:dynamodb/table:Table").state.arn);
    });

    it("read the one Kinde client secret", () => {
      expect(bySid("ReadKindeClientSecret").Action).toEqual(["secretsmanager:GetSecretValue"]);
      expect(bySid("ReadKindeClientSecret").Resource).toBe(program.one("aws:secretsmanager/secret:Secret").state.arn);
    });

    it("write log events to the streams of the audit log group only", () => {
      expect(bySid("WriteAuditLog").Action).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
      expect(bySid("WriteAuditLog").Resource).toBe(`${String(program.one("aws:cloudwatch/logGroup:LogGroup").state.arn)}:*`);
    });

    it("use no wildcard action and no wildcard resource", () => {
      for (const statement of statements()) {
        for (const action of [statement.Action].flat()) expect(action).not.toMatch(/\*/);
        for (const resource of [statement.Resource ?? []].flat()) {
          // The only "*" allowed is the log-stream suffix of the audit group's ARN.
          expect(resource.replace(/:\*$/, "")).not.toMatch(/\*/);
          expect(resource).toMatch(/^arn:aws:(dynamodb|secretsmanager|logs):eu-west-1:123456789012:/);
        }
      }
    });

    it("grant nothing that could reach other tables, secrets or groups (no NotAction, NotResource or Deny tricks)", () => {
      for (const statement of statements()) {
        expect(Object.keys(statement).sort()).toEqual(["Action", "Effect", "Resource", "Sid"]);
      }
    });
  });
});

describe("for APIs defined with OpenAPI (openApi: true)", () => {
  it("API Gateway may assume a role that can invoke the authorizer function and nothing else", () => {
    const role = program.one("aws:iam/role:Role", "keys-openapi-invoke");
    expect(parse(role.inputs.assumeRolePolicy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "apigateway.amazonaws.com" },
          Action: "sts:AssumeRole",
          // Only on behalf of an authorizer of an API in this account and Region (confused deputy).
          Condition: {
            StringEqualsIfExists: { "aws:SourceAccount": MOCK_ACCOUNT },
            ArnLikeIfExists: { "aws:SourceArn": `arn:${MOCK_PARTITION}:execute-api:${MOCK_REGION}:${MOCK_ACCOUNT}:*/authorizers/*` },
          },
        },
      ],
    });
    const policy = program.one("aws:iam/rolePolicy:RolePolicy", "keys-openapi-invoke").inputs;
    expect(policy.role).toBe(role.id);
    expect(parse(policy.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [{ Sid: "InvokeAuthorizer", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: program.one("aws:lambda/function:Function").state.arn }],
    });
  });

  it("exports a ready-to-paste x-amazon-apigateway-authorizer security scheme using that role", () => {
    const fn = program.one("aws:lambda/function:Function").state;
    expect(scheme).toEqual({
      type: "apiKey",
      name: "Authorization",
      in: "header",
      "x-amazon-apigateway-authtype": "custom",
      "x-amazon-apigateway-authorizer": {
        type: "request",
        identitySource: "method.request.header.Authorization",
        authorizerUri: fn.invokeArn,
        authorizerCredentials: program.one("aws:iam/role:Role", "keys-openapi-invoke").state.arn,
        authorizerResultTtlInSeconds: 120,
      },
    });
  });
});
