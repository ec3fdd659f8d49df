/** The ledger's hash chain on DynamoDB Local: what each append stores, that concurrent writers to one partition never
 * fork it, what an append costs cold and warm, and where the chain begins in a ledger written before it existed. */
import { randomUUID } from 'node:crypto';
import { type DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHAIN, GENESIS_HASH, type Item, itemHash, linkSk } from '../../../shared/audit/chain.ts';
import { DynamoDbLedger, ensureLedgerTable } from '../../../shared/audit/dynamodb.ts';
import { CHAIN_ATTEMPTS, HEAD_MEMORY_MS } from '../../../shared/audit/dynamodb-chain.ts';
import { resourcePk, toItem } from '../../../shared/audit/dynamodb-items.ts';
import { newEntryId } from '../../../shared/audit/ids.ts';
import type { LedgerEntry } from '../../../shared/audit/ledger.ts';
import { silentLogLine } from '../../../shared/audit/log.ts';
import { verifyPartition } from '../../../shared/audit/verify.ts';
import { LedgerEntryRefusedError, LedgerWriteError } from '../../../shared/errors.ts';
import { localDynamoDb } from '../../support/dynamodb.ts';

const TABLE = `chain-${randomUUID().slice(0, 8)}`;
const setup: DynamoDBClient = localDynamoDb({ maxAttempts: 1 });

beforeAll(async () => {
  await ensureLedgerTable(setup, TABLE);
});

/** A ledger of its own (its own remembered heads), whose commands are counted. */
function writer(client: DynamoDBClient = localDynamoDb({ maxAttempts: 1 }), now?: () => number) {
  const commands: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      commands.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return {
    ledger: new DynamoDbLedger({ tableName: TABLE, client, logger: silentLogLine, ...(now ? { now } : {}) }),
    commands,
  };
}

function entry(resourceId: string, offsetMs: number, fields: Partial<LedgerEntry> = {}): LedgerEntry {
  const time = new Date(Date.parse('2026-03-01T10:00:00.000Z') + offsetMs).toISOString();
  return {
    entryId: newEntryId(time),
    kind: 'outcome',
    time,
    runId: 'run-1',
    trigger: 'push',
    repository: 'platform-config',
    branch: 'main',
    commitId: 'c1',
    dryRun: false,
    resourceId,
    result: 'succeeded',
    ...fields,
  };
}

async function partitionItems(resourceId: string): Promise<Item[]> {
  const page = await setup.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: resourcePk(resourceId) } },
      ConsistentRead: true,
    }),
  );
  return page.Items ?? [];
}

const entriesOf = (items: Item[]) => items.filter((item) => !item.sk?.S?.startsWith('#'));
const sequences = (items: Item[]) =>
  entriesOf(items)
    .map((item) => Number(item[CHAIN.sequence]?.N))
    .sort((a, b) => a - b);

