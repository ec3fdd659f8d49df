/** The run's own ledger record: the run entry that closes it (applied, in sync, partial, skipped or failed, with
 * why and what it did, counted) and the result it answers. */
import type { ApplyResult } from '../apply/executor.ts';
import { newEntryId } from '../audit/ids.ts';
import type { LedgerEntry, RunContext } from '../audit/ledger.ts';
import type { ActivePause } from '../audit/pauses.ts';
import { DriftlessError, isLedgerFailure } from '../errors.ts';
import { compareDiagnostics } from '../spec/diagnostics.ts';
import type { AfterStacks } from './after-stacks.ts';
import type { ActiveRun, RunStart } from './context.ts';
import { type DriftDecision, withHeld } from './drift-policy.ts';
import type { HeldDrift } from './held.ts';
import type { LivePlan } from './plan-run.ts';
import type { ReconcileResult, ReconcileStatus } from './types.ts';

/** What a run found and did, for its run entry and its result. */
export interface RunOutcome {
  /** The first plan, against the declarations with references resolved. */
  readonly planned: LivePlan;
  readonly decided: DriftDecision;
  readonly drift: HeldDrift;
  readonly afterStacks: AfterStacks;
  readonly pauses: readonly ActivePause[];
}

/** Another run holds the lease: the holder, or the next run, reconciles to the newest head anyway, so this event
 * needs nothing more than its skipped run entry. */
export async function skipLocked(run: RunStart): Promise<ReconcileResult> {
  const reason = 'another run holds the lock for this repository and branch; it reconciles to the newest head';
  await run.deps.ledger.append(runEntry(run.eventContext, run.now(), 'skipped', reason));
  return { runId: run.runId, status: 'skipped', diagnostics: [], reason };
}

/** Records a failed run, unless the failure is the ledger's own. */
export async function recordFailure(error: unknown, run: RunStart): Promise<void> {
  if (!(error instanceof DriftlessError)) return;
  const reason = `${error.name}: ${error.message}`;
  // A ledger that cannot be written cannot record this failure either; the error itself is the loud record.
  if (!isLedgerFailure(error)) {
    await run.deps.ledger.append(runEntry(run.eventContext, run.now(), 'failed', reason)).catch(() => undefined);
  }
}

/** Closes the run: its run entry in the ledger, and the result the caller gets. */
export async function recordRun(run: ActiveRun, outcome: RunOutcome): Promise<ReconcileResult> {
  const { planned, decided, drift, afterStacks, pauses } = outcome;
  const snapshot = planned.snapshot;
  const apply = withHeld(afterStacks.apply, drift.held);
  const diagnostics = [...snapshot.diagnostics, ...afterStacks.diagnostics].sort(compareDiagnostics);
  const status = statusOf(apply, snapshot.pruneBlocked || afterStacks.diagnostics.length > 0);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const reason =
    errors.length > 0
      ? `${errors.length} declaration error${errors.length === 1 ? '' : 's'}: nothing applied from ${[...new Set(errors.map((d) => d.file))].join(', ')}; pruning blocked`
      : undefined;
  await run.deps.ledger.append(runEntry(run.context, run.now(), status, reason, summaryOf(apply)));
  return {
    runId: run.runId,
    status,
    commitId: run.context.commitId,
    diagnostics,
    plan: planned.plan,
    ...(afterStacks.plan ? { afterStacks: afterStacks.plan } : {}),
    apply,
    driftHeld: drift.held.map((resource) => resource.action.id),
    driftAdopted: drift.adopted,
    driftPolicies: decided.policies,
    pauses,
    ...(reason ? { reason } : {}),
  };
}

function statusOf(apply: ApplyResult, pruneBlocked: boolean): ReconcileStatus {
  const outcomes = apply.resources.map((resource) => resource.outcome);
  if (outcomes.includes('failed')) return outcomes.includes('applied') ? 'partial' : 'failed';
  if (pruneBlocked) return outcomes.includes('applied') ? 'partial' : 'failed';
  return outcomes.includes('applied') ? 'applied' : 'in-sync';
}

function summaryOf(apply: ApplyResult): Record<string, number> {
  const summary: Record<string, number> = {};
  for (const resource of apply.resources) summary[resource.outcome] = (summary[resource.outcome] ?? 0) + 1;
  return summary;
}

function runEntry(
  context: Omit<RunContext, 'commitMessage'> & { commitMessage?: string },
  time: string,
  status: ReconcileStatus,
  reason?: string,
  summary?: Record<string, number>,
): LedgerEntry {
  const { commitMessage: _message, ...fields } = context;
  return {
    ...fields,
    entryId: newEntryId(time),
    kind: 'run',
    time,
    result:
      status === 'failed' ? 'failed' : status === 'skipped' ? 'skipped' : context.dryRun ? 'dry-run' : 'succeeded',
    ...(reason ? { reason } : {}),
    ...(summary ? { summary } : {}),
  };
}
