/** The run's own ledger record and result: its one word (applied, in sync, held, dry run, partial, failed or
 * skipped; see ReconcileStatus), why, what it held, and what it did, counted. */
import type { ApplyResult, ResourceOutcome } from '../apply/executor.ts';
import { newEntryId } from '../audit/ids.ts';
import type { EntryResult, LedgerEntry, RunContext } from '../audit/ledger.ts';
import type { ActivePause } from '../audit/pauses.ts';
import { DriftlessError, isLedgerFailure } from '../errors.ts';
import { compareDiagnostics, type Diagnostic } from '../spec/diagnostics.ts';
import type { AfterStacks } from './after-stacks.ts';
import type { ActiveRun, RunStart } from './context.ts';
import { type DriftDecision, withHeld } from './drift-policy.ts';
import type { HeldDrift } from './held.ts';
import type { LivePlan } from './plan-run.ts';
import type { HeldChange, ReconcileResult, ReconcileStatus } from './types.ts';

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
  const held = heldOf(apply);
  const reason = reasonOf(status, apply, diagnostics, held);
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
    held,
    ...(reason ? { reason } : {}),
  };
}

/** Outcomes that need a person: a write that failed, or one driftless refused to make (a prune guard, a replace). */
const FAILURES: ReadonlySet<ResourceOutcome> = new Set(['failed', 'refused']);
/** Outcomes of a change left in place on purpose: held (pause, drift policy, rolled-back commit) or waiting. */
const HELD: ReadonlySet<ResourceOutcome> = new Set(['skipped', 'waiting']);

/** The run's one word (see ReconcileStatus): a failure outranks a dry run, a dry run anything applied, anything
 * applied a hold, and only a run with nothing held, waiting, refused or failed is in sync. */
export function statusOf(apply: ApplyResult, pruneBlocked: boolean): ReconcileStatus {
  const outcomes = new Set(apply.resources.map((resource) => resource.outcome));
  const applied = outcomes.has('applied');
  if (pruneBlocked || [...FAILURES].some((outcome) => outcomes.has(outcome))) return applied ? 'partial' : 'failed';
  if (apply.dryRun) return 'dry-run';
  if (applied) return 'applied';
  return [...HELD].some((outcome) => outcomes.has(outcome)) ? 'held' : 'in-sync';
}

function heldOf(apply: ApplyResult): HeldChange[] {
  return apply.resources
    .filter((resource) => HELD.has(resource.outcome))
    .map((resource) => ({ resourceId: resource.id, reason: resource.reason ?? resource.outcome }));
}

/** Named in full in a run's reason; past it, a count (each resource's outcome entry keeps its own reason). */
const LISTED = 3;

function listed(items: readonly string[]): string {
  const shown = items.slice(0, LISTED).join('; ');
  return items.length > LISTED ? `${shown}; and ${items.length - LISTED} more` : shown;
}

/** What a run that did not simply apply everything, or find nothing to do, says about why, in a sentence: the
 * declaration errors, what failed or was refused, what a dry run would apply, and what was held and why. */
export function reasonOf(
  status: ReconcileStatus,
  apply: ApplyResult,
  diagnostics: readonly Diagnostic[],
  held: readonly HeldChange[],
): string | undefined {
  const parts: string[] = [];
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const files = [...new Set(errors.map((d) => d.file))].join(', ');
    parts.push(
      `${errors.length} declaration error${errors.length === 1 ? '' : 's'}: nothing applied from ${files}; pruning blocked`,
    );
  }
  const failed = apply.resources.filter((resource) => resource.outcome === 'failed');
  if (failed.length > 0) {
    parts.push(
      `${failed.length} failed: ${listed(failed.map((r) => `${r.id} — ${r.error ? `${r.error.name}: ${r.error.message}` : 'failed'}`))}`,
    );
  }
  const refused = apply.resources.filter((resource) => resource.outcome === 'refused');
  if (refused.length > 0) {
    parts.push(`${refused.length} refused: ${listed(refused.map((r) => `${r.id} — ${r.reason ?? 'refused'}`))}`);
  }
  if (status === 'dry-run') {
    const wouldApply = apply.resources.filter((resource) => resource.outcome === 'dry-run').map((r) => r.id);
    parts.push(
      wouldApply.length === 0 ? 'would apply nothing' : `would apply ${wouldApply.length}: ${listed(wouldApply)}`,
    );
  }
  if (held.length > 0) {
    parts.push(`${held.length} held: ${listed(held.map((change) => `${change.resourceId} — ${change.reason}`))}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function summaryOf(apply: ApplyResult): Record<string, number> {
  const summary: Record<string, number> = {};
  for (const resource of apply.resources) summary[resource.outcome] = (summary[resource.outcome] ?? 0) + 1;
  return summary;
}

/**
 * The run entry's result, in the ledger's words (the saved queries and the FailedRuns metric read them): applied
 * and in sync succeeded; held and skipped are `skipped`, the reason saying which; a dry run is `dry-run`; partial
 * and failed are `failed`, so a run with a failure is counted with the failures.
 */
export function entryResultOf(status: ReconcileStatus): EntryResult {
  switch (status) {
    case 'applied':
    case 'in-sync':
      return 'succeeded';
    case 'held':
    case 'skipped':
      return 'skipped';
    case 'dry-run':
      return 'dry-run';
    case 'partial':
    case 'failed':
      return 'failed';
  }
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
    result: entryResultOf(status),
    ...(reason ? { reason } : {}),
    ...(summary ? { summary } : {}),
  };
}
