/** What a run leaves in place, recorded before anything is applied: drift under adopt proposed back to Git, and an
 * outcome entry (skipped, with why) for every resource held. */
import { newEntryId } from '../audit/ids.ts';
import type { LedgerEntry } from '../audit/ledger.ts';
import type { Action } from '../plan/plan.ts';
import { type AdoptedDrift, adoptDrift } from '../writeback/adopt.ts';
import type { ActiveRun } from './context.ts';
import type { DriftDecision, HeldResource } from './drift-policy.ts';
import type { LivePlan } from './plan-run.ts';

export interface HeldDrift {
  /** Everything held, adopted drift last, each with the reason its outcome entry gives. */
  readonly held: readonly HeldResource[];
  readonly adopted: readonly AdoptedDrift[];
}

export async function holdDrift(run: ActiveRun, decided: DriftDecision, planned: LivePlan): Promise<HeldDrift> {
  const { deps, context } = run;
  const held: HeldResource[] = [...decided.held];
  const adopted: AdoptedDrift[] = [];
  for (const candidate of decided.adopt) {
    const outcome = await adoptDrift(candidate.action, {
      ...(deps.proposer ? { proposer: deps.proposer } : {}),
      source: deps.source,
      snapshot: planned.snapshot,
      live: planned.live,
      run: context,
      ...(run.request.manualChange ? { changedAt: run.request.manualChange.eventTime } : {}),
    });
    if (outcome.adopted) adopted.push(outcome.adopted);
    await deps.ledger.append(heldEntry(run, candidate.action, outcome.reason, outcome.adopted?.pullRequestId));
    held.push({ ...candidate, reason: outcome.reason });
  }
  for (const resource of decided.held) {
    await deps.ledger.append(heldEntry(run, resource.action, resource.reason));
  }
  return { held, adopted };
}

/** The outcome entry of a held resource: skipped, with the changes found and why; the pull request adopting it. */
function heldEntry(run: ActiveRun, action: Action, reason: string, pullRequestId?: string): LedgerEntry {
  return {
    ...run.context,
    entryId: newEntryId(run.now()),
    kind: 'outcome',
    time: run.now(),
    resourceId: action.id,
    changes: action.changes,
    result: 'skipped',
    reason,
    ...(pullRequestId ? { references: { pullRequestId } } : {}),
  };
}
