/** The push function: a CodeCommit push to the tracked branch reconciles what changed at the branch head. */
import { type FunctionDependencies, lazyHandler, productionDependencies } from './dependencies.ts';
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
export const handler = lazyHandler(createPushHandler, productionDependencies);
