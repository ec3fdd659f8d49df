/** Pairing intents with outcomes: the pure rules, and the ledgers' unpairedIntents (DynamoDB Local, in memory). */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, type IndexStatus } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  DynamoDbLedger,
  ensureLedgerTable,
  LEDGER_INDEX,
  ledgerKeys,
  ledgerTableDefinition,
} from '../../../shared/audit/dynamodb.ts';
import { addIndex, waitUntilIndexActive } from '../../../shared/audit/dynamodb-indexes.ts';
import { newEntryId } from '../../../shared/audit/ids.ts';
import { intentPk, pairsIntents, unpaired } from '../../../shared/audit/intents.ts';
import type { AuditLedger, LedgerEntry } from '../../../shared/audit/ledger.ts';
import { silentLogLine } from '../../../shared/audit/log.ts';
import { TerminalError } from '../../../shared/errors.ts';
import { MemoryLedger } from '../../../shared/sim/memory-ledger.ts';
import { localDynamoDb } from '../../support/dynamodb.ts';

const WEB = 'EcsService:prod/web';

/** An entry of platform-config/main at `time`. */
function entry(time: string, fields: Partial<LedgerEntry>): LedgerEntry {
  return {
    entryId: newEntryId(time),
    kind: 'intent',
    time,
    runId: 'run-1',
    trigger: 'push',
    repository: 'platform-config',
    branch: 'main',
    commitId: 'c1',
    dryRun: false,
    resourceId: WEB,
    action: 'UpdateService',
    ...fields,
  };
}

/** Intents and outcomes of one branch and its neighbours: a1 answered, a2 and a4 open, a3 a dry run, a5 another
 * branch's, a6 open but before the window, a7 open and after `until`. */
function history(): LedgerEntry[] {
  return [
    entry('2026-03-01T09:00:00.000Z', { actionId: 'a6', changes: [{ path: '/spec/desiredCount', after: 2 }] }),
    entry('2026-03-02T10:00:00.000Z', { actionId: 'a1' }),
    entry('2026-03-02T10:00:01.000Z', { actionId: 'a1', kind: 'outcome', result: 'succeeded', durationMs: 5 }),
    entry('2026-03-02T10:01:00.000Z', {
      actionId: 'a2',
      changes: [{ path: '/spec/desiredCount', before: 2, after: 3 }],
      commitAuthor: 'Ada <ada@example.com>',
    }),
    entry('2026-03-02T10:02:00.000Z', { actionId: 'a3', result: 'dry-run', dryRun: true }),
    entry('2026-03-02T10:03:00.000Z', { actionId: 'a5', branch: 'staging' }),
    entry('2026-03-02T10:04:00.000Z', { actionId: 'r1', kind: 'outcome', result: 'refused', reason: 'not ours' }),
    entry('2026-03-03T00:30:00.000Z', { actionId: 'a4', resourceId: 'CloudFormationStack:platform-net' }),
    entry('2026-03-03T11:00:00.000Z', { actionId: 'a7' }),
  ];
}

const WINDOW = { since: '2026-03-02T00:00:00.000Z', until: '2026-03-03T10:00:00.000Z' };

