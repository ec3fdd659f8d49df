/**
 * Manual change: an "AWS API Call via CloudTrail" event for a write call on a managed ECS service or CloudFormation
 * stack, made by anyone but driftless, reconciles just that resource — seconds after the change instead of at the
 * next sweep. The sweep stays as the backstop (CloudTrail delivers these events on a best-effort basis).
 *
 * - What counts as a manual change, and what is ignored with one log line and no AWS call (driftless's own calls,
 *   failed or read-only calls, Application Auto Scaling, resources outside the deployment's limits, events that do
 *   not parse): shared/manual-change.ts.
 * - The run: trigger `manual-change`, only the resources the call changed (`CloudFormationStack:*` when an
 *   ExecuteChangeSet names no stack), the same lock and ledger as every run; every ledger entry records who made the
 *   change (`changedBy`) and the call (`apiCall`), and so do the Drift Detected / Drift Reverted events. What happens
 *   to the drift is the resource's drift policy (revert unless self-heal is off).
 * - A burst is one revert: a warm function remembers when it last started a run for each resource, and an event made
 *   before that run started (CloudTrail times have whole seconds: one second of margin) needs no run of its own,
 *   since that run read the resource after the change. The function runs one invocation at a time (reserved
 *   concurrency 1), so a burst is taken in order.
 * - Lock busy (a push or sweep is running): the event is handed back for Lambda's retry, so the change is still
 *   answered; the retry is usually coalesced, or finds the resource in sync.
 *
 * Errors: as the push function (functions/run.ts): terminal ones are logged, announced and returned; retryable ones
 * and unexpected ones are rethrown for the retry policy and the dead-letter queue. A ConfigurationError (no
 * DRIFTLESS_OWN_ROLE_ARNS: without it driftless would answer its own writes) is rethrown on every invocation.
 */
import { ConfigurationError, RetryableError } from '../shared/errors.ts';
import { ManualChangeCoalescer, readManualChange } from '../shared/triggers/manual-change.ts';
import { type FunctionDependencies, lazyHandler } from './dependencies.ts';
import { ENVIRONMENT } from './environment.ts';
import { type CloudTrailApiCallEvent, eventLabel, parseCloudTrailApiCall } from './events.ts';
import { type RunSummary, runAndAnnounce } from './run.ts';

export type ManualChangeResult =
  | { readonly outcome: 'ignored'; readonly reason: string }
  | { readonly outcome: 'coalesced'; readonly reason: string; readonly resources: readonly string[] }
  | RunSummary;

export function createManualChangeHandler(
  deps: FunctionDependencies,
): (event: CloudTrailApiCallEvent) => Promise<ManualChangeResult> {
  const { environment, logger } = deps;
  const ownRoleArns = environment.ownRoleArns ?? [];
  if (ownRoleArns.length === 0) {
    throw new ConfigurationError(
      `${ENVIRONMENT.ownRoleArns} is empty: the manual-change function must know driftless's own roles, or it would answer its own writes`,
    );
  }
  const scope = {
    ownRoleArns,
    allowedClusters: environment.allowedClusters,
    stackNamePrefix: environment.stackNamePrefix,
  };
  const coalescer = new ManualChangeCoalescer();
  const now = deps.now ?? Date.now;

  return async (event) => {
    const parsed = parseCloudTrailApiCall(event);
    if (!parsed.ok) {
      logger.warn('event ignored', { ...eventLabel(event), reason: parsed.reason });
      return { outcome: 'ignored', reason: parsed.reason };
    }
    const { detail } = parsed.event;
    const reading = readManualChange(detail, scope);
    const log = {
      eventId: parsed.event.id,
      cloudTrailEventId: detail.eventID,
      apiCall: `${detail.eventSource.split('.')[0]}:${detail.eventName}`,
      eventTime: detail.eventTime,
    };
    if (reading.answer === 'ignore') {
      logger.info('manual change ignored', { ...log, reason: reading.reason });
      return { outcome: 'ignored', reason: reading.reason };
    }
    const line = { ...log, changedBy: reading.changedBy, resources: reading.resources };
    if (coalescer.covered(reading.resources, reading.eventTime)) {
      const reason = 'a run that started after this change has reconciled the resource already';
      logger.info('manual change coalesced', { ...line, reason });
      return { outcome: 'coalesced', reason, resources: reading.resources };
    }
    const startedAt = now();
    const summary = await runAndAnnounce(
      deps,
      {
        trigger: 'manual-change',
        resources: reading.resources,
        manualChange: {
          changedBy: reading.changedBy,
          apiCall: reading.apiCall,
          eventId: reading.eventId,
          eventTime: reading.eventTime,
        },
      },
      line,
    );
    if (summary.outcome === 'reconciled' && summary.status === 'skipped') {
      // The holder may have read the resource before the change: answer it once the lock is free.
      throw new RetryableError(
        `${reading.apiCall} on ${reading.resources.join(', ')} waits: ${summary.reason ?? 'another run holds the lock'}`,
      );
    }
    if (summary.outcome === 'reconciled') coalescer.started(reading.resources, startedAt);
    return summary;
  };
}

/** The Lambda handler: production dependencies, built on the first invocation (see dependencies.ts). */
export const handler = lazyHandler(createManualChangeHandler);
