/** The ledger-archive function: a stream event in, its partial batch response out; the bucket from the environment. */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createLedgerArchiveHandler, readArchiveBucket } from '../../functions/ledger-archive.ts';
import { ARCHIVE_BUCKET_VARIABLE, type LedgerStreamRecord } from '../../shared/audit/archive.ts';
import { ConfigurationError } from '../../shared/errors.ts';

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

const silent = { info: () => {}, error: () => {} };

function record(sequence: string): LedgerStreamRecord {
  return {
    eventID: `event-${sequence}`,
    eventName: 'INSERT',
    dynamodb: {
      Keys: { pk: { S: 'RUN#run-1' }, sk: { S: '#LINK#000000000001' } },
      NewImage: {
        pk: { S: 'RUN#run-1' },
        sk: { S: '#LINK#000000000001' },
        chainSequence: { N: '1' },
        chainHash: { S: 'a'.repeat(64) },
        chainEntry: { S: '2026-03-01T10:00:00.000Z#20260301T100000000Z-00' },
      },
      SequenceNumber: sequence,
    },
  };
}

describe('the ledger-archive function', () => {
  it('archives every record of the event into the bucket and reports none failed', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({ ETag: '"e1"', VersionId: 'v1' });
    const handle = createLedgerArchiveHandler({
      s3: new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
      bucket: 'archive',
      logger: silent,
    });

    // Act
    const response = await handle({ Records: [record('1'), record('2')] });
    const empty = await handle({});

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(empty).toEqual({ batchItemFailures: [] });
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Bucket)).toEqual(['archive', 'archive']);
  });

  it('reads the bucket from the environment, and refuses to start without it', () => {
    // Assess
    expect(readArchiveBucket({ [ARCHIVE_BUCKET_VARIABLE]: ' ledger-archive ' })).toBe('ledger-archive');
    expect(() => readArchiveBucket({})).toThrow(ConfigurationError);
    expect(() => readArchiveBucket({})).toThrow(`${ARCHIVE_BUCKET_VARIABLE} is not set`);
  });
});