describe('pairing intents with outcomes', () => {
  it('finds the intents no outcome answers, leaving dry runs and answered ones out', () => {
    // Prepare
    const entries = history().filter((candidate) => candidate.branch === 'main');

    // Act
    const open = unpaired(entries);

    // Assess
    expect(open.map((intent) => intent.actionId)).toEqual(['a6', 'a2', 'a4', 'a7']);
  });

  it('puts only real intents and the outcomes that may answer them in the intents index', () => {
    // Prepare
    const time = '2026-03-02T10:00:00.000Z';
    const cases: [Partial<LedgerEntry>, boolean][] = [
      [{ kind: 'intent', actionId: 'x' }, true],
      [{ kind: 'intent', actionId: 'x', result: 'dry-run', dryRun: true }, false],
      [{ kind: 'outcome', actionId: 'x', result: 'succeeded' }, true],
      [{ kind: 'outcome', actionId: 'x', result: 'failed' }, true],
      [{ kind: 'outcome', actionId: 'x', result: 'refused' }, false],
      [{ kind: 'outcome', actionId: 'x', result: 'skipped' }, false],
      [{ kind: 'outcome', result: 'skipped' }, false],
      [{ kind: 'run', result: 'succeeded', resourceId: undefined }, false],
    ];

    // Act
    const verdicts = cases.map(([fields]) => pairsIntents(entry(time, fields)));
    const keys = cases.map(([fields]) => ledgerKeys(entry(time, fields), time).intentPk);

    // Assess
    expect(verdicts).toEqual(cases.map(([, expected]) => expected));
    expect(keys).toEqual(cases.map(([, expected]) => (expected ? 'INTENT#platform-config#main' : undefined)));
    expect(intentPk('platform-config', 'main')).toBe('INTENT#platform-config#main');
  });
});

const SUFFIX = randomUUID().slice(0, 8);
let tableCount = 0;
const client: DynamoDBClient = localDynamoDb({ maxAttempts: 1 });

async function dynamoLedger(pageSize?: number): Promise<DynamoDbLedger> {
  const tableName = `intents-${SUFFIX}-${++tableCount}`;
  await ensureLedgerTable(client, tableName);
  return new DynamoDbLedger({
    tableName,
    client,
    logger: silentLogLine,
    ...(pageSize === undefined ? {} : { pageSize }),
  });
}

describe.each([
  ['DynamoDbLedger', () => dynamoLedger(2)],
  ['MemoryLedger', async () => new MemoryLedger() as AuditLedger],
])('%s.unpairedIntents', (_name, makeLedger: () => Promise<AuditLedger>) => {
  it("answers the branch's open intents made in the window, whole, oldest first, across pages", async () => {
    // Prepare
    const ledger = await makeLedger();
    const entries = history();
    for (const item of [...entries].reverse()) await ledger.append(item);

    // Act
    const open = await ledger.unpairedIntents('platform-config', 'main', WINDOW);

    // Assess
    const byAction = new Map(entries.map((item) => [item.actionId, item]));
    expect(open).toStrictEqual([byAction.get('a2'), byAction.get('a4')]);
    expect(await ledger.unpairedIntents('platform-config', 'staging', WINDOW)).toStrictEqual([byAction.get('a5')]);
    expect(await ledger.unpairedIntents('other', 'main', WINDOW)).toEqual([]);
  });

  it('counts an outcome made after the window as an answer', async () => {
    // Prepare
    const ledger = await makeLedger();
    const intent = entry('2026-03-02T10:00:00.000Z', { actionId: 'late' });
    await ledger.append(intent);
    await ledger.append(entry('2026-03-05T10:00:00.000Z', { actionId: 'late', kind: 'outcome', result: 'failed' }));

    // Act
    const open = await ledger.unpairedIntents('platform-config', 'main', WINDOW);

    // Assess
    expect(open).toEqual([]);
  });
});

