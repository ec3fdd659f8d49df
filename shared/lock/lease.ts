/**
 * The run lock: one lease per repository and branch, in its own DynamoDB table, so two runs never write the same
 * resources at once.
 *
 * Item: `pk` = `LOCK#<repository>#<branch>`, `owner` (the run holding it), `generation` (a number every acquire
 * increments), `expiresAt` (epoch ms, number) and `ttl` (epoch seconds, an hour after expiry, for DynamoDB TTL cleanup
 * only), plus `repository`, `branch` and `acquiredAt` for whoever reads the table. Expiry is decided by the
 * conditions, never by TTL, which may delete an item days late:
 * - acquire: UpdateItem (SET the holder, `generation` + 1) if `attribute_not_exists(pk) OR expiresAt < :now`;
 *   refused → another live owner holds it. The new generation comes back with the answer.
 * - renew: UpdateItem if `owner = :me AND expiresAt >= :now`; refused → LockLostError.
 * - assertHeld: consistent GetItem; held means `owner = me` and `expiresAt > now`, else LockLostError. Called before
 *   each AWS write.
 * - release: DeleteItem if `owner = :me`; refused → the lease was lost already, and releasing it is a no-op.
 * A table that does not exist is a LockTableMissingError that names it, its region and how to create it.
 * - fence: every ledger entry of the run is stored only if `owner = :me AND generation = :mine` still holds
 *   (shared/audit/fence.ts). Owners are run ids, unique per run, so the pair names one holding even after a release
 *   or TTL removed the item and the count started again.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type CreateTableCommandInput,
  DeleteItemCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  GetItemCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../audit/dynamodb.ts';
import type { LedgerFence } from '../audit/fence.ts';
import { missingTableMessage } from '../audit/missing-table.ts';
import { dynamoDbClient } from '../aws/clients.ts';
import { isRetryableAwsError } from '../aws/errors.ts';
import { type DriftlessError, LockLostError, LockTableMissingError, RetryableError, TerminalError } from '../errors.ts';

export const DEFAULT_LEASE_MS = 60_000;

/** How long after expiry DynamoDB TTL may remove a lease item. */
const TTL_GRACE_SECONDS = 3600;

export interface LockKey {
  readonly repository: string;
  readonly branch: string;
}

export function lockPk(key: LockKey): string {
  return `LOCK#${key.repository}#${key.branch}`;
}

/** A lease this process holds, until it expires, is taken after expiry, or is released. */
export interface Lease {
  readonly key: LockKey;
  readonly owner: string;
  /** This holding's generation: one more than the lease item had when it was acquired. */
  readonly generation: number;
  /** What every ledger append of the holder is conditioned on (shared/audit/fence.ts). */
  readonly fence: LedgerFence;
  /** Epoch ms the lease runs out unless renewed, as last written by this process. */
  readonly expiresAt: number;
  /** Extends the lease by leaseMs from now. LockLostError when it expired or another owner holds it. */
  renew(): Promise<void>;
  /** LockLostError unless this owner holds a live lease right now (a consistent read). Call before each AWS write. */
  assertHeld(): Promise<void>;
  /** Gives the lease up and stops auto-renewal; a no-op when it was lost already. */
  release(): Promise<void>;
  /** Renews every `intervalMs` (the timer does not keep the process alive). Stops on LockLostError and reports it
   * to `onError`, as it does any other failed renewal. Returns the stop function. */
  startAutoRenew(intervalMs: number, onError?: (error: unknown) => void): () => void;
  stopAutoRenew(): void;
}

export interface LeaseLockOptions {
  readonly tableName: string;
  readonly client?: DynamoDBClient;
  /** Epoch ms; defaults to Date.now. */
  readonly now?: () => number;
  /** Lease length; defaults to DEFAULT_LEASE_MS. */
  readonly leaseMs?: number;
}

