import { describe, expect, it } from "vitest";
import { buildPolicy, type PolicyDocument } from "../../lambda/policy/build-policy";
import { evaluatePolicy, matchesWildcard } from "../../lambda/policy/evaluate-policy";
import { parseMethodArn } from "../../lambda/policy/method-arn";
import { HTTP_VERBS, parseRouteScopes } from "../../lambda/policy/route-rules";
import { assertScalarContext, buildAuthorizerContext } from "../../lambda/policy/authorizer-context";

const ARN = "arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod/POST/lambda-request";

describe("parseMethodArn", () => {
  it("splits a method ARN, keeping partition, region, account, api, stage, verb and path", () => {
    expect(parseMethodArn(ARN)).toEqual({
      partition: "aws", region: "eu-west-1", accountId: "123456789012", apiId: "puhdx84jy9",
      stage: "prod", method: "POST", resourcePath: "lambda-request",
    });
  });

  it("takes the partition from the ARN (China, GovCloud)", () => {
    expect(parseMethodArn("arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/v1/GET/")?.partition).toBe("aws-cn");
    expect(parseMethodArn("arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abc123/v1/GET/a/b")?.resourcePath).toBe("a/b");
  });

  it("accepts the root resource and the test console's `*` stage", () => {
    expect(parseMethodArn("arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/")).toMatchObject({ stage: "*", resourcePath: "" });
  });

  it.each([undefined, "", "arn:aws:lambda:us-east-1:123456789012:function:x", "arn:aws:execute-api:us-east-1:123:api/prod/GET/"])(
    "rejects %s",
    (arn) => expect(parseMethodArn(arn)).toBeUndefined(),
  );
});

describe("buildPolicy", () => {
  const target = parseMethodArn(ARN)!;
  const stage = "arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod";

  it("without route rules allows every route of the stage, never just the method ARN", () => {
    expect(buildPolicy(target, new Set(), [])).toEqual({
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: [`${stage}/*/*`] }],
    });
  });

  it("with route rules denies exactly the routes whose scopes the key lacks", () => {
    const rules = parseRouteScopes({ "GET /profile/*": "read:profile", "POST /orders": ["write:orders", "billing"], "ANY /admin": "admin" });
    const policy = buildPolicy(target, new Set(["read:profile", "write:orders"]), rules);
    expect(policy.Statement).toEqual([
      { Action: "execute-api:Invoke", Effect: "Allow", Resource: [`${stage}/*/*`] },
      {
        Action: "execute-api:Invoke",
        Effect: "Deny",
        Resource: [`${stage}/POST/orders`, `${stage}/POST/orders/`, ...HTTP_VERBS.flatMap((verb) => [`${stage}/${verb}/admin`, `${stage}/${verb}/admin/`])],
      },
    ]);
  });

  it("is the same policy whichever route triggered it, so API Gateway's result cache is safe", () => {
    const rules = parseRouteScopes({ "GET /profile/*": "read:profile" });
    const other = parseMethodArn("arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod/GET/")!;
    expect(buildPolicy(other, new Set(), rules)).toEqual(buildPolicy(target, new Set(), rules));
  });

  it("evaluates as IAM would for each route under the cache", () => {
    const rules = parseRouteScopes({ "GET /profile/*": "read:profile" });
    const policy = buildPolicy(target, new Set(), rules);
    expect(evaluatePolicy(policy, `${stage}/GET/profile/42`)).toBe("explicit-deny");
    expect(evaluatePolicy(policy, `${stage}/POST/profile/42`)).toBe("allow");
    expect(evaluatePolicy(policy, `${stage}/GET/`)).toBe("allow");
    expect(evaluatePolicy(policy, "arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/dev/GET/")).toBe("no-match");
    expect(evaluatePolicy(buildPolicy(target, new Set(["read:profile"]), rules), `${stage}/GET/profile/42`)).toBe("allow");
  });
});

