/** An in-memory AuditLedger for tests: keeps every entry, answers the port's queries, and fails on request. It has
 * no lock table, so it cannot be fenced (shared/audit/fence.ts): runs over it append unfenced. */
import { unpaired } from '../audit/intents.ts';
import type { AuditLedger, LedgerEntry, TimeWindow } from '../audit/ledger.ts';
import { type ActivePause, activePausesFrom, MAX_PAUSE_MS } from '../audit/pauses.ts';
import { LedgerEntryRefusedError, LedgerWriteError } from '../errors.ts';

export class MemoryLedger implements AuditLedger {
  /** Every entry appended, in append order. */
  readonly entries: LedgerEntry[] = [];
  /** append() calls so far, failed ones included. */
  appendCalls = 0;
  private readonly failing = new Set<number>();
  private failingWhen: ((entry: LedgerEntry) => boolean) | undefined;

  /** The `n`th append() call (1-based, counted from the ledger's creation) throws LedgerWriteError. */
  failOnAppend(n: number): void {
    this.failing.add(n);
  }

  /** Every append() of an entry matching `predicate` throws LedgerWriteError. */
  failWhen(predicate: (entry: LedgerEntry) => boolean): void {
    this.failingWhen = predicate;
  }

  /** Puts an entry in place without counting an append (history written by earlier runs). */
  seed(entry: LedgerEntry): void {
    this.entries.push(entry);
  }

  async append(entry: LedgerEntry): Promise<void> {
    this.appendCalls += 1;
    if (this.failing.has(this.appendCalls) || this.failingWhen?.(entry)) {
      throw new LedgerWriteError(`simulated ledger failure on append ${this.appendCalls}`);
    }
    if (this.entries.some((existing) => existing.entryId === entry.entryId)) {
      throw new LedgerEntryRefusedError(`entry ${entry.entryId} exists already; entries are never overwritten`);
    }
    this.entries.push(structuredClone(entry));
  }

  async resourceHistory(resourceId: string, options: { readonly limit?: number } = {}): Promise<LedgerEntry[]> {
    const history = this.sorted()
      .filter((entry) => entry.resourceId === resourceId)
      .reverse();
    return options.limit === undefined ? history : history.slice(0, options.limit);
  }

  async commitHistory(commitId: string): Promise<LedgerEntry[]> {
    return this.sorted().filter((entry) => entry.commitId === commitId);
  }

  async window(window: TimeWindow): Promise<LedgerEntry[]> {
    const until = window.until ?? '\uffff';
    return this.sorted().filter((entry) => entry.time >= window.since && entry.time < until);
  }

  async failures(window: TimeWindow): Promise<LedgerEntry[]> {
    return (await this.window(window)).filter((entry) => entry.result === 'failed' || entry.result === 'refused');
  }

  async activePauses(repository: string, branch: string, now: number): Promise<ActivePause[]> {
    const since = new Date(now - MAX_PAUSE_MS).toISOString();
    return activePausesFrom(
      this.entries.filter(
        (entry) =>
          (entry.kind === 'pause' || entry.kind === 'resume') &&
          entry.repository === repository &&
          entry.branch === branch &&
          entry.time >= since,
      ),
      now,
    );
  }

  async unpairedIntents(repository: string, branch: string, window: TimeWindow): Promise<LedgerEntry[]> {
    const until = window.until ?? '\uffff';
    const branchEntries = this.sorted().filter(
      (entry) => entry.repository === repository && entry.branch === branch && entry.time >= window.since,
    );
    return unpaired(branchEntries).filter((intent) => intent.time < until);
  }

  intents(): LedgerEntry[] {
    return this.entries.filter((entry) => entry.kind === 'intent');
  }

  outcomes(): LedgerEntry[] {
    return this.entries.filter((entry) => entry.kind === 'outcome');
  }

  /** Oldest first, by `<time>#<entryId>` as the DynamoDB ledger's sort key orders them. */
  private sorted(): LedgerEntry[] {
    const key = (entry: LedgerEntry) => `${entry.time}#${entry.entryId}`;
    return [...this.entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
}
