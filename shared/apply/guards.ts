/** Why apply refuses, skips or holds back a resource: pure decisions on what the plan, the snapshot, the options and
 * the ledger already say, with no I/O. */
import { type LedgerEntry, WRITE_BACK_REASON_PREFIX } from '../audit/ledger.ts';
import { type Action, pruneGuards } from '../plan/plan.ts';
import type { RepositorySnapshot } from '../spec/repository.ts';
import type { ResourceKind } from '../spec/schema.ts';
import { MANAGED_BY_TAG_KEY } from '../util.ts';
import type { ApplyOptions } from './contract.ts';

/** Why nothing may be pruned, or undefined when the guards allow it; worked out again at apply time. */
export function pruneGuardReason(
  snapshot: RepositorySnapshot,
  options: ApplyOptions | undefined,
  candidateCount: number,
): string | undefined {
  if (candidateCount === 0) return undefined;
  const managedCount = options?.managedCount;
  if (managedCount === undefined) {
    return 'the number of managed resources was not given (options.managedCount), so the prune guards cannot be checked';
  }
  const settings = snapshot.settings?.document;
  const guards = pruneGuards({
    pruneEnabled: settings?.spec.sync.prune ?? false,
    pruneBlocked: snapshot.pruneBlocked,
    managedCount,
    candidateCount,
    maxPruneFraction: settings?.spec.sync.maxPruneFraction ?? 0.2,
    allowEmpty: options?.allowEmpty ?? false,
  });
  return guards.length === 0 ? undefined : guards.join('; ');
}

export function declaredReason(id: string): string {
  return `${id} is declared in Git at this commit; it is not pruned`;
}

export function unmanagedReason(id: string, installationId: string): string {
  return `${id} is not tagged ${MANAGED_BY_TAG_KEY}=${installationId}; driftless never deletes what it does not manage`;
}

export function replaceReason(kind: ResourceKind, id: string, action: Action, allowReplace: boolean): string {
  const why = action.reason ?? 'the change cannot be made in place';
  const notSupported = allowReplace
    ? 'replacing is not supported yet, even with --allow-replace'
    : 'driftless does not replace resources';
  if (kind === 'EcsService') {
    return `${why}. ${notSupported}: declare the service under a new name (and remove the old declaration), or scale the service to 0 and delete it by hand, then apply again to create it`;
  }
  const name = id.slice('CloudFormationStack:'.length);
  return `${why}. ${notSupported}: delete the stack by hand (aws cloudformation delete-stack --stack-name ${name}), then apply again to create it`;
}

/**
 * The deployment circuit breaker's memory: when the newest outcome recorded for this resource at this commit is
 * 'rolled-back' (or a skip this check recorded earlier, so the memory outlasts the history window), the commit is
 * not applied again. A new commit clears it. `history` is the resource's ledger entries, newest first.
 */
export function circuitBreakerReason(commitId: string, history: readonly LedgerEntry[]): string | undefined {
  const latest = history.find(
    (entry) => entry.commitId === commitId && entry.kind === 'outcome' && entry.dryRun !== true,
  );
  const reason = `commit ${commitId.slice(0, 12)} was rolled back by the deployment circuit breaker; a new commit clears this`;
  if (latest?.result === 'rolled-back') return reason;
  if (
    latest?.result === 'skipped' &&
    (latest.reason?.includes('rolled back by the deployment circuit breaker') ||
      latest.reason?.startsWith(WRITE_BACK_REASON_PREFIX))
  ) {
    return reason;
  }
  return undefined;
}
