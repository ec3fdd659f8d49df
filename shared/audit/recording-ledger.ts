/** An AuditLedger that passes everything through to another and keeps a copy of each entry it stored, so whoever
 * started a run can name the run's ledger entries (by id) in the notifications it sends afterwards. */
import { type FenceableLedger, fencedLedger, type LedgerFence } from './fence.ts';
import type { AuditLedger, LedgerEntry, TimeWindow } from './ledger.ts';
import type { ActivePause } from './pauses.ts';

export class RecordingLedger implements AuditLedger, FenceableLedger {
  constructor(
    private readonly inner: AuditLedger,
    private readonly stored: LedgerEntry[] = [],
  ) {}

  /** The ledger beneath fenced, recording into the same list: a run's fenced entries are named like any others. */
  fencedBy(fence: LedgerFence): AuditLedger {
    return new RecordingLedger(fencedLedger(this.inner, fence), this.stored);
  }

  /** Entries stored through this ledger, in the order they were stored. */
  get entries(): readonly LedgerEntry[] {
    return this.stored;
  }

  async append(entry: LedgerEntry): Promise<void> {
    await this.inner.append(entry);
    // Only after the inner append succeeded: a notification never names an entry that was not stored.
    this.stored.push(entry);
  }

  resourceHistory(resourceId: string, options?: { readonly limit?: number }): Promise<LedgerEntry[]> {
    return this.inner.resourceHistory(resourceId, options);
  }

  commitHistory(commitId: string): Promise<LedgerEntry[]> {
    return this.inner.commitHistory(commitId);
  }

  window(window: TimeWindow): Promise<LedgerEntry[]> {
    return this.inner.window(window);
  }

  failures(window: TimeWindow): Promise<LedgerEntry[]> {
    return this.inner.failures(window);
  }

  activePauses(repository: string, branch: string, now: number): Promise<ActivePause[]> {
    return this.inner.activePauses(repository, branch, now);
  }

  unpairedIntents(repository: string, branch: string, window: TimeWindow): Promise<LedgerEntry[]> {
    return this.inner.unpairedIntents(repository, branch, window);
  }
}
