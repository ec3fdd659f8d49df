/** An AuditLedger that passes everything through to another and keeps a copy of each entry it stored, so whoever
 * started a run can name the run's ledger entries (by id) in the notifications it sends afterwards. */
import { type FenceableLedger, fencedLedger, type LedgerFence } from './fence.ts';
import type { AuditLedger, LedgerEntry } from './ledger.ts';
import { LedgerDecorator } from './ledger-decorator.ts';

export class RecordingLedger extends LedgerDecorator implements FenceableLedger {
  constructor(
    inner: AuditLedger,
    private readonly stored: LedgerEntry[] = [],
  ) {
    super(inner);
  }

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
}
