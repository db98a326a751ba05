/** Empties API Gateway's authorizer result cache of each protected stage (FlushStageAuthorizersCache). */
import { FlushStageAuthorizersCacheCommand, type APIGatewayClient } from "@aws-sdk/client-api-gateway";
import type { ProtectedStage } from "./stack-outputs";

export function stageName(stage: ProtectedStage): string {
  return `${stage.restApiId}/${stage.stageName}`;
}

/** Flushes every stage, each once; resolves with the stages that failed and why (the others were flushed). */
export async function flushStages(client: APIGatewayClient, stages: readonly ProtectedStage[]): Promise<{ stage: ProtectedStage; problem: string }[]> {
  const failures: { stage: ProtectedStage; problem: string }[] = [];
  for (const stage of stages) {
    try {
      await client.send(new FlushStageAuthorizersCacheCommand({ restApiId: stage.restApiId, stageName: stage.stageName }));
    } catch (error) {
      failures.push({ stage, problem: `${(error as Error).name}: ${(error as Error).message}` });
    }
  }
  return failures;
}
