/** The branch's last fully applied commit in the lock table, on DynamoDB Local (shared/lock/applied-commit.ts). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LockTableMissingError } from '../../../shared/errors.ts';
import { DynamoDbAppliedCommits } from '../../../shared/lock/applied-commit.ts';
import { ensureLockTable } from '../../../shared/lock/lease.ts';
import { localDynamoDb } from '../../support/dynamodb.ts';

const KEY = { repository: 'platform-config', branch: 'main' };

describe('DynamoDbAppliedCommits', () => {
  it('answers nothing before a run recorded a commit, then the newest recorded, per branch', async () => {
    // Prepare
    const client = localDynamoDb();
    const table = `applied-${randomUUID().slice(0, 8)}`;
    await ensureLockTable(client, table);
    const store = new DynamoDbAppliedCommits(table, client);

    // Act
    const before = await store.read(KEY);
    await store.record(KEY, 'a'.repeat(40), '2026-12-06T00:00:00.000Z');
    await store.record(KEY, 'b'.repeat(40), '2026-12-06T00:01:00.000Z');
    const after = await store.read(KEY);
    const otherBranch = await store.read({ ...KEY, branch: 'release' });

    // Assess
    expect(before).toBeUndefined();
    expect(after).toBe('b'.repeat(40));
    expect(otherBranch).toBeUndefined();
  });

  it('names a missing lock table and how to create it', async () => {
    // Prepare
    const store = new DynamoDbAppliedCommits(`missing-${randomUUID().slice(0, 8)}`, localDynamoDb());

    // Act
    const failure = await store.read(KEY).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(LockTableMissingError);
    expect((failure as Error).message).toMatch(/^the lock table missing-[0-9a-f]{8} does not exist/);
  });
});
