/** DynamoDbLedger and ensureLedgerTable against the target: a table of this run's own, created, written, queried by
 * resource, commit and window, and deleted. Reads poll, since Query and global secondary indexes are eventually
 * consistent in AWS. */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbLedger, ensureLedgerTable, LEDGER_INDEX } from '../../shared/audit/dynamodb.ts';
import { newEntryId } from '../../shared/audit/ids.ts';
import type { LedgerEntry } from '../../shared/audit/ledger.ts';
import { silentLogLine } from '../../shared/audit/log.ts';
import { dynamoDbClient } from '../../shared/aws/clients.ts';
import { LedgerEntryRefusedError } from '../../shared/errors.ts';
import { deleteTable } from './support.ts';
import { clientOptions, eventually, providedTarget, runs, uniqueNamespace } from './target.ts';

const target = providedTarget();

describe.runIf(runs(target, 'dynamodb'))(`DynamoDbLedger against the ${target.kind} target`, () => {
  const namespace = uniqueNamespace();
  const tableName = `${namespace}-ledger`;
  const commitId = `${namespace}-commit`;
  const otherCommitId = `${namespace}-other-commit`;
  const web = `EcsService:${namespace}/web`;
  const stack = `CloudFormationStack:${namespace}-network`;
  const actionId = `${namespace}-action-web`;
  // Entries from a few seconds ago up to now, a millisecond apart at least, so their order is their time order.
  const start = Date.now() - 10_000;
  const at = (offsetMs: number) => new Date(start + offsetMs).toISOString();

  function entry(time: string, fields: Partial<LedgerEntry>): LedgerEntry {
    return {
      entryId: newEntryId(time),
      kind: 'outcome',
      time,
      runId: `${namespace}-run`,
      trigger: 'push',
      repository: `${namespace}-config`,
      branch: 'main',
      commitId,
      commitAuthor: 'Integration Test <it@example.com>',
      dryRun: false,
      ...fields,
    };
  }

  const intent = entry(at(0), {
    kind: 'intent',
    actionId,
    resourceId: web,
    action: 'UpdateService',
    changes: [{ path: '/spec/desiredCount', before: 1, after: 2 }],
  });
  const outcome = entry(at(1_000), {
    actionId,
    resourceId: web,
    action: 'UpdateService',
    result: 'succeeded',
    references: { serviceArn: `arn:aws:ecs:us-east-1:000000000000:service/${namespace}/web` },
    durationMs: 812,
  });
  const failed = entry(at(2_000), {
    actionId: `${namespace}-action-stack`,
    resourceId: stack,
    action: 'ExecuteChangeSet',
    result: 'failed',
    errorCode: 'ValidationError',
    errorMessage: 'Template format error',
  });
  const run = entry(at(3_000), { kind: 'run', summary: { succeeded: 1, failed: 1 } });
  const later = entry(at(4_000), {
    commitId: otherCommitId,
    resourceId: web,
    kind: 'outcome',
    result: 'dry-run',
    dryRun: true,
  });
  const all = [intent, outcome, failed, run, later];
  const window = { since: at(0), until: new Date(Date.now() + 60_000).toISOString() };

  let client: DynamoDBClient | undefined;
  let ledger: DynamoDbLedger;

  beforeAll(async () => {
    client = dynamoDbClient(clientOptions(target));
    await ensureLedgerTable(client, tableName);
    ledger = new DynamoDbLedger({ tableName, client, logger: silentLogLine });
    for (const item of all) await ledger.append(item);
  });

  afterAll(async () => {
    if (client === undefined) return;
    try {
      await deleteTable(client, tableName);
    } finally {
      client.destroy();
    }
  });

  it('creates the table with its three indexes, and ensuring it again changes nothing', async () => {
    const described = await client!.send(new DescribeTableCommand({ TableName: tableName }));
    expect(described.Table?.TableStatus).toBe('ACTIVE');
    expect(described.Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    const indexes = (described.Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort();
    expect(indexes).toEqual(Object.values(LEDGER_INDEX).sort());
    await ensureLedgerTable(client!, tableName);
  });

  it('reads an intent and its outcome back exactly, in the resource history, newest first', async () => {
    const history = await eventually(
      () => ledger.resourceHistory(web),
      (entries) => entries.length >= 3,
    );
    expect(history).toEqual([later, outcome, intent]);
    expect(
      await eventually(
        () => ledger.resourceHistory(web, { limit: 1 }),
        (entries) => entries[0]?.entryId === later.entryId,
      ),
    ).toEqual([later]);
    expect(await ledger.resourceHistory(`EcsService:${namespace}/absent`)).toEqual([]);
  });

  it('refuses to append an entry twice, overwriting nothing', async () => {
    const error = await ledger.append(intent).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(LedgerEntryRefusedError);
    expect((error as LedgerEntryRefusedError).message).toContain('nothing was overwritten');
    expect((error as LedgerEntryRefusedError).retryable).toBe(false);
  });

  it('answers what one commit did, oldest first, and nothing of another commit', async () => {
    const entries = await eventually(
      () => ledger.commitHistory(commitId),
      (found) => found.length >= 4,
    );
    expect(entries).toEqual([intent, outcome, failed, run]);
    expect(
      await eventually(
        () => ledger.commitHistory(otherCommitId),
        (found) => found.length >= 1,
      ),
    ).toEqual([later]);
  });

  it('answers a time window, oldest first, bounds included at the start and excluded at the end', async () => {
    expect(
      await eventually(
        () => ledger.window(window),
        (found) => found.length >= all.length,
      ),
    ).toEqual(all);
    expect(
      await eventually(
        () => ledger.window({ since: outcome.time, until: run.time }),
        (found) => found.length >= 2,
      ),
    ).toEqual([outcome, failed]);
    expect(await ledger.window({ since: run.time, until: run.time })).toEqual([]);
  });

  it('answers the failures in a window from the sparse index', async () => {
    expect(
      await eventually(
        () => ledger.failures(window),
        (found) => found.length >= 1,
      ),
    ).toEqual([failed]);
  });
});
