/**
 * The ledger archive (deployment flag archiveLedger): every item the ledger table's stream delivers, copied to an S3
 * bucket whose Object Lock in compliance mode keeps each object unchanged for the retention period, from everyone,
 * the account's root user included. The chain (chain.ts) shows that the table was changed; the archive keeps what it
 * said before.
 *
 * An INSERT (every entry and every chain link driftless writes) is one object, `entries/<pk>/<sk>/<eventID>.json`,
 * holding the stored item and its chain hash recomputed. The put is conditioned on no object at that key
 * (`If-None-Match: *`), so a record delivered again finds its object and is done: the archive is idempotent and never
 * writes a second version. A MODIFY or a REMOVE is a change driftless never makes (it only adds): it is archived too,
 * as evidence (`rewrites/<MODIFY|REMOVE>/<pk>/<sk>/<eventID>.json`, the new image when there is one), and logged as
 * LEDGER_REWRITTEN_MESSAGE at error level, which the stack counts as a metric and alarms on.
 */
import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { type Item, itemHash } from './chain.ts';

/** The environment variable naming the archive bucket, shared by the function and the stack that sets it. */
export const ARCHIVE_BUCKET_VARIABLE = 'DRIFTLESS_ARCHIVE_BUCKET';
/** Logged (at error) for every MODIFY or REMOVE of a ledger item: the stack's LedgerRewritten metric counts these. */
export const LEDGER_REWRITTEN_MESSAGE = 'ledger item rewritten';

/** A DynamoDB stream record as Lambda delivers it (the fields the archive reads), with view type NEW_IMAGE. */
export interface LedgerStreamRecord {
  readonly eventID: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly eventSourceARN?: string;
  readonly dynamodb: {
    readonly Keys: Item;
    readonly NewImage?: Item;
    readonly SequenceNumber: string;
    /** Seconds since the epoch. */
    readonly ApproximateCreationDateTime?: number;
  };
}

/** What became of one record: stored now, stored by an earlier delivery, or stored as evidence of a rewrite. */
export type ArchiveOutcome = 'archived' | 'already-archived' | 'rewrite-archived';

export interface ArchivedRecord {
  readonly key: string;
  readonly outcome: ArchiveOutcome;
}

/** The part of a Powertools Logger the archive needs. */
export interface ArchiveLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

const segment = (value: string | undefined): string => encodeURIComponent(value ?? '(none)');

/** Where a record is archived: its partition and sort key (URL-encoded, so `/` and `#` stay inside one segment),
 * then the stream's own id of the record, which a redelivery keeps. */
export function archiveKey(record: LedgerStreamRecord): string {
  const keys = record.dynamodb.Keys;
  const place = `${segment(keys.pk?.S)}/${segment(keys.sk?.S)}/${segment(record.eventID)}.json`;
  return record.eventName === 'INSERT' ? `entries/${place}` : `rewrites/${record.eventName}/${place}`;
}

/** The object's content: the record's identity, the item as stored, and its chain hash recomputed from it. */
export function archiveBody(record: LedgerStreamRecord): string {
  const image = record.dynamodb.NewImage;
  return `${JSON.stringify(
    {
      eventName: record.eventName,
      eventID: record.eventID,
      sequenceNumber: record.dynamodb.SequenceNumber,
      ...(record.dynamodb.ApproximateCreationDateTime === undefined
        ? {}
        : { approximateCreationDateTime: record.dynamodb.ApproximateCreationDateTime }),
      ...(record.eventSourceARN === undefined ? {} : { eventSourceARN: record.eventSourceARN }),
      pk: record.dynamodb.Keys.pk?.S,
      sk: record.dynamodb.Keys.sk?.S,
      ...(image === undefined ? {} : { item: image, sha256: itemHash(image) }),
    },
    null,
    2,
  )}\n`;
}

/** Archives one record; a put refused because the object exists (412) means an earlier delivery stored it. Any
 * other failure is thrown, so the stream delivers the record again. */
export async function archiveRecord(
  s3: S3Client,
  bucket: string,
  record: LedgerStreamRecord,
  logger: ArchiveLogger,
): Promise<ArchivedRecord> {
  const key = archiveKey(record);
  const rewrite = record.eventName !== 'INSERT';
  if (rewrite) {
    // Logged before the put: the alarm must fire even when the evidence cannot be stored.
    logger.error(LEDGER_REWRITTEN_MESSAGE, {
      eventName: record.eventName,
      pk: record.dynamodb.Keys.pk?.S,
      sk: record.dynamodb.Keys.sk?.S,
      eventID: record.eventID,
      key,
    });
  }
  const input: PutObjectCommandInput = {
    Bucket: bucket,
    Key: key,
    Body: archiveBody(record),
    ContentType: 'application/json',
    IfNoneMatch: '*',
    // Object Lock requires an integrity checksum on every put.
    ChecksumAlgorithm: 'SHA256',
  };
  try {
    await s3.send(new PutObjectCommand(input));
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
    return { key, outcome: 'already-archived' };
  }
  return { key, outcome: rewrite ? 'rewrite-archived' : 'archived' };
}

function isPreconditionFailed(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return error instanceof Error && (error.name === 'PreconditionFailed' || status === 412);
}

/** The partial batch response of a stream event source (ReportBatchItemFailures): the sequence number the stream
 * delivers again from. */
export interface StreamBatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

/** Archives a batch in stream order; at the first failure it stops and names that record, so it and those after it
 * are delivered again (those before it are not). */
export async function archiveBatch(
  s3: S3Client,
  bucket: string,
  records: readonly LedgerStreamRecord[],
  logger: ArchiveLogger,
): Promise<StreamBatchResponse> {
  const counts: Record<ArchiveOutcome, number> = { archived: 0, 'already-archived': 0, 'rewrite-archived': 0 };
  for (const record of records) {
    try {
      counts[(await archiveRecord(s3, bucket, record, logger)).outcome] += 1;
    } catch (error) {
      logger.error('ledger record not archived; the stream delivers it again', {
        eventID: record.eventID,
        sequenceNumber: record.dynamodb.SequenceNumber,
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
        ...counts,
      });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb.SequenceNumber }] };
    }
  }
  logger.info('ledger records archived', { records: records.length, ...counts });
  return { batchItemFailures: [] };
}
