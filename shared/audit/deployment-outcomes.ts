/**
 * How a deployment driftless started ended, written to the ledger: the ECS deployment (by its id) or the
 * CloudFormation stack operation (by its stack id) is traced back to the newest ledger outcome that references it,
 * which names the resource, the commit and the run; a new outcome entry (trigger `deployment-event`) records
 * succeeded, failed or rolled-back. A `rolled-back` entry is the deployment circuit breaker's memory: the executor
 * skips that resource at that commit until a new commit arrives (shared/apply/executor.ts, rolledBackReason).
 */

import { newActionId, newEntryId } from './ids.ts';
import type { AuditLedger, EntryResult, LedgerEntry } from './ledger.ts';

export type DeploymentResult = Extract<EntryResult, 'succeeded' | 'failed' | 'rolled-back'>;

/** How far back in one resource's history a deployment is looked for: events arrive minutes after the write. */
const HISTORY_LIMIT = 200;

/** The ledger outcome of the write that started the deployment, when driftless started it; `recorded` when its end
 * is in the ledger already (a repeated event, or a later event of an operation already settled). */
export type DeploymentOrigin =
  | { readonly kind: 'ours'; readonly entry: LedgerEntry }
  | { readonly kind: 'recorded'; readonly entry: LedgerEntry }
  | { readonly kind: 'unknown' };

export async function findDeploymentOrigin(
  ledger: AuditLedger,
  resourceId: string,
  references: (entry: LedgerEntry) => boolean,
): Promise<DeploymentOrigin> {
  const history = await ledger.resourceHistory(resourceId, { limit: HISTORY_LIMIT });
  const newest = history.find((entry) => entry.kind === 'outcome' && entry.dryRun !== true && references(entry));
  if (!newest) return { kind: 'unknown' };
  return newest.trigger === 'deployment-event' ? { kind: 'recorded', entry: newest } : { kind: 'ours', entry: newest };
}

/** Appends the deployment's end as an outcome of the run and commit that started it. */
export async function recordDeploymentOutcome(
  ledger: AuditLedger,
  origin: LedgerEntry,
  outcome: { readonly result: DeploymentResult; readonly reason: string; readonly now?: () => number },
): Promise<LedgerEntry> {
  const time = new Date((outcome.now ?? Date.now)()).toISOString();
  const entry: LedgerEntry = {
    runId: origin.runId,
    trigger: 'deployment-event',
    repository: origin.repository,
    branch: origin.branch,
    commitId: origin.commitId,
    ...(origin.commitAuthor ? { commitAuthor: origin.commitAuthor } : {}),
    ...(origin.commitCommitter ? { commitCommitter: origin.commitCommitter } : {}),
    ...(origin.pushedBy ? { pushedBy: origin.pushedBy } : {}),
    dryRun: false,
    entryId: newEntryId(time),
    kind: 'outcome',
    time,
    actionId: newActionId(),
    ...(origin.resourceId ? { resourceId: origin.resourceId } : {}),
    ...(origin.action ? { action: origin.action } : {}),
    ...(origin.references ? { references: origin.references } : {}),
    result: outcome.result,
    reason: outcome.reason,
  };
  await ledger.append(entry);
  return entry;
}
