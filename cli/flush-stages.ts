/** Empties API Gateway's authorizer result cache of each protected stage (FlushStageAuthorizersCache). */
import { FlushStageAuthorizersCacheCommand, type APIGatewayClient } from "@aws-sdk/client-api-gateway";
import type { ProtectedStage } from "./stack-outputs";

export function stageName(stage: ProtectedStage): string {
  return `${stage.restApiId}/${stage.stageName}`;
}

export interface FlushFailure {
  stage: ProtectedStage;
  error: unknown;
}

/** Flushes every stage, each once; resolves with the stages that failed and why (the others were flushed). */
export async function flushStages(client: APIGatewayClient, stages: readonly ProtectedStage[]): Promise<FlushFailure[]> {
  const failures: FlushFailure[] = [];
  for (const stage of stages) {
    try {
      await client.send(new FlushStageAuthorizersCacheCommand({ restApiId: stage.restApiId, stageName: stage.stageName }));
    } catch (error) {
      failures.push({ stage, error });
    }
  }
  return failures;
}
