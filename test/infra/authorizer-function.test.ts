import { describe, expect, it } from "vitest";
import { authorizerFunctionName, lambdaInvokeArn } from "../../infra/authorizer-function";

// The authorizer function's name is fixed by the program so that its authorizers' URI can be
// written before it exists; it must still be a valid, unique Lambda name.

const stack = { project: "keygate", stack: "dev" };

describe("the authorizer function's name", () => {
  it("is the component's name, -authorizer, and a suffix from project, stack and component", () => {
    expect(authorizerFunctionName("keygate", stack)).toMatch(/^keygate-authorizer-[0-9a-f]{8}$/);
    expect(authorizerFunctionName("keygate", stack)).toBe(authorizerFunctionName("keygate", { ...stack }));
  });

  it("differs between stacks, projects and components, which may share an account and Region", () => {
    const names = new Set([
      authorizerFunctionName("keygate", stack),
      authorizerFunctionName("keygate", { ...stack, stack: "prod" }),
      authorizerFunctionName("keygate", { ...stack, project: "other" }),
      authorizerFunctionName("keys", stack),
    ]);
    expect(names.size).toBe(4);
  });

  it("keeps to Lambda's rules: at most 64 letters, digits, - and _, and long names stay apart", () => {
    const long = "a-component-name-far-longer-than-lambda-would-accept-for-a-function";
    for (const name of [long, `${long}-2`, "keys.v2/eu", "ünïcode"]) {
      expect(authorizerFunctionName(name, stack), name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    }
    expect(authorizerFunctionName(long, stack)).not.toBe(authorizerFunctionName(`${long}-2`, stack));
    expect(authorizerFunctionName("keys.v2/eu", stack)).toMatch(/^keys-v2-eu-authorizer-[0-9a-f]{8}$/);
  });
});

describe("its invoke ARN", () => {
  it("has the shape Lambda reports, in any partition", () => {
    expect(lambdaInvokeArn({ partition: "aws", region: "eu-west-1", accountId: "123456789012" }, "keys-authorizer-0a1b2c3d")).toBe(
      "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:keys-authorizer-0a1b2c3d/invocations",
    );
    expect(lambdaInvokeArn({ partition: "aws-cn", region: "cn-north-1", accountId: "123456789012" }, "f")).toBe(
      "arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/arn:aws-cn:lambda:cn-north-1:123456789012:function:f/invocations",
    );
  });
});
