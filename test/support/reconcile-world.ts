/** What a reconcile test runs against: a real git repository (the example by default), the simulator under the real
 * SDK clients, and a ledger and a lock in DynamoDB Local tables of their own, with the request a push makes. */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeAll } from 'vitest';
import { DynamoDbLedger, ensureLedgerTable } from '../../shared/audit/dynamodb.ts';
import { silentLogLine } from '../../shared/audit/log.ts';
import { ensureLockTable, LeaseLock } from '../../shared/lock/lease.ts';
import type { ReconcileDependencies, ReconcileRequest } from '../../shared/reconcile/types.ts';
import { type AwsSimulator, createAwsSimulator, type SimulatorOptions } from '../../shared/sim/index.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import { localDynamoDb } from './dynamodb.ts';
import { EXAMPLE_REPO_DIR, readTree } from './fixtures.ts';
import { type FileChanges, makeRepo, type TestRepo } from './git-repo.ts';

export interface ReconcileWorldOptions {
  /** The repository's files; the example configuration repository by default. */
  readonly files?: FileChanges;
  readonly simulator?: SimulatorOptions;
  /** A ledger table by name, made by the caller or deliberately missing; a new one by default. */
  readonly ledgerTable?: string;
  readonly lock?: { readonly now?: () => number; readonly leaseMs?: number };
  /** Dependencies beyond the defaults, given the simulator (a sleep that advances it, say). */
  readonly deps?: (simulator: AwsSimulator) => Partial<ReconcileDependencies>;
  readonly request?: Partial<ReconcileRequest>;
}

export interface ReconcileWorld {
  readonly repo: TestRepo;
  readonly simulator: AwsSimulator;
  readonly ledger: DynamoDbLedger;
  readonly deps: ReconcileDependencies;
  readonly request: ReconcileRequest;
}

/** A fresh world; the caller restores the simulator and cleans the repository up. */
export async function reconcileWorld(
  dynamo: DynamoDBClient,
  options: ReconcileWorldOptions = {},
): Promise<ReconcileWorld> {
  const suffix = randomUUID().slice(0, 8);
  const ledgerTable = options.ledgerTable ?? `ledger-${suffix}`;
  const lockTable = `lock-${suffix}`;
  if (!options.ledgerTable) await ensureLedgerTable(dynamo, ledgerTable);
  await ensureLockTable(dynamo, lockTable);
  const repo = await makeRepo(options.files ?? (await readTree(EXAMPLE_REPO_DIR)));
  const simulator = createAwsSimulator(options.simulator ?? { seed: 7 });
  const ledger = new DynamoDbLedger({ tableName: ledgerTable, client: dynamo, logger: silentLogLine });
  const lock = new LeaseLock({
    tableName: lockTable,
    client: dynamo,
    ...(options.lock?.now ? { now: options.lock.now } : {}),
    ...(options.lock?.leaseMs ? { leaseMs: options.lock.leaseMs } : {}),
  });
  const deps: ReconcileDependencies = {
    source: new LocalGitSource({ repoDir: repo.dir }),
    ecs: simulator.ecs,
    cloudFormation: simulator.cloudFormation,
    ledger,
    lock,
    ...options.deps?.(simulator),
  };
  const request: ReconcileRequest = {
    repository: 'platform-config',
    branch: 'main',
    trigger: 'push',
    installationId: 'test',
    applyOptions: { changeSetPollMs: 1, baseDelayMs: 1 },
    ...options.request,
  };
  return { repo, simulator, ledger, deps, request };
}

/**
 * Registers, in the calling describe block, DynamoDB Local for its worlds and their clean-up after each test, and
 * returns the factory the tests make worlds with.
 */
export function reconcileWorlds(): (options?: ReconcileWorldOptions) => Promise<ReconcileWorld> {
  let dynamo: DynamoDBClient;
  const made: ReconcileWorld[] = [];
  beforeAll(() => {
    dynamo = localDynamoDb();
  });
  afterEach(async () => {
    for (const world of made.splice(0)) {
      world.simulator.restore();
      await world.repo.cleanup();
    }
  });
  return async (options = {}) => {
    const world = await reconcileWorld(dynamo, options);
    made.push(world);
    return world;
  };
}
