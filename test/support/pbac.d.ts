/** The part of pbac (an IAM policy evaluator from the npm registry, MIT) the IAM property tests use; it ships no types. */
declare module "pbac" {
  interface PbacRequest {
    action: string;
    resource: string;
  }
  class PBAC {
    constructor(policies: unknown, options?: { validateSchema?: boolean; validatePolicies?: boolean });
    /** True when an Allow matches and no Deny does. */
    evaluate(request: PbacRequest): boolean;
  }
  export = PBAC;
}
