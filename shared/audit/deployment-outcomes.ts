/**
 * How a deployment driftless started ended, written to the ledger: the ECS deployment (by its id) or the
 * CloudFormation stack operation (by its stack id) is traced back to the newest ledger outcome that references it,
 * which names the resource, the commit and the run; a new outcome entry (trigger `deployment-event`) records
 * succeeded, failed or rolled-back. A `rolled-back` entry is the deployment circuit breaker's memory: the executor
 * skips that resource at that commit until a new commit arrives (shared/apply/executor.ts, rolledBackReason).
 */

import { newActionId } from '../audit/ids.ts';
import { newEntryId } from './ids.ts';
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

// ------------------------------------------------------------------------------------------------ ECS

/** `arn:aws:ecs:<region>:<account>:service/<cluster>/<name>` → cluster and name; the old ARN format (no cluster)
 * cannot be traced to a declaration and answers undefined. */
export function parseServiceArn(arn: string): { cluster: string; name: string } | undefined {
  const match = /^arn:[^:]+:ecs:[^:]*:\d{12}:service\/([^/]+)\/([^/]+)$/.exec(arn);
  return match ? { cluster: match[1]!, name: match[2]! } : undefined;
}

/** The circuit breaker's words for a rollback, in a FAILED event's or a rollback deployment's reason. */
export function saysRolledBack(reason: string | undefined): boolean {
  return /roll(ed|ing)?[\s-]?back/i.test(reason ?? '');
}

// ------------------------------------------------------------------------------------------------ CloudFormation

/** `arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>` → the stack name. */
export function stackNameOf(stackId: string): string | undefined {
  return /^arn:[^:]+:cloudformation:[^:]*:\d{12}:stack\/([^/]+)(\/.*)?$/.exec(stackId)?.[1];
}

/** A stack id as the ledger recorded it matches the event's, which the reference sometimes shows without the uuid. */
export function sameStack(recorded: string | undefined, fromEvent: string): boolean {
  return recorded !== undefined && (recorded === fromEvent || recorded.startsWith(`${fromEvent}/`));
}

/** Terminal stack statuses and what they mean for the operation driftless started; anything else is in progress. */
export function stackResult(status: string): DeploymentResult | undefined {
  if (status === 'UPDATE_ROLLBACK_COMPLETE' || status === 'ROLLBACK_COMPLETE') return 'rolled-back';
  if (status.endsWith('_IN_PROGRESS') || status === 'REVIEW_IN_PROGRESS') return undefined;
  if (status.endsWith('_FAILED')) return 'failed';
  if (status.endsWith('_COMPLETE')) return 'succeeded';
  return undefined;
}
