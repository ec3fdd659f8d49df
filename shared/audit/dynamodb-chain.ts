/**
 * Chained appends in DynamoDB (see chain.ts): each append is ONE TransactWriteItems of puts only, the entry and its
 * link, both conditioned on `attribute_not_exists(pk)`, preceded by a ConditionCheck on the run's lease when the
 * append is fenced (shared/audit/fence.ts). All hold or nothing is written.
 *
 * The head of each partition is remembered for HEAD_MEMORY_MS after an append (else read once, with a consistent Query
 * of its newest link): an append costs 2 calls cold (Query, TransactWriteItems) and 1 warm, so a run's intent and
 * outcome on one resource cost 3. A run's own partition (`RUN#<runId>`) is new by construction and is assumed empty:
 * its entry costs 1 call. A remembered head that another writer moved on is found out by the link's condition, not by
 * a read: the transaction is cancelled, the head read and the append retried (3 calls), at most CHAIN_ATTEMPTS times.
 * Heads are forgotten after a minute because the deployment-outcome recorder appends to a resource minutes after a
 * run did: a stale head costs a cancelled transaction, more than the read it saves. Appends to one partition from one
 * process are queued, so a run never races itself.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  ResourceNotFoundException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { LedgerEntryRefusedError, LedgerFencedError, LedgerWriteError } from '../errors.ts';
import { type ChainHead, chainAfter, EMPTY_CHAIN, headOfLink, type Item, LINK_SK_PREFIX } from './chain.ts';
import type { LedgerFence } from './fence.ts';

/** Attempts of one append while its link is taken by another writer or its transaction meets another. */
export const CHAIN_ATTEMPTS = 10;
const PASSING_BACKOFF_MS = 25;
/** Partitions whose head one process remembers, and for how long; a forgotten head costs one Query. */
const REMEMBERED_HEADS = 2_048;
export const HEAD_MEMORY_MS = 60_000;
/** Run partitions: each run's id is new, so its partition starts empty. */
const RUN_PARTITION = 'RUN#';

/** Reason codes of a cancelled transaction that a second try can get past. */
const PASSING_REASONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);
const FAILED = 'ConditionalCheckFailed';

export class ChainedAppends {
  private readonly heads = new Map<string, { readonly head: ChainHead; readonly at: number }>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores `item` as the next entry of its partition and answers the head it became. Throws LedgerFencedError,
   * LedgerEntryRefusedError (its key exists), LedgerWriteError (the chain kept moving), or the SDK's own error. */
  append(item: Item, fence: LedgerFence | undefined, entryId: string): Promise<ChainHead> {
    const pk = String(item.pk?.S);
    const before = this.queues.get(pk) ?? Promise.resolve();
    const appended = before.catch(() => undefined).then(() => this.appendNow(pk, item, fence, entryId));
    this.queues.set(pk, appended);
    const forget = () => {
      if (this.queues.get(pk) === appended) this.queues.delete(pk);
    };
    appended.then(forget, forget);
    return appended;
  }

