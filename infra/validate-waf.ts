import type { Fail, ResolvedApi } from "./resolve-settings";

/**
 * A web ACL is associated with named stages, so with `waf` every protected API needs its stages, and
 * a stage of this program must exist before its association: it is created by `deployStages`.
 */
export function checkApisForWaf(apis: readonly ResolvedApi[], fail: Fail): void {
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
