/** A failed AWS call, told as the flag or variable that fixes it. The errors are the SDK's own classes, as its clients throw them. */
import { NotFoundException } from "@aws-sdk/client-api-gateway";
import { ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { adviseFailure } from "../../cli/failure-advice";

const $metadata = { httpStatusCode: 400 };

describe("adviseFailure", () => {
  it("names --table and --region for a table that does not exist (only --table with --local, whose Region is npm start's)", () => {
    const error = new ResourceNotFoundException({ message: "Requested resource not found", $metadata });
    expect(adviseFailure(error, { local: false })).toBe(
      "ResourceNotFoundException: Requested resource not found: the cache table does not exist there: check --table (default: the stack's tableName output), and --region or AWS_REGION",
    );
    expect(adviseFailure(error, { local: true })).toMatch(/check --table \(default: the stack's tableName output\)$/);
  });

  it("names --rest-api-id and --stage for a stage API Gateway does not know", () => {
    const error = new NotFoundException({ message: "Invalid stage identifier specified", $metadata });
    expect(adviseFailure(error, { local: false })).toBe("NotFoundException: Invalid stage identifier specified: check --rest-api-id and --stage (default: the stack's apis output)");
  });

  it("names AWS_PROFILE for credentials AWS refuses or that may not make the call", () => {
    const expired = Object.assign(new Error("The security token included in the request is expired"), { name: "ExpiredTokenException" });
    expect(adviseFailure(expired, { local: false })).toMatch(/^AWS refused the credentials in use \(ExpiredTokenException: .*\): renew them \(`aws sso login`\) or choose others with AWS_PROFILE$/);
    const denied = Object.assign(new Error("User: arn:aws:iam::123456789012:user/ops is not authorized to perform: apigateway:DELETE"), { name: "AccessDeniedException" });
    expect(adviseFailure(denied, { local: false })).toMatch(/^the AWS identity in use may not do this \(AccessDeniedException: .*\): choose one that may with AWS_PROFILE/);
  });

  it("names the endpoint variables for a refused connection to AWS, and npm start for one to the local gateway", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    expect(adviseFailure(refused, { local: false })).toMatch(/check AWS_ENDPOINT_URL and the AWS_ENDPOINT_URL_\* variables, or unset them$/);
    expect(adviseFailure(refused, { local: true })).toBe("npm start no longer answers (connect ECONNREFUSED 127.0.0.1:9): start it again in this folder (npm start)");
  });

  it("passes anything else through as its name and message", () => {
    expect(adviseFailure(Object.assign(new Error("Rate exceeded"), { name: "TooManyRequestsException" }), { local: false })).toBe("TooManyRequestsException: Rate exceeded");
    expect(adviseFailure(new Error("plain"), { local: false })).toBe("plain");
  });
});
