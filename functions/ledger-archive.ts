/** The ledger-archive function (deployment flag archiveLedger): copies each ledger item the table's stream delivers
 * to the write-once archive bucket (shared/audit/archive.ts), and reports the first record it could not store, so the
 * stream delivers that one and those after it again. */
import type { S3Client } from '@aws-sdk/client-s3';
import {
  ARCHIVE_BUCKET_VARIABLE,
  type ArchiveLogger,
  archiveBatch,
  type LedgerStreamRecord,
  type StreamBatchResponse,
} from '../shared/audit/archive.ts';
import { driftlessLogger, type LambdaInvocation, logInvocation } from '../shared/audit/log.ts';
import { s3Client } from '../shared/aws/clients.ts';
import { ConfigurationError } from '../shared/errors.ts';

export interface LedgerStreamEvent {
  readonly Records?: readonly LedgerStreamRecord[];
}

export interface LedgerArchiveDependencies {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly logger: ArchiveLogger;
}

/** The bucket the stack names in the environment; a ConfigurationError when it is missing. */
export function readArchiveBucket(variables: NodeJS.ProcessEnv = process.env): string {
  const bucket = variables[ARCHIVE_BUCKET_VARIABLE]?.trim();
  if (!bucket)
    throw new ConfigurationError(`${ARCHIVE_BUCKET_VARIABLE} is not set: the stack names the archive bucket`);
  return bucket;
}

export function createLedgerArchiveHandler(
  deps: LedgerArchiveDependencies,
): (event: LedgerStreamEvent) => Promise<StreamBatchResponse> {
  return (event) => archiveBatch(deps.s3, deps.bucket, event.Records ?? [], deps.logger);
}

let handle: ((event: LedgerStreamEvent) => Promise<StreamBatchResponse>) | undefined;

/** The Lambda handler: the environment is read and the client built on the first invocation (not at import, so the
 * bundle loads without it); a missing bucket fails every invocation, and the records wait in the stream. */
export async function handler(event: LedgerStreamEvent, context?: LambdaInvocation): Promise<StreamBatchResponse> {
  logInvocation(context);
  handle ??= createLedgerArchiveHandler({
    s3: s3Client(),
    bucket: readArchiveBucket(),
    logger: driftlessLogger,
  });
  return handle(event);
}
