/** A ledger or lock table that does not exist: every command names the table, its region and how to create it, and
 * exits 1 — never a bare "Requested resource not found", never a stack trace. On DynamoDB Local. */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { run } from '../../cli/main.ts';
import { ensureLockTable } from '../../shared/lock/lease.ts';
import { type CliWorld, capture, cliWorld } from '../support/cli.ts';

const HOW = 'or create the tables with driftless reconcile --create-tables';

function ledgerMissing(table: string): string {
  return `the ledger table ${table} does not exist in us-east-1: deploy the driftless stack (and pass its LedgerTableName output as --ledger-table), ${HOW}`;
}

function lockMissing(table: string): string {
  return `the lock table ${table} does not exist in us-east-1: deploy the driftless stack (and pass its LockTableName output as --lock-table), ${HOW}`;
}

describe('driftless against a missing ledger or lock table', () => {
  let world: CliWorld | undefined;
  afterEach(async () => {
    await world?.cleanup();
    world = undefined;
  });

  it('reconcile names the missing lock table, then the missing ledger table, and exits 1 without writing', async () => {
    // Prepare: neither table exists (no --create-tables)
    world = await cliWorld('cli-missing');
    const { repo, simulator, clients, dynamoDb, ledgerTable, lockTable } = world;
    const args = ['reconcile', '--repo', repo.dir, '--ledger-table', ledgerTable, '--lock-table', lockTable];
    const io = capture();

    // Act
    const noLock = await run(args, io, clients);
    const noLockErr = io.stderr();
    io.reset();
    await run([...args, '--json'], io, clients);
    const noLockJson = JSON.parse(io.stdout());
    io.reset();
    await ensureLockTable(dynamoDb, lockTable);
    const noLedger = await run(args, io, clients);
    const noLedgerErr = io.stderr();

    // Assess
    expect(noLock).toBe(1);
    expect(noLockErr).toBe(`error: reconcile failed: LockTableMissingError: ${lockMissing(lockTable)}\n`);
    expect(noLockJson).toEqual({
      status: 'failed',
      error: { name: 'LockTableMissingError', message: lockMissing(lockTable), retryable: false },
    });
    expect(noLedger).toBe(1);
    expect(noLedgerErr).toBe(`error: reconcile failed: LedgerTableMissingError: ${ledgerMissing(ledgerTable)}\n`);
    expect(simulator.services()).toEqual([]);
    expect(simulator.stacks()).toEqual([]);
  });

  it('status and audit name the missing ledger table and exit 1', async () => {
    // Prepare
    world = await cliWorld('cli-missing');
    const { repo, clients, tables, ledgerTable } = world;
    const io = capture();

    // Act
    const status = await run(['status', '--repo', repo.dir, ...tables], io, clients);
    const statusErr = io.stderr();
    io.reset();
    const audit = await run(['audit', ...tables, '--since', '1h'], io, clients);
    const auditErr = io.stderr();
    io.reset();
    const failed = await run(['audit', ...tables, '--failed'], io, clients);
    const failedErr = io.stderr();

    // Assess
    expect(status).toBe(1);
    expect(statusErr).toBe(`error: ${ledgerMissing(ledgerTable)}\n`);
    expect(audit).toBe(1);
    expect(auditErr).toBe(`error: ${ledgerMissing(ledgerTable)}\n`);
    expect(failed).toBe(1);
    expect(failedErr).toBe(`error: ${ledgerMissing(ledgerTable)}\n`);
  });

  it('the installed command prints the message and no stack trace, exit code 1', async () => {
    // Prepare: the real process, every client pointed at DynamoDB Local on loopback
    world = await cliWorld('cli-missing');
    const suffix = randomUUID().slice(0, 8);
    const ledgerTable = `cli-missing-ledger-${suffix}`;
    const lockTable = `cli-missing-lock-${suffix}`;
    const common = ['--endpoint', inject('dynamoDbEndpoint'), '--region', 'us-east-1', '--ledger-table', ledgerTable];
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_EC2_METADATA_DISABLED: 'true',
      NO_COLOR: '1',
    };
    const driftless = (args: string[]) =>
      promisify(execFile)('node', ['cli/bin.mjs', ...args], { env }).catch(
        (error: { code: number; stdout: string; stderr: string }) => error,
      );

    // Act
    const [reconcile, status, audit] = await Promise.all([
      driftless(['reconcile', '--repo', world.repo.dir, '--lock-table', lockTable, ...common]),
      driftless(['status', '--repo', world.repo.dir, ...common]),
      driftless(['audit', ...common]),
    ]);

    // Assess
    for (const [result, message] of [
      [reconcile, `reconcile failed: LockTableMissingError: ${lockMissing(lockTable)}`],
      [status, ledgerMissing(ledgerTable)],
      [audit, ledgerMissing(ledgerTable)],
    ] as const) {
      expect(result).toMatchObject({ code: 1 });
      // The last line is the message (Node 20 may print the SDK's version warning before it).
      expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(`error: ${message}`);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stderr).not.toContain('Requested resource not found');
      expect(result.stderr).not.toContain('ResourceNotFoundException');
    }
  });
});
