/** The manual-change function: a CloudTrail write call on a managed resource, made by anyone but driftless,
 * reconciles just that resource, seconds after the change instead of at the next sweep. */
import { ConfigurationError, RetryableError } from '../shared/errors.ts';
import { ManualChangeCoalescer, readManualChange } from '../shared/triggers/manual-change.ts';
import { type FunctionDependencies, lazyHandler, productionDependencies } from './dependencies.ts';
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
export const handler = lazyHandler(createManualChangeHandler, productionDependencies);
