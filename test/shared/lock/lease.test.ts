import { randomUUID } from 'node:crypto';
import {
  DeleteTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { LockLostError, LockTableMissingError } from '../../../shared/errors.ts';
import { ensureLockTable, type Lease, LeaseLock, lockPk } from '../../../shared/lock/lease.ts';
import { localDynamoDb } from '../../support/dynamodb.ts';

const TABLE = `lock-${randomUUID().slice(0, 8)}`;
const LEASE_MS = 60_000;

const client: DynamoDBClient = localDynamoDb({ maxAttempts: 1 });

beforeAll(async () => {
  await ensureLockTable(client, TABLE);
});

/** A clock the test moves by hand, shared by every lock a test makes. */
function manualClock(start = 1_700_000_000_000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

let keyCount = 0;
/** A branch no other test uses, so tests share the table without sharing a lock. */
function freshKey() {
  return { repository: 'config', branch: `main-${++keyCount}` };
}

function locks(now: () => number) {
  return new LeaseLock({ tableName: TABLE, client, now, leaseMs: LEASE_MS });
}

async function storedItem(key: { repository: string; branch: string }) {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: TABLE, Key: { pk: { S: lockPk(key) } }, ConsistentRead: true }),
  );
  return Item;
}

function defined(lease: Lease | undefined): Lease {
  expect(lease).toBeDefined();
  return lease as Lease;
}

