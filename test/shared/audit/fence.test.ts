/** The fence on ledger appends, on DynamoDB Local: a real lease (LeaseLock) and a real ledger in one transaction. */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbLedger, ensureLedgerTable } from '../../../shared/audit/dynamodb.ts';
import { fencedLedger, isFenceable } from '../../../shared/audit/fence.ts';
import { newEntryId } from '../../../shared/audit/ids.ts';
import type { LedgerEntry } from '../../../shared/audit/ledger.ts';
import { silentLogLine } from '../../../shared/audit/log.ts';
import { RecordingLedger } from '../../../shared/audit/recording-ledger.ts';
import { LedgerEntryRefusedError, LedgerFencedError, LedgerTableMissingError } from '../../../shared/errors.ts';
import { ensureLockTable, type Lease, LeaseLock } from '../../../shared/lock/lease.ts';
import { MemoryLedger } from '../../../shared/sim/memory-ledger.ts';
import { localDynamoDb } from '../../support/dynamodb.ts';

const SUFFIX = randomUUID().slice(0, 8);
const LEDGER = `fence-ledger-${SUFFIX}`;
const LOCK = `fence-lock-${SUFFIX}`;
const LEASE_MS = 60_000;
const client: DynamoDBClient = localDynamoDb({ maxAttempts: 1 });

beforeAll(async () => {
  await ensureLedgerTable(client, LEDGER);
  await ensureLockTable(client, LOCK);
});

let branchCount = 0;

