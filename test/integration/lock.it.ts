/** LeaseLock and ensureLockTable against the target: a lock table of this run's own, created, contended and deleted.
 * Every lock read is consistent and every decision a conditional write, so nothing here waits for replication. */
import { DescribeTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbClient } from '../../shared/aws/clients.ts';
import { LockLostError } from '../../shared/errors.ts';
import { ensureLockTable, type Lease, LeaseLock, type LockKey } from '../../shared/lock/lease.ts';
import { deleteTable } from './support.ts';
import { clientOptions, providedTarget, runs, uniqueNamespace } from './target.ts';

const target = providedTarget();

describe.runIf(runs(target, 'dynamodb'))(`LeaseLock against the ${target.kind} target`, () => {
  const namespace = uniqueNamespace();
  const tableName = `${namespace}-lock`;
  const LEASE_MS = 60_000;
  let client: DynamoDBClient | undefined;
  let keyCount = 0;

  /** A branch no other test uses: the tests share the table, never a lock. */
  function freshKey(): LockKey {
    return { repository: `${namespace}-config`, branch: `main-${++keyCount}` };
  }

  function lock(now: () => number = Date.now): LeaseLock {
    return new LeaseLock({ tableName, client: client!, now, leaseMs: LEASE_MS });
  }

  function held(lease: Lease | undefined): Lease {
    expect(lease).toBeDefined();
    return lease!;
  }

  beforeAll(async () => {
    client = dynamoDbClient(clientOptions(target));
    await ensureLockTable(client, tableName);
  });

  afterAll(async () => {
    if (client === undefined) return;
    try {
      await deleteTable(client, tableName);
    } finally {
      client.destroy();
    }
  });

  it('creates the table with TTL on `ttl`, and ensuring it again changes nothing', async () => {
    await ensureLockTable(client!, tableName);
    const ttl = await client!.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(['ENABLED', 'ENABLING']).toContain(ttl.TimeToLiveDescription?.TimeToLiveStatus);
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('ttl');
  });

  it('grants the lease to one owner, refuses a contender, and hands it over on release', async () => {
    const key = freshKey();
    const first = held(await lock().acquire(key, 'run-a'));
    expect(await lock().acquire(key, 'run-b')).toBeUndefined();
    await first.assertHeld();

    const before = first.expiresAt;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await first.renew();
    expect(first.expiresAt).toBeGreaterThan(before);
    await first.assertHeld();

    await first.release();
    await expect(first.assertHeld()).rejects.toBeInstanceOf(LockLostError);
    const second = held(await lock().acquire(key, 'run-b'));
    await second.assertHeld();
    await second.release();
  });

  it('lets exactly one of many simultaneous contenders win', async () => {
    const key = freshKey();
    const owners = Array.from({ length: 8 }, (_, index) => `run-${index}`);
    const leases = await Promise.all(owners.map((owner) => lock().acquire(key, owner)));
    const winners = leases.filter((lease): lease is Lease => lease !== undefined);
    expect(winners).toHaveLength(1);
    await winners[0]!.assertHeld();
    await winners[0]!.release();
  });

  it('lets a contender take an expired lease; the old owner then finds it lost and releasing it is a no-op', async () => {
    // The conditions compare against the time the client sends, so a clock moved by hand expires a lease for real.
    const clock = { t: Date.now() };
    const key = freshKey();
    const stale = held(await lock(() => clock.t).acquire(key, 'run-a'));
    clock.t += LEASE_MS - 1;
    expect(await lock(() => clock.t).acquire(key, 'run-b')).toBeUndefined();
    clock.t += 2;
    const taker = held(await lock(() => clock.t).acquire(key, 'run-b'));

    await expect(stale.assertHeld()).rejects.toBeInstanceOf(LockLostError);
    await expect(stale.renew()).rejects.toBeInstanceOf(LockLostError);
    await stale.release();
    await taker.assertHeld();
    await taker.release();
  });
});
