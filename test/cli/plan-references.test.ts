/** `driftless plan` with stack-output references, against the simulator: the resolved values and where they came
 * from, and an unresolved reference as E_REFERENCE at file:line. */
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import type { AwsSimulator } from '../../shared/sim/index.ts';
import { capture } from '../support/cli.ts';
import type { TestRepo } from '../support/git-repo.ts';
import { seedSharedNetwork } from '../support/shared-network.ts';

describe('driftless plan with stack references', () => {
  let repo: TestRepo | undefined;
  let simulator: AwsSimulator | undefined;
  afterEach(async () => {
    simulator?.restore();
    await repo?.cleanup();
    repo = undefined;
    simulator = undefined;
  });

  /** The example repository seeded live; then web's subnets taken from a stack that is not declared here. */
  async function seeded(referenced: string) {
    ({ repo, simulator } = await seedSharedNetwork(referenced, 'subnet-0c0c0c0c0c0c0c0c0'));
    return { repo, clients: { ecs: simulator.ecs, cloudFormation: simulator.cloudFormation } };
  }

  it('shows the resolved values with their source, and diffs them against live', async () => {
    // Prepare
    const { repo, clients } = await seeded(
      'subnets: ["${stack:platform-shared-network.SubnetA}", "${stack:platform-shared-network.SubnetB}"]',
    );
    const io = capture();

    // Act
    const exitCode = await run(['plan', '--repo', repo.dir, '--no-color'], io, clients);

    // Assess
    expect(exitCode).toBe(2);
    expect(io.stdout()).toContain(
      '    /spec/networkConfiguration/awsvpcConfiguration/subnets: ["subnet-0a1b2c3d4e5f60718","subnet-0b2c3d4e5f6071829"] → ["subnet-0a1b2c3d4e5f60718","subnet-0c0c0c0c0c0c0c0c0"]',
    );
    expect(io.stdout()).toContain(
      '    /spec/networkConfiguration/awsvpcConfiguration/subnets/0 = subnet-0a1b2c3d4e5f60718 ← ${stack:platform-shared-network.SubnetA}\n' +
        '    /spec/networkConfiguration/awsvpcConfiguration/subnets/1 = subnet-0c0c0c0c0c0c0c0c0 ← ${stack:platform-shared-network.SubnetB}\n',
    );
    expect(io.stdout()).toContain('Plan: 0 to create, 1 to update, 0 to delete, 3 in sync.');
  });

  it('names an unresolved reference at file:line and exits 1', async () => {
    // Prepare
    const { repo, clients } = await seeded(
      'subnets: ["${stack:platform-shared-network.SubnetA}", "${stack:platform-shared-network.SubnetC}"]',
    );
    const io = capture();

    // Act
    const exitCode = await run(['plan', '--repo', repo.dir, '--no-color'], io, clients);

    // Assess
    expect(exitCode).toBe(1);
    expect(io.stdout()).toContain(
      'error services/web.yaml:14:61 E_REFERENCE ${stack:platform-shared-network.SubnetC}: stack platform-shared-network (CREATE_COMPLETE) has no output SubnetC (its outputs: SubnetA, SubnetB)\n',
    );
    expect(io.stdout()).toContain('That service is not planned; pruning is blocked.');
    expect(io.stdout()).not.toContain('EcsService prod/web');
  });
});
