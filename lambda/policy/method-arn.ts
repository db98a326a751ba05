/** The parts of an execute-api ARN: `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}`. */
export interface MethodArn {
  partition: string;
  region: string;
  accountId: string;
  apiId: string;
  stage: string;
  method: string;
  /** The request path without its leading slash ("" for the root resource). */
  resourcePath: string;
}

const METHOD_ARN = /^arn:(aws[a-z-]*):execute-api:([a-z0-9-]+):(\d{12}):([A-Za-z0-9]+)\/([^/]+)\/([^/]+)\/(.*)$/;

/** Returns undefined for anything API Gateway would not have sent. */
export function parseMethodArn(arn: unknown): MethodArn | undefined {
  if (typeof arn !== "string") return undefined;
  const m = METHOD_ARN.exec(arn);
  if (!m) return undefined;
  return { partition: m[1]!, region: m[2]!, accountId: m[3]!, apiId: m[4]!, stage: m[5]!, method: m[6]!, resourcePath: m[7]! };
}

/** The ARN prefix shared by every route of one API stage. */
export function stageArn(arn: MethodArn): string {
  return `arn:${arn.partition}:execute-api:${arn.region}:${arn.accountId}:${arn.apiId}/${arn.stage}`;
}
