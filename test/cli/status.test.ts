/** `driftless status` plans as `driftless plan` does (stack references resolved), so the two never disagree; a
 * reference that does not resolve, or a declaration with errors, is shown as such and never read as "in sync". */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import { ensureLedgerTable } from '../../shared/audit/dynamodb.ts';
import type { AwsSimulator } from '../../shared/sim/index.ts';
import { capture } from '../support/cli.ts';
import { localDynamoDb } from '../support/dynamodb.ts';
import type { TestRepo } from '../support/git-repo.ts';
import { seedSharedNetwork } from '../support/shared-network.ts';

const REFERENCED = 'subnets: ["${stack:platform-shared-network.SubnetA}", "${stack:platform-shared-network.SubnetB}"]';
const WEB = 'EcsService:prod/web';

describe('driftless status', () => {
  let repo: TestRepo | undefined;
  let simulator: AwsSimulator | undefined;
  afterEach(async () => {
    simulator?.restore();
    await repo?.cleanup();
    repo = undefined;
    simulator = undefined;
  });

  /** The example repository seeded live, a ledger table of its own, and web's subnets taken from a stack that is
   * not declared here, whose outputs are `subnetB`. */
  async function seeded(webSubnets: string, subnetB = 'subnet-0b2c3d4e5f6071829') {
    ({ repo, simulator } = await seedSharedNetwork(webSubnets, subnetB));
    const dynamoDb = localDynamoDb();
    const ledgerTable = `cli-status-ledger-${randomUUID().slice(0, 8)}`;
    await ensureLedgerTable(dynamoDb, ledgerTable);
    return {
      repo,
      clients: { ecs: simulator.ecs, cloudFormation: simulator.cloudFormation, dynamoDb },
      args: ['--repo', repo.dir, '--ledger-table', ledgerTable],
    };
  }

  /** Each resource's SYNC column, as a person reads it. */
  function syncColumn(out: string): Record<string, string> {
    return Object.fromEntries(
      out
        .split('\n')
        .filter((line) => /^(EcsService|CloudFormationStack):/.test(line))
        .map((line) => {
          const [id, ...rest] = line.split(/\s{2,}/);
          return [id, rest[0]];
        }),
    );
  }

  it('agrees with plan on a service whose subnets come from ${stack:…} outputs equal to live', async () => {
    // Prepare
    const { repo, clients, args } = await seeded(REFERENCED);
    const io = capture();

    // Act
    const planExit = await run(['plan', '--repo', repo.dir, '--no-color'], io, clients);
    const planOut = io.stdout();
    io.reset();
    const statusExit = await run(['status', ...args], io, clients);
    const statusOut = io.stdout();
    io.reset();
    await run(['status', ...args, '--json'], io, clients);
    const statusJson = JSON.parse(io.stdout()) as { id: string; sync: string }[];

    // Assess
    expect(planExit).toBe(0);
    expect(planOut).toContain('Plan: 0 to create, 0 to update, 0 to delete, 4 in sync.');
    expect(statusExit).toBe(0);
    expect(syncColumn(statusOut)).toEqual({
      'CloudFormationStack:platform-network': 'in sync',
      'EcsService:prod/api': 'in sync',
      [WEB]: 'in sync',
      'EcsService:prod/worker': 'in sync',
    });
    expect(statusJson.map((status) => [status.id, status.sync])).toEqual([
      ['CloudFormationStack:platform-network', 'in sync'],
      ['EcsService:prod/api', 'in sync'],
      [WEB, 'in sync'],
      ['EcsService:prod/worker', 'in sync'],
    ]);
  });

  it('agrees with plan when a referenced output differs from live: out of sync in both', async () => {
    // Prepare
    const { repo, clients, args } = await seeded(REFERENCED, 'subnet-0c0c0c0c0c0c0c0c0');
    const io = capture();

    // Act
    const planExit = await run(['plan', '--repo', repo.dir, '--no-color'], io, clients);
    io.reset();
    const statusExit = await run(['status', ...args], io, clients);

    // Assess
    expect(planExit).toBe(2);
    expect(statusExit).toBe(0);
    expect(syncColumn(io.stdout())[WEB]).toBe('out of sync');
  });

  it('shows a service whose reference does not resolve as error, with file:line, and exits 1 as plan does', async () => {
    // Prepare
    const { repo, clients, args } = await seeded(
      'subnets: ["${stack:platform-shared-network.SubnetA}", "${stack:platform-shared-network.SubnetC}"]',
    );
    const io = capture();

    // Act
    const planExit = await run(['plan', '--repo', repo.dir, '--no-color'], io, clients);
    io.reset();
    const statusExit = await run(['status', ...args], io, clients);
    const statusOut = io.stdout();
    io.reset();
    await run(['status', ...args, '--json'], io, clients);
    const statusJson = JSON.parse(io.stdout()) as { id: string; sync: string; errors?: string[] }[];

    // Assess
    const error =
      'services/web.yaml:14:61 E_REFERENCE ${stack:platform-shared-network.SubnetC}: stack platform-shared-network (CREATE_COMPLETE) has no output SubnetC (its outputs: SubnetA, SubnetB)';
    expect(planExit).toBe(1);
    expect(statusExit).toBe(1);
    expect(syncColumn(statusOut)[WEB]).toBe('error');
    expect(statusOut).toContain(`error ${error}\n`);
    expect(statusJson.find((status) => status.id === WEB)).toMatchObject({ sync: 'error', errors: [error] });
  });

  it('refuses a repository with declaration errors, as plan does, without reading live state', async () => {
    // Prepare
    const { repo, clients, args } = await seeded(REFERENCED);
    await repo.commit({ 'services/web.yaml': 'apiVersion: driftless/v1\nkind: EcsServce\n' }, 'broken');
    simulator?.resetCalls();
    const io = capture();

    // Act
    const exitCode = await run(['status', ...args], io, clients);

    // Assess
    expect(exitCode).toBe(1);
    expect(io.stdout()).toContain('E_SCHEMA');
    expect(io.stdout()).toContain('No status: fix the errors above first');
    expect(simulator?.calls).toEqual({});
  });
});