describe('LeaseLock', () => {
  it('refuses a second owner while the first holds a live lease', async () => {
    const clock = manualClock();
    const lock = locks(clock.now);
    const key = freshKey();
    const first = defined(await lock.acquire(key, 'run-a'));
    expect(first.expiresAt).toBe(clock.t + LEASE_MS);
    clock.t += LEASE_MS - 1;
    expect(await lock.acquire(key, 'run-b')).toBeUndefined();
    expect(await lock.acquire(key, 'run-a')).toBeUndefined();
    await first.assertHeld();
    const item = await storedItem(key);
    expect(item?.owner?.S).toBe('run-a');
    expect(item?.expiresAt?.N).toBe(String(first.expiresAt));
    expect(Number(item?.ttl?.N)).toBeGreaterThanOrEqual(Math.ceil(first.expiresAt / 1000));
  });

  it('lets a second owner take an expired lease, expiry checked in the condition while the item still exists', async () => {
    const clock = manualClock();
    const lock = locks(clock.now);
    const key = freshKey();
    const first = defined(await lock.acquire(key, 'run-a'));
    clock.t = first.expiresAt;
    expect(await lock.acquire(key, 'run-b')).toBeUndefined();
    clock.t = first.expiresAt + 1;
    expect((await storedItem(key))?.owner?.S).toBe('run-a');
    const second = defined(await lock.acquire(key, 'run-b'));
    await second.assertHeld();
    expect((await storedItem(key))?.owner?.S).toBe('run-b');
  });

  it('keeps the lease when renewed', async () => {
    const clock = manualClock();
    const lock = locks(clock.now);
    const key = freshKey();
    const lease = defined(await lock.acquire(key, 'run-a'));
    const firstExpiry = lease.expiresAt;
    clock.t += LEASE_MS - 1;
    await lease.renew();
    expect(lease.expiresAt).toBe(clock.t + LEASE_MS);
    clock.t = firstExpiry + 1;
    expect(await lock.acquire(key, 'run-b')).toBeUndefined();
    await lease.assertHeld();
    clock.t = lease.expiresAt; // renewing at the very last instant still works
    await lease.renew();
    await lease.assertHeld();
  });

  it('fails to renew with LockLostError once another owner took the lease', async () => {
    const clock = manualClock();
    const lock = locks(clock.now);
    const key = freshKey();
    const lease = defined(await lock.acquire(key, 'run-a'));
    clock.t += LEASE_MS + 1;
    defined(await lock.acquire(key, 'run-b'));
    await expect(lease.renew()).rejects.toBeInstanceOf(LockLostError);
    expect((await storedItem(key))?.owner?.S).toBe('run-b');
  });

  it('fails to renew with LockLostError once the lease expired, even if nobody took it', async () => {
    const clock = manualClock();
    const lock = locks(clock.now);
    const key = freshKey();
    const lease = defined(await lock.acquire(key, 'run-a'));
    clock.t += LEASE_MS + 1;
    await expect(lease.renew()).rejects.toBeInstanceOf(LockLostError);
    await expect(lease.assertHeld()).rejects.toBeInstanceOf(LockLostError);
  });

  it('fails assertHeld with LockLostError after the lease is lost or released', async () => {
    const clock = manualClock();
    const lock = locks(clock.now);
    const key = freshKey();
    const lease = defined(await lock.acquire(key, 'run-a'));
    await lease.assertHeld();
    clock.t += LEASE_MS + 1;
    const taker = defined(await lock.acquire(key, 'run-b'));
    await expect(lease.assertHeld()).rejects.toBeInstanceOf(LockLostError);
    await taker.release();
    await expect(taker.assertHeld()).rejects.toBeInstanceOf(LockLostError);
    await expect(lease.assertHeld()).rejects.toBeInstanceOf(LockLostError);
  });

  it('does not delete the lease when a former owner releases it; that release is a no-op', async () => {
    const clock = manualClock();
    const lock = locks(clock.now);
    const key = freshKey();
    const former = defined(await lock.acquire(key, 'run-a'));
    clock.t += LEASE_MS + 1;
    const current = defined(await lock.acquire(key, 'run-b'));
    await expect(former.release()).resolves.toBeUndefined();
    expect((await storedItem(key))?.owner?.S).toBe('run-b');
    await current.assertHeld();
    expect(await lock.acquire(key, 'run-c')).toBeUndefined();
  });

  it('lets the next owner acquire at once after a release, and a second release is a no-op', async () => {
    const clock = manualClock();
    const lock = locks(clock.now);
    const key = freshKey();
    const lease = defined(await lock.acquire(key, 'run-a'));
    await lease.release();
    expect(await storedItem(key)).toBeUndefined();
    await expect(lease.release()).resolves.toBeUndefined();
    defined(await lock.acquire(key, 'run-b'));
  });

  it('keeps locks on different branches and repositories apart', async () => {
    const lock = locks(Date.now);
    const key = freshKey();
    defined(await lock.acquire(key, 'run-a'));
    defined(await lock.acquire({ ...key, branch: `${key.branch}-other` }, 'run-b'));
    defined(await lock.acquire({ ...key, repository: 'other' }, 'run-c'));
  });

  it('grants exactly one of 10 concurrent acquires', async () => {
    const key = freshKey();
    const contenders = Array.from({ length: 10 }, (_, i) => `run-${i}`);
    const results = await Promise.all(contenders.map((owner) => locks(Date.now).acquire(key, owner)));
    const winners = results.filter((lease) => lease !== undefined);
    expect(winners).toHaveLength(1);
    expect((await storedItem(key))?.owner?.S).toBe(winners[0]?.owner);
  });

  it('renews on a timer until stopped, and stops on its own when the lease is lost', async () => {
    const clock = manualClock();
    const lock = locks(clock.now);
    const key = freshKey();
    const lease = defined(await lock.acquire(key, 'run-a'));
    clock.t += 1000;
    const stop = lease.startAutoRenew(10);
    await vi.waitFor(() => expect(lease.expiresAt).toBe(clock.t + LEASE_MS));
    stop();

    clock.t = lease.expiresAt + 1;
    defined(await lock.acquire(key, 'run-b'));
    const errors: unknown[] = [];
    lease.startAutoRenew(10, (error) => errors.push(error));
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toBeInstanceOf(LockLostError);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(errors).toHaveLength(1);
  });

  it('names the missing table, its region and how to create it on acquire, renew, assertHeld and release', async () => {
    // Prepare: a lease on a table of its own, then the table deleted under it
    const clock = manualClock();
    const missing = new LeaseLock({ tableName: `${TABLE}-missing`, client, now: clock.now, leaseMs: LEASE_MS });
    const doomedTable = `${TABLE}-doomed`;
    await ensureLockTable(client, doomedTable);
    const doomed = new LeaseLock({ tableName: doomedTable, client, now: clock.now, leaseMs: LEASE_MS });
    const lease = defined(await doomed.acquire(freshKey(), 'run-a'));
    await client.send(new DeleteTableCommand({ TableName: doomedTable }));

    // Act
    const acquired = await missing.acquire(freshKey(), 'run-a').catch((e: unknown) => e);
    const [renewed, asserted, released] = await Promise.all(
      [lease.renew(), lease.assertHeld(), lease.release()].map((call) => call.catch((e: unknown) => e)),
    );

    // Assess
    expect(acquired).toBeInstanceOf(LockTableMissingError);
    expect((acquired as LockTableMissingError).retryable).toBe(false);
    expect((acquired as Error).message).toBe(
      `the lock table ${TABLE}-missing does not exist in us-east-1: deploy the driftless stack (and pass its LockTableName output as --lock-table), or create the tables with driftless reconcile --create-tables`,
    );
    for (const error of [renewed, asserted, released]) {
      expect(error).toBeInstanceOf(LockTableMissingError);
      expect((error as Error).message).toMatch(
        new RegExp(`^the lock table ${doomedTable} does not exist in us-east-1`),
      );
    }
  });

  it('counts a generation up on every acquire, keeps it through renewals, and names the holding in its fence', async () => {
    // Prepare
    const clock = manualClock();
    const lock = locks(clock.now);
    const key = freshKey();

    // Act
    const first = defined(await lock.acquire(key, 'run-a'));
    await first.renew();
    const renewed = await storedItem(key);
    clock.t = first.expiresAt + LEASE_MS + 1;
    const second = defined(await lock.acquire(key, 'run-b'));
    clock.t = second.expiresAt + 1;
    const third = defined(await lock.acquire(key, 'run-c'));

    // Assess
    expect([first.generation, second.generation, third.generation]).toEqual([1, 2, 3]);
    expect(renewed?.generation?.N).toBe('1');
    expect((await storedItem(key))?.generation?.N).toBe('3');
    expect(third.fence).toEqual({ tableName: TABLE, pk: lockPk(key), owner: 'run-c', generation: 3 });
    expect((await storedItem(key))?.acquiredAt?.N).toBe(String(clock.t));
  });

  it('creates its table idempotently with TTL on ttl', async () => {
    await ensureLockTable(client, TABLE);
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: TABLE }));
    expect(TimeToLiveDescription?.AttributeName).toBe('ttl');
    expect(TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
  });
});
