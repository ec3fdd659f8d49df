/** Following rollouts end to end on the simulator (its service deployments stepped on a virtual clock) and DynamoDB
 * Local: `status` shows each service's rollout, and `reconcile --wait` waits for the rollouts the run started (rolling,
 * blue/green, canary), exiting 0 when they succeeded, 3 when one rolled back (alarm, circuit breaker) and 4 when the
 * time limit passed first. */
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
const API = 'EcsService:prod/api';
/** The example api's canary settings, which the blue/green tests replace. */
const CANARY = 'strategy: CANARY\n    canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 }\n';
const MINUTE = 60_000;

interface RolloutWorld {
  readonly repo: TestRepo;
  readonly simulator: AwsSimulator;
  /** The clients `run` takes; `sleep` moves the virtual clock, then ECS moves the rollouts one phase. */
  readonly clients: Parameters<typeof run>[2];
  readonly reconcileArgs: string[];
  readonly statusArgs: string[];
  /** The example's web.yaml (rolling, no traffic shifting) with a deployment configuration line added and its image
   * replaced. */
  commitWeb(deploymentConfiguration: string, image: string): Promise<string>;
  /** The example's api.yaml (canary behind a load balancer with a green target group) edited, its image replaced. */
  commitApi(edit: (yaml: string) => string, image: string): Promise<string>;
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
    const api = String(tree['services/api.yaml']);
    expect(api).toContain(CANARY);
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
      commitApi: (edit, image) =>
        repo.commit({ 'services/api.yaml': edit(api).replace('api:2.7.0', `api:${image}`) }, `api: ${image}`),
    };
  }

  /** The api as blue/green with this bake time, instead of canary. */
  function blueGreen(bakeMinutes: number): (yaml: string) => string {
    return (yaml) =>
      yaml
        .replace(CANARY, 'strategy: BLUE_GREEN\n')
        .replace('    bakeTimeInMinutes: 10\n', `    bakeTimeInMinutes: ${bakeMinutes}\n`);
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
    const { simulator, clients, reconcileArgs, statusArgs, commitApi } = await settled();
    await commitApi(blueGreen(5), '2.8.0');
    const io = capture();
    expect(await run(reconcileArgs, io, clients)).toBe(0);
    simulator.advanceRollouts();
    io.reset();

    // Act
    const exitCode = await run(statusArgs, io, clients);
    const out = io.stdout();
    io.reset();
    await run([...statusArgs, '--json'], io, clients);
    const api = (JSON.parse(io.stdout()) as { id: string; rollout?: Record<string, unknown> }[]).find(
      (status) => status.id === API,
    );

    // Assess
    expect(exitCode).toBe(0);
    expect(out).toMatch(
      /EcsService:prod\/api\s+.*BLUE_GREEN IN_PROGRESS BAKE_TIME 100% since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n/,
    );
    // The other services' rollouts finished: shown compactly.
    expect(out).toMatch(/EcsService:prod\/web\s+in sync.*ROLLING SUCCESSFUL \d{4}-\d\d-\d\d \d\d:\d\d UTC\n/);
    expect(api?.rollout).toMatchObject({
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
    const { clients, reconcileArgs, commitApi } = await settled();
    await commitApi(blueGreen(5), '2.8.0');
    const io = capture();

    // Act
    const exitCode = await run([...reconcileArgs, '--wait', '--poll-interval', '1m'], io, clients);

    // Assess
    expect(exitCode).toBe(0);
    const progress = io
      .stdout()
      .split('\n')
      .filter((line) => line.includes(`] ${API}:`));
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

  it('waits through a canary: 10% of production traffic for the canary bake time, then all, then the bake time', async () => {
    // Prepare: the example api as it is (canary 10% for 5 minutes, then a 10-minute bake), with a new image.
    const { clients, reconcileArgs, commitApi } = await settled();
    await commitApi((yaml) => yaml, '2.8.0');
    const io = capture();

    // Act
    const exitCode = await run([...reconcileArgs, '--wait', '--poll-interval', '1m'], io, clients);

    // Assess
    expect(exitCode).toBe(0);
    const progress = io
      .stdout()
      .split('\n')
      .filter((line) => line.includes(`] ${API}:`));
    const canary = progress.find((line) => line.includes('stage PRODUCTION_TRAFFIC_SHIFT, 10% of traffic'));
    const all = progress.find((line) => line.includes('stage PRODUCTION_TRAFFIC_SHIFT, 100% of traffic'));
    const baking = progress.find((line) => line.includes('stage BAKE_TIME, 100% of traffic'));
    const cleaning = progress.find((line) => line.includes('stage CLEAN_UP'));
    expect(progress[0]).toBe(`[0s] ${API}: CANARY PENDING, 0% of traffic`);
    expect(offsetOf(all) - offsetOf(canary)).toBeGreaterThanOrEqual(5 * MINUTE);
    expect(offsetOf(cleaning) - offsetOf(baking)).toBeGreaterThanOrEqual(10 * MINUTE);
    expect(progress.at(-1)).toMatch(/finished: CANARY SUCCESSFUL/);
  });

  it('exits 3 when an alarm rolls a blue/green rollout back during its bake time, naming the alarm', async () => {
    // Prepare
    const { simulator, clients, reconcileArgs, commitApi } = await settled();
    await commitApi(blueGreen(10), '2.8.0');
    simulator.alarmNextRollout('prod', 'api');
    const io = capture();

    // Act
    const exitCode = await run([...reconcileArgs, '--wait', '--poll-interval', '30s'], io, clients);

    // Assess
    expect(exitCode).toBe(EXIT_ROLLOUT_FAILED);
    const out = io.stdout();
    expect(out).toMatch(/stage BAKE_TIME, 100% of traffic\n/);
    expect(out).toMatch(/finished: BLUE_GREEN ROLLBACK_SUCCESSFUL, .*alarms triggered: api-5xx/);
    expect(out).toContain('Rollouts did not all succeed: 1 rolled back');
    expect(simulator.services().find((service) => service.serviceName === 'api')?.taskDefinition).toMatch(/api:1$/);
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
    const { clients, reconcileArgs, commitApi } = await settled();
    await commitApi(blueGreen(60), '2.8.0');
    const io = capture();

    // Act
    const exitCode = await run([...reconcileArgs, '--wait', '--timeout', '10m', '--poll-interval', '1m'], io, clients);

    // Assess
    expect(exitCode).toBe(EXIT_ROLLOUT_TIMEOUT);
    expect(io.stdout()).toContain('Rollouts not finished after 10m00s: 1 in progress');
    expect(io.stdout()).toMatch(/stage BAKE_TIME, 100% of traffic\n/);
  });

  it('says which writes it cannot follow when ECS would not list their rollouts, and exits as the run does', async () => {
    // Prepare
    const { simulator, clients, reconcileArgs, commitWeb } = await settled();
    await commitWeb('strategy: ROLLING', '1.4.3');
    simulator.injectFault('ECS.ListServiceDeployments', 'server-error', 20);
    const io = capture();

    // Act
    const exitCode = await run([...reconcileArgs, '--wait'], io, clients);

    // Assess
    expect(exitCode).toBe(0);
    expect(io.stdout()).toContain(`Not followed (no rollout recorded): ${WEB}`);
    expect(io.stdout()).toContain('No rollout to follow: the run recorded none.');
  });

  it('refuses a --timeout that is not a duration', async () => {
    const { clients, reconcileArgs } = await settled();
    const io = capture();

    const exitCode = await run([...reconcileArgs, '--wait', '--timeout', 'soon'], io, clients);

    expect(exitCode).not.toBe(0);
    expect(io.stderr()).toContain('expected a duration such as 90s, 10m or 1h');
  });
});
