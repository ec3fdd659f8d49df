/** The deployment-outcome function: ECS and CloudFormation deployment events close the loop on the deployments
 * driftless started, in the ledger (shared/triggers/deployment-outcome-recorder.ts). */

import { EcsLiveReader } from '../shared/live/ecs.ts';
import { RolloutReader } from '../shared/live/rollouts.ts';
import { EventPublisher, rolloutFailedEvent } from '../shared/notify/events.ts';
import {
  type DeploymentReading,
  ignoredDeploymentEvent,
  readEcsDeploymentStateChange,
  readStackStatusChange,
} from '../shared/triggers/deployment-outcome.ts';
import {
  createDeploymentOutcomeRecorder,
  type RecordedDeploymentOutcome,
} from '../shared/triggers/deployment-outcome-recorder.ts';
import { lazyHandler, type OutcomeDependencies, outcomeDependencies } from './dependencies.ts';
import { type ErrorSummary, isRethrown, summarizeError } from './errors.ts';
import {
  ECS_DEPLOYMENT_STATE_CHANGE,
  type EcsDeploymentStateChangeEvent,
  eventLabel,
  parseEcsDeploymentStateChange,
  parseStackStatusChange,
  STACK_STATUS_CHANGE,
  type StackStatusChangeEvent,
} from './events.ts';

export type { RollbackProposalSummary } from '../shared/triggers/deployment-outcome-recorder.ts';

export type DeploymentOutcomeEvent = EcsDeploymentStateChangeEvent | StackStatusChangeEvent;

export type DeploymentOutcomeResult =
  | RecordedDeploymentOutcome
  | { readonly outcome: 'failed'; readonly error: ErrorSummary };

export function createDeploymentOutcomeHandler(
  deps: OutcomeDependencies,
): (event: DeploymentOutcomeEvent) => Promise<DeploymentOutcomeResult> {
  const { environment, logger } = deps;
  const publisher = new EventPublisher({ client: deps.eventBridge, eventBusName: environment.eventBus, logger });
  const record = createDeploymentOutcomeRecorder({
    ledger: deps.ledger,
    ecs: deps.readers?.ecs ?? new EcsLiveReader({ client: deps.ecs }),
    rollouts: new RolloutReader({ client: deps.ecs }),
    source: deps.source,
    ...(deps.proposer ? { proposer: deps.proposer } : {}),
    branch: environment.branch,
    prefix: environment.pathPrefix,
    ...(deps.blobCache ? { blobCache: deps.blobCache } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    logger,
    failures: { isRethrown, summarizeError },
    announce: (failure) => publisher.publish([rolloutFailedEvent(failure)]),
  });

  return async (event) => {
    const label = eventLabel(event);
    const reading = read(event, label.detailType);
    if (reading.kind === 'ignored') {
      logger.info('deployment event ignored', { ...label, reason: reading.reason });
      return { outcome: 'ignored', reason: reading.reason };
    }
    const log = { ...label, resourceId: reading.resourceId, deployment: reading.describe };
    try {
      return await record(reading, log);
    } catch (error) {
      const summary = summarizeError(error);
      if (isRethrown(error)) {
        logger.error('deployment outcome failed; handed back to EventBridge', { ...log, error: summary });
        throw error;
      }
      // EventBridge would only retry a terminal failure into the dead-letter queue.
      logger.error('deployment outcome failed; not retried: retrying cannot change this', { ...log, error: summary });
      return { outcome: 'failed', error: summary };
    }
  };
}

function read(event: DeploymentOutcomeEvent, detailType: string | undefined): DeploymentReading {
  if (detailType === ECS_DEPLOYMENT_STATE_CHANGE) {
    const parsed = parseEcsDeploymentStateChange(event);
    return parsed.ok ? readEcsDeploymentStateChange(parsed.event) : ignoredDeploymentEvent(parsed.reason);
  }
  if (detailType === STACK_STATUS_CHANGE) {
    const parsed = parseStackStatusChange(event);
    return parsed.ok ? readStackStatusChange(parsed.event) : ignoredDeploymentEvent(parsed.reason);
  }
  return ignoredDeploymentEvent(`detail type ${detailType ?? '(none)'} is not a deployment event`);
}

/** The Lambda handler: production dependencies, built on the first invocation (see dependencies.ts). */
export const handler = lazyHandler(createDeploymentOutcomeHandler, outcomeDependencies);