/** A lock on a branch of its own with a clock the test moves, and a ledger whose calls are recorded. */
function fixture() {
  const clock = { t: 1_800_000_000_000 };
  const key = { repository: 'platform-config', branch: `main-${++branchCount}` };
  const lock = new LeaseLock({ tableName: LOCK, client, now: () => clock.t, leaseMs: LEASE_MS });
  const commands: { name: string; input: Record<string, unknown> }[] = [];
  const recorded = localDynamoDb({ maxAttempts: 1 });
  recorded.middlewareStack.add(
    (next, context) => (args) => {
      commands.push({ name: context.commandName ?? '?', input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  const ledger = new DynamoDbLedger({ tableName: LEDGER, client: recorded, logger: silentLogLine });
  return { clock, key, lock, ledger, commands };
}

function entry(fields: Partial<LedgerEntry> = {}): LedgerEntry {
  const time = '2027-01-15T08:00:00.000Z';
  return {
    entryId: newEntryId(time),
    kind: 'outcome',
    time,
    runId: 'run-a',
    trigger: 'push',
    repository: 'platform-config',
    branch: 'main',
    commitId: 'c1',
    dryRun: false,
    resourceId: `EcsService:prod/web-${randomUUID().slice(0, 6)}`,
    actionId: randomUUID(),
    action: 'UpdateService',
    result: 'succeeded',
    ...fields,
  };
}

function held(lease: Lease | undefined): Lease {
  expect(lease).toBeDefined();
  return lease as Lease;
}

describe('a fenced ledger', () => {
  it('stores entries while its lease is held, in one TransactWriteItems each: a ConditionCheck, the entry, its link', async () => {
    // Prepare
    const { key, lock, ledger, commands } = fixture();
    const lease = held(await lock.acquire(key, 'run-a'));
    const fenced = ledger.fencedBy(lease.fence);
    const stored = entry();

    // Act
    await fenced.append(stored);

    // Assess
    expect(await ledger.resourceHistory(stored.resourceId ?? '')).toStrictEqual([stored]);
    // The head read, the append, the history read.
    expect(commands.map((command) => command.name)).toEqual([
      'QueryCommand',
      'TransactWriteItemsCommand',
      'QueryCommand',
    ]);
    const [check, put, link] = (commands[1]?.input.TransactItems ?? []) as Record<string, Record<string, unknown>>[];
    expect(check?.ConditionCheck).toMatchObject({
      TableName: LOCK,
      ConditionExpression: '#owner = :owner AND #generation = :generation',
      ExpressionAttributeValues: { ':owner': { S: 'run-a' }, ':generation': { N: String(lease.generation) } },
    });
    expect(put?.Put).toMatchObject({ TableName: LEDGER, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(link?.Put).toMatchObject({
      TableName: LEDGER,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { sk: { S: '#LINK#000000000001' }, chainSequence: { N: '1' } },
    });
    expect(Object.keys(check ?? {})).toEqual(['ConditionCheck']);
    expect(Object.keys(put ?? {})).toEqual(['Put']);
  });

  it('refuses every append with LedgerFencedError once another run took the lease, and stores nothing', async () => {
    // Prepare
    const { clock, key, lock, ledger } = fixture();
    const first = held(await lock.acquire(key, 'run-a'));
    const stale = ledger.fencedBy(first.fence);
    clock.t += LEASE_MS + 1;
    const second = held(await lock.acquire(key, 'run-b'));
    const refused = entry({ runId: 'run-a' });

    // Act
    const failure = await stale.append(refused).catch((error: unknown) => error);
    await ledger.fencedBy(second.fence).append(entry({ runId: 'run-b', resourceId: refused.resourceId }));

    // Assess
    expect(failure).toBeInstanceOf(LedgerFencedError);
    expect(failure).toBeInstanceOf(LedgerEntryRefusedError);
    expect((failure as Error).message).toMatch(/no longer held by run-a at generation 1 \(another run took it\)/);
    expect(second.generation).toBe(first.generation + 1);
    const history = await ledger.resourceHistory(refused.resourceId ?? '');
    expect(history.map((item) => item.runId)).toEqual(['run-b']);
  });

  it('lets a run whose lease lapsed append while nobody took it: the fence is about another holder, not the clock', async () => {
    // Prepare
    const { clock, key, lock, ledger } = fixture();
    const lease = held(await lock.acquire(key, 'run-a'));
    clock.t += LEASE_MS * 3;
    const late = entry();

    // Act
    await ledger.fencedBy(lease.fence).append(late);

    // Assess
    expect(await ledger.resourceHistory(late.resourceId ?? '')).toStrictEqual([late]);
  });

  it('refuses a fenced entry whose key exists as a collision, not as a lost lease, and keeps the first', async () => {
    // Prepare
    const { key, lock, ledger } = fixture();
    const fenced = ledger.fencedBy(held(await lock.acquire(key, 'run-a')).fence);
    const first = entry();
    await fenced.append(first);

    // Act
    const failure = await fenced.append({ ...first, result: 'failed' }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(LedgerEntryRefusedError);
    expect(failure).not.toBeInstanceOf(LedgerFencedError);
    expect(await ledger.resourceHistory(first.resourceId ?? '')).toStrictEqual([first]);
  });

  it('refuses appends after the lease was released and the next run acquired it at the same generation', async () => {
    // Prepare: a release deletes the item, so the next acquire starts the count again; the owner tells them apart.
    const { key, lock, ledger } = fixture();
    const first = held(await lock.acquire(key, 'run-a'));
    await first.release();
    const second = held(await lock.acquire(key, 'run-b'));

    // Act
    const failure = await ledger
      .fencedBy(first.fence)
      .append(entry())
      .catch((error: unknown) => error);

    // Assess
    expect(second.generation).toBe(first.generation);
    expect(failure).toBeInstanceOf(LedgerFencedError);
  });

  it('names the missing table: the ledger by its head read, either of the two when only the transaction fails', async () => {
    // Prepare
    const { key, lock, ledger } = fixture();
    const lease = held(await lock.acquire(key, 'run-a'));
    const missing = new DynamoDbLedger({ tableName: `missing-${SUFFIX}`, client, logger: silentLogLine });
    const noLock = { ...lease.fence, tableName: `missing-lock-${SUFFIX}` };

    // Act
    const noLedger = await missing
      .fencedBy(lease.fence)
      .append(entry())
      .catch((error: unknown) => error);
    const withoutLock = await ledger
      .fencedBy(noLock)
      .append(entry())
      .catch((error: unknown) => error);

    // Assess
    expect(noLedger).toBeInstanceOf(LedgerTableMissingError);
    expect((noLedger as Error).message).toMatch(new RegExp(`^the ledger table missing-${SUFFIX} does not exist`));
    expect(withoutLock).toBeInstanceOf(LedgerEntryRefusedError);
    expect((withoutLock as Error).message).toContain(
      `the ledger table ${LEDGER} or the lock table missing-lock-${SUFFIX} does not exist (create them with driftless reconcile --create-tables, or deploy the stack)`,
    );
  });

  it('keeps recording what a fenced RecordingLedger stored, in the one list; leaves an in-memory ledger unfenced', async () => {
    // Prepare
    const { key, lock, ledger } = fixture();
    const lease = held(await lock.acquire(key, 'run-a'));
    const recording = new RecordingLedger(ledger);
    const memory = new MemoryLedger();

    // Act
    await recording.append(entry());
    await fencedLedger(recording, lease.fence).append(entry());
    const unfenced = fencedLedger(memory, lease.fence);

    // Assess
    expect(recording.entries).toHaveLength(2);
    expect(isFenceable(recording)).toBe(true);
    expect(isFenceable(memory)).toBe(false);
    expect(unfenced).toBe(memory);
  });
});
