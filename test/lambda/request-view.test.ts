import { describe, expect, it } from "vitest";
import { viewRequest } from "../../lambda/event/request-view";
import { fixture, httpApiEventV1, tokenEvent } from "../support/aws-events";

describe("viewRequest", () => {
  it("reads AWS's captured HTTP API event (payload 2.0) from its requestContext.http and routeKey", () => {
    expect(viewRequest(fixture("http-api-request-event-v2.powertools.json"))).toMatchObject({
      apiKind: "http",
      answer: "http-simple",
      apiId: "lsw1ro4ipb",
      stage: "$default",
      method: "POST",
      path: "/lambda",
      routeKey: "POST /lambda",
      identitySource: ["Bearer foo"],
      sourceIp: "15.248.3.126",
      userAgent: "HTTPie/3.2.2",
      requestId: "ZhNHJhhLjoEEPiw=",
      arn: { partition: "aws", region: "eu-west-1", apiId: "lsw1ro4ipb", stage: "$default", method: "POST", resourcePath: "lambda" },
    });
  });

  it("takes the API and stage from the request context, not the routeArn, where AWS's documented sample has them disagree", () => {
    const view = viewRequest(fixture("http-api-request-event-v2.aws-lambda-go.json"));
    expect(view).toMatchObject({ apiKind: "http", apiId: "api-id", stage: "$default", method: "POST", path: "/my/path", routeKey: "$default", identitySource: ["user1", "123"] });
    expect(view.arn).toMatchObject({ apiId: "abcdef123", stage: "test" });
  });

  it("reads REST events and HTTP API payload-1.0 events as REST-shaped, telling the kinds apart by version", () => {
    expect(viewRequest(fixture("request-event.powertools.json"))).toMatchObject({ apiKind: "rest", answer: "rest-policy", apiId: "puhdx84jy9", stage: "prod", method: "POST", path: "/lambda-request", sourceIp: "15.248.3.126" });
    expect(viewRequest(tokenEvent("Bearer x"))).toMatchObject({ apiKind: "rest", answer: "rest-policy", apiId: "ymy8tbxw7b", stage: "*", method: "GET" });
    expect(viewRequest(httpApiEventV1("Bearer x"))).toMatchObject({ apiKind: "http", answer: "http-policy", apiId: "puhdx84jy9", method: "POST" });
  });

  it.each([null, 42, "event", [], {}, { version: "2.0" }, { version: "2.0", requestContext: "x", identitySource: "a" }])("never throws on %j, and leaves out what it cannot read", (event) => {
    const view = viewRequest(event);
    expect(view.arn).toBeUndefined();
    expect(view.routeKey).toBeUndefined();
    expect(view.identitySource).toBeUndefined();
  });
});
