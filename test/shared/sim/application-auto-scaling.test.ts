/** The simulator's Application Auto Scaling: scalable targets of ECS services registered, described (filtered and
 * paged) and deregistered through the real SDK client, with the errors the API raises. */
import {
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  ObjectNotFoundException,
  RegisterScalableTargetCommand,
  ValidationException,
} from '@aws-sdk/client-application-auto-scaling';
import { describe, expect, it } from 'vitest';
import { createAwsSimulator } from '../../../shared/sim/index.ts';

const DIMENSION = 'ecs:service:DesiredCount';

function worldWithServices(names: readonly string[]) {
  const simulator = createAwsSimulator({ seed: 7 });
  for (const name of names) {
    simulator.seedService({
      cluster: 'prod',
      serviceName: name,
      desiredCount: 2,
      launchType: 'FARGATE',
      taskDefinition: { family: name, containerDefinitions: [{ name, image: `${name}:1`, memory: 512 }] },
    });
  }
  return simulator;
}

const register = (resourceId: string, min?: number, max?: number) =>
  new RegisterScalableTargetCommand({
    ServiceNamespace: 'ecs',
    ResourceId: resourceId,
    ScalableDimension: DIMENSION,
    ...(min === undefined ? {} : { MinCapacity: min }),
    ...(max === undefined ? {} : { MaxCapacity: max }),
  });

describe('simulated Application Auto Scaling', () => {
  it('registers a target for an existing service and describes it as the API reference shapes it', async () => {
    // Prepare
    const simulator = worldWithServices(['web', 'worker']);

    // Act
    const registered = await simulator.autoScaling.send(register('service/prod/worker', 2, 20));
    const described = await simulator.autoScaling.send(
      new DescribeScalableTargetsCommand({
        ServiceNamespace: 'ecs',
        ResourceIds: ['service/prod/worker', 'service/prod/web'],
      }),
    );

    // Assess
    expect(registered.ScalableTargetARN).toMatch(
      /^arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target\/[0-9a-f]{32}$/,
    );
    expect(described.ScalableTargets).toEqual([
      expect.objectContaining({
        ServiceNamespace: 'ecs',
        ResourceId: 'service/prod/worker',
        ScalableDimension: DIMENSION,
        MinCapacity: 2,
        MaxCapacity: 20,
        ScalableTargetARN: registered.ScalableTargetARN,
        RoleARN: expect.stringContaining('AWSServiceRoleForApplicationAutoScaling_ECSService'),
        SuspendedState: {
          DynamicScalingInSuspended: false,
          DynamicScalingOutSuspended: false,
          ScheduledScalingSuspended: false,
        },
      }),
    ]);
    expect(described.ScalableTargets?.[0]?.CreationTime).toBeInstanceOf(Date);
    expect(simulator.calls['ApplicationAutoScaling.DescribeScalableTargets']).toBe(1);
  });

  it('updates a registered target in place: only the capacities given change, the ARN stays', async () => {
    // Prepare
    const simulator = worldWithServices(['worker']);
    const first = await simulator.autoScaling.send(register('service/prod/worker', 2, 20));

    // Act
    const second = await simulator.autoScaling.send(register('service/prod/worker', undefined, 30));
    const { ScalableTargets } = await simulator.autoScaling.send(
      new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' }),
    );

    // Assess
    expect(second.ScalableTargetARN).toBe(first.ScalableTargetARN);
    expect(ScalableTargets?.map((target) => [target.MinCapacity, target.MaxCapacity])).toEqual([[2, 30]]);
  });

  it('refuses what the API refuses: no such service, no capacities for a new target, max below min', async () => {
    // Prepare
    const simulator = worldWithServices(['worker']);

    // Act / Assess
    await expect(simulator.autoScaling.send(register('service/prod/ghost', 1, 2))).rejects.toBeInstanceOf(
      ValidationException,
    );
    await expect(simulator.autoScaling.send(register('service/prod/worker'))).rejects.toBeInstanceOf(
      ValidationException,
    );
    await expect(simulator.autoScaling.send(register('service/prod/worker', 5, 2))).rejects.toBeInstanceOf(
      ValidationException,
    );
    await expect(
      simulator.autoScaling.send(
        new DeregisterScalableTargetCommand({
          ServiceNamespace: 'ecs',
          ResourceId: 'service/prod/worker',
          ScalableDimension: DIMENSION,
        }),
      ),
    ).rejects.toBeInstanceOf(ObjectNotFoundException);
  });

  it('pages by MaxResults with NextToken, and deregisters', async () => {
    // Prepare
    const names = ['a', 'b', 'c', 'd', 'e'];
    const simulator = worldWithServices(names);
    for (const name of names) await simulator.autoScaling.send(register(`service/prod/${name}`, 1, 4));

    // Act
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await simulator.autoScaling.send(
        new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', MaxResults: 2, NextToken: token }),
      );
      seen.push(...(page.ScalableTargets ?? []).map((target) => target.ResourceId ?? ''));
      token = page.NextToken;
    } while (token);
    await simulator.autoScaling.send(
      new DeregisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ResourceId: 'service/prod/c',
        ScalableDimension: DIMENSION,
      }),
    );
    const after = await simulator.autoScaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' }));

    // Assess
    expect(seen).toEqual(names.map((name) => `service/prod/${name}`));
    expect(simulator.calls['ApplicationAutoScaling.DescribeScalableTargets']).toBe(4);
    expect(after.ScalableTargets?.map((target) => target.ResourceId)).not.toContain('service/prod/c');
    expect(after.ScalableTargets).toHaveLength(4);
  });
});
