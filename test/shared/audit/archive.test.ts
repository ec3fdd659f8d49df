/** The ledger archive's core against a mocked S3 (shapes from the S3 API reference for PutObject, its conditional
 * write and its errors): one object per INSERT, idempotent on redelivery, rewrites archived as evidence and logged
 * for the alarm, and a failed record named so the stream delivers it again. */
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  archiveBatch,
  archiveBody,
  archiveKey,
  archiveRecord,
  LEDGER_REWRITTEN_MESSAGE,
  type LedgerStreamRecord,
} from '../../../shared/audit/archive.ts';
import { CHAIN, chainAfter, EMPTY_CHAIN, type Item } from '../../../shared/audit/chain.ts';
import { toItem } from '../../../shared/audit/dynamodb-items.ts';
import { newEntryId } from '../../../shared/audit/ids.ts';
import type { LedgerEntry } from '../../../shared/audit/ledger.ts';

const BUCKET = 'driftless-ledgerarchivebucket-1a2b3c4d5e6f';
const STREAM = 'arn:aws:dynamodb:us-east-1:123456789012:table/driftless-TablesLedger/stream/2026-03-01T00:00:00.000';
const TIME = '2026-03-01T10:00:00.000Z';

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

function client(): S3Client {
  return new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
}

/** A stored entry as the ledger writes it: chained, with its keys. */
function storedEntry(): Item {
  const entry: LedgerEntry = {
    entryId: newEntryId(TIME),
    kind: 'outcome',
    time: TIME,
    runId: 'run-1',
    trigger: 'push',
    repository: 'platform-config',
    branch: 'main',
    commitId: 'c1',
    dryRun: false,
    resourceId: 'EcsService:prod/web',
    action: 'UpdateService',
    result: 'succeeded',
    durationMs: 812,
  };
  return chainAfter(toItem(entry, TIME), EMPTY_CHAIN).entry;
}

/** A record as Lambda's DynamoDB event source delivers it (view type NEW_IMAGE). */
function streamRecord(
  eventName: LedgerStreamRecord['eventName'],
  item: Item,
  sequence = '100000000001',
): LedgerStreamRecord {
  return {
    eventID: `c4ca4238a0b923820dcc509a6f75849${sequence.slice(-1)}`,
    eventName,
    eventSourceARN: STREAM,
    dynamodb: {
      ApproximateCreationDateTime: 1_772_359_200,
      Keys: { pk: item.pk as Item[string], sk: item.sk as Item[string] },
      ...(eventName === 'REMOVE' ? {} : { NewImage: item }),
      SequenceNumber: sequence,
    },
  };
}

function logger() {
  const lines: { level: 'info' | 'error'; message: string; attributes: Record<string, unknown> }[] = [];
  return {
    lines,
    info: (message: string, attributes: Record<string, unknown> = {}) =>
      lines.push({ level: 'info', message, attributes }),
    error: (message: string, attributes: Record<string, unknown> = {}) =>
      lines.push({ level: 'error', message, attributes }),
  };
}

const putOk = {
  ETag: '"6805f2cfc46c0f04559748bb039d69ae"',
  VersionId: '3HL4kqtJlcpXroDTDmjVBH40Nrjfkd',
  ServerSideEncryption: 'AES256' as const,
};

function s3Error(name: string, status: number, message: string): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message });
}

