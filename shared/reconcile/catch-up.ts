/** No commit left behind: after a run, the branch's last fully applied commit is recorded (a later push scopes from
 * it), and a run whose branch moved while it ran goes again under the same lease, so a push that found the lock held
 * is applied by the run that held it. */
import type { ActiveRun } from './context.ts';
import type { ReconcileDependencies, ReconcileRequest, ReconcileResult } from './types.ts';

/** How many times a run goes again for a head that moved; the next push or sweep takes whatever is still newer. */
export const MAX_CATCH_UPS = 3;

function isFullRun(request: ReconcileRequest): boolean {
  return !request.resources && !request.shard && request.dryRun !== true;
}

/** Every Git change at the run's commit is in AWS: nothing failed, waited or was held except drift (a drift policy or
 * a pause on drift holds a change made outside Git, never a Git change). */
export function appliedInFull(result: ReconcileResult): boolean {
  if (result.status !== 'applied' && result.status !== 'in-sync' && result.status !== 'held') return false;
  const driftOnly = new Set(Object.keys(result.driftPolicies ?? {}));
  return (result.apply?.resources ?? []).every(
    (resource) =>
      resource.outcome === 'applied' ||
      resource.outcome === 'in-sync' ||
      (resource.outcome === 'skipped' && driftOnly.has(resource.id)),
  );
}

export async function recordAppliedCommit(run: ActiveRun, result: ReconcileResult): Promise<void> {
  const { request, deps } = run;
  if (!deps.appliedCommits || !isFullRun(request) || !result.commitId || !appliedInFull(result)) return;
  // Best effort: the run itself succeeded, and an older recorded commit only widens the next push's scope.
  await run
    .guard()
    .then(() =>
      deps.appliedCommits?.record(
        { repository: request.repository, branch: request.branch },
        result.commitId!,
        run.now(),
      ),
    )
    .catch(() => undefined);
}

/** Whether the branch head is no longer the commit the run applied (a push landed while it ran). */
export async function headMoved(
  request: ReconcileRequest,
  deps: ReconcileDependencies,
  result: ReconcileResult,
): Promise<boolean> {
  if (!isFullRun(request) || !result.commitId) return false;
  // A head that cannot be read now is left to the next event or sweep: the run itself is done.
  const head = await deps.source.resolveRef(request.branch).catch(() => result.commitId);
  return head !== result.commitId;
}

/** The request a catch-up run makes: a new run id, the same scope base (a superset of the files that changed). */
export function catchUpRequest(request: ReconcileRequest): ReconcileRequest {
  const { runId: _runId, eventCommitId: _eventCommitId, ...rest } = request;
  return rest;
}
