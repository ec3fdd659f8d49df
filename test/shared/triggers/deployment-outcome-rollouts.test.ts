/** A deployment whose ledger outcome references its ECS service deployment takes its final result from
 * DescribeServiceDeployments (answers shaped as the API reference documents ServiceDeployment), not from the event's
 * words; the event's words stay the fallback when the service deployment is still running or cannot be read. */
import {
  AccessDeniedException,
  DescribeServiceDeploymentsCommand,
  ECSClient,
  ECSServiceException,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../../shared/audit/ledger.ts';
import { RetryableError } from '../../../shared/errors.ts';
import { RolloutReader } from '../../../shared/live/rollouts.ts';
import { MemoryLedger } from '../../../shared/sim/memory-ledger.ts';
import type { GitSource } from '../../../shared/source/git-source.ts';
import { readEcsDeploymentStateChange } from '../../../shared/triggers/deployment-outcome.ts';
import {
  createDeploymentOutcomeRecorder,
  type RolloutFailure,
} from '../../../shared/triggers/deployment-outcome-recorder.ts';
import { DEPLOYMENT, SERVICE_ARN, startedDeployment } from '../../support/deployment-outcome.ts';

const SERVICE_DEPLOYMENT = 'arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/Xz1Yw2Vu3';
const COMMIT = 'b'.repeat(40);

const STARTED = startedDeployment(COMMIT, '2026-12-06T10:00:00.000Z', { serviceDeploymentArn: SERVICE_DEPLOYMENT });

function serviceDeployment(overrides: Partial<ServiceDeployment>): ServiceDeployment {
  return {
    serviceDeploymentArn: SERVICE_DEPLOYMENT,
    serviceArn: SERVICE_ARN,
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
    createdAt: new Date('2026-12-06T10:00:00.000Z'),
    startedAt: new Date('2026-12-06T10:00:02.000Z'),
    targetServiceRevision: {
      arn: 'arn:aws:ecs:us-east-1:123456789012:service-revision/prod/web/green',
      requestedTaskCount: 2,
      runningTaskCount: 2,
      requestedProductionTrafficWeight: 100,
    },
    deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5 },
    deploymentCircuitBreaker: { status: 'MONITORING', failureCount: 0, threshold: 3 },
    alarms: { status: 'MONITORING', alarmNames: ['web-5xx'], triggeredAlarmNames: [] },
    ...overrides,
  };
}

