import { randomUUID } from 'node:crypto';
import {
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  DynamoDbLedger,
  type DynamoDbLedgerOptions,
  ensureLedgerTable,
  LEDGER_INDEX,
  ledgerTableDefinition,
} from '../../../shared/audit/dynamodb.ts';
import { newEntryId } from '../../../shared/audit/ids.ts';
import type { LedgerEntry } from '../../../shared/audit/ledger.ts';
import { silentLogLine } from '../../../shared/audit/log.ts';
import { dynamoDbClient } from '../../../shared/aws/clients.ts';
import {
  LedgerEntryRefusedError,
  LedgerTableMissingError,
  LedgerWriteError,
  TerminalError,
} from '../../../shared/errors.ts';
import { localDynamoDb } from '../../support/dynamodb.ts';

const SUFFIX = randomUUID().slice(0, 8);
let tableCount = 0;

function localClient(): DynamoDBClient {
  return localDynamoDb({ maxAttempts: 1 });
}

const setupClient = localClient();

/** A ledger over a table of its own, so tests neither see each other's entries nor wait for each other. */
async function freshLedger(options: Partial<DynamoDbLedgerOptions> = {}): Promise<DynamoDbLedger> {
  const tableName = `ledger-${SUFFIX}-${++tableCount}`;
  await ensureLedgerTable(setupClient, tableName);
  return new DynamoDbLedger({ tableName, client: setupClient, logger: silentLogLine, ...options });
}

const WEB = 'EcsService:prod/web';
const API = 'EcsService:prod/api';

/** An entry at `time`; a field given as undefined is left out, as the ledger reads it back. */
function entry(time: string, fields: Partial<LedgerEntry> = {}): LedgerEntry {
  const made: Record<string, unknown> = {
    entryId: newEntryId(time),
    kind: 'outcome',
    time,
    runId: 'run-1',
    trigger: 'push',
    repository: 'config',
    branch: 'main',
    commitId: 'c1',
    dryRun: false,
    resourceId: WEB,
    result: 'succeeded',
    ...fields,
  };
  for (const [key, value] of Object.entries(made)) if (value === undefined) delete made[key];
  return made as unknown as LedgerEntry;
}

async function appendAll(ledger: DynamoDbLedger, entries: readonly LedgerEntry[]): Promise<void> {
  for (const item of entries) await ledger.append(item);
}

