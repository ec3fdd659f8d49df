/** A CliIo that keeps what the CLI printed, so tests read exactly what a person would see. */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CliIo } from '../../cli/output.ts';
import { type AwsSimulator, createAwsSimulator } from '../../shared/sim/index.ts';
import { localDynamoDb } from './dynamodb.ts';
import { EXAMPLE_REPO_DIR, readTree } from './fixtures.ts';
import { makeRepo, type TestRepo } from './git-repo.ts';

export interface CapturedIo extends CliIo {
  stdout(): string;
  stderr(): string;
  reset(): void;
}

export function capture(): CapturedIo {
  let stdout = '';
  let stderr = '';
  return {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    color: false,
    stdout: () => stdout,
    stderr: () => stderr,
    reset: () => {
      stdout = '';
      stderr = '';
    },
  };
}

/** What the CLI tests that touch "AWS" share: the example repository as a real git repository, the simulator, and
 * DynamoDB Local with table names of their own (the CLI creates the tables with --create-tables). */
export interface CliWorld {
  readonly repo: TestRepo;
  readonly simulator: AwsSimulator;
  readonly dynamoDb: DynamoDBClient;
  /** The clients `run` takes: the simulator's ECS and CloudFormation, DynamoDB Local. */
  readonly clients: {
    ecs: AwsSimulator['ecs'];
    cloudFormation: AwsSimulator['cloudFormation'];
    dynamoDb: DynamoDBClient;
  };
  readonly ledgerTable: string;
  readonly lockTable: string;
  /** `--ledger-table <name>`. */
  readonly tables: string[];
  /** `driftless reconcile` of the repository, creating both tables. */
  readonly reconcileArgs: string[];
  cleanup(): Promise<void>;
}

export async function cliWorld(prefix: string): Promise<CliWorld> {
  const repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
  const simulator = createAwsSimulator();
  const suffix = randomUUID().slice(0, 8);
  const ledgerTable = `${prefix}-ledger-${suffix}`;
  const lockTable = `${prefix}-lock-${suffix}`;
  const dynamoDb = localDynamoDb();
  const tables = ['--ledger-table', ledgerTable];
  return {
    repo,
    simulator,
    dynamoDb,
    clients: { ecs: simulator.ecs, cloudFormation: simulator.cloudFormation, dynamoDb },
    ledgerTable,
    lockTable,
    tables,
    reconcileArgs: ['reconcile', '--repo', repo.dir, ...tables, '--lock-table', lockTable, '--create-tables'],
    async cleanup() {
      simulator.restore();
      await repo.cleanup();
    },
  };
}