describe('the ledger hash chain', () => {
  it('stores each entry with its sequence, the previous hash and its own, beside a link naming it', async () => {
    // Prepare
    const resource = `EcsService:prod/web-${randomUUID().slice(0, 6)}`;
    const { ledger } = writer();
    const lines: unknown[][] = [];
    const logged = new DynamoDbLedger({ tableName: TABLE, client: setup, logger: (...args) => lines.push(args) });

    // Act
    await ledger.append(entry(resource, 0));
    await logged.append(entry(resource, 1));

    // Assess
    const items = await partitionItems(resource);
    const [first, second] = entriesOf(items);
    const links = items.filter((item) => item.sk?.S?.startsWith('#LINK#'));
    expect(first?.[CHAIN.sequence]).toEqual({ N: '1' });
    expect(first?.[CHAIN.previous]).toEqual({ S: GENESIS_HASH });
    expect(first?.[CHAIN.hash]).toEqual({ S: itemHash(first as Item) });
    expect(second?.[CHAIN.sequence]).toEqual({ N: '2' });
    expect(second?.[CHAIN.previous]).toEqual(first?.[CHAIN.hash]);
    expect(links.map((link) => [link.sk?.S, link[CHAIN.entry]?.S, link[CHAIN.hash]?.S])).toEqual([
      [linkSk(1), first?.sk?.S, first?.[CHAIN.hash]?.S],
      [linkSk(2), second?.sk?.S, second?.[CHAIN.hash]?.S],
    ]);
    expect(lines[0]?.[1]).toEqual({ sequence: 2, hash: second?.[CHAIN.hash]?.S });
    expect(await ledger.resourceHistory(resource)).toHaveLength(2);
    expect(verifyPartition(resourcePk(resource), items)).toMatchObject({ chained: 2, head: { sequence: 2 } });
  });

  it('never forks when several writers append to one partition at once: each sequence is taken exactly once', async () => {
    // Prepare
    const resource = `EcsService:prod/busy-${randomUUID().slice(0, 6)}`;
    const writers = [writer(), writer(), writer()];

    // Act: three processes, three entries each, all at once. A taken link means another entry was stored, so no
    // append meets more conflicts than the six entries of the others: within CHAIN_ATTEMPTS.
    await Promise.all(
      writers.flatMap(({ ledger }, w) =>
        [0, 1, 2].map((n) => ledger.append(entry(resource, w * 10 + n, { runId: `run-${w}` }))),
      ),
    );

    // Assess
    const items = await partitionItems(resource);
    expect(sequences(items)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(verifyPartition(resourcePk(resource), items).break).toBeUndefined();
    const transactions = writers.flatMap(({ commands }) => commands.filter((c) => c === 'TransactWriteItemsCommand'));
    // Every conflict costs a cancelled transaction: at least one per entry.
    expect(transactions.length).toBeGreaterThanOrEqual(9);
  });

  it("queues one process's appends to a partition: one head read, then one transaction per entry", async () => {
    // Prepare
    const resource = `EcsService:prod/queued-${randomUUID().slice(0, 6)}`;
    const { ledger, commands } = writer();

    // Act
    await Promise.all([0, 1, 2, 3, 4].map((n) => ledger.append(entry(resource, n))));

    // Assess
    expect(commands).toEqual(['QueryCommand', ...Array(5).fill('TransactWriteItemsCommand')]);
    expect(sequences(await partitionItems(resource))).toEqual([1, 2, 3, 4, 5]);
  });

  it('follows another writer when its remembered head is stale: a cancelled transaction, a head read, the append', async () => {
    // Prepare
    const resource = `EcsService:prod/shared-${randomUUID().slice(0, 6)}`;
    const run = writer();
    const recorder = writer();
    await run.ledger.append(entry(resource, 0));
    await recorder.ledger.append(entry(resource, 1, { trigger: 'deployment-event' }));
    run.commands.length = 0;

    // Act
    await run.ledger.append(entry(resource, 2));

    // Assess
    expect(run.commands).toEqual(['TransactWriteItemsCommand', 'QueryCommand', 'TransactWriteItemsCommand']);
    const items = await partitionItems(resource);
    expect(sequences(items)).toEqual([1, 2, 3]);
    expect(verifyPartition(resourcePk(resource), items).break).toBeUndefined();
  });

  it('forgets a head after a minute (another writer is then likely to have moved it), and assumes a run partition empty', async () => {
    // Prepare
    const resource = `EcsService:prod/quiet-${randomUUID().slice(0, 6)}`;
    const clock = { t: Date.parse('2026-03-01T10:00:00.000Z') };
    const { ledger, commands } = writer(undefined, () => clock.t);
    await ledger.append(entry(resource, 0));
    commands.length = 0;

    // Act
    await ledger.append(entry(resource, 1));
    const warm = [...commands];
    clock.t += HEAD_MEMORY_MS;
    commands.length = 0;
    await ledger.append(entry(resource, 2));
    const forgotten = [...commands];
    commands.length = 0;
    await ledger.append({
      ...entry(resource, 3, { kind: 'run', runId: `run-${randomUUID()}` }),
      resourceId: undefined,
    });
    const runEntry = [...commands];

    // Assess
    expect(warm).toEqual(['TransactWriteItemsCommand']);
    expect(forgotten).toEqual(['QueryCommand', 'TransactWriteItemsCommand']);
    expect(runEntry).toEqual(['TransactWriteItemsCommand']);
    expect(sequences(await partitionItems(resource))).toEqual([1, 2, 3]);
  });

  it(`gives up with a retryable LedgerWriteError after ${CHAIN_ATTEMPTS} attempts when the chain keeps moving`, async () => {
    // Prepare: before each of its transactions, another writer takes the link it is about to take.
    const resource = `EcsService:prod/contended-${randomUUID().slice(0, 6)}`;
    const client = localDynamoDb({ maxAttempts: 1 });
    let taken = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand') {
          const parts = (args.input as { TransactItems: { Put?: { Item: Item } }[] }).TransactItems;
          const link = parts.at(-1)?.Put?.Item as Item;
          await setup.send(new PutItemCommand({ TableName: TABLE, Item: { ...link, [CHAIN.entry]: { S: 'x' } } }));
          taken += 1;
        }
        return next(args);
      },
      { step: 'initialize', name: 'raceAhead' },
    );
    const { ledger } = writer(client);

    // Act
    const failure = await ledger.append(entry(resource, 0)).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(LedgerWriteError);
    expect((failure as Error).message).toMatch(new RegExp(`moved on ${CHAIN_ATTEMPTS} times`));
    expect(taken).toBe(CHAIN_ATTEMPTS);
    expect(entriesOf(await partitionItems(resource))).toEqual([]);
  });

  it('starts the chain after the entries written before it, which verify counts and does not call tampering', async () => {
    // Prepare: two entries as a driftless without the chain wrote them.
    const resource = `EcsService:prod/old-${randomUUID().slice(0, 6)}`;
    for (const old of [entry(resource, 0), entry(resource, 1)]) {
      await setup.send(new PutItemCommand({ TableName: TABLE, Item: toItem(old, old.time) }));
    }
    const { ledger } = writer();

    // Act
    await ledger.append(entry(resource, 2));
    await ledger.append(entry(resource, 3));

    // Assess
    const verdict = verifyPartition(resourcePk(resource), await partitionItems(resource));
    expect(verdict).toMatchObject({ entries: 4, chained: 2, beforeChain: 2, head: { sequence: 2 } });
    expect(verdict.break).toBeUndefined();
    expect(await ledger.resourceHistory(resource)).toHaveLength(4);
  });

  it('refuses to append after a malformed head link rather than guess the sequence', async () => {
    // Prepare
    const resource = `EcsService:prod/mangled-${randomUUID().slice(0, 6)}`;
    await setup.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: resourcePk(resource) }, sk: { S: linkSk(4) }, [CHAIN.sequence]: { N: '4' } },
      }),
    );

    // Act
    const failure = await writer()
      .ledger.append(entry(resource, 0))
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(LedgerEntryRefusedError);
    expect((failure as Error).message).toMatch(/newest chain link .* is malformed.*driftless audit --verify/);
  });
});
