/** The bench's ledger, lock and applied-commit record shaped like the DynamoDB ones production uses: each port call is
 * one DynamoDB request that waits `latencyMs`, the lease has an owner and a generation, and the ledger's appends are
 * fenced by it (a fenced append refused once another run took the lease), so a run pays what it pays in production
 * and the calls it makes before its first AWS write can be counted. */
import { type FenceableLedger, FencedLedger, type LedgerFence } from '../shared/audit/fence.ts';
import type { ActivePause, AuditLedger, LedgerEntry, TimeWindow } from '../shared/audit/ledger.ts';
import { LedgerFencedError, LockLostError } from '../shared/errors.ts';
import type { AppliedCommits, BranchKey } from '../shared/lock/applied-commit.ts';
import type { RunLease, RunLock } from '../shared/reconcile/types.ts';
import { MemoryLedger } from '../shared/sim/memory-ledger.ts';

/** The DynamoDB requests made so far, by what made them, in the order they were sent. */
export class DynamoDbCalls {
  readonly sent: string[] = [];

  constructor(readonly latencyMs: number) {}

  async call<T>(name: string, run: () => T | Promise<T>): Promise<T> {
    this.sent.push(name);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    return run();
  }

  reset(): void {
    this.sent.length = 0;
  }
}

interface LeaseItem {
  owner: string;
  generation: number;
}

const LOCK_TABLE = 'bench-lock';

/** The lease lock (shared/lock/lease.ts) in memory: acquire is an UpdateItem, assertHeld a GetItem, release a
 * DeleteItem, renew an UpdateItem. Leases never expire here: bench runs are far shorter than a lease. */
export class LatentLock implements RunLock {
  readonly items = new Map<string, LeaseItem>();
  private generations = new Map<string, number>();

  constructor(private readonly calls: DynamoDbCalls) {}

  async acquire(key: { repository: string; branch: string }, owner: string): Promise<RunLease | undefined> {
    const pk = `LOCK#${key.repository}#${key.branch}`;
    const item = await this.calls.call('UpdateItem lock', () => {
      if (this.items.has(pk)) return undefined;
      const generation = (this.generations.get(pk) ?? 0) + 1;
      const taken = { owner, generation };
      this.items.set(pk, taken);
      this.generations.set(pk, generation);
      return taken;
    });
    if (!item) return undefined;
    const held = () => this.items.get(pk)?.owner === owner && this.items.get(pk)?.generation === item.generation;
    return {
      fence: { tableName: LOCK_TABLE, pk, owner, generation: item.generation },
      assertHeld: () =>
        this.calls.call('GetItem lock', () => {
          if (!held()) throw new LockLostError(`lock ${pk} is no longer held by ${owner}`);
        }),
      release: () =>
        this.calls.call('DeleteItem lock', () => {
          if (held()) this.items.delete(pk);
        }),
      startAutoRenew: () => () => undefined,
    };
  }

  /** Whether `fence` still names the holder of its lease (the ConditionCheck of a fenced append). */
  holds(fence: LedgerFence): boolean {
    const item = this.items.get(fence.pk);
    return item?.owner === fence.owner && item.generation === fence.generation;
  }
}

/** The DynamoDB ledger (shared/audit/dynamodb.ts) in memory: an append is one TransactWriteItems (with the fence's
 * ConditionCheck when fenced), each query one Query. */
export class LatentLedger implements AuditLedger, FenceableLedger {
  readonly inner = new MemoryLedger();

  constructor(
    private readonly calls: DynamoDbCalls,
    private readonly lock: LatentLock,
  ) {}

  append(entry: LedgerEntry, fence?: LedgerFence): Promise<void> {
    return this.calls.call(`TransactWriteItems ${entry.kind}${entry.action ? ` ${entry.action}` : ''}`, () => {
      if (fence && !this.lock.holds(fence)) {
        throw new LedgerFencedError(`ledger entry ${entry.entryId} was refused: the lease ${fence.pk} was taken`);
      }
      return this.inner.append(entry);
    });
  }

  fencedBy(fence: LedgerFence): AuditLedger {
    return new FencedLedger(this, fence);
  }

  resourceHistory(resourceId: string, options?: { readonly limit?: number }): Promise<LedgerEntry[]> {
    return this.calls.call('Query resource', () => this.inner.resourceHistory(resourceId, options));
  }

  commitHistory(commitId: string): Promise<LedgerEntry[]> {
    return this.calls.call('Query commit', () => this.inner.commitHistory(commitId));
  }

  window(window: TimeWindow): Promise<LedgerEntry[]> {
    return this.calls.call('Query window', () => this.inner.window(window));
  }

  failures(window: TimeWindow): Promise<LedgerEntry[]> {
    return this.calls.call('Query failures', () => this.inner.failures(window));
  }

  activePauses(repository: string, branch: string, now: number): Promise<ActivePause[]> {
    return this.calls.call('Query pauses', () => this.inner.activePauses(repository, branch, now));
  }

  unpairedIntents(repository: string, branch: string, window: TimeWindow): Promise<LedgerEntry[]> {
    return this.calls.call('Query intents', () => this.inner.unpairedIntents(repository, branch, window));
  }
}

/** The applied-commit record (shared/lock/applied-commit.ts): a GetItem to read, a PutItem to record. */
export class LatentAppliedCommits implements AppliedCommits {
  private readonly commits = new Map<string, string>();

  constructor(private readonly calls: DynamoDbCalls) {}

  read(key: BranchKey): Promise<string | undefined> {
    return this.calls.call('GetItem applied', () => this.commits.get(`${key.repository}#${key.branch}`));
  }

  record(key: BranchKey, commitId: string): Promise<void> {
    return this.calls.call('PutItem applied', () => {
      this.commits.set(`${key.repository}#${key.branch}`, commitId);
    });
  }
}

/** A ledger, lock and applied-commit record sharing one count of DynamoDB requests, each waiting `latencyMs`. */
export function latentDynamoDb(latencyMs: number) {
  const calls = new DynamoDbCalls(latencyMs);
  const lock = new LatentLock(calls);
  return { calls, lock, ledger: new LatentLedger(calls, lock), appliedCommits: new LatentAppliedCommits(calls) };
}
