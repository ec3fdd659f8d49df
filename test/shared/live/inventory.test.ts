/** The account inventory behind `driftless import`: every page of ListServices, DescribeServices in tens, one
 * DescribeScalableTargets per 50 services, stacks with their templates. */
import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountInventory } from '../../../shared/live/inventory.ts';
import { type AwsSimulator, createAwsSimulator } from '../../../shared/sim/index.ts';
import { registerScalableTargets } from '../../support/import-world.ts';

describe('AccountInventory', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  function seed(simulator: AwsSimulator, count: number) {
    for (let index = 0; index < count; index += 1) {
      simulator.seedService({
        cluster: 'prod',
        serviceName: `svc-${String(index).padStart(3, '0')}`,
        desiredCount: 1,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
        taskDefinition:
          index % 2 === 0
            ? 'shared'
            : { family: `own-${index}`, containerDefinitions: [{ name: 'a', image: 'a', memory: 128 }] },
      });
    }
  }

  it('reads 120 services in pages and batches, with their scalable targets', async () => {
    // Prepare
    const simulator = createAwsSimulator();
    simulator.seedTaskDefinition({ family: 'shared', containerDefinitions: [{ name: 'a', image: 'a', memory: 128 }] });
    seed(simulator, 120);
    await registerScalableTargets(simulator, [{ resourceId: 'service/prod/svc-077', minCapacity: 1, maxCapacity: 9 }]);
    cleanups.push(() => simulator.restore());
    const inventory = new AccountInventory({ ecs: simulator.ecs, autoScaling: simulator.autoScaling });
    const progress: string[] = [];

    // Act
    const names = await inventory.serviceNames('prod');
    const read = await inventory.readServices('prod', [...names, 'ghost'], (done, total) =>
      progress.push(`${done}/${total}`),
    );

    // Assess
    expect(names).toHaveLength(120);
    expect(read.services).toHaveLength(120);
    expect(read.missing).toEqual(['ghost']);
    expect(read.scalableTargets).toEqual(new Map([['svc-077', { minCapacity: 1, maxCapacity: 9 }]]));
    expect(simulator.calls['ECS.ListServices']).toBe(2);
    expect(simulator.calls['ECS.DescribeServices']).toBe(13);
    // One per revision: the 60 services sharing a task definition cost one call.
    expect(simulator.calls['ECS.DescribeTaskDefinition']).toBe(61);
    expect(
      simulator.stubs.autoScaling
        .commandCalls(DescribeScalableTargetsCommand)
        .map((call) => call.args[0].input.ResourceIds?.length),
    ).toEqual([50, 50, 20]);
    expect(progress).toEqual(['40/121', '80/121', '120/121', '121/121']);
  });

  it('reads stacks with their original templates, and names the ones that do not exist', async () => {
    // Prepare
    const simulator = createAwsSimulator();
    cleanups.push(() => simulator.restore());
    const body = 'Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n';
    simulator.seedStack({ stackName: 'platform-topics', templateBody: body, tags: { team: 'platform' } });
    const inventory = new AccountInventory({ ecs: simulator.ecs, cloudFormation: simulator.cloudFormation });

    // Act
    const read = await inventory.readStacks(['platform-topics', 'platform-ghost']);

    // Assess
    expect(read.missing).toEqual(['platform-ghost']);
    expect(read.stacks.map((stack) => [stack.name, stack.templateBody])).toEqual([['platform-topics', body]]);
  });
});
