/**
 * Push: a CodeCommit Repository State Change on the tracked branch reconciles the branch head.
 *
 * - Reconciles `referenceCreated` and `referenceUpdated` of the tracked branch in the configured repository:
 *   trigger `push`, the event's commit and caller recorded (the run applies the head it reads, so a late or
 *   duplicate event changes nothing), only the declarations changed since the event's previous head
 *   (`oldCommitId`), and the deployment's limits from the environment.
 * - Ignores, with one log line and no AWS call: other repositories, other branches, tags, and branch deletions
 *   (a deleted tracked branch leaves the resources as they are; the sweep reports it as an error).
 * - Announces on the event bus: Reconcile Succeeded / Reconcile Failed / Prune Refused (shared/notify/events.ts).
 *
 * Errors: terminal ones (configuration, validation, a missing commit, access denied) are logged, announced and
 * returned, never rethrown: EventBridge would only retry them into the dead-letter queue. Retryable ones (throttled
 * or failed live reads, a lost lock, an unwritable ledger) and unexpected ones are rethrown for EventBridge's retry
 * policy and dead-letter queue. The one exception is a ConfigurationError while building the dependencies: it is
 * rethrown on every invocation (see dependencies.ts).
 */
import { type FunctionDependencies, lazyHandler } from './dependencies.ts';
import { eventLabel, parseRepositoryStateChange, type RepositoryStateChangeEvent } from './events.ts';
import { type RunSummary, runAndAnnounce } from './run.ts';

export type PushResult = { readonly outcome: 'ignored'; readonly reason: string } | RunSummary;

const RECONCILED_EVENTS = new Set(['referenceCreated', 'referenceUpdated']);

export function createPushHandler(
  deps: FunctionDependencies,
): (event: RepositoryStateChangeEvent) => Promise<PushResult> {
  const { environment, logger } = deps;
  return async (event) => {
    const parsed = parseRepositoryStateChange(event);
    if (!parsed.ok) {
      logger.warn('event ignored', { ...eventLabel(event), reason: parsed.reason });
      return { outcome: 'ignored', reason: parsed.reason };
    }
    const { detail } = parsed.event;
    const reason = ignoredBecause(detail, environment);
    const log = {
      eventId: parsed.event.id,
      repository: detail.repositoryName,
      reference: detail.referenceName,
      event: detail.event,
      commitId: detail.commitId,
    };
    if (reason) {
      logger.info('push ignored', { ...log, reason });
      return { outcome: 'ignored', reason };
    }
    return runAndAnnounce(
      deps,
      {
        trigger: 'push',
        ...(detail.commitId ? { eventCommitId: detail.commitId } : {}),
        ...(detail.callerUserArn ? { pushedBy: detail.callerUserArn } : {}),
        ...(detail.event === 'referenceUpdated' && detail.oldCommitId ? { changedSince: detail.oldCommitId } : {}),
      },
      log,
    );
  };
}

function ignoredBecause(
  detail: RepositoryStateChangeEvent['detail'],
  environment: FunctionDependencies['environment'],
): string | undefined {
  if (detail.repositoryName !== environment.repository) {
    return `repository ${detail.repositoryName} is not the tracked repository ${environment.repository}`;
  }
  if (detail.referenceType !== 'branch') return `reference type ${detail.referenceType ?? '(none)'} is not a branch`;
  if (detail.referenceName !== environment.branch) {
    return `branch ${detail.referenceName ?? '(none)'} is not the tracked branch ${environment.branch}`;
  }
  if (detail.event === 'referenceDeleted') {
    return `the tracked branch ${environment.branch} was deleted; resources are left as they are`;
  }
  if (!RECONCILED_EVENTS.has(detail.event)) return `event ${detail.event} does not move the branch`;
  return undefined;
}

/** The Lambda handler: production dependencies, built on the first invocation (see dependencies.ts). */
export const handler = lazyHandler(createPushHandler);
