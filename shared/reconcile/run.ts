/** One reconcile run, start to finish, one step a line: lock → read head → scope → confine → read live and plan →
 * drift decisions → adopt and hold → apply → second pass after stacks → run record → release. Used by the Lambda
 * handlers, the CLI and the demo alike; every write is checked against the lease and recorded in the ledger. */
import { applyAfterStacks } from './after-stacks.ts';
import { applyFirstPass } from './apply-pass.ts';
import { confine } from './confine.ts';
import { runContext, startRun } from './context.ts';
import { decideDrift } from './drift-policy.ts';
import { readHead } from './head.ts';
import { holdDrift } from './held.ts';
import { liveReadersOf, planAgainstLive, pruneCandidates } from './plan-run.ts';
import { recordFailure, recordRun, skipLocked } from './record.ts';
import { underLease } from './recover.ts';
import { leaseKey, scopeOf } from './scope.ts';
import type { ReconcileDependencies, ReconcileRequest, ReconcileResult } from './types.ts';

/** How often a running reconcile renews its lease; well inside the lease time. */
const RENEW_INTERVAL_MS = 15_000;

export async function reconcile(request: ReconcileRequest, deps: ReconcileDependencies): Promise<ReconcileResult> {
  const start = startRun(request, deps);
  const lease = await deps.lock.acquire(leaseKey(request), start.runId);
  if (!lease) return skipLocked(start);
  const stopRenewal = lease.startAutoRenew(RENEW_INTERVAL_MS);
  try {
    const head = await readHead(request, deps);
    const scope = scopeOf(head.snapshot, request, head.changes);
    const confined = confine(scope.snapshot, request.limits);
    const run = await underLease({ ...start, context: runContext(start, head) }, lease);
    const readers = deps.readers ?? liveReadersOf(deps);
    // A targeted run never prunes, so it never lists prune candidates.
    const orphans = scope.targeted ? {} : pruneCandidates(confined, request.installationId);
    const planned = await planAgainstLive(confined, readers, orphans);
    const pauses = await deps.ledger.activePauses(request.repository, request.branch, start.clock());
    const decided = decideDrift(planned.plan, planned.snapshot, request, pauses);
    const drift = await holdDrift(run, decided, planned);
    const firstPass = await applyFirstPass(run, decided.plan, planned);
    // Held resources (paused, or drift under alert or adopt) were taken out of `decided.plan`: the second pass
    // cannot see them.
    const afterStacks = await applyAfterStacks(run, { readers, confined, plan: decided.plan, apply: firstPass });
    return await recordRun(run, { planned, decided, drift, afterStacks, pauses });
  } catch (error) {
    await recordFailure(error, start);
    throw error;
  } finally {
    stopRenewal();
    await lease.release();
  }
}
