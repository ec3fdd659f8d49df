/** Drift under a Git change: when Git changed a resource since its last apply (pending) and live was also changed
 * outside Git, Git wins, and the run says so and records the drift it overwrites. The last apply's declaration is read
 * from Git at the commit the resource records and planned against the live state already read: no AWS call. */

import { newEntryId } from '../audit/ids.ts';
import type { LedgerEntry } from '../audit/ledger.ts';
import type { FieldChange } from '../plan/diff.ts';
import { buildPlan, type Plan } from '../plan/plan.ts';
import { loadRepository } from '../spec/repository.ts';
import type { ActiveRun } from './context.ts';
import type { LivePlan } from './plan-run.ts';

/** The reason of the ledger entry that records drift a Git change overwrote. */
export const HIDDEN_DRIFT_REASON = 'drift under a Git change: live was also changed outside Git; Git wins';

/** The plan with each pending resource's drift since its last apply (`hiddenDrift` on its actions). Best effort: a
 * last-applied commit Git no longer has, or a declaration with stack references, leaves the plan as it was. */
export async function findHiddenDrift(run: ActiveRun, planned: LivePlan): Promise<LivePlan> {
  const pending = new Map<string, string>();
  const files = new Set<string>();
  for (const action of planned.plan.actions) {
    const commitId = action.lastApplied?.commitId;
    if (action.origin === 'pending' && action.type !== 'create' && commitId && commitId !== run.context.commitId) {
      pending.set(action.id, commitId);
      if (action.file) files.add(action.file);
    }
  }
  if (pending.size === 0) return planned;
  const found = new Map<string, FieldChange[]>();
  for (const commitId of new Set(pending.values())) {
    const ids = new Set([...pending].filter(([, commit]) => commit === commitId).map(([id]) => id));
    const earlier = await loadRepository(run.deps.source, {
      ref: commitId,
      prefix: run.request.prefix ?? '',
      // Only the files of the pending resources (at the same path then): not the whole repository again.
      only: files,
      ...(run.deps.blobCache ? { blobCache: run.deps.blobCache } : {}),
    }).catch(() => undefined);
    if (!earlier) continue;
    const declarations = earlier.declarations.filter(
      (declaration) =>
        ids.has(declaration.id) && (declaration.kind !== 'EcsService' || (declaration.references ?? []).length === 0),
    );
    const then = buildPlan({ snapshot: { ...earlier, declarations }, live: planned.live });
    for (const action of then.actions) {
      if (action.changes.length === 0 || (action.type !== 'update' && action.type !== 'register-task-definition')) {
        continue;
      }
      found.set(action.id, [...(found.get(action.id) ?? []), ...action.changes]);
    }
  }
  if (found.size === 0) return planned;
  const plan: Plan = {
    ...planned.plan,
    actions: planned.plan.actions.map((action) =>
      found.has(action.id) ? { ...action, hiddenDrift: found.get(action.id)! } : action,
    ),
  };
  return { ...planned, plan };
}

/** One ledger entry per resource whose drift a Git change overwrites, with the drifted fields (live → last applied). */
export async function recordHiddenDrift(run: ActiveRun, plan: Plan): Promise<void> {
  if (run.request.dryRun) return;
  const recorded = new Set<string>();
  for (const action of plan.actions) {
    if (!action.hiddenDrift || recorded.has(action.id)) continue;
    recorded.add(action.id);
    const entry: LedgerEntry = {
      ...run.context,
      entryId: newEntryId(run.now()),
      kind: 'outcome',
      time: run.now(),
      resourceId: action.id,
      changes: action.hiddenDrift,
      result: 'skipped',
      reason: HIDDEN_DRIFT_REASON,
    };
    await run.deps.ledger.append(entry);
  }
}