describe('DynamoDbLedger', () => {
  it('round-trips every field of an entry exactly', async () => {
    const ledger = await freshLedger();
    const full: LedgerEntry = {
      entryId: newEntryId('2024-05-01T12:00:00.000Z'),
      kind: 'intent',
      time: '2024-05-01T12:00:00.000Z',
      runId: 'run-full',
      trigger: 'manual-change',
      repository: 'config',
      branch: 'main',
      commitId: 'abc123',
      commitAuthor: 'Ada <ada@example.com>',
      commitCommitter: 'Bob <bob@example.com>',
      pushedBy: 'arn:aws:iam::123456789012:user/ada',
      dryRun: true,
      actionId: 'action-1',
      resourceId: 'CloudFormationStack:network',
      action: 'ExecuteChangeSet',
      changes: [
        { path: '/spec/taskDefinition/cpu', before: '256', after: '512' },
        { path: '/spec/tags/team', after: { name: 'payments', members: [1, 2.5, null, true, 'x'] } },
        { path: '/spec/desiredCount', before: 0 },
        { path: '/spec/nothing', before: null, after: false },
      ],
      result: 'rolled-back',
      errorCode: 'ServiceNotStable',
      errorMessage: 'deployment failed: "circuit breaker" → rolled back',
      references: { changeSetArn: 'arn:aws:cloudformation:us-east-1:1:changeSet/x/y', stackId: 'arn:stack' },
      durationMs: 1234.5,
      summary: { created: 1, updated: 0, failed: 2 },
      reason: 'because',
      recovered: true,
    };
    const run: LedgerEntry = {
      entryId: newEntryId('2024-05-01T12:00:01.000Z'),
      kind: 'run',
      time: '2024-05-01T12:00:01.000Z',
      runId: 'run-full',
      trigger: 'schedule',
      repository: 'config',
      branch: 'main',
      commitId: 'abc123',
      dryRun: false,
      summary: {},
    };
    await appendAll(ledger, [full, run]);

    expect(await ledger.resourceHistory('CloudFormationStack:network')).toStrictEqual([full]);
    expect(await ledger.commitHistory('abc123')).toStrictEqual([full, run]);
    expect(await ledger.window({ since: '2024-05-01T00:00:00.000Z', until: '2024-05-02T00:00:00.000Z' })).toStrictEqual(
      [full, run],
    );
    expect(
      await ledger.failures({ since: '2024-05-01T00:00:00.000Z', until: '2024-05-02T00:00:00.000Z' }),
    ).toStrictEqual([full]);
  });

  it("answers one resource's history newest first, with a limit, across pages", async () => {
    const ledger = await freshLedger({ pageSize: 2 });
    const times = ['2024-01-03T00:00:00.000Z', '2024-01-01T00:00:00.000Z', '2024-01-05T00:00:00.000Z'];
    const web = [...times, '2024-01-02T00:00:00.000Z', '2024-01-04T00:00:00.000Z'].map((time) => entry(time));
    const api = [entry('2024-01-06T00:00:00.000Z', { resourceId: API })];
    const run = entry('2024-01-07T00:00:00.000Z', { kind: 'run', resourceId: undefined, result: undefined });
    await appendAll(ledger, [...web, ...api, run]);

    const newestFirst = [...web].sort((a, b) => b.time.localeCompare(a.time));
    expect(await ledger.resourceHistory(WEB)).toStrictEqual(newestFirst);
    expect(await ledger.resourceHistory(WEB, { limit: 3 })).toStrictEqual(newestFirst.slice(0, 3));
    expect(await ledger.resourceHistory(WEB, { limit: 1 })).toStrictEqual(newestFirst.slice(0, 1));
    expect(await ledger.resourceHistory(WEB, { limit: 50 })).toStrictEqual(newestFirst);
    expect(await ledger.resourceHistory(WEB, { limit: 0 })).toStrictEqual([]);
    expect(await ledger.resourceHistory(API)).toStrictEqual(api);
    expect(await ledger.resourceHistory('EcsService:prod/none')).toStrictEqual([]);
  });

  it('answers everything one commit did, oldest first, run items included', async () => {
    const ledger = await freshLedger({ pageSize: 1 });
    const run = entry('2024-02-01T10:05:00.000Z', { kind: 'run', resourceId: undefined, result: undefined });
    const c1 = [
      entry('2024-02-01T10:00:00.000Z', { kind: 'intent', result: undefined, action: 'UpdateService' }),
      entry('2024-02-01T10:01:00.000Z', { kind: 'outcome', resourceId: API }),
      entry('2024-02-02T09:00:00.000Z', { kind: 'outcome', result: 'failed' }),
      run,
    ];
    const c2 = [entry('2024-02-01T10:02:00.000Z', { commitId: 'c2' })];
    await appendAll(ledger, [...c2, ...[...c1].reverse()]);

    const oldestFirst = [...c1].sort((a, b) => a.time.localeCompare(b.time));
    expect(await ledger.commitHistory('c1')).toStrictEqual(oldestFirst);
    expect(await ledger.commitHistory('c2')).toStrictEqual(c2);
    expect(await ledger.commitHistory('c3')).toStrictEqual([]);
  });

  it('answers a window across two UTC days, since inclusive and until exclusive, excluding entries outside', async () => {
    const ledger = await freshLedger({ pageSize: 2 });
    const inside = [
      entry('2024-03-01T22:00:00.000Z'),
      entry('2024-03-01T23:30:00.000Z', { resourceId: API, result: 'failed' }),
      entry('2024-03-02T00:00:00.000Z'),
      entry('2024-03-02T01:30:00+01:00', { resourceId: API }), // 00:30 UTC on 2 March, written with an offset
      entry('2024-03-02T01:59:59.999Z'),
    ];
    const outside = [
      entry('2024-02-29T22:30:00.000Z'),
      entry('2024-03-01T21:59:59.999Z'),
      entry('2024-03-02T02:00:00.000Z'),
      entry('2024-03-03T00:30:00.000Z'),
    ];
    await appendAll(ledger, [...outside, ...[...inside].reverse()]);

    const got = await ledger.window({ since: '2024-03-01T22:00:00.000Z', until: '2024-03-02T02:00:00.000Z' });
    expect(got).toStrictEqual(inside);

    expect(await ledger.window({ since: '2024-03-02T02:00:00.000Z', until: '2024-03-02T02:00:00.000Z' })).toEqual([]);
    expect(await ledger.window({ since: '2024-04-01T00:00:00.000Z', until: '2024-04-03T00:00:00.000Z' })).toEqual([]);
  });

  it('ends a window without until at now', async () => {
    const ledger = await freshLedger({ now: () => Date.parse('2024-03-02T00:30:00.000Z') });
    const before = entry('2024-03-02T00:10:00.000Z');
    const after = entry('2024-03-02T00:40:00.000Z');
    await appendAll(ledger, [before, after]);
    expect(await ledger.window({ since: '2024-03-01T00:00:00.000Z' })).toStrictEqual([before]);
  });

  it('refuses windows that are not times or span more days than allowed', async () => {
    const ledger = await freshLedger({ maxWindowDays: 3 });
    await expect(ledger.window({ since: 'yesterday' })).rejects.toBeInstanceOf(TerminalError);
    await expect(ledger.failures({ since: '2024-01-01T00:00:00.000Z', until: 'soon' })).rejects.toBeInstanceOf(
      TerminalError,
    );
    await expect(
      ledger.window({ since: '2024-01-01T00:00:00.000Z', until: '2024-01-04T00:00:00.001Z' }),
    ).rejects.toThrow(/4 days, over the limit of 3/);
    expect(await ledger.window({ since: '2024-01-01T00:00:00.000Z', until: '2024-01-04T00:00:00.000Z' })).toEqual([]);
  });

  it('answers failures, refusals and rollbacks in a window, and nothing else', async () => {
    const ledger = await freshLedger();
    const failures = [
      entry('2024-06-01T23:00:00.000Z', { result: 'failed', errorCode: 'AccessDenied' }),
      entry('2024-06-02T01:00:00.000Z', { result: 'refused', action: 'Prune', reason: 'guard: too many deletions' }),
      entry('2024-06-02T02:00:00.000Z', { result: 'rolled-back', resourceId: API }),
    ];
    const others = [
      entry('2024-06-01T23:30:00.000Z', { result: 'succeeded' }),
      entry('2024-06-02T01:30:00.000Z', { result: 'skipped' }),
      entry('2024-06-02T01:40:00.000Z', { result: 'dry-run' }),
      entry('2024-06-02T01:50:00.000Z', { kind: 'intent', result: undefined }),
      entry('2024-06-03T00:00:00.000Z', { result: 'failed' }),
    ];
    await appendAll(ledger, [...others, ...failures]);

    const window = { since: '2024-06-01T00:00:00.000Z', until: '2024-06-03T00:00:00.000Z' };
    expect(await ledger.failures(window)).toStrictEqual(failures);
    expect(await ledger.window(window)).toHaveLength(failures.length + 4);
  });

  it('refuses an entry whose key already exists with a LedgerEntryRefusedError and never overwrites it', async () => {
    const lines: LedgerEntry[] = [];
    const ledger = await freshLedger({ logger: (line) => lines.push(line) });
    const original = entry('2024-07-01T00:00:00.000Z');
    await ledger.append(original);

    const sameKey = { ...original, result: 'failed' as const, errorMessage: 'overwritten?' };
    const error = await ledger.append(sameKey).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerEntryRefusedError);
    expect((error as LedgerEntryRefusedError).retryable).toBe(false);
    expect((error as LedgerEntryRefusedError).cause).toBeInstanceOf(TransactionCanceledException);

    // The same instant written differently is the same key.
    const sameInstant = { ...original, time: '2024-07-01T02:00:00+02:00', result: 'failed' as const };
    await expect(ledger.append(sameInstant)).rejects.toBeInstanceOf(LedgerEntryRefusedError);

    expect(await ledger.resourceHistory(WEB)).toStrictEqual([original]);
    expect(await ledger.commitHistory('c1')).toStrictEqual([original]);
    expect(lines).toStrictEqual([original]);
  });

  it('fails with a LedgerEntryRefusedError when the table does not exist', async () => {
    const lines: LedgerEntry[] = [];
    const ledger = new DynamoDbLedger({
      tableName: `ledger-${SUFFIX}-missing`,
      client: setupClient,
      logger: (line) => lines.push(line),
    });
    const error = await ledger.append(entry('2024-07-01T00:00:00.000Z')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerEntryRefusedError);
    expect((error as LedgerEntryRefusedError).retryable).toBe(false);
    expect((error as LedgerEntryRefusedError).cause).toBeInstanceOf(ResourceNotFoundException);
    expect(error).toBeInstanceOf(LedgerTableMissingError);
    expect((error as Error).message).toBe(
      `the ledger table ledger-${SUFFIX}-missing does not exist in us-east-1: deploy the driftless stack (and pass its LedgerTableName output as --ledger-table), or create the tables with driftless reconcile --create-tables`,
    );
    expect(lines).toEqual([]);
  });

  it('names the missing table, its region and how to create it on every query, never "resource not found"', async () => {
    // Prepare
    const tableName = `ledger-${SUFFIX}-missing-reads`;
    const ledger = new DynamoDbLedger({
      tableName,
      client: localDynamoDb({ region: 'eu-west-1', maxAttempts: 1 }),
      logger: silentLogLine,
    });
    const window = { since: '2024-07-01T00:00:00.000Z', until: '2024-07-02T00:00:00.000Z' };

    // Act
    const errors = await Promise.all(
      [
        ledger.resourceHistory(WEB),
        ledger.commitHistory('c1'),
        ledger.window(window),
        ledger.failures(window),
        ledger.activePauses('config', 'main', Date.parse(window.until)),
      ].map((read) => (read as Promise<unknown>).catch((e: unknown) => e)),
    );

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(LedgerTableMissingError);
      expect((error as LedgerTableMissingError).retryable).toBe(false);
      expect((error as Error).message).toMatch(
        new RegExp(`^the ledger table ${tableName} does not exist in eu-west-1: deploy the driftless stack`),
      );
      expect((error as Error).message).not.toContain('not found');
      expect((error as Error).cause).toBeInstanceOf(ResourceNotFoundException);
    }
  });

  it('fails with a retryable LedgerWriteError when DynamoDB cannot be reached', async () => {
    const unreachable = dynamoDbClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const ledger = new DynamoDbLedger({ tableName: 'any', client: unreachable, logger: silentLogLine });
    const error = await ledger.append(entry('2024-07-01T00:00:00.000Z')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerWriteError);
    expect((error as LedgerWriteError).retryable).toBe(true);
  });

  it('refuses an entry whose time is not a time, before sending anything', async () => {
    const ledger = await freshLedger();
    const error = await ledger.append({ ...entry('2024-07-01T00:00:00.000Z'), time: 'later' }).catch((e) => e);
    expect(error).toBeInstanceOf(LedgerEntryRefusedError);
    expect((error as LedgerEntryRefusedError).retryable).toBe(false);
  });

  it('emits the log line once per stored entry, with the same fields, and not for a failed append', async () => {
    const lines: LedgerEntry[] = [];
    const logger = (line: LedgerEntry) => lines.push(line);
    const ledger = await freshLedger({ logger });
    const missing = new DynamoDbLedger({ tableName: `ledger-${SUFFIX}-absent`, client: setupClient, logger });
    const first = entry('2024-08-01T00:00:00.000Z', { changes: [{ path: '/spec/cpu', before: 1, after: 2 }] });
    const second = entry('2024-08-01T00:00:01.000Z', { kind: 'intent', result: undefined });

    await ledger.append(first);
    await expect(ledger.append(first)).rejects.toBeInstanceOf(LedgerEntryRefusedError);
    await expect(missing.append(second)).rejects.toBeInstanceOf(LedgerEntryRefusedError);
    await ledger.append(second);

    expect(lines).toStrictEqual([first, second]);
  });

  it('keeps a stored entry stored when the log line throws', async () => {
    const ledger = await freshLedger({
      logger: () => {
        throw new Error('log sink down');
      },
    });
    const stored = entry('2024-08-02T00:00:00.000Z');
    await expect(ledger.append(stored)).resolves.toBeUndefined();
    expect(await ledger.resourceHistory(WEB)).toStrictEqual([stored]);
  });

  it('writes only puts conditioned on attribute_not_exists(pk), each entry with its chain link; 2 calls cold, 1 warm', async () => {
    // Prepare
    const tableName = `ledger-${SUFFIX}-recorded`;
    await ensureLedgerTable(setupClient, tableName);
    const client = localClient();
    const seen: { command: string; input: Record<string, unknown> }[] = [];
    client.middlewareStack.add(
      (next, context) => (args) => {
        seen.push({ command: context.commandName ?? '?', input: args.input as Record<string, unknown> });
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    const ledger = new DynamoDbLedger({ tableName, client, logger: silentLogLine, pageSize: 1 });
    const entries = [
      entry('2024-09-01T23:00:00.000Z'),
      entry('2024-09-02T01:00:00.000Z', { result: 'failed' }),
      entry('2024-09-02T02:00:00.000Z', { resourceId: API, result: 'refused' }),
    ];

    // Act
    const perAppend: string[][] = [];
    for (const item of entries) {
      const before = seen.length;
      await ledger.append(item);
      perAppend.push(seen.slice(before).map((s) => s.command));
    }
    await expect(ledger.append(entries[0] as LedgerEntry)).rejects.toBeInstanceOf(LedgerEntryRefusedError);
    await expect(ledger.append({ ...entry('2024-09-03T00:00:00.000Z'), time: 'never' })).rejects.toThrow();
    const window = { since: '2024-09-01T00:00:00.000Z', until: '2024-09-03T00:00:00.000Z' };
    const reads = [
      await ledger.resourceHistory(WEB),
      await ledger.resourceHistory(WEB, { limit: 1 }),
      await ledger.commitHistory('c1'),
      await ledger.window(window),
      await ledger.failures(window),
    ];

    // Assess: the first append to a partition reads its head, the next one remembers it.
    expect(perAppend).toEqual([
      ['QueryCommand', 'TransactWriteItemsCommand'],
      ['TransactWriteItemsCommand'],
      ['QueryCommand', 'TransactWriteItemsCommand'],
    ]);
    expect(reads.map((read) => read.length)).toEqual([2, 1, 3, 3, 2]);
    expect(new Set(seen.map((s) => s.command))).toStrictEqual(new Set(['TransactWriteItemsCommand', 'QueryCommand']));
    const writes = seen.filter((s) => s.command === 'TransactWriteItemsCommand');
    expect(writes).toHaveLength(4);
    for (const { input } of writes) {
      const parts = input.TransactItems as Record<string, Record<string, unknown>>[];
      expect(parts.map((part) => Object.keys(part))).toEqual([['Put'], ['Put']]);
      for (const part of parts) {
        expect(Object.keys(part.Put ?? {}).sort()).toEqual(['ConditionExpression', 'Item', 'TableName']);
        expect(part.Put).toMatchObject({ TableName: tableName, ConditionExpression: 'attribute_not_exists(pk)' });
      }
    }
    for (const { command, input } of seen.filter((s) => s.command === 'QueryCommand')) {
      expect(input.TableName, command).toBe(tableName);
    }
  });

  it('creates the table with the keys, the four ALL-projected indexes and the intents index, idempotently', async () => {
    const tableName = `ledger-${SUFFIX}-schema`;
    await ensureLedgerTable(setupClient, tableName);
    await ensureLedgerTable(setupClient, tableName);
    const { Table } = await setupClient.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    const indexes = Object.fromEntries(
      (Table?.GlobalSecondaryIndexes ?? []).map((index) => [
        index.IndexName,
        { keys: index.KeySchema?.map((k) => `${k.AttributeName}:${k.KeyType}`), projection: index.Projection },
      ]),
    );
    expect(indexes).toEqual({
      [LEDGER_INDEX.byCommit]: { keys: ['commitPk:HASH', 'sk:RANGE'], projection: { ProjectionType: 'ALL' } },
      [LEDGER_INDEX.byDay]: { keys: ['dayPk:HASH', 'sk:RANGE'], projection: { ProjectionType: 'ALL' } },
      [LEDGER_INDEX.failuresByDay]: { keys: ['failureDayPk:HASH', 'sk:RANGE'], projection: { ProjectionType: 'ALL' } },
      [LEDGER_INDEX.pauses]: { keys: ['pausePk:HASH', 'sk:RANGE'], projection: { ProjectionType: 'ALL' } },
      [LEDGER_INDEX.intents]: {
        keys: ['intentPk:HASH', 'sk:RANGE'],
        projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['kind', 'actionId'] },
      },
    });
    expect(ledgerTableDefinition(tableName).BillingMode).toBe('PAY_PER_REQUEST');
  });
});

describe('newEntryId', () => {
  it('starts with the compacted UTC time, so ids sort by time', () => {
    expect(newEntryId('2024-05-01T12:00:00.123Z')).toMatch(/^20240501T120000123Z-[0-9a-f]{20}$/);
    expect(newEntryId('2024-05-01T14:00:00.123+02:00').startsWith('20240501T120000123Z-')).toBe(true);
    const ids = ['2024-05-01T12:00:00.001Z', '2024-05-01T12:00:00.010Z', '2024-05-02T00:00:00.000Z'].map((t) =>
      newEntryId(t),
    );
    expect([...ids].sort()).toEqual(ids);
  });

  it('is unique for the same instant', () => {
    const time = new Date('2024-05-01T12:00:00.000Z');
    expect(new Set(Array.from({ length: 1000 }, () => newEntryId(time))).size).toBe(1000);
  });

  it('refuses what is not a time', () => {
    expect(() => newEntryId('not a time')).toThrow(TerminalError);
  });
});