async function lockError(context: LockContext, what: string, error: unknown): Promise<DriftlessError> {
  if (error instanceof ResourceNotFoundException) {
    return new LockTableMissingError(await missingTableMessage(context.client, 'lock', context.tableName), {
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message || error.name : String(error);
  const message = `lock ${what} failed: ${reason}`;
  return isRetryableAwsError(error)
    ? new RetryableError(message, { cause: error })
    : new TerminalError(message, { cause: error });
}

/** What a lease needs of the lock that granted it. */
interface LockContext {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly now: () => number;
  readonly leaseMs: number;
}

export class LeaseLock {
  private readonly context: LockContext;

  constructor(options: LeaseLockOptions) {
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    if (!(leaseMs > 0)) throw new TerminalError(`leaseMs must be positive, got ${leaseMs}`);
    this.context = {
      client: options.client ?? dynamoDbClient(),
      tableName: options.tableName,
      now: options.now ?? Date.now,
      leaseMs,
    };
  }

  get tableName(): string {
    return this.context.tableName;
  }

  get leaseMs(): number {
    return this.context.leaseMs;
  }

  /** The lease, or undefined when another owner holds a live one. */
  async acquire(key: LockKey, owner: string): Promise<Lease | undefined> {
    const { client, tableName, now: clock, leaseMs } = this.context;
    const now = clock();
    const expiresAt = now + leaseMs;
    let generation: number;
    try {
      const { Attributes } = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: lockPk(key) } },
          UpdateExpression:
            'SET #repository = :repository, #branch = :branch, #owner = :owner, #acquiredAt = :now, ' +
            '#expiresAt = :expiresAt, #ttl = :ttl, #generation = if_not_exists(#generation, :zero) + :one',
          ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
          ExpressionAttributeNames: {
            '#pk': 'pk',
            '#repository': 'repository',
            '#branch': 'branch',
            '#owner': 'owner',
            '#acquiredAt': 'acquiredAt',
            '#expiresAt': 'expiresAt',
            '#ttl': 'ttl',
            '#generation': 'generation',
          },
          ExpressionAttributeValues: {
            ':repository': { S: key.repository },
            ':branch': { S: key.branch },
            ':owner': { S: owner },
            ':now': { N: String(now) },
            ':expiresAt': { N: String(expiresAt) },
            ':ttl': { N: String(ttlFor(expiresAt)) },
            ':zero': { N: '0' },
            ':one': { N: '1' },
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      generation = Number(Attributes?.generation?.N);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw await lockError(this.context, `acquire ${lockPk(key)}`, error);
    }
    if (!Number.isSafeInteger(generation)) {
      throw new TerminalError(`lock acquire ${lockPk(key)}: DynamoDB answered no generation`);
    }
    return new HeldLease(this.context, key, owner, generation, expiresAt);
  }
}

/** Extends `lease` by leaseMs from now and answers the new expiry. */
async function renewLease(context: LockContext, lease: Lease): Promise<number> {
  const now = context.now();
  const expiresAt = now + context.leaseMs;
  try {
    await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: { pk: { S: lockPk(lease.key) } },
        UpdateExpression: 'SET #expiresAt = :expiresAt, #ttl = :ttl',
        ConditionExpression: '#owner = :me AND #expiresAt >= :now',
        ExpressionAttributeNames: { '#owner': 'owner', '#expiresAt': 'expiresAt', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':me': { S: lease.owner },
          ':now': { N: String(now) },
          ':expiresAt': { N: String(expiresAt) },
          ':ttl': { N: String(ttlFor(expiresAt)) },
        },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new LockLostError(`lock ${lockPk(lease.key)} is no longer held by ${lease.owner}`, { cause: error });
    }
    throw await lockError(context, `renew ${lockPk(lease.key)}`, error);
  }
  return expiresAt;
}

async function assertLeaseHeld(context: LockContext, lease: Lease): Promise<void> {
  const now = context.now();
  let item: Record<string, AttributeValue> | undefined;
  try {
    ({ Item: item } = await context.client.send(
      new GetItemCommand({ TableName: context.tableName, Key: { pk: { S: lockPk(lease.key) } }, ConsistentRead: true }),
    ));
  } catch (error) {
    throw await lockError(context, `read ${lockPk(lease.key)}`, error);
  }
  const owner = item?.owner?.S;
  const expiresAt = Number(item?.expiresAt?.N);
  if (owner !== lease.owner) {
    throw new LockLostError(
      owner === undefined
        ? `lock ${lockPk(lease.key)} is gone; ${lease.owner} no longer holds it`
        : `lock ${lockPk(lease.key)} is held by ${owner}, not ${lease.owner}`,
    );
  }
  if (!(expiresAt > now)) {
    throw new LockLostError(`lock ${lockPk(lease.key)} held by ${lease.owner} expired at ${expiresAt}`);
  }
}

async function releaseLease(context: LockContext, lease: Lease): Promise<void> {
  try {
    await context.client.send(
      new DeleteItemCommand({
        TableName: context.tableName,
        Key: { pk: { S: lockPk(lease.key) } },
        ConditionExpression: '#owner = :me',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':me': { S: lease.owner } },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return;
    throw await lockError(context, `release ${lockPk(lease.key)}`, error);
  }
}

function ttlFor(expiresAt: number): number {
  return Math.ceil(expiresAt / 1000) + TTL_GRACE_SECONDS;
}

class HeldLease implements Lease {
  private timer: NodeJS.Timeout | undefined;
  private renewing = false;

  constructor(
    private readonly context: LockContext,
    readonly key: LockKey,
    readonly owner: string,
    readonly generation: number,
    private currentExpiresAt: number,
  ) {}

  get expiresAt(): number {
    return this.currentExpiresAt;
  }

  get fence(): LedgerFence {
    return { tableName: this.context.tableName, pk: lockPk(this.key), owner: this.owner, generation: this.generation };
  }

  async renew(): Promise<void> {
    this.currentExpiresAt = await renewLease(this.context, this);
  }

  assertHeld(): Promise<void> {
    return assertLeaseHeld(this.context, this);
  }

  async release(): Promise<void> {
    this.stopAutoRenew();
    await releaseLease(this.context, this);
  }

  startAutoRenew(intervalMs: number, onError: (error: unknown) => void = () => {}): () => void {
    this.stopAutoRenew();
    const timer = setInterval(() => {
      if (this.renewing) return;
      this.renewing = true;
      this.renew()
        .catch((error: unknown) => {
          if (error instanceof LockLostError && this.timer === timer) this.stopAutoRenew();
          onError(error);
        })
        .finally(() => {
          this.renewing = false;
        });
    }, intervalMs);
    timer.unref();
    this.timer = timer;
    return () => {
      if (this.timer === timer) this.stopAutoRenew();
    };
  }

  stopAutoRenew(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

// ------------------------------------------------------------------------------------------------ table

/** The lock table: on-demand, keyed by `pk`, with TTL on `ttl` (enabled by ensureLockTable). */
export function lockTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  };
}

/** Creates the lock table unless it exists, waits until it is ACTIVE and turns TTL on `ttl` on. For the demo and
 * tests; deployed installations get the same schema from the CDK stack. */
export async function ensureLockTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await ensureTable(client, lockTableDefinition(tableName));
  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    }),
  );
}
