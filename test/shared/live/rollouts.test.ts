/** The rollout reader against ECS answers shaped as the API reference documents ServiceDeployment,
 * ServiceDeploymentBrief, Rollback, ServiceDeploymentAlarms and ServiceDeploymentCircuitBreaker. */
import {
  AccessDeniedException,
  DescribeServiceDeploymentsCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveReadError } from '../../../shared/errors.ts';
import {
  CLOCK_SKEW_MS,
  DESCRIBE_SERVICE_DEPLOYMENTS_BATCH_SIZE,
  describeRollout,
  RolloutReader,
  rolloutOf,
} from '../../../shared/live/rollouts.ts';

const PREFIX = 'arn:aws:ecs:us-east-1:123456789012';
const SERVICE_ARN = `${PREFIX}:service/prod/web`;
const CLUSTER_ARN = `${PREFIX}:cluster/prod`;
const deploymentArn = (id: string) => `${PREFIX}:service-deployment/prod/web/${id}`;
const revisionArn = (id: string) => `${PREFIX}:service-revision/prod/web/${id}`;

/** A blue/green deployment in its bake time, all production traffic on the green revision. */
function blueGreenBaking(overrides: Partial<ServiceDeployment> = {}): ServiceDeployment {
  return {
    serviceDeploymentArn: deploymentArn('bg1'),
    serviceArn: SERVICE_ARN,
    clusterArn: CLUSTER_ARN,
    createdAt: new Date('2026-12-06T10:00:00.000Z'),
    startedAt: new Date('2026-12-06T10:00:05.000Z'),
    updatedAt: new Date('2026-12-06T10:04:00.000Z'),
    sourceServiceRevisions: [
      { arn: revisionArn('blue'), requestedTaskCount: 2, runningTaskCount: 2, pendingTaskCount: 0 },
    ],
    targetServiceRevision: {
      arn: revisionArn('green'),
      requestedTaskCount: 2,
      runningTaskCount: 2,
      pendingTaskCount: 0,
      requestedTestTrafficWeight: 100,
      requestedProductionTrafficWeight: 100,
    },
    status: 'IN_PROGRESS',
    lifecycleStage: 'BAKE_TIME',
    deploymentConfiguration: {
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 10,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    deploymentCircuitBreaker: { status: 'MONITORING', failureCount: 0, threshold: 3 },
    alarms: { status: 'MONITORING', alarmNames: ['web-5xx'], triggeredAlarmNames: [] },
    ...overrides,
  };
}

describe('rolloutOf', () => {
  it('reads strategy, stage, production traffic, bake time and "since" from a blue/green deployment', () => {
    // Act
    const rollout = rolloutOf(blueGreenBaking());

    // Assess
    expect(rollout).toEqual({
      arn: deploymentArn('bg1'),
      serviceArn: SERVICE_ARN,
      strategy: 'BLUE_GREEN',
      status: 'IN_PROGRESS',
      stage: 'BAKE_TIME',
      productionTrafficPercent: 100,
      targetRevisionArn: revisionArn('green'),
      bakeTimeMinutes: 10,
      createdAt: '2026-12-06T10:00:00.000Z',
      startedAt: '2026-12-06T10:00:05.000Z',
      updatedAt: '2026-12-06T10:04:00.000Z',
      since: '2026-12-06T10:04:00.000Z',
      circuitBreaker: { status: 'MONITORING', failureCount: 0, threshold: 3 },
      alarms: { status: 'MONITORING', alarmNames: ['web-5xx'], triggeredAlarmNames: [] },
      result: 'in-progress',
    });
  });

  it('reads a rollback by alarm as rolled-back, with the alarm names and the rollback reason', () => {
    // Prepare
    const deployment = blueGreenBaking({
      status: 'ROLLBACK_SUCCESSFUL',
      finishedAt: new Date('2026-12-06T10:06:00.000Z'),
      rollback: {
        reason: 'CloudWatch alarm web-5xx went into ALARM',
        startedAt: new Date('2026-12-06T10:05:00.000Z'),
        serviceRevisionArn: revisionArn('blue'),
      },
      alarms: { status: 'TRIGGERED', alarmNames: ['web-5xx'], triggeredAlarmNames: ['web-5xx'] },
    });

    // Act
    const rollout = rolloutOf(deployment);

    // Assess
    expect(rollout.result).toBe('rolled-back');
    expect(rollout.finishedAt).toBe('2026-12-06T10:06:00.000Z');
    expect(rollout.rollback).toEqual({
      reason: 'CloudWatch alarm web-5xx went into ALARM',
      startedAt: '2026-12-06T10:05:00.000Z',
      serviceRevisionArn: revisionArn('blue'),
    });
    expect(describeRollout(rollout)).toBe(
      'BLUE_GREEN ROLLBACK_SUCCESSFUL, stage BAKE_TIME, 100% of traffic, alarms triggered: web-5xx, rollback: CloudWatch alarm web-5xx went into ALARM',
    );
  });

  it.each([
    ['SUCCESSFUL', {}, 'succeeded'],
    ['ROLLBACK_FAILED', {}, 'failed'],
    ['ROLLBACK_IN_PROGRESS', {}, 'in-progress'],
    ['PENDING', {}, 'in-progress'],
    ['STOPPED', {}, 'superseded'],
    ['STOPPED', { deploymentCircuitBreaker: { status: 'TRIGGERED', failureCount: 3, threshold: 3 } }, 'failed'],
  ] as const)('reads status %s (%o) as %s', (status, overrides, result) => {
    expect(rolloutOf(blueGreenBaking({ status, ...overrides })).result).toBe(result);
  });

  it('takes a deployment without a strategy or traffic weights as ROLLING without a traffic percent', () => {
    // Prepare
    const rolling = blueGreenBaking({
      deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
      targetServiceRevision: { arn: revisionArn('new'), requestedTaskCount: 2, runningTaskCount: 1 },
      lifecycleStage: undefined,
      updatedAt: undefined,
    });

    // Act
    const rollout = rolloutOf(rolling);

    // Assess
    expect(rollout.strategy).toBe('ROLLING');
    expect(rollout).not.toHaveProperty('productionTrafficPercent');
    expect(rollout).not.toHaveProperty('stage');
    expect(rollout.since).toBe('2026-12-06T10:00:05.000Z');
  });
});

describe('RolloutReader', () => {
  const ecs = mockClient(ECSClient);
  afterEach(() => ecs.reset());

  it('finds the newest deployment created since a write, looking a clock skew earlier', async () => {
    // Prepare
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: deploymentArn('older'),
          serviceArn: SERVICE_ARN,
          clusterArn: CLUSTER_ARN,
          createdAt: new Date('2026-12-06T10:00:00.000Z'),
          status: 'STOPPED',
        },
        {
          serviceDeploymentArn: deploymentArn('newer'),
          serviceArn: SERVICE_ARN,
          clusterArn: CLUSTER_ARN,
          createdAt: new Date('2026-12-06T10:00:30.000Z'),
          targetServiceRevisionArn: revisionArn('new'),
          status: 'PENDING',
        },
      ],
    });
    const reader = new RolloutReader({ client: new ECSClient({ region: 'us-east-1' }) });
    const after = new Date('2026-12-06T10:00:20.000Z');

    // Act
    const arn = await reader.newestSince('prod', 'web', after);

    // Assess
    expect(arn).toBe(deploymentArn('newer'));
    expect(ecs).toHaveReceivedCommandTimes(ListServiceDeploymentsCommand, 1);
    expect(ecs).toHaveReceivedCommandWith(ListServiceDeploymentsCommand, {
      cluster: 'prod',
      service: 'web',
      createdAt: { after: new Date(after.getTime() - CLOCK_SKEW_MS) },
    });
  });

  it("answers a service's current rollout with one list and one describe", async () => {
    // Prepare
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        { serviceDeploymentArn: deploymentArn('bg1'), createdAt: new Date('2026-12-06T10:00:00.000Z') },
      ],
      nextToken: 'more-history',
    });
    ecs.on(DescribeServiceDeploymentsCommand).resolves({ serviceDeployments: [blueGreenBaking()], failures: [] });
    const reader = new RolloutReader({ client: new ECSClient({ region: 'us-east-1' }) });

    // Act
    const rollout = await reader.current('prod', 'web');

    // Assess
    expect(rollout?.stage).toBe('BAKE_TIME');
    expect(ecs).toHaveReceivedCommandTimes(ListServiceDeploymentsCommand, 1);
    expect(ecs).toHaveReceivedCommandWith(DescribeServiceDeploymentsCommand, {
      serviceDeploymentArns: [deploymentArn('bg1')],
    });
  });

  it('answers no rollout for a service ECS lists none for', async () => {
    ecs.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
    const reader = new RolloutReader({ client: new ECSClient({ region: 'us-east-1' }) });

    expect(await reader.current('prod', 'web')).toBeUndefined();
    expect(ecs).toHaveReceivedCommandTimes(DescribeServiceDeploymentsCommand, 0);
  });

  it('describes many deployments in batches of the API maximum and leaves MISSING ones out', async () => {
    // Prepare
    const arns = Array.from({ length: DESCRIBE_SERVICE_DEPLOYMENTS_BATCH_SIZE + 1 }, (_, index) =>
      deploymentArn(`d${index}`),
    );
    ecs.on(DescribeServiceDeploymentsCommand).callsFake((input: { serviceDeploymentArns: string[] }) => ({
      serviceDeployments: input.serviceDeploymentArns
        .filter((arn) => arn !== arns[3])
        .map((arn) => blueGreenBaking({ serviceDeploymentArn: arn, status: 'SUCCESSFUL' })),
      failures: input.serviceDeploymentArns.includes(arns[3] as string) ? [{ arn: arns[3], reason: 'MISSING' }] : [],
    }));
    const reader = new RolloutReader({ client: new ECSClient({ region: 'us-east-1' }) });

    // Act
    const rollouts = await reader.describe(arns);

    // Assess
    expect(ecs).toHaveReceivedCommandTimes(DescribeServiceDeploymentsCommand, 2);
    expect(rollouts.size).toBe(arns.length - 1);
    expect(rollouts.has(arns[3] as string)).toBe(false);
    expect(rollouts.get(arns[0] as string)?.result).toBe('succeeded');
  });

  it('raises a LiveReadError naming the call when ECS refuses it', async () => {
    ecs
      .on(DescribeServiceDeploymentsCommand)
      .rejects(new AccessDeniedException({ message: 'not authorized', $metadata: {} }));
    const reader = new RolloutReader({ client: new ECSClient({ region: 'us-east-1' }) });

    const error = await reader.byArn(deploymentArn('bg1')).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(LiveReadError);
    expect((error as Error).message).toContain('DescribeServiceDeployments');
  });
});