  private async appendNow(pk: string, item: Item, fence: LedgerFence | undefined, entryId: string): Promise<ChainHead> {
    let head = this.remembered(pk) ?? (pk.startsWith(RUN_PARTITION) ? EMPTY_CHAIN : undefined);
    for (let attempt = 1; ; attempt += 1) {
      head ??= await this.readHead(pk);
      const chained = chainAfter(item, head);
      try {
        await this.client.send(
          new TransactWriteItemsCommand({
            TransactItems: [...(fence ? [fenceCheck(fence)] : []), this.put(chained.entry), this.put(chained.link)],
          }),
        );
        this.remember(pk, chained.head);
        return chained.head;
      } catch (error) {
        this.heads.delete(pk);
        const codes = cancellationCodes(error);
        if (codes === undefined) {
          if (fence && error instanceof ResourceNotFoundException) {
            throw tablesMissing(entryId, this.tableName, fence, error);
          }
          throw error;
        }
        const [onFence, onEntry, onLink] = fence ? codes : ['None', ...codes];
        if (onFence === FAILED && fence) throw leaseTaken(entryId, fence, error);
        if (onEntry === FAILED) {
          throw new LedgerEntryRefusedError(
            `ledger entry ${entryId} collides with an existing entry at the same key; nothing was overwritten`,
            { cause: error },
          );
        }
        const linkTaken = onLink === FAILED;
        if (!linkTaken && !codes.some((code) => PASSING_REASONS.has(code))) throw error;
        if (attempt >= CHAIN_ATTEMPTS) {
          const why = linkTaken
            ? `the chain of ${pk} moved on ${attempt} times while it was appended`
            : reasonOf(error);
          throw new LedgerWriteError(`ledger entry ${entryId} was not recorded: ${why}`, { cause: error });
        }
        // A taken link means another writer appended: follow its head. Anything else passes with a little time.
        if (linkTaken) head = undefined;
        else await new Promise((resolve) => setTimeout(resolve, PASSING_BACKOFF_MS * attempt));
      }
    }
  }

  /** The partition's newest link, read consistently: the head an append must follow. */
  private async readHead(pk: string): Promise<ChainHead> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :link)',
        ExpressionAttributeValues: { ':pk': { S: pk }, ':link': { S: LINK_SK_PREFIX } },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const newest = page.Items?.[0];
    if (newest === undefined) return EMPTY_CHAIN;
    const head = headOfLink(newest);
    if (head === undefined) {
      throw new LedgerEntryRefusedError(
        `the newest chain link of ${pk} (${newest.sk?.S}) is malformed, so no entry can follow it: the ledger was ` +
          'changed outside driftless; run driftless audit --verify',
      );
    }
    return head;
  }

  private put(item: Item) {
    return { Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
  }

  private remembered(pk: string): ChainHead | undefined {
    const memory = this.heads.get(pk);
    return memory && this.now() - memory.at < HEAD_MEMORY_MS ? memory.head : undefined;
  }

  private remember(pk: string, head: ChainHead): void {
    this.heads.delete(pk);
    this.heads.set(pk, { head, at: this.now() });
    if (this.heads.size > REMEMBERED_HEADS) {
      const oldest = this.heads.keys().next();
      if (!oldest.done) this.heads.delete(oldest.value);
    }
  }
}

function fenceCheck(fence: LedgerFence) {
  return {
    ConditionCheck: {
      TableName: fence.tableName,
      Key: { pk: { S: fence.pk } } satisfies Record<string, AttributeValue>,
      ConditionExpression: '#owner = :owner AND #generation = :generation',
      ExpressionAttributeNames: { '#owner': 'owner', '#generation': 'generation' },
      ExpressionAttributeValues: { ':owner': { S: fence.owner }, ':generation': { N: String(fence.generation) } },
    },
  };
}

/** The reason code DynamoDB gives each part of a cancelled transaction; undefined when it was not cancelled. */
function cancellationCodes(error: unknown): string[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).map((part) => part.Code ?? 'None');
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

function leaseTaken(entryId: string, fence: LedgerFence, cause: unknown): LedgerFencedError {
  return new LedgerFencedError(
    `ledger entry ${entryId} was refused: the lease ${fence.pk} is no longer held by ${fence.owner} at generation ${fence.generation} (another run took it); nothing was stored`,
    { cause },
  );
}

function tablesMissing(
  entryId: string,
  tableName: string,
  fence: LedgerFence,
  cause: unknown,
): LedgerEntryRefusedError {
  return new LedgerEntryRefusedError(
    `ledger entry ${entryId} was not recorded: the ledger table ${tableName} or the lock table ${fence.tableName} does not exist (create them with driftless reconcile --create-tables, or deploy the stack)`,
    { cause },
  );
}
