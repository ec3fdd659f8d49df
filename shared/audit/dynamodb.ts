/**
 * The audit ledger in DynamoDB: append-only by construction, every question answered by Query.
 *
 * Key design (one on-demand table; every index projects ALL attributes and sorts by the same `sk`):
 * - table: `pk` = `RESOURCE#<resourceId>` (entries without a resource, i.e. run items: `RUN#<runId>`),
 *   `sk` = `<time>#<entryId>` → one resource's history, newest first (ScanIndexForward false, Limit).
 * - GSI `by-commit`: `commitPk` = `COMMIT#<commitId>` → everything one commit did.
 * - GSI `by-day`: `dayPk` = `DAY#<yyyy-mm-dd>` (UTC) → a time window, one Query per day with `sk BETWEEN`.
 * - GSI `failures-by-day`: `failureDayPk` = `FAILDAY#<yyyy-mm-dd>`, set only when the result is failed, refused or
 *   rolled-back (a sparse index) → failures and refusals in a window.
 * - GSI `pauses`: `pausePk` = `PAUSE#<repository>#<branch>`, set only on pause and resume entries (sparse) → the
 *   break-glass pauses of one branch, in ONE Query per run (`sk >= now - 7 days`: a pause lasts at most 7 days).
 *
 * `<time>` in keys is the entry's time as canonical UTC ISO-8601 (`toISOString()`, 24 characters), so keys sort by
 * time as plain strings; the `time` attribute keeps the entry's own string. Entry fields are plain attributes:
 * strings as S, `dryRun` as BOOL, `durationMs` as N, `changes`, `references` and `summary` as JSON strings, so an
 * entry reads back exactly as written. `append` is a PutItem conditioned on `attribute_not_exists(pk)` and nothing
 * else: the ledger never updates, deletes or overwrites, and a refused condition (an id collision), like any failed
 * put, is a LedgerWriteError. Reads are Query only, never Scan, following LastEvaluatedKey page by page. A table
 * that does not exist is a LedgerTableMissingError that names it, its region and how to create it.
 */

import {
  type AttributeValue,
  ConditionalCheckFailedException,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  PutItemCommand,
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
import { canonicalTime } from './ids.ts';
import type { AuditLedger, EntryResult, LedgerEntry, TimeWindow } from './ledger.ts';
import { type LedgerLogLine, powertoolsLogLine } from './log.ts';
import { missingTableMessage } from './missing-table.ts';
import { type ActivePause, activePausesFrom, breakGlassEntry, MAX_PAUSE_MS } from './pauses.ts';

export const LEDGER_INDEX = {
  byCommit: 'by-commit',
  byDay: 'by-day',
  failuresByDay: 'failures-by-day',
  pauses: 'pauses',
} as const;

/** Results the sparse failures-by-day index holds. */
export const FAILURE_RESULTS: ReadonlySet<EntryResult> = new Set<EntryResult>(['failed', 'refused', 'rolled-back']);

/** The longest window `window` and `failures` accept: one Query per day, so a window is bounded work. */
export const DEFAULT_MAX_WINDOW_DAYS = 366;

const DAY_MS = 86_400_000;

/** Every key attribute the ledger adds to an entry; none of them is read back as an entry field. */
const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'commitPk', 'dayPk', 'failureDayPk', 'pausePk']);

type FieldType = 'S' | 'N' | 'BOOL' | 'JSON';

/** How each entry field is stored. Exhaustive: a field added to LedgerEntry does not compile until it is listed. */
const FIELD_TYPES = {
  entryId: 'S',
  kind: 'S',
  time: 'S',
  runId: 'S',
  trigger: 'S',
  repository: 'S',
  branch: 'S',
  commitId: 'S',
  commitAuthor: 'S',
  commitCommitter: 'S',
  pushedBy: 'S',
  changedBy: 'S',
  apiCall: 'S',
  until: 'S',
  dryRun: 'BOOL',
  actionId: 'S',
  resourceId: 'S',
  action: 'S',
  changes: 'JSON',
  result: 'S',
  errorCode: 'S',
  errorMessage: 'S',
  references: 'JSON',
  durationMs: 'N',
  summary: 'JSON',
  reason: 'S',
} as const satisfies Record<keyof LedgerEntry, FieldType>;

const REQUIRED_FIELDS = [
  'entryId',
  'kind',
  'time',
  'runId',
  'trigger',
  'repository',
  'branch',
  'commitId',
  'dryRun',
] as const satisfies readonly (keyof LedgerEntry)[];

// ------------------------------------------------------------------------------------------------ keys

function resourcePk(resourceId: string): string {
  return `RESOURCE#${resourceId}`;
}

/** The keys an entry is stored under; `time` must already be canonical. */
export function ledgerKeys(entry: LedgerEntry, time: string): Record<string, string> {
  const day = time.slice(0, 10);
  return {
    pk: entry.resourceId === undefined ? `RUN#${entry.runId}` : resourcePk(entry.resourceId),
    sk: `${time}#${entry.entryId}`,
    commitPk: `COMMIT#${entry.commitId}`,
    dayPk: `DAY#${day}`,
    ...(entry.result !== undefined && FAILURE_RESULTS.has(entry.result) ? { failureDayPk: `FAILDAY#${day}` } : {}),
    ...(entry.kind === 'pause' || entry.kind === 'resume' ? { pausePk: pausePk(entry.repository, entry.branch) } : {}),
  };
}

