import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import { type AwsSimulator, createAwsSimulator } from '../../shared/sim/index.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import { loadRepository } from '../../shared/spec/repository.ts';
import { capture } from '../support/cli.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../support/git-repo.ts';
import { seedDeclarations } from '../support/seed.ts';

describe('driftless plan against the simulator', () => {
  let repo: TestRepo | undefined;
  let simulator: AwsSimulator | undefined;
  afterEach(async () => {
    simulator?.restore();
    await repo?.cleanup();
    repo = undefined;
    simulator = undefined;
  });

  async function exampleRepository() {
    repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
    simulator = createAwsSimulator();
    const clients = { ecs: simulator.ecs, cloudFormation: simulator.cloudFormation };
    return { repo, simulator, clients };
  }

  it('shows creates for the example repository in an empty account, and exits 2', async () => {
    // Prepare
    const { repo, clients } = await exampleRepository();
    const io = capture();

    // Act
    const exitCode = await run(['plan', '--repo', repo.dir], io, clients);

    // Assess
    expect(exitCode).toBe(2);
    expect(io.stdout()).toContain('+ CloudFormationStack platform-network: create');
    expect(io.stdout()).toContain('+ EcsService prod/api: create');
    expect(io.stdout()).toContain('+ EcsService prod/web: create');
    expect(io.stdout()).toContain('+ EcsService prod/worker: create');
    expect(io.stdout()).toContain(
      '/spec/taskDefinition/containerDefinitions/web/image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2"',
    );
    expect(io.stdout()).toContain('Plan: 4 to create, 0 to update, 0 to delete, 0 in sync.');
  });

  it('refuses, as the installation would, a stack whose types --allowed-resource-types does not list', async () => {
    // Prepare
    const { repo, simulator, clients } = await exampleRepository();
    const io = capture();

    // Act
    const exitCode = await run(
      ['plan', '--repo', repo.dir, '--allowed-resource-types', 'AWS::EC2::VPC,AWS::EC2::Subnet'],
      io,
      clients,
    );

    // Assess
    expect(exitCode).toBe(1);
    expect(io.stdout()).toContain('stacks/network.template.yaml');
    expect(io.stdout()).toContain(
      'AWS::EC2::SecurityGroup is not allowed by allowedResourceTypes of this installation (AWS::EC2::VPC, AWS::EC2::Subnet)',
    );
    expect(simulator.stubs.cloudFormation.calls()).toEqual([]);
  });

  it('plans the example when --allowed-resource-types covers its types, and refuses a pattern over every service', async () => {
    // Prepare
    const { repo, clients } = await exampleRepository();
    const allowed = capture();
    const tooWide = capture();

    // Act
    const allowedExit = await run(
      ['plan', '--repo', repo.dir, '--allowed-resource-types', 'AWS::EC2::*'],
      allowed,
      clients,
    );
    const tooWideExit = await run(['plan', '--repo', repo.dir, '--allowed-resource-types', 'AWS::*'], tooWide, clients);

    // Assess
    expect(allowedExit).toBe(2);
    expect(allowed.stdout()).toContain('Plan: 4 to create');
    expect(tooWideExit).toBe(1);
    expect(tooWide.stderr()).toContain('AWS::* is wider than one service');
  });

  it('exits 0 with nothing to do once live state matches', async () => {
    // Prepare
    const { repo, simulator, clients } = await exampleRepository();
    const snapshot = await loadRepository(new LocalGitSource({ repoDir: repo.dir }), { ref: 'HEAD' });
    await seedDeclarations(simulator, snapshot.declarations);
    const io = capture();

    // Act
    const exitCode = await run(['plan', '--repo', repo.dir], io, clients);

    // Assess
    expect(io.stdout()).toContain('Plan: 0 to create, 0 to update, 0 to delete, 4 in sync.');
    expect(exitCode).toBe(0);
  });

  it('names the one field changed by hand, and masks nothing that is not secret', async () => {
    // Prepare
    const { repo, simulator, clients } = await exampleRepository();
    const snapshot = await loadRepository(new LocalGitSource({ repoDir: repo.dir }), { ref: 'HEAD' });
    await seedDeclarations(simulator, snapshot.declarations);
    simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 6;
    });
    const io = capture();

    // Act
    const exitCode = await run(['plan', '--repo', repo.dir, '--json'], io, clients);

    // Assess
    expect(exitCode).toBe(2);
    const plan = JSON.parse(io.stdout());
    const web = plan.actions.filter((action: { id: string }) => action.id === 'EcsService:prod/web');
    expect(web).toEqual([
      expect.objectContaining({ type: 'update', changes: [{ path: '/spec/desiredCount', before: 6, after: 3 }] }),
    ]);
    expect(plan.summary).toEqual({ create: 0, update: 1, delete: 0, replace: 0, wait: 0, inSync: 3 });
  });

  it('makes no AWS call for a repository with errors, and exits 1', async () => {
    // Prepare
    const { repo, simulator, clients } = await exampleRepository();
    await repo.commit({ 'services/web.yaml': 'apiVersion: driftless/v1\nkind: EcsService\n' }, 'break web');
    const io = capture();

    // Act
    const exitCode = await run(['plan', '--repo', repo.dir], io, clients);

    // Assess
    expect(exitCode).toBe(1);
    expect(io.stdout()).toContain('No plan: fix the errors above first');
    expect(Object.values(simulator.calls).reduce((sum, count) => sum + count, 0)).toBe(0);
  });

  it('reports a live read failure as an error with exit 1, never as "absent"', async () => {
    // Prepare
    const { repo, simulator, clients } = await exampleRepository();
    simulator.injectFault('ECS.DescribeServices', 'server-error', 10);
    const io = capture();

    // Act
    const exitCode = await run(['plan', '--repo', repo.dir], io, clients);

    // Assess
    expect(exitCode).toBe(1);
    expect(io.stderr()).toContain('cannot read live state');
    expect(io.stdout()).toBe('');
  });
});
