/** Recording a deployment's end: only deployments the ledger says driftless started, once each, a FAILED ECS
 * deployment told apart by the service's rollback setting, and Rollout Failed announced for what did not succeed. */
import type { DeploymentConfiguration } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { LiveReadError, LiveUnavailableError, RetryableError } from '../../../shared/errors.ts';
import { MemoryLedger } from '../../../shared/sim/memory-ledger.ts';
import type { GitSource } from '../../../shared/source/git-source.ts';
import {
  type DeploymentObservation,
  readEcsDeploymentStateChange,
} from '../../../shared/triggers/deployment-outcome.ts';
import {
  createDeploymentOutcomeRecorder,
  type RolloutFailure,
} from '../../../shared/triggers/deployment-outcome-recorder.ts';
import { DEPLOYMENT, SERVICE_ARN, startedDeployment, WEB } from '../../support/deployment-outcome.ts';

const COMMIT = 'a'.repeat(40);

const STARTED = startedDeployment(COMMIT, '2024-05-01T12:00:00.000Z');

function ecsObservation(eventName: string, reason: string): DeploymentObservation {
  const reading = readEcsDeploymentStateChange({
    resources: [SERVICE_ARN],
    detail: { eventName, deploymentId: DEPLOYMENT, reason },
  });
  if (reading.kind !== 'observed') throw new Error(reading.reason);
  return reading;
}

interface World {
  readonly ledger: MemoryLedger;
  readonly asked: string[];
  readonly announced: RolloutFailure[];
  readonly lines: { level: string; message: string }[];
  readonly record: ReturnType<typeof createDeploymentOutcomeRecorder>;
}

function world(describeService: () => Promise<DeploymentConfiguration | undefined>): World {
  const ledger = new MemoryLedger();
  ledger.seed(STARTED);
  const asked: string[] = [];
  const announced: RolloutFailure[] = [];
  const lines: { level: string; message: string }[] = [];
  const line = (level: string) => (message: string) => lines.push({ level, message });
  const record = createDeploymentOutcomeRecorder({
    ledger,
    ecs: {
      deploymentConfiguration: (cluster, name) => {
        asked.push(`${cluster}/${name}`);
        return describeService();
      },
    },
    source: {} as GitSource,
    branch: 'main',
    prefix: '',
    now: () => Date.parse('2024-05-01T12:30:00.000Z'),
    logger: { info: line('info'), warn: line('warn'), error: line('error') },
    failures: {
      isRethrown: (error) => error instanceof RetryableError,
      summarizeError: (error) => String(error),
    },
    announce: async (failure) => {
      announced.push(failure);
    },
  });
  return { ledger, asked, announced, lines, record };
}

const rollingBack = async (): Promise<DeploymentConfiguration> => ({
  deploymentCircuitBreaker: { enable: true, rollback: true },
});
const onlyFailing = async (): Promise<DeploymentConfiguration> => ({
  deploymentCircuitBreaker: { enable: true, rollback: false },
});

