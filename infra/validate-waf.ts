import type { Fail, ResolvedApi, ResolvedHttpApi } from "./resolve-settings";

/**
 * A web ACL is associated with named stages, so with `waf` every protected API needs its stages, and
 * a stage of this program must exist before its association: it is created by `deployStages`. AWS WAF
 * protects REST API stages only; it cannot be associated with an HTTP API's.
 */
export function checkApisForWaf(apis: readonly ResolvedApi[], httpApis: readonly ResolvedHttpApi[], fail: Fail): void {
  if (apis.length === 0 && httpApis.length > 0) {
    fail(
      "waf.requestsPerFiveMinutesPerIp",
      "is set, but AWS WAF cannot be associated with an HTTP API's stage and apis names no REST API: remove waf, or put CloudFront with a web ACL in front of the HTTP API",
    );
  }
  if (apis.length === 0) {
    fail("waf.requestsPerFiveMinutesPerIp", "is set, but apis is empty: a web ACL is associated with the stages of the APIs in apis (APIs defined with OpenAPI alone have none here)");
  }
  apis.forEach((api, index) => {
    if (api.stageNames.length === 0) {
      fail(`apis[${index}].stageNames`, "is empty: with waf, name the stages to protect (the web ACL is associated with each of them)");
    }
    if (api.restApi && !api.deployStages) {
      fail(`apis[${index}].deployStages`, "is required with waf for a restApi of this program: the web ACL is associated with its stages, which must exist first; the component creates the associations after deployStages");
    }
  });
}