describe('deployment outcome from the service deployment', () => {
  const ecs = mockClient(ECSClient);
  afterEach(() => ecs.reset());

  function world(origin: LedgerEntry = STARTED) {
    const ledger = new MemoryLedger();
    ledger.seed(origin);
    const announced: RolloutFailure[] = [];
    const lines: { level: string; message: string }[] = [];
    const line = (level: string) => (message: string) => lines.push({ level, message });
    const askedConfiguration: string[] = [];
    const record = createDeploymentOutcomeRecorder({
      ledger,
      ecs: {
        deploymentConfiguration: async (cluster, name) => {
          askedConfiguration.push(`${cluster}/${name}`);
          return { deploymentCircuitBreaker: { enable: true, rollback: false } };
        },
      },
      rollouts: new RolloutReader({ client: new ECSClient({ region: 'us-east-1' }) }),
      source: {} as GitSource,
      branch: 'main',
      prefix: '',
      now: () => Date.parse('2026-12-06T10:20:00.000Z'),
      logger: { info: line('info'), warn: line('warn'), error: line('error') },
      failures: { isRethrown: (error) => error instanceof RetryableError, summarizeError: String },
      announce: async (failure) => {
        announced.push(failure);
      },
    });
    const recorded = () => ledger.outcomes().filter((entry) => entry.trigger === 'deployment-event');
    return { ledger, announced, lines, askedConfiguration, record, recorded };
  }

  function observation(eventName: string, reason: string) {
    const reading = readEcsDeploymentStateChange({
      resources: [SERVICE_ARN],
      detail: { eventName, deploymentId: DEPLOYMENT, reason },
    });
    if (reading.kind !== 'observed') throw new Error(reading.reason);
    return reading;
  }

  it('records a rollback by alarm as rolled-back with the stage and alarm, whatever the event says', async () => {
    // Prepare
    ecs.on(DescribeServiceDeploymentsCommand, { serviceDeploymentArns: [SERVICE_DEPLOYMENT] }).resolves({
      serviceDeployments: [
        serviceDeployment({
          status: 'ROLLBACK_SUCCESSFUL',
          lifecycleStage: 'BAKE_TIME',
          finishedAt: new Date('2026-12-06T10:08:00.000Z'),
          rollback: { reason: 'alarm web-5xx in ALARM', startedAt: new Date('2026-12-06T10:06:00.000Z') },
          alarms: { status: 'TRIGGERED', alarmNames: ['web-5xx'], triggeredAlarmNames: ['web-5xx'] },
        }),
      ],
      failures: [],
    });
    const { record, recorded, announced, askedConfiguration } = world();

    // Act
    const outcome = await record(observation('SERVICE_DEPLOYMENT_FAILED', 'ECS deployment failed.'), {});

    // Assess
    expect(outcome).toMatchObject({ outcome: 'recorded', result: 'rolled-back', commitId: COMMIT });
    expect(recorded()).toHaveLength(1);
    expect(recorded()[0]?.reason).toContain(
      'service deployment BLUE_GREEN ROLLBACK_SUCCESSFUL, stage BAKE_TIME, 100% of traffic, alarms triggered: web-5xx, rollback: alarm web-5xx in ALARM',
    );
    expect(announced.map((failure) => failure.result)).toEqual(['rolled-back']);
    // The service deployment decided: the service's rollback setting (which says "no rollback") was not asked.
    expect(askedConfiguration).toEqual([]);
  });

  it('records ROLLBACK_FAILED as failed', async () => {
    ecs.on(DescribeServiceDeploymentsCommand).resolves({
      serviceDeployments: [serviceDeployment({ status: 'ROLLBACK_FAILED', rollback: { reason: 'circuit breaker' } })],
    });
    const { record } = world();

    const outcome = await record(observation('SERVICE_DEPLOYMENT_FAILED', 'rolling back'), {});

    expect(outcome).toMatchObject({ outcome: 'recorded', result: 'failed' });
  });

  it('records a deployment rolling back as rolled-back before the rollback finishes', async () => {
    ecs.on(DescribeServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        serviceDeployment({
          status: 'ROLLBACK_IN_PROGRESS',
          deploymentCircuitBreaker: { status: 'TRIGGERED', failureCount: 3, threshold: 3 },
        }),
      ],
    });
    const { record, recorded } = world();

    const outcome = await record(observation('SERVICE_DEPLOYMENT_FAILED', 'tasks failed to start.'), {});

    expect(outcome).toMatchObject({ outcome: 'recorded', result: 'rolled-back' });
    expect(recorded()[0]?.reason).toContain('circuit breaker triggered (3/3 failed tasks)');
  });

  it('records nothing for a deployment a newer one superseded', async () => {
    ecs.on(DescribeServiceDeploymentsCommand).resolves({
      serviceDeployments: [serviceDeployment({ status: 'STOPPED', stoppedAt: new Date('2026-12-06T10:03:00.000Z') })],
    });
    const { record, recorded, announced } = world();

    const outcome = await record(observation('SERVICE_DEPLOYMENT_FAILED', 'stopped.'), {});

    expect(outcome).toMatchObject({ outcome: 'ignored' });
    expect(outcome.outcome === 'ignored' && outcome.reason).toContain('superseded by a newer deployment');
    expect(recorded()).toEqual([]);
    expect(announced).toEqual([]);
  });

  it('lets the event decide while the service deployment is still running, with its stage in the reason', async () => {
    ecs.on(DescribeServiceDeploymentsCommand).resolves({
      serviceDeployments: [serviceDeployment({ status: 'IN_PROGRESS', lifecycleStage: 'CLEAN_UP' })],
    });
    const { record, recorded } = world();

    const outcome = await record(observation('SERVICE_DEPLOYMENT_COMPLETED', 'completed.'), {});

    expect(outcome).toMatchObject({ outcome: 'recorded', result: 'succeeded' });
    expect(recorded()[0]?.reason).toContain('stage CLEAN_UP');
  });

  it('falls back to the event, with a warning, when the service deployment cannot be read for good', async () => {
    ecs
      .on(DescribeServiceDeploymentsCommand)
      .rejects(new AccessDeniedException({ message: 'not authorized', $metadata: {} }));
    const { record, lines, askedConfiguration } = world();

    const outcome = await record(observation('SERVICE_DEPLOYMENT_FAILED', 'tasks failed to start.'), {});

    expect(outcome).toMatchObject({ outcome: 'recorded', result: 'failed' });
    expect(askedConfiguration).toEqual(['prod/web']);
    expect(lines).toContainEqual({ level: 'warn', message: 'cannot read the service deployment; the event decides' });
  });

  it('hands a throttled read back for a retry and records nothing', async () => {
    ecs.on(DescribeServiceDeploymentsCommand).rejects(
      new ECSServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );
    const { record, recorded } = world();

    await expect(record(observation('SERVICE_DEPLOYMENT_COMPLETED', 'completed.'), {})).rejects.toBeInstanceOf(
      RetryableError,
    );
    expect(recorded()).toEqual([]);
  });

  it('reads no service deployment for an entry that references none', async () => {
    const { serviceDeploymentArn: _arn, ...references } = STARTED.references ?? {};
    const { record } = world({ ...STARTED, references });

    const outcome = await record(observation('SERVICE_DEPLOYMENT_COMPLETED', 'completed.'), {});

    expect(outcome).toMatchObject({ outcome: 'recorded', result: 'succeeded' });
    expect(ecs).toHaveReceivedCommandTimes(DescribeServiceDeploymentsCommand, 0);
  });
});
