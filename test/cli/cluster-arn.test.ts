/** The CLI holds a cluster ARN to where it deploys: the region its client uses and the account its identity names.
 * `plan` and `reconcile` refuse one elsewhere before any ECS call; `validate` stays offline and cannot know. */
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import { type AwsSimulator, createAwsSimulator } from '../../shared/sim/index.ts';
import { capture } from '../support/cli.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../support/git-repo.ts';

const CALLER = 'arn:aws:sts::123456789012:assumed-role/Developer/Mary_Major';

describe('cluster ARNs from the CLI', () => {
  let repo: TestRepo | undefined;
  let simulator: AwsSimulator | undefined;
  afterEach(async () => {
    simulator?.restore();
    await repo?.cleanup();
    repo = undefined;
    simulator = undefined;
  });

  async function repositoryWithWebIn(cluster: string) {
    const files = await readTree(EXAMPLE_REPO_DIR);
    const web = files['services/web.yaml']!.toString().replace('  cluster: prod\n', `  cluster: ${cluster}\n`);
    repo = await makeRepo({ ...files, 'services/web.yaml': web });
    simulator = createAwsSimulator();
    const clients = {
      ecs: simulator.ecs,
      cloudFormation: simulator.cloudFormation,
      callerIdentity: async () => CALLER,
    };
    return { repo, simulator, clients };
  }

  it('plan refuses a cluster ARN in another account than the caller, before any ECS call', async () => {
    // Prepare
    const { repo, simulator, clients } = await repositoryWithWebIn('arn:aws:ecs:us-east-1:999999999999:cluster/prod');
    const io = capture();

    // Act
    const exitCode = await run(['plan', '--repo', repo.dir], io, clients);

    // Assess
    expect(exitCode).toBe(1);
    expect(io.stdout()).toMatch(/3:\d+\s+error\s+E_TARGET\s+cluster arn:aws:ecs:us-east-1:999999999999:cluster\/prod/);
    expect(io.stdout()).toContain('account 999999999999, not 123456789012');
    expect(simulator.calls).toEqual({});
  });

  it('plan refuses a cluster ARN in another region than the client uses', async () => {
    // Prepare
    const { repo, simulator, clients } = await repositoryWithWebIn('arn:aws:ecs:eu-west-1:123456789012:cluster/prod');
    const io = capture();

    // Act
    const exitCode = await run(['plan', '--repo', repo.dir], io, clients);

    // Assess
    expect(exitCode).toBe(1);
    expect(io.stdout()).toContain('region eu-west-1, not us-east-1');
    expect(simulator.calls).toEqual({});
  });

  it('plans a cluster ARN of its own account and region like the name', async () => {
    // Prepare
    const { repo, clients } = await repositoryWithWebIn('arn:aws:ecs:us-east-1:123456789012:cluster/prod');
    const io = capture();

    // Act
    const exitCode = await run(['plan', '--repo', repo.dir], io, clients);

    // Assess
    expect(exitCode).toBe(2);
    expect(io.stdout()).toContain('+ EcsService prod/web: create');
  });

  it('validate, offline, accepts the ARN it cannot place', async () => {
    // Prepare
    const { repo } = await repositoryWithWebIn('arn:aws:ecs:us-east-1:999999999999:cluster/prod');
    const io = capture();

    // Act
    const exitCode = await run(['validate', '--repo', repo.dir], io);

    // Assess
    expect(exitCode).toBe(0);
  });
});
