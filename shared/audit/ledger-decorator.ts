/** The base of a ledger that wraps another (fenced, recording, hooked): every read goes to the ledger beneath, so a
 * wrapper says only what it does differently, on append. */
import type { ActivePause, AuditLedger, LedgerEntry, TimeWindow } from './ledger.ts';

export abstract class LedgerDecorator<Inner extends AuditLedger = AuditLedger> implements AuditLedger {
  constructor(protected readonly inner: Inner) {}

  abstract append(entry: LedgerEntry): Promise<void>;

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
