/** One reconcile run for a function (push or sweep): run it, announce what it did, and map its failure to
 * "return" or "throw back to EventBridge" (see errors.ts). */
import type { ResourceOutcome } from '../shared/apply/executor.ts';
import type { Trigger } from '../shared/audit/ledger.ts';
import { RecordingLedger } from '../shared/audit/recording-ledger.ts';
import {
  type DetailType,
  EventPublisher,
  type RunIdentity,
  reconcileErrorEvent,
  reconcileEvents,
} from '../shared/notify/events.ts';
import { reconcile } from '../shared/reconcile/run.ts';
import type { AdoptedDrift, HeldChange, ReconcileRequest, ReconcileStatus } from '../shared/reconcile/types.ts';
import type { FunctionDependencies } from './dependencies.ts';
import { limitsOf } from './environment.ts';
import { classifyError, type ErrorSummary, summarizeError } from './errors.ts';

/** What a push or sweep invocation returns: small, for the Lambda console and the tests. */
export type RunSummary =
  | {
      readonly outcome: 'reconciled';
      readonly runId: string;
      readonly status: ReconcileStatus;
      readonly commitId?: string;
      /** Resources by what happened to them. */
      readonly counts: Partial<Record<ResourceOutcome, number>>;
      /** Resources whose drift (or pushed changes) the run left in place: drift policy alert or adopt, or a pause. */
      readonly driftHeld: readonly string[];
      /** Drift proposed back to Git (drift policy adopt): the branch, and the pull request when there is one. */
      readonly driftAdopted: readonly AdoptedDrift[];
      /** Every change the run left in place on purpose, with why (status `held`, or held beside what was applied). */
      readonly held: readonly HeldChange[];
      readonly reason?: string;
      /** Detail types announced on the event bus. */
      readonly announced: readonly DetailType[];
    }
  | {
      readonly outcome: 'failed';
      readonly error: ErrorSummary;
      readonly announced: readonly DetailType[];
    };

/** What the trigger adds to the run the environment describes. */
export type RunRequest = Pick<
  ReconcileRequest,
  'eventCommitId' | 'pushedBy' | 'changedSince' | 'shard' | 'resources' | 'manualChange'
> & {
  readonly trigger: Trigger;
};

export function runRequest(deps: FunctionDependencies, request: RunRequest): ReconcileRequest {
  const { environment } = deps;
  return {
    repository: environment.repository,
    branch: environment.branch,
    prefix: environment.pathPrefix,
    installationId: environment.installationId,
    limits: limitsOf(environment),
    ...(environment.cloudFormationRoleArn ? { defaultStackRoleArn: environment.cloudFormationRoleArn } : {}),
    ...(deps.applyOptions ? { applyOptions: deps.applyOptions } : {}),
    ...request,
  };
}

/** Runs reconcile and announces the result. Terminal errors are logged, announced and returned; retryable and
 * unexpected ones are announced and rethrown. */
export async function runAndAnnounce(
  deps: FunctionDependencies,
  request: RunRequest,
  log: Record<string, unknown>,
): Promise<RunSummary> {
  const full = runRequest(deps, request);
  const run: RunIdentity = {
    repository: full.repository,
    branch: full.branch,
    trigger: full.trigger,
    ...(full.manualChange
      ? {
          manualChange: {
            changedBy: full.manualChange.changedBy,
            apiCall: full.manualChange.apiCall,
            eventId: full.manualChange.eventId,
          },
        }
      : {}),
  };
  const ledger = new RecordingLedger(deps.ledger);
  const publisher = new EventPublisher({
    client: deps.eventBridge,
    eventBusName: deps.environment.eventBus,
    logger: deps.logger,
  });
  let result: Awaited<ReturnType<typeof reconcile>>;
  try {
    result = await reconcile(full, {
      source: deps.source,
      ecs: deps.ecs,
      cloudFormation: deps.cloudFormation,
      ledger,
      lock: deps.lock,
      ...(deps.readers ? { readers: deps.readers } : {}),
      ...(deps.blobCache ? { blobCache: deps.blobCache } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      ...(deps.proposer ? { proposer: deps.proposer } : {}),
      ...(deps.appliedCommits ? { appliedCommits: deps.appliedCommits } : {}),
      rateShare: deps.environment.readShare,
    });
  } catch (error) {
    const kind = classifyError(error);
    const summary = summarizeError(error);
    const event = reconcileErrorEvent(run, summary, ledger.entries, full.eventCommitId);
    await publisher.publish([event]);
    if (kind === 'terminal') {
      deps.logger.error('reconcile failed; not retried: retrying cannot change this', { ...log, error: summary });
      return { outcome: 'failed', error: summary, announced: [event.detailType] };
    }
    deps.logger.error(
      kind === 'retryable'
        ? 'reconcile failed; handed back to EventBridge to retry'
        : 'reconcile failed unexpectedly; handed back to EventBridge (dead-letter queue after the retries)',
      { ...log, error: summary },
    );
    throw error;
  }

  const events = reconcileEvents(run, result, ledger.entries);
  await publisher.publish(events);
  const counts: Partial<Record<ResourceOutcome, number>> = {};
  for (const resource of result.apply?.resources ?? []) counts[resource.outcome] = (counts[resource.outcome] ?? 0) + 1;
  const summary: RunSummary = {
    outcome: 'reconciled',
    runId: result.runId,
    status: result.status,
    ...(result.commitId ? { commitId: result.commitId } : {}),
    counts,
    driftHeld: result.driftHeld ?? [],
    driftAdopted: result.driftAdopted ?? [],
    held: result.held ?? [],
    ...(result.reason ? { reason: result.reason } : {}),
    announced: events.map((event) => event.detailType),
  };
  const line = { ...log, ...summary };
  if (result.status === 'failed' || result.status === 'partial') {
    // Validation errors and failed resources are recorded and announced; a retry would meet them again.
    deps.logger.error('reconcile finished with failures; not retried', line);
  } else {
    deps.logger.info('reconcile finished', line);
  }
  return summary;
}
