/**
 * The fence on a run's ledger appends: every entry a run makes while it believes it holds its lease is stored only if
 * the lease item still names the run as owner, at the generation it acquired (shared/lock/lease.ts). A run whose
 * lease was taken by another run therefore cannot add an intent (so it makes no further AWS write) nor an outcome
 * (so an intent the new holder recovered never gets a second one). Refused appends throw LedgerFencedError.
 */
import type { AuditLedger, LedgerEntry } from './ledger.ts';
import { LedgerDecorator } from './ledger-decorator.ts';

/** Which lease item an append is conditioned on, and what it must still say. Plain data: the lease that made it
 * knows the lock table, the ledger knows how to write a conditional append. */
export interface LedgerFence {
  /** The lock table (same account and region as the ledger: one DynamoDB transaction spans both). */
  readonly tableName: string;
  /** The lease item's partition key. */
  readonly pk: string;
  /** The run holding the lease. */
  readonly owner: string;
  /** Incremented by every acquire: owner and generation together name one holding of the lease. */
  readonly generation: number;
}

/** A ledger that can append under a fence. */
export interface FenceableLedger {
  /** The same ledger, every append conditioned on `fence`; reads unchanged. */
  fencedBy(fence: LedgerFence): AuditLedger;
}

/** What a ledger offers so that FencedLedger can wrap it: an append conditioned on a fence. */
export interface FencedAppend {
  append(entry: LedgerEntry, fence?: LedgerFence): Promise<void>;
}

export function isFenceable(ledger: AuditLedger): ledger is AuditLedger & FenceableLedger {
  return typeof (ledger as Partial<FenceableLedger>).fencedBy === 'function';
}

/** `ledger` fenced by `fence`; unchanged when there is no fence (a lock without one, as in the benchmarks) or the
 * ledger cannot be fenced (the in-memory ledger, which has no lock table to check). */
export function fencedLedger(ledger: AuditLedger, fence: LedgerFence | undefined): AuditLedger {
  return fence !== undefined && isFenceable(ledger) ? ledger.fencedBy(fence) : ledger;
}

/** A ledger view whose appends carry the fence; every read goes to the ledger beneath. */
export class FencedLedger extends LedgerDecorator<AuditLedger & FencedAppend> {
  constructor(
    inner: AuditLedger & FencedAppend,
    readonly fence: LedgerFence,
  ) {
    super(inner);
  }

  append(entry: LedgerEntry): Promise<void> {
    return this.inner.append(entry, this.fence);
  }
}
