/** Scalable targets registered in the simulator's Application Auto Scaling through the real SDK client, as an
 * operator (or a CDK app) registers them. */
import { RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import type { AwsSimulator } from '../../shared/sim/index.ts';

export async function registerScalableTargets(
  simulator: AwsSimulator,
  targets: readonly { resourceId: string; minCapacity: number; maxCapacity: number }[],
): Promise<void> {
  for (const target of targets) {
    await simulator.autoScaling.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ResourceId: target.resourceId,
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: target.minCapacity,
        MaxCapacity: target.maxCapacity,
      }),
    );
  }
}

/** Every client `driftless import` needs, answered by the simulator. */
export function importClients(simulator: AwsSimulator) {
  return { ecs: simulator.ecs, cloudFormation: simulator.cloudFormation, autoScaling: simulator.autoScaling };
}
