/** Following rollouts on a virtual clock: one line per change off a terminal, a redrawn block on one, the outcome
 * (succeeded, failed, timeout) and the time limit, without sleeping. */
import type { ServiceDeployment } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { duration, followRollouts, followSummary } from '../../cli/commands/follow.ts';
import { type Rollout, rolloutOf } from '../../shared/live/rollouts.ts';
import { capture } from '../support/cli.ts';

const WEB = { id: 'EcsService:prod/web', arn: 'arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/a1' };
const API = { id: 'EcsService:prod/api', arn: 'arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/b2' };

function deployment(arn: string, overrides: Partial<ServiceDeployment>): Rollout {
  return rolloutOf({
    serviceDeploymentArn: arn,
    deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1 },
    status: 'IN_PROGRESS',
    ...overrides,
  });
}

/** A virtual clock whose sleep moves time, and a reader answering each ARN's script by the time it is asked. */
function scripted(scripts: Record<string, readonly [atMs: number, rollout: Rollout][]>) {
  let now = 0;
  const sleeps: number[] = [];
  const reader = {
    describe: async (arns: readonly string[]) =>
      new Map(
        arns.flatMap((arn) => {
          const current = (scripts[arn] ?? []).filter(([at]) => at <= now).at(-1);
          return current ? [[arn, current[1]] as const] : [];
        }),
      ),
  };
  return {
    reader,
    sleeps,
    clock: {
      now: () => now,
      sleep: async (milliseconds: number) => {
        sleeps.push(milliseconds);
        now += milliseconds;
      },
    },
  };
}

