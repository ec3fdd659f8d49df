/**
 * Reading the ledger for `driftless audit --verify`: which partitions to walk (one resource's; those with entries in a
 * time window, from the by-day index; or every partition, from a Scan that projects only the partition key), then
 * each partition whole (entries and links, consistent reads), verified by verify.ts. A partition found broken is read
 * and verified once more, so an append landing between two pages of the first read is not reported as tampering.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  ResourceNotFoundException,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from '../aws/clients.ts';
import { isRetryableAwsError } from '../aws/errors.ts';
import { DriftlessError, LedgerTableMissingError, RetryableError, TerminalError } from '../errors.ts';
import type { Item } from './chain.ts';
import { DEFAULT_MAX_WINDOW_DAYS, LEDGER_INDEX } from './dynamodb.ts';
import { resourcePk } from './dynamodb-items.ts';
import { canonicalTime } from './ids.ts';
import { missingTableMessage } from './missing-table.ts';
import { type PartitionVerdict, type VerifyOptions, verifyPartition } from './verify.ts';

const DAY_MS = 86_400_000;

/** Which partitions to verify: one resource's, those with entries since a time, or (neither) all of them. */
export interface VerifyScope {
  readonly resourceId?: string;
  /** ISO-8601. */
  readonly since?: string;
}

export interface LedgerVerifierOptions {
  readonly tableName: string;
  /** Defaults to a client with the SDK's own configuration resolution. */
  readonly client?: DynamoDBClient;
  /** The end of a `since` window; defaults to Date.now. */
  readonly now?: () => number;
  /** Longest `since` window, in UTC days; defaults to DEFAULT_MAX_WINDOW_DAYS. */
  readonly maxWindowDays?: number;
}

export class LedgerVerifier {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly now: () => number;
  private readonly maxWindowDays: number;

  constructor(options: LedgerVerifierOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? dynamoDbClient();
    this.now = options.now ?? Date.now;
    this.maxWindowDays = options.maxWindowDays ?? DEFAULT_MAX_WINDOW_DAYS;
  }

  /** Verifies every partition of `scope`, in partition key order. */
  async verify(scope: VerifyScope, options: VerifyOptions = {}): Promise<PartitionVerdict[]> {
    const verdicts: PartitionVerdict[] = [];
    for (const partition of await this.partitions(scope)) {
      verdicts.push(await this.verifyOne(partition, options));
    }
    return verdicts;
  }

  async partitions(scope: VerifyScope): Promise<string[]> {
    if (scope.resourceId !== undefined) return [resourcePk(scope.resourceId)];
    const keys = new Set<string>();
    const collect = (items: readonly Item[]) => {
      for (const item of items) if (item.pk?.S !== undefined) keys.add(item.pk.S);
    };
    if (scope.since !== undefined) {
      const since = canonicalSince(scope.since);
      for (const day of this.days(since)) {
        collect(
          await this.read('window', (start) =>
            this.client.send(
              new QueryCommand({
                TableName: this.tableName,
                IndexName: LEDGER_INDEX.byDay,
                KeyConditionExpression: 'dayPk = :day AND sk >= :since',
                ExpressionAttributeValues: { ':day': { S: `DAY#${day}` }, ':since': { S: since } },
                ProjectionExpression: 'pk',
                ...start,
              }),
            ),
          ),
        );
      }
    } else {
      collect(
        await this.read('partitions', (start) =>
          this.client.send(new ScanCommand({ TableName: this.tableName, ProjectionExpression: 'pk', ...start })),
        ),
      );
    }
    return [...keys].sort();
  }

  /** Reads `partition` whole and verifies it; a break is confirmed by a second read. */
  async verifyOne(partition: string, options: VerifyOptions = {}): Promise<PartitionVerdict> {
    const first = verifyPartition(partition, await this.readPartition(partition), options);
    if (first.break === undefined) return first;
    return verifyPartition(partition, await this.readPartition(partition), options);
  }

  private readPartition(partition: string): Promise<Item[]> {
    return this.read('partition', (start) =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: partition } },
          ConsistentRead: true,
          ...start,
        }),
      ),
    );
  }

  /** The UTC days (yyyy-mm-dd) from `since` (canonical) to now, oldest first. */
  private days(since: string): string[] {
    const start = Date.parse(`${since.slice(0, 10)}T00:00:00.000Z`);
    const end = this.now();
    const count = Math.floor((end - start) / DAY_MS) + 1;
    if (count > this.maxWindowDays) {
      throw new TerminalError(`ledger verify: the window spans ${count} days, over the limit of ${this.maxWindowDays}`);
    }
    return Array.from({ length: Math.max(count, 0) }, (_, day) =>
      new Date(start + day * DAY_MS).toISOString().slice(0, 10),
    );
  }

  /** Every page of a Query or Scan, following LastEvaluatedKey. */
  private async read(
    what: string,
    page: (start: { ExclusiveStartKey?: Record<string, AttributeValue> }) => Promise<{
      Items?: Item[];
      LastEvaluatedKey?: Record<string, AttributeValue>;
    }>,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, AttributeValue> | undefined;
    try {
      do {
        const answer = await page(start === undefined ? {} : { ExclusiveStartKey: start });
        items.push(...(answer.Items ?? []));
        start = answer.LastEvaluatedKey;
      } while (start !== undefined);
    } catch (error) {
      if (error instanceof DriftlessError) throw error;
      if (error instanceof ResourceNotFoundException) {
        throw new LedgerTableMissingError(await missingTableMessage(this.client, 'ledger', this.tableName), {
          cause: error,
        });
      }
      const message = `ledger verify (${what}) failed: ${error instanceof Error ? error.message || error.name : String(error)}`;
      throw isRetryableAwsError(error)
        ? new RetryableError(message, { cause: error })
        : new TerminalError(message, { cause: error });
    }
    return items;
  }
}

function canonicalSince(since: string): string {
  const time = canonicalTime(since);
  if (time === undefined) throw new TerminalError(`ledger verify: since is not a time: ${since}`);
  return time;
}
