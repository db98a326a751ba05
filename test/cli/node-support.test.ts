/** What the keygate command says about the Node it runs on: one line on Node 20, nothing on 22 or newer, nothing when the operator silenced the SDK's warning. */
import { describe, expect, it } from "vitest";
import { nodeSupportNotice } from "../../cli/node-support";

describe("nodeSupportNotice", () => {
  it("is one line on Node 20, naming the SDK's Node 22 requirement and the versions to move to", () => {
    const notice = nodeSupportNotice("v20.19.0", {});
    expect(notice).toBe("keygate: Node v20.19.0 is past its end of life; AWS SDK releases from January 2027 need Node 22 or newer: use Node 22 or 24");
    expect(notice).not.toContain("\n");
  });

  it("is nothing on Lambda's Node versions, 22 and 24, and newer", () => {
    for (const version of ["v22.12.0", "v22.23.5", "v24.0.0", "v26.1.0"]) expect(nodeSupportNotice(version, {}), version).toBeUndefined();
  });

  it("is nothing when the operator turned the SDK's Node-version warning off", () => {
    expect(nodeSupportNotice("v20.19.0", { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" })).toBeUndefined();
    expect(nodeSupportNotice("v20.19.0", { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "false" })).toBeDefined();
  });
});