function pausePk(repository: string, branch: string): string {
  return `PAUSE#${repository}#${branch}`;
}

// ------------------------------------------------------------------------------------------------ item codec

function toItem(entry: LedgerEntry, time: string): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(ledgerKeys(entry, time))) item[key] = { S: value };
  for (const [field, type] of Object.entries(FIELD_TYPES)) {
    const value: unknown = entry[field as keyof LedgerEntry];
    if (value === undefined) continue;
    if (type === 'S') item[field] = { S: String(value) };
    else if (type === 'N') item[field] = { N: String(value) };
    else if (type === 'BOOL') item[field] = { BOOL: Boolean(value) };
    else item[field] = { S: JSON.stringify(value) };
  }
  return item;
}

function fromItem(item: Record<string, AttributeValue>): LedgerEntry {
  const entry: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(item)) {
    if (KEY_ATTRIBUTES.has(field)) continue;
    const type: FieldType | undefined = Object.hasOwn(FIELD_TYPES, field)
      ? FIELD_TYPES[field as keyof LedgerEntry]
      : undefined;
    if (type === undefined) continue;
    if (type === 'S' && value.S !== undefined) entry[field] = value.S;
    else if (type === 'N' && value.N !== undefined) entry[field] = Number(value.N);
    else if (type === 'BOOL' && value.BOOL !== undefined) entry[field] = value.BOOL;
    else if (type === 'JSON' && value.S !== undefined) entry[field] = JSON.parse(value.S);
    else throw new TerminalError(`ledger item ${item.pk?.S}/${item.sk?.S}: ${field} is not stored as ${type}`);
  }
  const missing = REQUIRED_FIELDS.filter((field) => entry[field] === undefined);
  if (missing.length > 0) {
    throw new TerminalError(`ledger item ${item.pk?.S}/${item.sk?.S} lacks ${missing.join(', ')}`);
  }
  return entry as unknown as LedgerEntry;
}

/** Every attribute a pause or resume item is stored with (keys included): what the stack's pause policy allows
 * PutItem to write (dynamodb:Attributes), so the policy cannot write an entry of any other shape. */
export function breakGlassAttributes(): string[] {
  const sample = breakGlassEntry({
    kind: 'pause',
    entryId: '20260101T000000000Z-00000000000000000000',
    repository: 'r',
    branch: 'b',
    commitId: 'c',
    resourceId: 'EcsService:c/s',
    by: 'arn',
    reason: 'why',
    now: 0,
    durationMs: 1,
  });
  return Object.keys(toItem(sample, new Date(0).toISOString())).sort();
}

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
  const index = (IndexName: string, partitionKey: string) => ({
    IndexName,
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: ['pk', 'sk', 'commitPk', 'dayPk', 'failureDayPk', 'pausePk'].map((AttributeName) => ({
      AttributeName,
      AttributeType: 'S' as const,
    })),
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      index(LEDGER_INDEX.byCommit, 'commitPk'),
      index(LEDGER_INDEX.byDay, 'dayPk'),
      index(LEDGER_INDEX.failuresByDay, 'failureDayPk'),
      index(LEDGER_INDEX.pauses, 'pausePk'),
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
  /** The end of a window that gives none; defaults to Date.now. */
  readonly now?: () => number;
  /** Longest window accepted, in UTC days touched; defaults to DEFAULT_MAX_WINDOW_DAYS. */
  readonly maxWindowDays?: number;
}

export class DynamoDbLedger implements AuditLedger {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly logLine: LedgerLogLine;
  private readonly pageSize: number | undefined;
  private readonly now: () => number;
  private readonly maxWindowDays: number;

  constructor(options: DynamoDbLedgerOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? dynamoDbClient();
    this.logLine = options.logger ?? powertoolsLogLine();
    this.pageSize = options.pageSize;
    this.now = options.now ?? Date.now;
    this.maxWindowDays = options.maxWindowDays ?? DEFAULT_MAX_WINDOW_DAYS;
  }

  async append(entry: LedgerEntry): Promise<void> {
    const time = canonicalTime(entry.time);
    if (time === undefined) {
      throw new LedgerEntryRefusedError(`ledger entry ${entry.entryId} has no valid time: ${entry.time}`);
    }
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem(entry, time),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ResourceNotFoundException)
        throw await ledgerTableMissing(this.client, this.tableName, error);
      const collision = error instanceof ConditionalCheckFailedException;
      const message = collision
        ? `ledger entry ${entry.entryId} collides with an existing entry at the same key; nothing was overwritten`
        : `ledger entry ${entry.entryId} was not recorded: ${reasonOf(error)}`;
      throw !collision && isRetryableAwsError(error)
        ? new LedgerWriteError(message, { cause: error })
        : new LedgerEntryRefusedError(message, { cause: error });
    }
    try {
      this.logLine(entry);
    } catch {
      // The entry is stored: a failing log line must not make the caller believe otherwise and append it again.
    }
  }

  async resourceHistory(resourceId: string, options: { readonly limit?: number } = {}): Promise<LedgerEntry[]> {
    return this.query(
      'resource history',
      {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: resourcePk(resourceId) } },
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

  /** Follows LastEvaluatedKey until the partition is read or `limit` entries are in hand. */
  private async query(
    what: string,
    input: Omit<QueryCommandInput, 'TableName'>,
    limit?: number,
  ): Promise<LedgerEntry[]> {
    const entries: LedgerEntry[] = [];
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
        for (const item of page.Items ?? []) entries.push(fromItem(item));
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
