/** Reading deployment events: which resource an ECS Deployment State Change or CloudFormation Stack Status Change
 * names, which result it means, and which events say nothing to record. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../../shared/audit/ledger.ts';
import {
  type DeploymentReading,
  type EcsDeploymentStateChange,
  readEcsDeploymentStateChange,
  readStackStatusChange,
  rollsBackFailedDeployments,
  type StackStatusChange,
} from '../../../shared/triggers/deployment-outcome.ts';

const SERVICE_ARN = 'arn:aws:ecs:us-east-1:123456789012:service/prod/web';
const DEPLOYMENT = 'ecs-svc/1234567890123456789';
const STACK_ARN =
  'arn:aws:cloudformation:us-east-1:123456789012:stack/platform-network/00000000-0000-0000-0000-000000000000';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/events/${name}.json`, import.meta.url), 'utf8')) as T;
}

function ecsEvent(eventName: string, reason?: string, resources: readonly string[] = [SERVICE_ARN]) {
  return {
    resources,
    detail: { eventName, deploymentId: DEPLOYMENT, ...(reason === undefined ? {} : { reason }) },
  } satisfies EcsDeploymentStateChange;
}

function stackEvent(status: string, statusReason?: string, stackId = STACK_ARN): StackStatusChange {
  return {
    detail: {
      'stack-id': stackId,
      'status-details': { status, ...(statusReason === undefined ? {} : { 'status-reason': statusReason }) },
    },
  };
}

function entryReferencing(references: LedgerEntry['references']): LedgerEntry {
  return {
    entryId: '20240501T120000000Z-00000000000000000000',
    kind: 'outcome',
    time: '2024-05-01T12:00:00.000Z',
    runId: 'run-1',
    trigger: 'push',
    repository: 'platform-config',
    branch: 'main',
    commitId: 'c'.repeat(40),
    dryRun: false,
    ...(references ? { references } : {}),
  };
}

function observed(reading: DeploymentReading) {
  if (reading.kind !== 'observed') throw new Error(`expected an observation, got: ${reading.reason}`);
  return reading;
}

describe('readEcsDeploymentStateChange', () => {
  it('reads SERVICE_DEPLOYMENT_COMPLETED as succeeded for the service in resources[0]', () => {
    // Prepare
    const event = fixture<EcsDeploymentStateChange>('ecs-deployment-completed');

    // Act
    const reading = readEcsDeploymentStateChange(event);

    // Assess
    expect(reading).toMatchObject({
      kind: 'observed',
      resourceId: 'EcsService:prod/web',
      resourceArn: SERVICE_ARN,
      describe: `ECS deployment ${DEPLOYMENT}`,
      result: 'succeeded',
      reason: `ECS deployment ${DEPLOYMENT} SERVICE_DEPLOYMENT_COMPLETED: ECS deployment ${DEPLOYMENT} completed.`,
    });
  });

  it('leaves a SERVICE_DEPLOYMENT_FAILED that does not say it rolled back to the service rollback setting', () => {
    // Prepare
    const event = fixture<EcsDeploymentStateChange>('ecs-deployment-failed');

    // Act
    const reading = observed(readEcsDeploymentStateChange(event));

    // Assess
    expect(reading.result).toEqual({ service: { cluster: 'prod', name: 'web' } });
    expect(reading.reason).toBe(
      `ECS deployment ${DEPLOYMENT} SERVICE_DEPLOYMENT_FAILED: ECS deployment circuit breaker: task failed to start.`,
    );
    expect(reading.rollbackWhy).toBe(`The ECS deployment circuit breaker rolled back ECS deployment ${DEPLOYMENT}`);
  });

  it.each([
    ['SERVICE_DEPLOYMENT_FAILED', 'ECS deployment circuit breaker: rolling back to deployment ecs-svc/1.'],
    ['SERVICE_DEPLOYMENT_FAILED', 'Deployment was rolled back.'],
    ['SERVICE_DEPLOYMENT_IN_PROGRESS', 'ECS deployment circuit breaker: rollback in progress.'],
  ])('reads %s whose reason says "%s" as rolled-back', (eventName, reason) => {
    // Prepare
    const event = ecsEvent(eventName, reason);

    // Act
    const reading = readEcsDeploymentStateChange(event);

    // Assess
    expect(reading).toMatchObject({ kind: 'observed', resourceId: 'EcsService:prod/web', result: 'rolled-back' });
  });

  it('says when ECS gave no reason', () => {
    // Prepare
    const event = ecsEvent('SERVICE_DEPLOYMENT_COMPLETED');

    // Act
    const reading = observed(readEcsDeploymentStateChange(event));

    // Assess
    expect(reading.reason).toBe(`ECS deployment ${DEPLOYMENT} SERVICE_DEPLOYMENT_COMPLETED: (no reason given)`);
  });

  it.each([
    [
      'a deployment still in progress',
      ecsEvent('SERVICE_DEPLOYMENT_IN_PROGRESS', 'ECS deployment ecs-svc/1 in progress.'),
      `ECS deployment ${DEPLOYMENT} is in progress`,
    ],
    [
      'an event that is not a deployment state',
      ecsEvent('SERVICE_TASK_START_IMPAIRED', 'tasks fail to start'),
      'ECS event SERVICE_TASK_START_IMPAIRED is not a deployment state',
    ],
    [
      'a service ARN in the old format (no cluster)',
      ecsEvent('SERVICE_DEPLOYMENT_COMPLETED', undefined, ['arn:aws:ecs:us-east-1:123456789012:service/web']),
      'resource arn:aws:ecs:us-east-1:123456789012:service/web is not a service ARN with a cluster',
    ],
    [
      'no resource at all',
      ecsEvent('SERVICE_DEPLOYMENT_COMPLETED', undefined, []),
      'resource (none) is not a service ARN with a cluster',
    ],
  ])('ignores %s', (_, event, reason) => {
    // Act
    const reading = readEcsDeploymentStateChange(event);

    // Assess
    expect(reading).toEqual({ kind: 'ignored', reason });
  });

  it('matches the ledger outcomes that reference its deployment id, and no others', () => {
    // Prepare
    const reading = observed(readEcsDeploymentStateChange(ecsEvent('SERVICE_DEPLOYMENT_COMPLETED')));

    // Act
    const matches = [
      entryReferencing({ deploymentId: DEPLOYMENT, serviceArn: SERVICE_ARN }),
      entryReferencing({ deploymentId: 'ecs-svc/9999999999999999999', serviceArn: SERVICE_ARN }),
      entryReferencing({ serviceArn: SERVICE_ARN }),
      entryReferencing(undefined),
    ].map(reading.references);

    // Assess
    expect(matches).toEqual([true, false, false, false]);
  });
});

describe('rollsBackFailedDeployments', () => {
  it.each([
    ['the circuit breaker rolls back', { deploymentCircuitBreaker: { enable: true, rollback: true } }, true],
    ['the circuit breaker only fails', { deploymentCircuitBreaker: { enable: true, rollback: false } }, false],
    ['enabled alarms roll back', { alarms: { alarmNames: ['5xx'], enable: true, rollback: true } }, true],
    ['disabled alarms would roll back', { alarms: { alarmNames: ['5xx'], enable: false, rollback: true } }, false],
    ['nothing is configured', {}, false],
    ['ECS described no configuration', undefined, false],
  ])('answers whether ECS rolls back when %s', (_, configuration, expected) => {
    // Act
    const answer = rollsBackFailedDeployments(configuration);

    // Assess
    expect(answer).toBe(expected);
  });
});

describe('readStackStatusChange', () => {
  it('reads UPDATE_ROLLBACK_COMPLETE as rolled-back, with the status reason', () => {
    // Prepare
    const event = fixture<StackStatusChange>('cloudformation-stack-status-change');

    // Act
    const reading = readStackStatusChange(event);

    // Assess
    expect(reading).toMatchObject({
      kind: 'observed',
      resourceId: 'CloudFormationStack:platform-network',
      resourceArn: STACK_ARN,
      describe: 'stack platform-network operation',
      result: 'rolled-back',
      reason: 'stack platform-network UPDATE_ROLLBACK_COMPLETE: The following resource(s) failed to update: [Vpc]. ',
      rollbackWhy: 'CloudFormation rolled back the stack platform-network operation',
    });
  });

  it.each([
    ['ROLLBACK_COMPLETE', 'rolled-back'],
    ['UPDATE_COMPLETE', 'succeeded'],
    ['CREATE_COMPLETE', 'succeeded'],
    ['IMPORT_COMPLETE', 'succeeded'],
    ['UPDATE_FAILED', 'failed'],
    ['UPDATE_ROLLBACK_FAILED', 'failed'],
    ['CREATE_FAILED', 'failed'],
  ])('reads %s as %s', (status, result) => {
    // Prepare
    const event = stackEvent(status);

    // Act
    const reading = readStackStatusChange(event);

    // Assess
    expect(reading).toMatchObject({ kind: 'observed', result, reason: `stack platform-network ${status}` });
  });

  it.each([
    'UPDATE_IN_PROGRESS',
    'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
    'UPDATE_ROLLBACK_IN_PROGRESS',
    'REVIEW_IN_PROGRESS',
    'SOMETHING_NEW',
  ])('ignores %s: the operation is not finished', (status) => {
    // Act
    const reading = readStackStatusChange(stackEvent(status));

    // Assess
    expect(reading).toEqual({ kind: 'ignored', reason: `stack platform-network is ${status}, not finished` });
  });

  it('ignores a stack id that is not a CloudFormation stack ARN', () => {
    // Act
    const reading = readStackStatusChange(stackEvent('UPDATE_COMPLETE', undefined, 'platform-network'));

    // Assess
    expect(reading).toEqual({
      kind: 'ignored',
      reason: 'stack id platform-network is not a CloudFormation stack ARN',
    });
  });

  it('matches the ledger outcomes that reference its stack, with or without the uuid, and no others', () => {
    // Prepare
    const withoutUuid = STACK_ARN.slice(0, STACK_ARN.lastIndexOf('/'));
    const reading = observed(readStackStatusChange(stackEvent('UPDATE_COMPLETE', undefined, withoutUuid)));

    // Act
    const matches = [
      entryReferencing({ stackId: STACK_ARN }),
      entryReferencing({ stackId: withoutUuid }),
      entryReferencing({ stackId: STACK_ARN.replace('platform-network', 'platform-network-2') }),
      entryReferencing({ deploymentId: DEPLOYMENT }),
    ].map(reading.references);

    // Assess
    expect(matches).toEqual([true, true, false, false]);
  });
});