describe('createDeploymentOutcomeRecorder', () => {
  it('records a completed deployment as succeeded, announces nothing and asks ECS nothing', async () => {
    // Prepare
    const { ledger, asked, announced, record } = world(rollingBack);

    // Act
    const outcome = await record(ecsObservation('SERVICE_DEPLOYMENT_COMPLETED', 'completed.'), {});

    // Assess
    const recorded = ledger.outcomes().filter((entry) => entry.trigger === 'deployment-event');
    expect(outcome).toEqual({
      outcome: 'recorded',
      resourceId: WEB,
      commitId: COMMIT,
      result: 'succeeded',
      entryId: recorded[0]?.entryId,
    });
    expect(recorded).toEqual([
      expect.objectContaining({
        runId: 'run-1',
        resourceId: WEB,
        result: 'succeeded',
        time: '2024-05-01T12:30:00.000Z',
        reason: `ECS deployment ${DEPLOYMENT} SERVICE_DEPLOYMENT_COMPLETED: completed.`,
        references: STARTED.references,
      }),
    ]);
    expect(asked).toEqual([]);
    expect(announced).toEqual([]);
  });

  it('records a FAILED deployment as rolled-back when the service circuit breaker rolls back, and announces it', async () => {
    // Prepare
    const { ledger, asked, announced, record } = world(rollingBack);

    // Act
    const outcome = await record(ecsObservation('SERVICE_DEPLOYMENT_FAILED', 'tasks failed to start.'), {});

    // Assess
    expect(outcome).toMatchObject({ outcome: 'recorded', result: 'rolled-back', commitId: COMMIT });
    expect(asked).toEqual(['prod/web']);
    const recorded = ledger.outcomes().find((entry) => entry.trigger === 'deployment-event');
    expect(recorded?.reason).toBe(
      `ECS deployment ${DEPLOYMENT} SERVICE_DEPLOYMENT_FAILED: tasks failed to start. — rolled back; commit ${COMMIT.slice(0, 12)} is not applied to this resource again until a new commit`,
    );
    expect(announced).toEqual([{ entry: recorded, result: 'rolled-back', resourceArn: SERVICE_ARN }]);
  });

  it('records a FAILED deployment as failed when the service does not roll back', async () => {
    // Prepare
    const { ledger, announced, record } = world(onlyFailing);

    // Act
    const outcome = await record(ecsObservation('SERVICE_DEPLOYMENT_FAILED', 'tasks failed to start.'), {});

    // Assess
    expect(outcome).toMatchObject({ outcome: 'recorded', result: 'failed' });
    expect(ledger.outcomes().filter((entry) => entry.result === 'failed')).toHaveLength(1);
    expect(announced).toEqual([expect.objectContaining({ result: 'failed', resourceArn: SERVICE_ARN })]);
  });

  it('records a FAILED deployment as failed, with a warning, when ECS cannot say whether it rolled back', async () => {
    // Prepare
    const { lines, record } = world(async () => {
      throw new LiveReadError('ECS DescribeServices of web in cluster prod failed: access denied');
    });

    // Act
    const outcome = await record(ecsObservation('SERVICE_DEPLOYMENT_FAILED', 'tasks failed to start.'), {});

    // Assess
    expect(outcome).toMatchObject({ outcome: 'recorded', result: 'failed' });
    expect(lines).toContainEqual({
      level: 'warn',
      message: 'cannot tell whether ECS rolled the deployment back; recorded as failed',
    });
  });

  it('hands a passing ECS failure back for a retry of the whole event, recording nothing', async () => {
    // Prepare
    const { ledger, announced, record } = world(async () => {
      throw new LiveUnavailableError('ECS DescribeServices of web in cluster prod failed: Rate exceeded');
    });
    const before = ledger.entries.length;

    // Act
    const failure = await record(ecsObservation('SERVICE_DEPLOYMENT_FAILED', 'tasks failed.'), {}).catch(
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toBeInstanceOf(LiveUnavailableError);
    expect(ledger.entries).toHaveLength(before);
    expect(announced).toEqual([]);
  });

  it('ignores a deployment the ledger does not reference, and a repeat of one recorded already', async () => {
    // Prepare
    const { ledger, record } = world(rollingBack);
    const foreign = readEcsDeploymentStateChange({
      resources: [SERVICE_ARN],
      detail: { eventName: 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId: 'ecs-svc/9999999999999999999' },
    });
    if (foreign.kind !== 'observed') throw new Error(foreign.reason);
    const completed = ecsObservation('SERVICE_DEPLOYMENT_COMPLETED', 'completed.');

    // Act
    const notOurs = await record(foreign, {});
    const first = await record(completed, {});
    const repeated = await record(completed, {});

    // Assess
    expect(notOurs).toEqual({
      outcome: 'ignored',
      reason: 'ECS deployment ecs-svc/9999999999999999999 was not started by driftless',
    });
    expect(first.outcome).toBe('recorded');
    expect(repeated).toEqual({
      outcome: 'ignored',
      reason: `ECS deployment ${DEPLOYMENT} ended already: recorded succeeded in ${first.outcome === 'recorded' ? first.entryId : ''}`,
    });
    expect(ledger.outcomes().filter((entry) => entry.trigger === 'deployment-event')).toHaveLength(1);
  });
});