describe('DynamoDbLedger intents index', () => {
  it('is requested on a ledger table made before it existed, with the keys and projection of the definition', async () => {
    // Prepare: the table as an older driftless created it, without the intents index.
    const tableName = `intents-${SUFFIX}-older`;
    const current = ledgerTableDefinition(tableName);
    await client.send(
      new CreateTableCommand({
        ...current,
        AttributeDefinitions: current.AttributeDefinitions?.filter((key) => key.AttributeName !== 'intentPk'),
        GlobalSecondaryIndexes: current.GlobalSecondaryIndexes?.filter((index) => index.IndexName !== 'intents'),
      }),
    );
    const ledger = new DynamoDbLedger({ tableName, client, logger: silentLogLine });
    const before = await ledger.unpairedIntents('platform-config', 'main', WINDOW).catch((error: unknown) => error);

    // Act: DynamoDB Local builds it in about a second alone, but may keep it CREATING while the whole suite runs,
    // so waiting for ACTIVE is checked below against answers of the documented shape instead.
    await addIndex(client, current, LEDGER_INDEX.intents);

    // Assess
    expect(before).toBeInstanceOf(Error);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.GlobalSecondaryIndexes?.find((index) => index.IndexName === LEDGER_INDEX.intents)).toMatchObject({
      IndexStatus: expect.stringMatching(/^(CREATING|ACTIVE)$/),
      KeySchema: [
        { AttributeName: 'intentPk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['kind', 'actionId'] },
    });
  });

  it('is waited for until DynamoDB says ACTIVE, and a build that never ends is an error', async () => {
    // Prepare: DescribeTable answers as the API reference shows, the index CREATING twice, then ACTIVE.
    const dynamo = mockClient(DynamoDBClient);
    const describing = (IndexStatus: IndexStatus) => ({
      Table: { TableName: 't', GlobalSecondaryIndexes: [{ IndexName: LEDGER_INDEX.intents, IndexStatus }] },
    });
    dynamo
      .on(DescribeTableCommand)
      .resolvesOnce(describing('CREATING'))
      .resolvesOnce(describing('CREATING'))
      .resolves(describing('ACTIVE'));
    const sdk = new DynamoDBClient({ region: 'us-east-1' });

    // Act
    await waitUntilIndexActive(sdk, 't', LEDGER_INDEX.intents, 1_000, 1);
    const calls = dynamo.commandCalls(DescribeTableCommand).length;
    dynamo.reset();
    dynamo.on(DescribeTableCommand).resolves(describing('CREATING'));
    const stuck = await waitUntilIndexActive(sdk, 't', LEDGER_INDEX.intents, 5, 1).catch((error: unknown) => error);
    dynamo.restore();

    // Assess
    expect(calls).toBe(3);
    expect(stuck).toBeInstanceOf(TerminalError);
    expect((stuck as Error).message).toBe('index intents of t is not ACTIVE after 5 ms');
  });

  it('reads the branch in one Query of small items, then each open intent by its key', async () => {
    // Prepare
    const ledger = await dynamoLedger();
    for (const item of history()) await ledger.append(item);
    const seen: { command: string; input: Record<string, unknown>; items?: number }[] = [];
    const counted = localDynamoDb({ maxAttempts: 1 });
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const output = result.output as { Items?: Record<string, unknown>[] };
        seen.push({
          command: context.commandName ?? '?',
          input: args.input as Record<string, unknown>,
          items: output.Items?.length,
        });
        if (output.Items?.[0] && (args.input as { IndexName?: string }).IndexName === LEDGER_INDEX.intents) {
          // What the index holds of an entry: its keys, kind and action id, nothing else.
          expect(Object.keys(output.Items[0]).sort()).toEqual(['actionId', 'intentPk', 'kind', 'pk', 'sk']);
        }
        return result;
      },
      { step: 'initialize', name: 'countCommands' },
    );
    const reader = new DynamoDbLedger({ tableName: ledger.tableName, client: counted, logger: silentLogLine });

    // Act
    const open = await reader.unpairedIntents('platform-config', 'main', WINDOW);

    // Assess
    expect(open.map((intent) => intent.actionId)).toEqual(['a2', 'a4']);
    expect(seen.map((call) => call.command)).toEqual(['QueryCommand', 'QueryCommand', 'QueryCommand']);
    expect(seen[0]?.input.IndexName).toBe(LEDGER_INDEX.intents);
    // Intents and write outcomes since the window's start: a1 twice, a2, a4, a7 (no dry run, refusal or other branch).
    expect(seen[0]?.items).toBe(5);
    expect(seen.slice(1).map((call) => call.input.IndexName)).toEqual([undefined, undefined]);
  });
});
