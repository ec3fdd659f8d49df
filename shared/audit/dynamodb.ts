/**
 * The audit ledger in DynamoDB: append-only by construction, every question answered by Query.
 *
 * Key design (one on-demand table; every index sorts by the same `sk`):
 * - table: `pk` = `RESOURCE#<resourceId>` (entries without a resource, i.e. run items: `RUN#<runId>`),
 *   `sk` = `<time>#<entryId>` → one resource's history, newest first (ScanIndexForward false, Limit).
 * - GSI `by-commit`: `commitPk` = `COMMIT#<commitId>` → everything one commit did.
 * - GSI `by-day`: `dayPk` = `DAY#<yyyy-mm-dd>` (UTC) → a time window, one Query per day with `sk BETWEEN`.
 * - GSI `failures-by-day`: `failureDayPk` = `FAILDAY#<yyyy-mm-dd>`, set only when the result is failed, refused or
 *   rolled-back (a sparse index) → failures and refusals in a window.
 * - GSI `pauses`: `pausePk` = `PAUSE#<repository>#<branch>`, set only on pause and resume entries (sparse) → the
 *   break-glass pauses of one branch, in ONE Query per run (`sk >= now - 7 days`: a pause lasts at most 7 days).
 * - GSI `intents`: `intentPk` = `INTENT#<repository>#<branch>`, set only on intents of real writes and on the
 *   outcomes that may answer them (sparse, see intents.ts), projecting only `kind` and `actionId` (the one index that
 *   does not project ALL) → the unpaired intents of one branch in ONE paginated Query per run over the last
 *   RECOVERY_WINDOW_MS of small items, then the full item of each unpaired intent (rare).
 *
 * `<time>` in keys is the entry's time as canonical UTC ISO-8601 (`toISOString()`, 24 characters), so keys sort by
 * time as plain strings; the `time` attribute keeps the entry's own string. Entry fields are plain attributes:
 * strings as S, `dryRun` as BOOL, `durationMs` as N, `changes`, `references` and `summary` as JSON strings, so an
 * entry reads back exactly as written. Reads are Query only, never Scan, following LastEvaluatedKey page by page. A
 * table that does not exist is a LedgerTableMissingError that names it, its region and how to create it.
 *
 * Appends are chained (chain.ts, dynamodb-chain.ts): each entry carries its sequence in its partition and the hash of
 * the entry before it, and is stored with a link item (`sk` = `#LINK#<sequence>`, below every entry key, so entry
 * queries start at ENTRY_SK_FLOOR) in one TransactWriteItems of puts conditioned on `attribute_not_exists(pk)` and
 * nothing else: the ledger never updates, deletes or overwrites, and a refused condition (an id collision), like any
 * failed put, is a LedgerEntryRefusedError (a passing failure, a LedgerWriteError). A run's appends are fenced by
 * its lease (`fencedBy`, fence.ts): the same transaction begins with a ConditionCheck on the lease item, so a run
 * whose lease was taken stores nothing more. `driftless audit --verify` (verify.ts) walks the chains.
 */