describe("matchesWildcard", () => {
  it.each([
    ["a*", "abc/def", true],
    ["a/*/c", "a/b/x/c", true],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["abc", "abcd", false],
    ["*", "", true],
    ["a*b*c", "a-b-b-c", true],
    ["a*b*c", "a-b-b-d", false],
    ["a?c", "a/c", true],
    ["GET/*", "GET/a/b/c", true],
    ["GET/*", "GET/", true],
    ["get/x", "GET/x", false],
    ["GET/X", "GET/x", false],
    ["x/?", "x/\u{1F511}", true],
    ["x/??", "x/\u{1F511}", false],
    ["x/?", "x/é", true],
    ["*/admin/*", "GET/foo/admin/x", true],
    ["a**b", "ab", true],
    ["", "", true],
    ["", "a", false],
    // The value's own `*` and `?` are characters, never wildcards: only the pattern's are.
    ["reports/*", "reports/*x", true],
    ["reports/*", "reports/*/x", true],
    ["reports/*", "reports/*", true],
    ["a*c", "a*", false],
    ["x", "*", false],
    ["x", "?", false],
    ["*x", "*", false],
    ["?", "*", true],
    ["a?c", "a?", false],
    ["a*b", "a*x*b", true],
  ])("%s against %s is %s", (pattern, value, expected) => expect(matchesWildcard(pattern, value)).toBe(expected));
});

describe("evaluatePolicy", () => {
  const arn = `arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod/GET/a`;
  const statement = (Effect: "Allow" | "Deny", Resource: string[], Action = "execute-api:Invoke") => ({ Action, Effect, Resource });
  // Policies from elsewhere may name any action; Keygate's own type only lists the one it writes.
  const doc = (...Statement: ReturnType<typeof statement>[]) => ({ Version: "2012-10-17", Statement }) as unknown as PolicyDocument;

  it("lets an explicit Deny win whatever the statement order", () => {
    const allow = statement("Allow", ["arn:aws:execute-api:*"]);
    const deny = statement("Deny", [arn]);
    expect(evaluatePolicy(doc(allow, deny), arn)).toBe("explicit-deny");
    expect(evaluatePolicy(doc(deny, allow), arn)).toBe("explicit-deny");
  });

  it("reads actions case-insensitively with wildcards, and ignores statements for other actions", () => {
    expect(evaluatePolicy(doc(statement("Allow", [arn], "Execute-API:*")), arn)).toBe("allow");
    expect(evaluatePolicy(doc(statement("Allow", [arn]), statement("Deny", [arn], "execute-api:ManageConnections")), arn)).toBe("allow");
  });

  it("matches nothing when no statement names the resource", () => {
    expect(evaluatePolicy(doc(statement("Allow", [`${arn}/b`])), arn)).toBe("no-match");
  });
});

describe("parseRouteScopes", () => {
  it("normalizes verbs and accepts a scope list", () => {
    expect(parseRouteScopes({ "get /a": "s", "ANY /b/*": ["x", "y", "x"] })).toEqual([
      { method: "GET", path: "/a", scopes: ["s"] },
      { method: "ANY", path: "/b/*", scopes: ["x", "y"] },
    ]);
  });

  it.each([
    [[], /JSON object/],
    [{ "/orders": "s" }, /"\/orders": a route is "METHOD \/path"/],
    [{ "FETCH /a": "s" }, /unknown method "FETCH"/],
    [{ "GET orders": "s" }, /path must start with "\/"/],
    [{ "GET /a b": "s" }, /a route is "METHOD \/path"/],
    [{ "GET /a": "" }, /scope must be a non-empty string/],
    [{ "GET /a": "two words" }, /scope must be a non-empty string/],
    [{ "GET /a": [] }, /scope must be a non-empty string/],
    [{ "GET /a": 3 }, /scope must be a non-empty string/],
  ])("rejects %j", (value, message) => expect(() => parseRouteScopes(value)).toThrow(message));
});

describe("authorizer context", () => {
  it("holds scalars only, with user, key, scopes and the verdict's source", () => {
    const context = buildAuthorizerContext({ principalId: "kp_1", userId: "kp_1", keyId: "api_key_1", scopes: ["a", "b"] }, "dynamodb");
    expect(context).toEqual({ user_id: "kp_1", key_id: "api_key_1", scopes: "a b", verdict_source: "dynamodb" });
  });

  it("adds org_code only when present", () => {
    const context = buildAuthorizerContext({ principalId: "org:org_1", orgCode: "org_1", scopes: [] }, "kinde");
    expect(context).toEqual({ org_code: "org_1", scopes: "", verdict_source: "kinde" });
  });

  it.each([[{ a: ["x"] }], [{ a: { b: 1 } }], [{ a: null }], [{ a: undefined }]])("refuses a non-scalar value %j", (context) => {
    expect(() => assertScalarContext(context)).toThrow(/authorizer context value "a"/);
  });
});
