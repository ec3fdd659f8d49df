/** Following rollouts end to end on the simulator (its service deployments stepped on a virtual clock) and DynamoDB
 * Local: `status` shows each service's rollout, and `reconcile --wait` waits for the rollouts the run started, exiting
 * 0 when they succeeded, 3 when one rolled back (alarm, circuit breaker) and 4 when the time limit passed first. */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_ROLLOUT_FAILED, EXIT_ROLLOUT_TIMEOUT } from '../../cli/commands/reconcile.ts';
import { run } from '../../cli/main.ts';
import { type AwsSimulator, createAwsSimulator } from '../../shared/sim/index.ts';
import { capture } from '../support/cli.ts';
import { localDynamoDb } from '../support/dynamodb.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../support/git-repo.ts';

const WEB = 'EcsService:prod/web';
const MINUTE = 60_000;

interface RolloutWorld {
  readonly repo: TestRepo;
  readonly simulator: AwsSimulator;
  /** The clients `run` takes; `sleep` moves the virtual clock, then ECS moves the rollouts one phase. */
  readonly clients: Parameters<typeof run>[2];
  readonly reconcileArgs: string[];
  readonly statusArgs: string[];
  /** The example's web.yaml with its deployment configuration (YAML flow mapping) and image replaced. */
  commitWeb(deploymentConfiguration: string, image: string): Promise<string>;
}