describe('followRollouts', () => {
  it('prints one line per change and succeeds once every rollout succeeded', async () => {
    // Prepare
    const { reader, clock, sleeps } = scripted({
      [WEB.arn]: [
        [0, deployment(WEB.arn, { lifecycleStage: 'SCALE_UP' })],
        [
          10_000,
          deployment(WEB.arn, {
            lifecycleStage: 'PRODUCTION_TRAFFIC_SHIFT',
            targetServiceRevision: { requestedProductionTrafficWeight: 100 },
          }),
        ],
        [
          20_000,
          deployment(WEB.arn, {
            lifecycleStage: 'BAKE_TIME',
            targetServiceRevision: { requestedProductionTrafficWeight: 100 },
          }),
        ],
        [80_000, deployment(WEB.arn, { status: 'SUCCESSFUL', lifecycleStage: 'CLEAN_UP' })],
      ],
    });
    const io = capture();

    // Act
    const result = await followRollouts([WEB], reader, io, { timeoutMs: 600_000, pollIntervalMs: 10_000, ...clock });

    // Assess
    expect(result.outcome).toBe('succeeded');
    expect(result.elapsedMs).toBe(80_000);
    expect(sleeps.every((milliseconds) => milliseconds === 10_000)).toBe(true);
    expect(io.stdout().split('\n').filter(Boolean)).toEqual([
      '[0s] EcsService:prod/web: BLUE_GREEN IN_PROGRESS, stage SCALE_UP',
      '[10s] EcsService:prod/web: BLUE_GREEN IN_PROGRESS, stage PRODUCTION_TRAFFIC_SHIFT, 100% of traffic',
      '[20s] EcsService:prod/web: BLUE_GREEN IN_PROGRESS, stage BAKE_TIME, 100% of traffic',
      '[1m20s] EcsService:prod/web: finished: BLUE_GREEN SUCCESSFUL, stage CLEAN_UP',
    ]);
  });

  it('fails when one rollout rolled back, after waiting for the others to finish', async () => {
    // Prepare
    const { reader, clock } = scripted({
      [WEB.arn]: [
        [0, deployment(WEB.arn, { lifecycleStage: 'BAKE_TIME' })],
        [
          30_000,
          deployment(WEB.arn, {
            status: 'ROLLBACK_SUCCESSFUL',
            rollback: { reason: 'alarm web-5xx' },
            alarms: { status: 'TRIGGERED', alarmNames: ['web-5xx'], triggeredAlarmNames: ['web-5xx'] },
          }),
        ],
      ],
      [API.arn]: [
        [0, deployment(API.arn, {})],
        [50_000, deployment(API.arn, { status: 'SUCCESSFUL' })],
      ],
    });
    const io = capture();

    // Act
    const result = await followRollouts([WEB, API], reader, io, {
      timeoutMs: 600_000,
      pollIntervalMs: 10_000,
      ...clock,
    });

    // Assess
    expect(result.outcome).toBe('failed');
    expect(result.elapsedMs).toBe(50_000);
    expect(result.rollouts.map(({ id, rollout }) => [id, rollout?.result])).toEqual([
      [WEB.id, 'rolled-back'],
      [API.id, 'succeeded'],
    ]);
    expect(followSummary(result, io)).toBe(
      'Rollouts did not all succeed: 1 rolled back, 1 succeeded\n' +
        '  EcsService:prod/web: BLUE_GREEN ROLLBACK_SUCCESSFUL, alarms triggered: web-5xx, rollback: alarm web-5xx\n',
    );
  });

  it('stops at the time limit, never sleeping past it', async () => {
    // Prepare
    const { reader, clock, sleeps } = scripted({
      [WEB.arn]: [[0, deployment(WEB.arn, { lifecycleStage: 'BAKE_TIME' })]],
    });
    const io = capture();

    // Act
    const result = await followRollouts([WEB], reader, io, { timeoutMs: 25_000, pollIntervalMs: 10_000, ...clock });

    // Assess
    expect(result.outcome).toBe('timeout');
    expect(sleeps).toEqual([10_000, 10_000, 5_000]);
    expect(result.elapsedMs).toBe(25_000);
    expect(followSummary(result, io)).toBe('Rollouts not finished after 25s: 1 in progress\n');
  });

  it('redraws one line per service in place on a terminal (stderr)', async () => {
    // Prepare
    const { reader, clock } = scripted({
      [WEB.arn]: [
        [
          0,
          deployment(WEB.arn, {
            lifecycleStage: 'BAKE_TIME',
            targetServiceRevision: { requestedProductionTrafficWeight: 100 },
          }),
        ],
        [10_000, deployment(WEB.arn, { status: 'SUCCESSFUL' })],
      ],
      [API.arn]: [[0, deployment(API.arn, { status: 'SUCCESSFUL' })]],
    });
    const io = { ...capture(), tty: true };

    // Act
    await followRollouts([WEB, API], reader, io, { timeoutMs: 60_000, pollIntervalMs: 10_000, ...clock });

    // Assess
    expect(io.stdout()).toBe('');
    const screen = io.stderr().replaceAll('\u001b', 'ESC').replace(/ +/g, ' ');
    expect(screen).toBe(
      'ESC[2K… EcsService:prod/web BLUE_GREEN BAKE_TIME 100% 0s\n' +
        'ESC[2K✓ EcsService:prod/api BLUE_GREEN SUCCESSFUL 0s\n' +
        // The cursor goes back up over the two lines, which are drawn again.
        'ESC[2AESC[2K✓ EcsService:prod/web BLUE_GREEN SUCCESSFUL 10s\n' +
        'ESC[2K✓ EcsService:prod/api BLUE_GREEN SUCCESSFUL 10s\n',
    );
  });

  it('waits through a passing read failure, with a warning', async () => {
    // Prepare
    let calls = 0;
    let now = 0;
    const reader = {
      describe: async () => {
        calls += 1;
        if (calls === 1) throw new Error('ECS DescribeServiceDeployments failed: Rate exceeded');
        return new Map([[WEB.arn, deployment(WEB.arn, { status: 'SUCCESSFUL' })]]);
      },
    };
    const io = capture();

    // Act
    const result = await followRollouts([WEB], reader, io, {
      timeoutMs: 60_000,
      pollIntervalMs: 5_000,
      now: () => now,
      sleep: async (milliseconds) => {
        now += milliseconds;
      },
    });

    // Assess
    expect(result.outcome).toBe('succeeded');
    expect(io.stderr()).toContain('rollouts not read: ECS DescribeServiceDeployments failed: Rate exceeded');
  });
});

describe('duration', () => {
  it.each([
    [0, '0s'],
    [59_400, '59s'],
    [75_000, '1m15s'],
    [3_600_000, '60m00s'],
  ])('%i ms reads %s', (milliseconds, text) => {
    expect(duration(milliseconds)).toBe(text);
  });
});
