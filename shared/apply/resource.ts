/** What the rooms of apply pass each other about one resource: its actions, what its writes left, what became of it. */
import type { AwsReferences, LedgerEntry, RunContext } from '../audit/ledger.ts';
import type { ChangeOrigin } from '../plan/applied.ts';
import type { Action } from '../plan/plan.ts';
import type { ResourceKind } from '../spec/schema.ts';
import type { ResourceOutcome } from './contract.ts';

export interface ResourceGroup {
  readonly id: string;
  readonly kind: ResourceKind;
  readonly wave: number;
  readonly actions: readonly Action[];
}

export interface ResourceState {
  readonly id: string;
  readonly kind: ResourceKind;
  references: AwsReferences;
  dryRunWrites: number;
  /** Why the resource differs (three-way): recorded on each of its writes, so the ledger tells a Git change from a
   * drift revert. */
  readonly origin?: ChangeOrigin;
  /** The succeeded outcome of the resource's last write, not yet stored: the next write stores it once its own intent
   * is stored, while it is made; the executor stores it when the resource is done (Journal.flush). */
  deferredOutcome?: LedgerEntryFields;
  /** Why the resource must not be written at this commit (its recent history: a rollback), read while its writer
   * makes its first reads; every write waits for it (Journal.write), so none is made before it is known. */
  heldBack?: Promise<string | undefined>;
}

/** A ledger entry as the journal builds it, before the run's context, id and time are added. */
export type LedgerEntryFields = Omit<LedgerEntry, keyof Omit<RunContext, 'commitMessage'> | 'entryId' | 'time'>;

export interface Decision {
  readonly outcome: ResourceOutcome;
  readonly reason?: string;
}

/** The desired-state hash the plan computed for the resource, recorded on it by apply (undefined for prunes). */
export function desiredHashOf(group: ResourceGroup): string | undefined {
  return group.actions.find((action) => action.desiredHash !== undefined)?.desiredHash;
}
