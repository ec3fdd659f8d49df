/** One reconcile run, start to finish, one step a line: lock → read head (the pauses and the recovery of unpaired
 * intents alongside) → scope → confine → read live and plan → drift decisions → adopt and hold → apply → second pass
 * after stacks → run record → catch up with a moved head → release. Used by the Lambda handlers, the CLI and the demo alike; every write is checked against the lease and
 * recorded in the ledger. */

import { together } from '../util.ts';
import { applyAfterStacks } from './after-stacks.ts';
import { applyFirstPass } from './apply-pass.ts';
import { catchUpRequest, headMoved, MAX_CATCH_UPS, recordAppliedCommit } from './catch-up.ts';
import { confine } from './confine.ts';
import { type ActiveRun, type RunStart, runContext, startRun } from './context.ts';
import { decideDrift } from './drift-policy.ts';
import { readHead } from './head.ts';
import { holdDrift } from './held.ts';
import { findHiddenDrift, recordHiddenDrift } from './hidden-drift.ts';
import { liveReadersOf, planAgainstLive, pruneCandidates } from './plan-run.ts';
import { recordFailure, recordRun, skipLocked } from './record.ts';
import { recoverUnpairedIntents, underLease } from './recover.ts';
import { leaseKey, scopeOf } from './scope.ts';
import type { ReconcileDependencies, ReconcileRequest, ReconcileResult, RunLease } from './types.ts';

/** How often a running reconcile renews its lease; well inside the lease time. */
const RENEW_INTERVAL_MS = 15_000;

export async function reconcile(request: ReconcileRequest, deps: ReconcileDependencies): Promise<ReconcileResult> {
  const start = startRun(request, deps);
  const lease = await deps.lock.acquire(leaseKey(request), start.runId);
  if (!lease) return skipLocked(start);
  const stopRenewal = lease.startAutoRenew(RENEW_INTERVAL_MS);
  try {
    let result = await reconcileHead(start, lease);
    // A push that found the lock held was skipped: the run holding it applies that commit before letting go.
    for (let again = 0; again < MAX_CATCH_UPS && (await headMoved(request, deps, result)); again++) {
      result = await reconcileHead(startRun(catchUpRequest(request), deps), lease);
    }
    return result;
  } finally {
    stopRenewal();
    await lease.release();
  }
}

async function reconcileHead(start: RunStart, lease: RunLease): Promise<ReconcileResult> {
  const { request, deps } = start;
  try {
    const leased = underLease(start, lease);
    // The pauses and the recovery of unpaired intents need nothing from Git: they are read while the head is.
    const [head, pauses] = await together([
      readHead(request, deps),
      deps.ledger.activePauses(request.repository, request.branch, start.clock()),
      recoverUnpairedIntents(leased),
    ]);
    const scope = scopeOf(head.snapshot, request, head.changes);
    const confined = confine(scope.snapshot, request.limits);
    const run: ActiveRun = { ...leased, context: runContext(start, head) };
    const readers = deps.readers ?? liveReadersOf(deps);
    // A targeted run never prunes, so it never lists prune candidates.
    const orphans = scope.targeted ? {} : pruneCandidates(confined, request.installationId);
    const planned = await findHiddenDrift(run, await planAgainstLive(confined, readers, orphans));
    const decided = decideDrift(planned.plan, planned.snapshot, request, pauses);
    await recordHiddenDrift(run, decided.plan);
    const drift = await holdDrift(run, decided, planned);
    const firstPass = await applyFirstPass(run, decided.plan, planned);
    // Held resources (paused, or drift under alert or adopt) were taken out of `decided.plan`: the second pass
    // cannot see them.
    const afterStacks = await applyAfterStacks(run, { readers, confined, plan: decided.plan, apply: firstPass });
    const result = await recordRun(run, { planned, decided, drift, afterStacks, pauses });
    await recordAppliedCommit(run, result);
    return result;
  } catch (error) {
    await recordFailure(error, start);
    throw error;
  }
}