describe('following rollouts', () => {
  let world: { repo: TestRepo; simulator: AwsSimulator } | undefined;
  afterEach(async () => {
    world?.simulator.restore();
    await world?.repo.cleanup();
    world = undefined;
  });

  /** The example repository applied and settled; the simulator's clock starts now (the writer looks for the rollout
   * it started by creation time) and moves only when the CLI sleeps. */
  async function settled(): Promise<RolloutWorld> {
    const tree = await readTree(EXAMPLE_REPO_DIR);
    const repo = await makeRepo(tree);
    let clock = Date.now();
    const simulator = createAwsSimulator({ now: () => clock });
    world = { repo, simulator };
    const suffix = randomUUID().slice(0, 8);
    const tables = ['--ledger-table', `rollouts-ledger-${suffix}`];
    const clients = {
      ecs: simulator.ecs,
      cloudFormation: simulator.cloudFormation,
      dynamoDb: localDynamoDb(),
      now: () => clock,
      sleep: async (milliseconds: number) => {
        clock += milliseconds;
        simulator.stepRollouts();
      },
    };
    const reconcileArgs = [
      'reconcile',
      '--repo',
      repo.dir,
      ...tables,
      '--lock-table',
      `rollouts-lock-${suffix}`,
      '--create-tables',
    ];
    const io = capture();
    expect(await run(reconcileArgs, io, clients)).toBe(0);
    simulator.advance();
    const web = String(tree['services/web.yaml']);
    const original = '    deploymentCircuitBreaker: { enable: true, rollback: true }\n';
    expect(web).toContain(original);
    return {
      repo,
      simulator,
      clients,
      reconcileArgs,
      statusArgs: ['status', '--repo', repo.dir, ...tables],
      commitWeb: (deploymentConfiguration, image) =>
        repo.commit(
          {
            'services/web.yaml': web
              .replace(original, `${original}    ${deploymentConfiguration}\n`)
              .replace('web:1.4.2', `web:${image}`),
          },
          `web: ${image}`,
        ),
    };
  }

  /** `[1m30s] …` → 90_000. */
  function offsetOf(line: string | undefined): number {
    const match = /^\[(?:(\d+)m)?(\d+)s\]/.exec(line ?? '');
    if (!match) throw new Error(`not a progress line: ${line}`);
    return (Number(match[1] ?? 0) * 60 + Number(match[2])) * 1000;
  }

  it('waits for a rolling rollout and exits 0; status then shows it finished, compactly', async () => {
    // Prepare
    const { clients, reconcileArgs, statusArgs, commitWeb } = await settled();
    await commitWeb('strategy: ROLLING', '1.4.3');
    const io = capture();

    // Act
    const exitCode = await run([...reconcileArgs, '--wait', '--poll-interval', '15s'], io, clients);
    const out = io.stdout();
    io.reset();
    const statusExit = await run(statusArgs, io, clients);
    const statusOut = io.stdout();
    io.reset();
    await run([...statusArgs, '--json'], io, clients);
    const statuses = JSON.parse(io.stdout()) as { id: string; rollout?: Record<string, unknown> }[];

    // Assess
    expect(exitCode).toBe(0);
    const progress = out.split('\n').filter((line) => line.includes(`] ${WEB}:`));
    expect(progress).toEqual([
      `[0s] ${WEB}: ROLLING PENDING`,
      `[15s] ${WEB}: ROLLING IN_PROGRESS`,
      `[30s] ${WEB}: finished: ROLLING SUCCESSFUL`,
    ]);
    expect(out).toContain('Following 1 rollout:');
    expect(out).toContain('Rollouts finished: 1 succeeded');
    expect(statusExit).toBe(0);
    expect(statusOut).toMatch(
      /EcsService:prod\/web\s+in sync\s+\S+\s+[0-9a-f]{8} at .+ UTC\s+ROLLING SUCCESSFUL \d{4}-\d\d-\d\d \d\d:\d\d UTC\n/,
    );
    expect(statuses.find((status) => status.id === WEB)?.rollout).toMatchObject({
      strategy: 'ROLLING',
      status: 'SUCCESSFUL',
      result: 'succeeded',
      arn: expect.stringContaining(':service-deployment/prod/web/'),
    });
  });

  it('shows a blue/green rollout in its bake time in status: stage, production traffic, since when', async () => {
    // Prepare
    const { simulator, clients, reconcileArgs, statusArgs, commitWeb } = await settled();
    await commitWeb('strategy: BLUE_GREEN\n    bakeTimeInMinutes: 5', '1.4.3');
    const io = capture();
    expect(await run(reconcileArgs, io, clients)).toBe(0);
    simulator.advanceRollouts();
    io.reset();

    // Act
    const exitCode = await run(statusArgs, io, clients);
    const out = io.stdout();
    io.reset();
    await run([...statusArgs, '--json'], io, clients);
    const web = (JSON.parse(io.stdout()) as { id: string; rollout?: Record<string, unknown> }[]).find(
      (status) => status.id === WEB,
    );

    // Assess
    expect(exitCode).toBe(0);
    expect(out).toMatch(
      /EcsService:prod\/web\s+.*BLUE_GREEN IN_PROGRESS BAKE_TIME 100% since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n/,
    );
    expect(web?.rollout).toMatchObject({
      strategy: 'BLUE_GREEN',
      status: 'IN_PROGRESS',
      stage: 'BAKE_TIME',
      productionTrafficPercent: 100,
      result: 'in-progress',
      since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('waits through a blue/green bake time: BAKE_TIME for the bake minutes, then SUCCESSFUL, exit 0', async () => {
    // Prepare
    const { clients, reconcileArgs, commitWeb } = await settled();
    await commitWeb('strategy: BLUE_GREEN\n    bakeTimeInMinutes: 5', '1.4.3');
    const io = capture();

    // Act
    const exitCode = await run([...reconcileArgs, '--wait', '--poll-interval', '1m'], io, clients);

    // Assess
    expect(exitCode).toBe(0);
    const progress = io
      .stdout()
      .split('\n')
      .filter((line) => line.includes(`] ${WEB}:`));
    const stages = progress.map((line) => /stage (\w+)/.exec(line)?.[1] ?? line.split(': ').at(-1));
    expect(stages).toEqual([
      'BLUE_GREEN PENDING, 0% of traffic',
      'PRE_SCALE_UP',
      'SCALE_UP',
      'POST_SCALE_UP',
      'TEST_TRAFFIC_SHIFT',
      'POST_TEST_TRAFFIC_SHIFT',
      'PRODUCTION_TRAFFIC_SHIFT',
      'POST_PRODUCTION_TRAFFIC_SHIFT',
      'BAKE_TIME',
      'CLEAN_UP',
      'CLEAN_UP',
    ]);
    const baking = progress.find((line) => line.includes('stage BAKE_TIME'));
    const cleaning = progress.find((line) => line.includes('stage CLEAN_UP'));
    expect(baking).toContain('100% of traffic');
    expect(offsetOf(cleaning) - offsetOf(baking)).toBeGreaterThanOrEqual(5 * MINUTE);
    expect(progress.at(-1)).toMatch(/finished: BLUE_GREEN SUCCESSFUL/);
  });

  it('exits 3 when an alarm rolls a blue/green rollout back during its bake time, naming the alarm', async () => {
    // Prepare
    const { simulator, clients, reconcileArgs, commitWeb } = await settled();
    await commitWeb(
      'strategy: BLUE_GREEN\n    bakeTimeInMinutes: 10\n    alarms: { alarmNames: [web-5xx], enable: true, rollback: true }',
      '1.4.3',
    );
    simulator.alarmNextRollout('prod', 'web');
    const io = capture();

    // Act
    const exitCode = await run([...reconcileArgs, '--wait', '--poll-interval', '30s'], io, clients);

    // Assess
    expect(exitCode).toBe(EXIT_ROLLOUT_FAILED);
    const out = io.stdout();
    expect(out).toMatch(/finished: BLUE_GREEN ROLLBACK_SUCCESSFUL, .*alarms triggered: web-5xx/);
    expect(out).toContain('Rollouts did not all succeed: 1 rolled back');
    expect(simulator.services().find((service) => service.serviceName === 'web')?.taskDefinition).toMatch(/web:1$/);
  });

  it('exits 3 when the circuit breaker rolls a rolling rollout back', async () => {
    // Prepare
    const { simulator, clients, reconcileArgs, commitWeb } = await settled();
    await commitWeb('strategy: ROLLING', '1.4.3');
    simulator.failNextRollout('prod', 'web');
    const io = capture();

    // Act
    const exitCode = await run([...reconcileArgs, '--wait', '--json'], io, clients);

    // Assess
    expect(exitCode).toBe(EXIT_ROLLOUT_FAILED);
    const result = JSON.parse(io.stdout()) as {
      status: string;
      wait: string;
      rollouts: { id: string; rollout: Record<string, unknown> }[];
    };
    expect(result.status).toBe('applied');
    expect(result.wait).toBe('failed');
    expect(result.rollouts).toEqual([
      expect.objectContaining({
        id: WEB,
        rollout: expect.objectContaining({
          status: 'ROLLBACK_SUCCESSFUL',
          result: 'rolled-back',
          circuitBreaker: expect.objectContaining({ status: 'TRIGGERED' }),
        }),
      }),
    ]);
  });

  it('exits 4 when the rollout has not finished by --timeout, and says what was still running', async () => {
    // Prepare
    const { clients, reconcileArgs, commitWeb } = await settled();
    await commitWeb('strategy: BLUE_GREEN\n    bakeTimeInMinutes: 60', '1.4.3');
    const io = capture();

    // Act
    const exitCode = await run([...reconcileArgs, '--wait', '--timeout', '10m', '--poll-interval', '1m'], io, clients);

    // Assess
    expect(exitCode).toBe(EXIT_ROLLOUT_TIMEOUT);
    expect(io.stdout()).toContain('Rollouts not finished after 10m00s: 1 in progress');
    expect(io.stdout()).toMatch(/stage BAKE_TIME, 100% of traffic\n/);
  });

  it('refuses a --timeout that is not a duration', async () => {
    const { clients, reconcileArgs } = await settled();
    const io = capture();

    const exitCode = await run([...reconcileArgs, '--wait', '--timeout', 'soon'], io, clients);

    expect(exitCode).not.toBe(0);
    expect(io.stderr()).toContain('expected a duration such as 90s, 10m or 1h');
  });
});
