/**
 * A fenced ledger append in DynamoDB: one TransactWriteItems of two parts, a ConditionCheck that the lease item in
 * the lock table still names the run's owner and generation, and the same PutItem an unfenced append makes
 * (conditioned on `attribute_not_exists(pk)`). Both hold or nothing is written; the ledger is still only ever added
 * to. One call, like the PutItem it replaces; a transaction conflicting with the lease's own renewal is retried here.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  ResourceNotFoundException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { isRetryableAwsError } from '../aws/errors.ts';
import { type DriftlessError, LedgerEntryRefusedError, LedgerFencedError, LedgerWriteError } from '../errors.ts';
import type { LedgerFence } from './fence.ts';

/** Attempts of one fenced append while its transaction conflicts with another on the lease item (a renewal). */
const CONFLICT_ATTEMPTS = 4;
const CONFLICT_BACKOFF_MS = 25;

/** Reason codes of a cancelled transaction that a second try can get past. */
const PASSING_REASONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

/** Stores `item` in `tableName` if the fence holds: LedgerFencedError when the lease moved on, LedgerEntryRefusedError
 * when the key exists, LedgerWriteError when DynamoDB could not be reached or kept conflicting. */
export async function putFenced(
  client: DynamoDBClient,
  tableName: string,
  item: Record<string, AttributeValue>,
  fence: LedgerFence,
  entryId: string,
): Promise<void> {
  const command = new TransactWriteItemsCommand({
    TransactItems: [
      {
        ConditionCheck: {
          TableName: fence.tableName,
          Key: { pk: { S: fence.pk } },
          ConditionExpression: '#owner = :owner AND #generation = :generation',
          ExpressionAttributeNames: { '#owner': 'owner', '#generation': 'generation' },
          ExpressionAttributeValues: { ':owner': { S: fence.owner }, ':generation': { N: String(fence.generation) } },
        },
      },
      { Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
    ],
  });
  for (let attempt = 1; ; attempt += 1) {
    try {
      await client.send(command);
      return;
    } catch (error) {
      if (!isPassingCancellation(error) || attempt >= CONFLICT_ATTEMPTS)
        throw fencedAppendError(error, fence, entryId, tableName);
      await new Promise((resolve) => setTimeout(resolve, CONFLICT_BACKOFF_MS * attempt));
    }
  }
}

/** A transaction cancelled only for reasons a second try can get past (no condition failed). */
function isPassingCancellation(error: unknown): boolean {
  if (!(error instanceof TransactionCanceledException)) return false;
  const codes = (error.CancellationReasons ?? []).map((part) => part.Code ?? 'None');
  return codes.some((code) => PASSING_REASONS.has(code)) && !codes.includes('ConditionalCheckFailed');
}

/** What a failed fenced append means, from the cancellation reasons DynamoDB gives per part (fence first). */
export function fencedAppendError(
  error: unknown,
  fence: LedgerFence,
  entryId: string,
  tableName: string,
): DriftlessError {
  const reason = error instanceof Error ? error.message || error.name : String(error);
  if (error instanceof TransactionCanceledException) {
    const [onFence, onEntry] = (error.CancellationReasons ?? []).map((part) => part.Code ?? 'None');
    if (onFence === 'ConditionalCheckFailed') {
      return new LedgerFencedError(
        `ledger entry ${entryId} was refused: the lease ${fence.pk} is no longer held by ${fence.owner} at generation ${fence.generation} (another run took it); nothing was stored`,
        { cause: error },
      );
    }
    if (onEntry === 'ConditionalCheckFailed') {
      return new LedgerEntryRefusedError(
        `ledger entry ${entryId} collides with an existing entry at the same key; nothing was overwritten`,
        { cause: error },
      );
    }
    if (isPassingCancellation(error)) {
      return new LedgerWriteError(`ledger entry ${entryId} was not recorded: ${reason}`, { cause: error });
    }
  }
  if (error instanceof ResourceNotFoundException) {
    return new LedgerEntryRefusedError(
      `ledger entry ${entryId} was not recorded: the ledger table ${tableName} or the lock table ${fence.tableName} does not exist (create them with driftless reconcile --create-tables, or deploy the stack)`,
      { cause: error },
    );
  }
  const message = `ledger entry ${entryId} was not recorded: ${reason}`;
  return isRetryableAwsError(error)
    ? new LedgerWriteError(message, { cause: error })
    : new LedgerEntryRefusedError(message, { cause: error });
}