describe('the ledger archive', () => {
  it('writes an inserted entry once, under its partition and sort key, with the item and its chain hash', async () => {
    // Prepare
    const item = storedEntry();
    const record = streamRecord('INSERT', item);
    s3.on(PutObjectCommand).resolves(putOk);

    // Act
    const archived = await archiveRecord(client(), BUCKET, record, logger());

    // Assess
    const key = `entries/${encodeURIComponent(String(item.pk?.S))}/${encodeURIComponent(String(item.sk?.S))}/${record.eventID}.json`;
    expect(archived).toEqual({ key, outcome: 'archived' });
    expect(key).toMatch(/^entries\/RESOURCE%23EcsService%3Aprod%2Fweb\/2026-03-01T10%3A00%3A00\.000Z%23/);
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: key,
      IfNoneMatch: '*',
      ChecksumAlgorithm: 'SHA256',
      ContentType: 'application/json',
    });
    const body = JSON.parse(String(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Body));
    expect(body).toEqual({
      eventName: 'INSERT',
      eventID: record.eventID,
      sequenceNumber: '100000000001',
      approximateCreationDateTime: 1_772_359_200,
      eventSourceARN: STREAM,
      pk: 'RESOURCE#EcsService:prod/web',
      sk: item.sk?.S,
      item,
      sha256: item[CHAIN.hash]?.S,
    });
  });

  it('is done with a record delivered again: the put finds its object (412 Precondition Failed)', async () => {
    // Prepare
    const record = streamRecord('INSERT', storedEntry());
    s3.on(PutObjectCommand).rejects(
      s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold'),
    );

    // Act
    const archived = await archiveRecord(client(), BUCKET, record, logger());

    // Assess
    expect(archived).toEqual({ key: archiveKey(record), outcome: 'already-archived' });
  });

  it('archives a MODIFY and a REMOVE as evidence under rewrites/ and logs each for the alarm', async () => {
    // Prepare
    const item = storedEntry();
    const modified = { ...item, result: { S: 'failed' } };
    const log = logger();
    s3.on(PutObjectCommand).resolves(putOk);

    // Act
    const modify = await archiveRecord(client(), BUCKET, streamRecord('MODIFY', modified, '100000000002'), log);
    const remove = await archiveRecord(client(), BUCKET, streamRecord('REMOVE', item, '100000000003'), log);

    // Assess
    expect(modify.outcome).toBe('rewrite-archived');
    expect(modify.key).toMatch(/^rewrites\/MODIFY\/RESOURCE%23EcsService%3Aprod%2Fweb\//);
    expect(remove.key).toMatch(/^rewrites\/REMOVE\/RESOURCE%23/);
    const [modifyBody, removeBody] = s3
      .commandCalls(PutObjectCommand)
      .map((call) => JSON.parse(String(call.args[0].input.Body)));
    expect(modifyBody.item.result).toEqual({ S: 'failed' });
    expect(modifyBody.sha256).not.toBe(item[CHAIN.hash]?.S);
    expect(removeBody).not.toHaveProperty('item');
    expect(removeBody).toMatchObject({ eventName: 'REMOVE', pk: item.pk?.S, sk: item.sk?.S });
    expect(log.lines.filter((line) => line.message === LEDGER_REWRITTEN_MESSAGE)).toEqual([
      {
        level: 'error',
        message: LEDGER_REWRITTEN_MESSAGE,
        attributes: expect.objectContaining({ eventName: 'MODIFY', key: modify.key }),
      },
      {
        level: 'error',
        message: LEDGER_REWRITTEN_MESSAGE,
        attributes: expect.objectContaining({ eventName: 'REMOVE', key: remove.key }),
      },
    ]);
  });

  it('logs a rewrite for the alarm even when its evidence cannot be stored', async () => {
    // Prepare
    const log = logger();
    s3.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403, 'Access Denied'));

    // Act
    const failure = await archiveRecord(client(), BUCKET, streamRecord('REMOVE', storedEntry()), log).catch((e) => e);

    // Assess
    expect((failure as Error).name).toBe('AccessDenied');
    expect(log.lines.map((line) => line.message)).toEqual([LEDGER_REWRITTEN_MESSAGE]);
  });

  it('archives a batch in order and names the first record it could not store, and none after it', async () => {
    // Prepare
    const records = ['100000000011', '100000000012', '100000000013'].map((sequence) =>
      streamRecord('INSERT', storedEntry(), sequence),
    );
    s3.on(PutObjectCommand)
      .resolvesOnce(putOk)
      .rejectsOnce(
        s3Error(
          'ConditionalRequestConflict',
          409,
          'A conflicting conditional operation is currently in progress against this resource. Try again.',
        ),
      )
      .resolves(putOk);
    const log = logger();

    // Act
    const response = await archiveBatch(client(), BUCKET, records, log);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '100000000012' }] });
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 2);
    expect(log.lines.at(-1)).toMatchObject({
      level: 'error',
      attributes: { sequenceNumber: '100000000012', archived: 1, error: { name: 'ConditionalRequestConflict' } },
    });
  });

  it('reports no failure for a batch stored whole, counting redeliveries apart', async () => {
    // Prepare
    const records = [
      streamRecord('INSERT', storedEntry(), '100000000021'),
      streamRecord('INSERT', storedEntry(), '100000000022'),
    ];
    s3.on(PutObjectCommand)
      .resolvesOnce(putOk)
      .rejects(s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold'));
    const log = logger();

    // Act
    const response = await archiveBatch(client(), BUCKET, records, log);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(log.lines).toEqual([
      {
        level: 'info',
        message: 'ledger records archived',
        attributes: { records: 2, archived: 1, 'already-archived': 1, 'rewrite-archived': 0 },
      },
    ]);
  });

  it('writes the same body for the same record, so a redelivery changes nothing', () => {
    // Prepare
    const record = streamRecord('INSERT', storedEntry());

    // Act
    const first = archiveBody(record);
    const again = archiveBody(JSON.parse(JSON.stringify(record)) as LedgerStreamRecord);

    // Assess
    expect(again).toBe(first);
  });
});