import {
  type AttributeValue,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  type Projection,
  QueryCommand,
  type QueryCommandInput,
  ResourceInUseException,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from '../aws/clients.ts';
import { isRetryableAwsError } from '../aws/errors.ts';
import {
  DriftlessError,
  LedgerEntryRefusedError,
  LedgerTableMissingError,
  LedgerWriteError,
  RetryableError,
  TerminalError,
} from '../errors.ts';
import { type ChainHead, ENTRY_SK_FLOOR } from './chain.ts';
import { ChainedAppends } from './dynamodb-chain.ts';
import { ensureIndexes } from './dynamodb-indexes.ts';
import { fromItem, pausePk, resourcePk, toItem } from './dynamodb-items.ts';
import { type FenceableLedger, FencedLedger, type LedgerFence } from './fence.ts';
import { canonicalTime } from './ids.ts';
import { intentPk, unpaired } from './intents.ts';
import type { AuditLedger, EntryKind, LedgerEntry, TimeWindow } from './ledger.ts';
import { type LedgerLogLine, powertoolsLogLine } from './log.ts';
import { missingTableMessage } from './missing-table.ts';
import { type ActivePause, activePausesFrom, MAX_PAUSE_MS } from './pauses.ts';

export { breakGlassAttributes, FAILURE_RESULTS, ledgerKeys } from './dynamodb-items.ts';

export const LEDGER_INDEX = {
  byCommit: 'by-commit',
  byDay: 'by-day',
  failuresByDay: 'failures-by-day',
  pauses: 'pauses',
  intents: 'intents',
} as const;

/** The longest window `window` and `failures` accept: one Query per day, so a window is bounded work. */
export const DEFAULT_MAX_WINDOW_DAYS = 366;

const DAY_MS = 86_400_000;

// ------------------------------------------------------------------------------------------------ errors

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

async function ledgerTableMissing(client: DynamoDBClient, tableName: string, cause: unknown) {
  return new LedgerTableMissingError(await missingTableMessage(client, 'ledger', tableName), { cause });
}

function readError(what: string, error: unknown): DriftlessError {
  if (error instanceof DriftlessError) return error;
  const message = `ledger ${what} failed: ${reasonOf(error)}`;
  return isRetryableAwsError(error)
    ? new RetryableError(message, { cause: error })
    : new TerminalError(message, { cause: error });
}

// ------------------------------------------------------------------------------------------------ table

/** The ledger table: on-demand, keyed and indexed as described at the top of this file. */
export function ledgerTableDefinition(tableName: string): CreateTableCommandInput {
  const index = (IndexName: string, partitionKey: string, Projection: Projection = { ProjectionType: 'ALL' }) => ({
    IndexName,
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
    Projection,
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: ['pk', 'sk', 'commitPk', 'dayPk', 'failureDayPk', 'pausePk', 'intentPk'].map(
      (AttributeName) => ({
        AttributeName,
        AttributeType: 'S' as const,
      }),
    ),
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      index(LEDGER_INDEX.byCommit, 'commitPk'),
      index(LEDGER_INDEX.byDay, 'dayPk'),
      index(LEDGER_INDEX.failuresByDay, 'failureDayPk'),
      index(LEDGER_INDEX.pauses, 'pausePk'),
      // Pairing needs only these; the few unpaired intents are read whole from the table.
      index(LEDGER_INDEX.intents, 'intentPk', { NonKeyAttributes: ['kind', 'actionId'], ProjectionType: 'INCLUDE' }),
    ],
  };
}

/** Creates `definition`'s table unless it exists, then waits until it is ACTIVE. For the demo and tests; deployed
 * installations get the same schema from the CDK stack. */
export async function ensureTable(
  client: DynamoDBClient,
  definition: CreateTableCommandInput,
  maxWaitSeconds = 120,
): Promise<void> {
  const TableName = definition.TableName;
  try {
    await client.send(new DescribeTableCommand({ TableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await client.send(new CreateTableCommand(definition));
    } catch (createError) {
      // Another process created it between the two calls: wait for it like for our own.
      if (!(createError instanceof ResourceInUseException)) throw createError;
    }
  }
  await waitUntilTableExists({ client, maxWaitTime: maxWaitSeconds }, { TableName });
}

export async function ensureLedgerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await ensureTable(client, ledgerTableDefinition(tableName));
  await ensureIndexes(client, ledgerTableDefinition(tableName));
}

// ------------------------------------------------------------------------------------------------ ledger

export interface DynamoDbLedgerOptions {
  readonly tableName: string;
  /** Defaults to a client with the SDK's own configuration resolution. */
  readonly client?: DynamoDBClient;
  /** The log line written after each stored entry; defaults to Powertools Logger (serviceName driftless). */
  readonly logger?: LedgerLogLine;
  /** Items per Query page (the Query's Limit); defaults to DynamoDB's own 1 MB pages. */
  readonly pageSize?: number;
  /** The clock: the end of a window that gives none, and how long chain heads are remembered; Date.now by default. */
  readonly now?: () => number;
  /** Longest window accepted, in UTC days touched; defaults to DEFAULT_MAX_WINDOW_DAYS. */
  readonly maxWindowDays?: number;
}

export class DynamoDbLedger implements AuditLedger, FenceableLedger {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly logLine: LedgerLogLine;
  private readonly pageSize: number | undefined;
  private readonly now: () => number;
  private readonly maxWindowDays: number;
  private readonly chain: ChainedAppends;

  constructor(options: DynamoDbLedgerOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? dynamoDbClient();
    this.logLine = options.logger ?? powertoolsLogLine();
    this.pageSize = options.pageSize;
    this.now = options.now ?? Date.now;
    this.maxWindowDays = options.maxWindowDays ?? DEFAULT_MAX_WINDOW_DAYS;
    this.chain = new ChainedAppends(this.client, this.tableName, this.now);
  }

  /** Stores `entry` as the next link of its partition's chain; with a fence, only while the fence holds (one
   * transaction, see dynamodb-chain.ts). */
  async append(entry: LedgerEntry, fence?: LedgerFence): Promise<void> {
    const time = canonicalTime(entry.time);
    if (time === undefined) {
      throw new LedgerEntryRefusedError(`ledger entry ${entry.entryId} has no valid time: ${entry.time}`);
    }
    let link: ChainHead;
    try {
      link = await this.chain.append(toItem(entry, time), fence, entry.entryId);
    } catch (error) {
      if (error instanceof DriftlessError) throw error;
      if (error instanceof ResourceNotFoundException)
        throw await ledgerTableMissing(this.client, this.tableName, error);
      const message = `ledger entry ${entry.entryId} was not recorded: ${reasonOf(error)}`;
      throw isRetryableAwsError(error)
        ? new LedgerWriteError(message, { cause: error })
        : new LedgerEntryRefusedError(message, { cause: error });
    }
    try {
      this.logLine(entry, link);
    } catch {
      // The entry is stored: a failing log line must not make the caller believe otherwise and append it again.
    }
  }

  fencedBy(fence: LedgerFence): AuditLedger {
    return new FencedLedger(this, fence);
  }

  async resourceHistory(resourceId: string, options: { readonly limit?: number } = {}): Promise<LedgerEntry[]> {
    return this.query(
      'resource history',
      {
        KeyConditionExpression: 'pk = :pk AND sk >= :entries',
        ExpressionAttributeValues: { ':pk': { S: resourcePk(resourceId) }, ':entries': { S: ENTRY_SK_FLOOR } },
        ScanIndexForward: false,
      },
      options.limit,
    );
  }

  async commitHistory(commitId: string): Promise<LedgerEntry[]> {
    return this.query('commit history', {
      IndexName: LEDGER_INDEX.byCommit,
      KeyConditionExpression: 'commitPk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `COMMIT#${commitId}` } },
    });
  }

  async window(window: TimeWindow): Promise<LedgerEntry[]> {
    return this.queryDays('window', LEDGER_INDEX.byDay, 'dayPk', 'DAY#', window);
  }

  async failures(window: TimeWindow): Promise<LedgerEntry[]> {
    return this.queryDays('failures', LEDGER_INDEX.failuresByDay, 'failureDayPk', 'FAILDAY#', window);
  }

  async activePauses(repository: string, branch: string, now: number): Promise<ActivePause[]> {
    const entries = await this.query('active pauses', {
      IndexName: LEDGER_INDEX.pauses,
      KeyConditionExpression: 'pausePk = :pk AND sk >= :since',
      ExpressionAttributeValues: {
        ':pk': { S: pausePk(repository, branch) },
        ':since': { S: new Date(now - MAX_PAUSE_MS).toISOString() },
      },
    });
    return activePausesFrom(entries, now);
  }

  /** One Query of the branch's intents index from `since` to now (its items hold only the kind and action id), then
   * one Query by key for each intent no outcome answers: full entries, oldest first, those made before `until`. */
  async unpairedIntents(repository: string, branch: string, window: TimeWindow): Promise<LedgerEntry[]> {
    const since = canonicalTime(window.since);
    const until = window.until === undefined ? undefined : canonicalTime(window.until);
    if (since === undefined) throw new TerminalError(`ledger unpaired intents: since is not a time: ${window.since}`);
    if (until === undefined && window.until !== undefined) {
      throw new TerminalError(`ledger unpaired intents: until is not a time: ${window.until}`);
    }
    const items = await this.queryItems('unpaired intents', {
      IndexName: LEDGER_INDEX.intents,
      KeyConditionExpression: 'intentPk = :pk AND sk >= :since',
      ExpressionAttributeValues: { ':pk': { S: intentPk(repository, branch) }, ':since': { S: since } },
    });
    const pairing = items.map((item) => ({ item, kind: item.kind?.S as EntryKind, actionId: item.actionId?.S }));
    const open = unpaired(pairing).filter(({ item }) => until === undefined || String(item.sk?.S) < until);
    const intents: LedgerEntry[] = [];
    for (const { item } of open) {
      intents.push(
        ...(await this.query('unpaired intent', {
          KeyConditionExpression: 'pk = :pk AND sk = :sk',
          ExpressionAttributeValues: { ':pk': item.pk ?? { S: '' }, ':sk': item.sk ?? { S: '' } },
        })),
      );
    }
    return intents;
  }

  /** One Query per UTC day the window touches, oldest day first, each with `sk BETWEEN since AND until`: keys are
   * `<canonical time>#<entryId>`, so the bounds select since ≤ time < until exactly. */
  private async queryDays(
    what: string,
    indexName: string,
    partitionKey: string,
    prefix: string,
    window: TimeWindow,
  ): Promise<LedgerEntry[]> {
    const since = canonicalTime(window.since);
    const until = window.until === undefined ? new Date(this.now()).toISOString() : canonicalTime(window.until);
    if (since === undefined) throw new TerminalError(`ledger ${what}: since is not a time: ${window.since}`);
    if (until === undefined) throw new TerminalError(`ledger ${what}: until is not a time: ${window.until}`);
    if (since >= until) return [];
    const firstDay = Date.parse(`${since.slice(0, 10)}T00:00:00.000Z`);
    const lastDay = Date.parse(`${new Date(Date.parse(until) - 1).toISOString().slice(0, 10)}T00:00:00.000Z`);
    const days = (lastDay - firstDay) / DAY_MS + 1;
    if (days > this.maxWindowDays) {
      throw new TerminalError(`ledger ${what}: the window spans ${days} days, over the limit of ${this.maxWindowDays}`);
    }
    const entries: LedgerEntry[] = [];
    for (let day = firstDay; day <= lastDay; day += DAY_MS) {
      const page = await this.query(what, {
        IndexName: indexName,
        KeyConditionExpression: `${partitionKey} = :pk AND sk BETWEEN :since AND :until`,
        ExpressionAttributeValues: {
          ':pk': { S: `${prefix}${new Date(day).toISOString().slice(0, 10)}` },
          ':since': { S: since },
          ':until': { S: until },
        },
      });
      entries.push(...page);
    }
    return entries;
  }

  private async query(
    what: string,
    input: Omit<QueryCommandInput, 'TableName'>,
    limit?: number,
  ): Promise<LedgerEntry[]> {
    return (await this.queryItems(what, input, limit)).map(fromItem);
  }

  /** Follows LastEvaluatedKey until the partition is read or `limit` items are in hand. */
  private async queryItems(
    what: string,
    input: Omit<QueryCommandInput, 'TableName'>,
    limit?: number,
  ): Promise<Record<string, AttributeValue>[]> {
    const entries: Record<string, AttributeValue>[] = [];
    if (limit !== undefined && limit <= 0) return entries;
    let exclusiveStartKey: Record<string, AttributeValue> | undefined;
    try {
      do {
        const remaining = limit === undefined ? undefined : limit - entries.length;
        const pageLimit =
          remaining === undefined ? this.pageSize : Math.min(remaining, this.pageSize ?? Number.POSITIVE_INFINITY);
        const page = await this.client.send(
          new QueryCommand({
            ...input,
            TableName: this.tableName,
            ...(pageLimit === undefined ? {} : { Limit: pageLimit }),
            ...(exclusiveStartKey === undefined ? {} : { ExclusiveStartKey: exclusiveStartKey }),
          }),
        );
        entries.push(...(page.Items ?? []));
        exclusiveStartKey = page.LastEvaluatedKey;
      } while (exclusiveStartKey !== undefined && (limit === undefined || entries.length < limit));
    } catch (error) {
      if (error instanceof ResourceNotFoundException)
        throw await ledgerTableMissing(this.client, this.tableName, error);
      throw readError(what, error);
    }
    return limit === undefined ? entries : entries.slice(0, limit);
  }
}
