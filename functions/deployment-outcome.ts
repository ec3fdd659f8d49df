/**
 * Deployment outcome: ECS Deployment State Change and CloudFormation Stack Status Change events close the loop on
 * the deployments driftless started, in the ledger (outcomes.ts).
 *
 * - ECS: SERVICE_DEPLOYMENT_COMPLETED → succeeded; SERVICE_DEPLOYMENT_FAILED → rolled-back when the reason says the
 *   circuit breaker rolls back or the service's circuit breaker (or alarms) has rollback on (one DescribeServices),
 *   else failed; SERVICE_DEPLOYMENT_IN_PROGRESS → rolled-back only when its reason says it is rolling back, else
 *   nothing to record. The service is resources[0]; the deployment is matched by detail.deploymentId.
 * - CloudFormation: UPDATE_ROLLBACK_COMPLETE / ROLLBACK_COMPLETE → rolled-back, other *_FAILED → failed, other
 *   *_COMPLETE → succeeded, *_IN_PROGRESS → nothing to record; matched by detail.stack-id.
 * - Only deployments driftless started: one the ledger does not reference (not ours) is ignored with a log line, as
 *   is one whose end is recorded already (a repeated event). Nothing else reads or writes AWS.
 * - `rolled-back` marks the commit as rolled back for that resource: the executor skips it until a new commit.
 * - Rollback write-back (when deps.proposer is set): after `rolled-back` is recorded, a pull request restores the
 *   resource's declaration files to their previous version (shared/rollback.ts); driftless never merges it. What it
 *   did is one more ledger outcome (still `rolled-back`, reason `rollback write-back: …`). A retried or repeated event
 *   whose rollback is recorded but whose write-back is not makes the write-back then; once it is recorded, a
 *   repeat is ignored. The proposal's branch is deterministic, so even a crash between the pull request and its
 *   ledger entry opens one pull request. A terminal failure to propose is logged and recorded, not retried.
 * - Announces Rollout Failed on the event bus for failed and rolled-back deployments (with the write-back's pull
 *   request or branch), once the write-back is done.
 *
 * Errors: terminal ones (configuration, access denied) are logged and returned, never rethrown: EventBridge would
 * only retry them into the dead-letter queue. Retryable ones (ledger or ECS throttling and 5xx, a ledger write that
 * failed) and unexpected ones are rethrown for EventBridge's retry policy and dead-letter queue; a retried event
 * records once, because a recorded end makes the next delivery a repeat. A ConfigurationError while building the
 * dependencies is rethrown on every invocation (see dependencies.ts).
 */
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import {
  type DeploymentResult,
  findDeploymentOrigin,
  parseServiceArn,
  recordDeploymentOutcome,
  sameStack,
  saysRolledBack,
  stackNameOf,
  stackResult,
} from '../shared/audit/deployment-outcomes.ts';
import type { LedgerEntry } from '../shared/audit/ledger.ts';
import { EventPublisher, rolloutFailedEvent } from '../shared/notify/events.ts';
import {
  isWriteBackEntry,
  type RollbackWriteBack,
  recordWriteBack,
  writeBackRollback,
} from '../shared/writeback/rollback.ts';
import { type FunctionDependencies, lazyHandler } from './dependencies.ts';
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

export type DeploymentOutcomeEvent = EcsDeploymentStateChangeEvent | StackStatusChangeEvent;

export type DeploymentOutcomeResult =
  | { readonly outcome: 'ignored'; readonly reason: string }
  | {
      readonly outcome: 'recorded';
      readonly resourceId: string;
      readonly commitId: string;
      readonly result: DeploymentResult;
      readonly entryId: string;
      /** What the rollback write-back did, when the deployment was rolled back and a proposer is configured. */
      readonly rollbackProposal?: RollbackProposalSummary;
    }
  | { readonly outcome: 'failed'; readonly error: ErrorSummary };

export interface RollbackProposalSummary {
  readonly status: RollbackWriteBack['status'] | 'failed';
  readonly branch?: string;
  readonly pullRequestId?: string;
  readonly reason?: string;
  /** The ledger entry recording it. */
  readonly entryId: string;
}

/** What an event says happened, before the ledger is asked whether it was ours. */
interface Observation {
  readonly resourceId: string;
  readonly resourceArn: string;
  /** Which ledger outcomes reference this deployment. */
  readonly references: (entry: LedgerEntry) => boolean;
  readonly describe: string;
  /** The result, or a function deciding it once the deployment is known to be ours. */
  readonly result: DeploymentResult | (() => Promise<DeploymentResult>);
  readonly reason: string;
}

export function createDeploymentOutcomeHandler(
  deps: FunctionDependencies,
): (event: DeploymentOutcomeEvent) => Promise<DeploymentOutcomeResult> {
  const { logger } = deps;
  const publisher = new EventPublisher({
    client: deps.eventBridge,
    eventBusName: deps.environment.eventBus,
    logger,
  });

  /** ECS rolls a failed deployment back when the service's circuit breaker or alarms say so. */
  async function rollbackConfigured(cluster: string, service: string): Promise<boolean> {
    try {
      const described = await deps.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
      const configuration = described.services?.[0]?.deploymentConfiguration;
      return (
        configuration?.deploymentCircuitBreaker?.rollback === true ||
        (configuration?.alarms?.enable === true && configuration.alarms.rollback === true)
      );
    } catch (error) {
      // A passing failure is retried with the whole event; anything else records the failure without the detail.
      if (isRethrown(error)) throw error;
      logger.warn('cannot tell whether ECS rolled the deployment back; recorded as failed', {
        cluster,
        service,
        error: summarizeError(error),
      });
      return false;
    }
  }

  function observeEcs(event: EcsDeploymentStateChangeEvent): Observation | string {
    const { detail } = event;
    const serviceArn = event.resources[0] ?? '';
    const service = parseServiceArn(serviceArn);
    if (!service) return `resource ${serviceArn || '(none)'} is not a service ARN with a cluster`;
    const base = {
      resourceId: `EcsService:${service.cluster}/${service.name}`,
      resourceArn: serviceArn,
      references: (entry: LedgerEntry) => entry.references?.deploymentId === detail.deploymentId,
      describe: `ECS deployment ${detail.deploymentId}`,
      reason: `ECS deployment ${detail.deploymentId} ${detail.eventName}: ${detail.reason ?? '(no reason given)'}`,
    };
    switch (detail.eventName) {
      case 'SERVICE_DEPLOYMENT_COMPLETED':
        return { ...base, result: 'succeeded' };
      case 'SERVICE_DEPLOYMENT_FAILED':
        return {
          ...base,
          result: async () =>
            saysRolledBack(detail.reason) || (await rollbackConfigured(service.cluster, service.name))
              ? 'rolled-back'
              : 'failed',
        };
      case 'SERVICE_DEPLOYMENT_IN_PROGRESS':
        return saysRolledBack(detail.reason)
          ? { ...base, result: 'rolled-back' }
          : `ECS deployment ${detail.deploymentId} is in progress`;
      default:
        return `ECS event ${detail.eventName} is not a deployment state`;
    }
  }

  function observeStack(event: StackStatusChangeEvent): Observation | string {
    const stackId = event.detail['stack-id'];
    const { status } = event.detail['status-details'];
    const name = stackNameOf(stackId);
    if (!name) return `stack id ${stackId} is not a CloudFormation stack ARN`;
    const result = stackResult(status);
    if (!result) return `stack ${name} is ${status}, not finished`;
    const statusReason = event.detail['status-details']['status-reason'];
    return {
      resourceId: `CloudFormationStack:${name}`,
      resourceArn: stackId,
      references: (entry) => sameStack(entry.references?.stackId, stackId),
      describe: `stack ${name} operation`,
      result,
      reason: `stack ${name} ${status}${statusReason ? `: ${statusReason}` : ''}`,
    };
  }

  /**
   * Proposes the rollback in Git and records what happened. Retryable failures are rethrown (the whole event is
   * retried, and the retry finds the rollback recorded without its write-back); terminal ones are recorded.
   */
  async function writeBack(rolledBack: LedgerEntry, why: string): Promise<RollbackProposalSummary | undefined> {
    const proposer = deps.proposer;
    if (!proposer || !rolledBack.resourceId) return undefined;
    const now = deps.now ?? Date.now;
    let outcome: RollbackWriteBack | { readonly status: 'failed'; readonly reason: string };
    try {
      outcome = await writeBackRollback({
        source: deps.source,
        proposer,
        ledger: deps.ledger,
        resourceId: rolledBack.resourceId,
        commitId: rolledBack.commitId,
        branch: deps.environment.branch,
        prefix: deps.environment.pathPrefix,
        rolledBack,
        why,
        ...(deps.blobCache ? { blobCache: deps.blobCache } : {}),
      });
    } catch (error) {
      if (isRethrown(error)) throw error;
      const summary = summarizeError(error);
      logger.error('rollback write-back failed; not retried: retrying cannot change this', {
        resourceId: rolledBack.resourceId,
        commitId: rolledBack.commitId,
        error: summary,
      });
      outcome = { status: 'failed', reason: error instanceof Error ? error.message : String(error) };
    }
    const entry = await recordWriteBack(deps.ledger, rolledBack, outcome, now);
    const line = {
      resourceId: rolledBack.resourceId,
      commitId: rolledBack.commitId,
      status: outcome.status,
      entryId: entry.entryId,
      ...(outcome.status === 'opened' || outcome.status === 'exists' ? { branch: outcome.branch } : {}),
      ...(outcome.status === 'opened' && outcome.pullRequestId ? { pullRequestId: outcome.pullRequestId } : {}),
    };
    if (outcome.status === 'opened') logger.info('rollback written back to Git', line);
    else logger.warn('rollback not written back to Git', { ...line, reason: entry.reason });
    return {
      status: outcome.status,
      entryId: entry.entryId,
      ...(outcome.status === 'opened' || outcome.status === 'exists' ? { branch: outcome.branch } : {}),
      ...(outcome.status === 'opened' && outcome.pullRequestId ? { pullRequestId: outcome.pullRequestId } : {}),
      ...(outcome.status === 'not-proposed' || outcome.status === 'failed' ? { reason: outcome.reason } : {}),
    };
  }

  function announced(proposal: RollbackProposalSummary | undefined) {
    if (!proposal) return {};
    const { entryId: _entryId, ...rest } = proposal;
    return { rollbackProposal: rest };
  }

  return async (event) => {
    const label = eventLabel(event);
    let observation: Observation | string;
    if (label.detailType === ECS_DEPLOYMENT_STATE_CHANGE) {
      const parsed = parseEcsDeploymentStateChange(event);
      observation = parsed.ok ? observeEcs(parsed.event) : parsed.reason;
    } else if (label.detailType === STACK_STATUS_CHANGE) {
      const parsed = parseStackStatusChange(event);
      observation = parsed.ok ? observeStack(parsed.event) : parsed.reason;
    } else {
      observation = `detail type ${label.detailType ?? '(none)'} is not a deployment event`;
    }
    if (typeof observation === 'string') {
      logger.info('deployment event ignored', { ...label, reason: observation });
      return { outcome: 'ignored', reason: observation };
    }

    const log = { ...label, resourceId: observation.resourceId, deployment: observation.describe };
    try {
      const origin = await findDeploymentOrigin(deps.ledger, observation.resourceId, observation.references);
      if (
        origin.kind === 'recorded' &&
        origin.entry.result === 'rolled-back' &&
        deps.proposer &&
        !isWriteBackEntry(origin.entry)
      ) {
        // The rollback was recorded, but its write-back was not (an earlier delivery failed after recording it).
        const proposal = await writeBack(origin.entry, rollbackWhy(observation));
        await publisher.publish([
          rolloutFailedEvent({
            entry: origin.entry,
            result: 'rolled-back',
            resourceArn: observation.resourceArn,
            ...announced(proposal),
          }),
        ]);
        logger.warn('rollback write-back made for a rollback recorded earlier', {
          ...log,
          commitId: origin.entry.commitId,
          entryId: origin.entry.entryId,
        });
        return {
          outcome: 'recorded',
          resourceId: observation.resourceId,
          commitId: origin.entry.commitId,
          result: 'rolled-back',
          entryId: origin.entry.entryId,
          ...(proposal ? { rollbackProposal: proposal } : {}),
        };
      }
      if (origin.kind !== 'ours') {
        const reason =
          origin.kind === 'unknown'
            ? `${observation.describe} was not started by driftless`
            : isWriteBackEntry(origin.entry)
              ? `${observation.describe} ended already: rolled back and written back to Git in ${origin.entry.entryId}`
              : `${observation.describe} ended already: recorded ${origin.entry.result} in ${origin.entry.entryId}`;
        logger.info('deployment event ignored', { ...log, reason });
        return { outcome: 'ignored', reason };
      }
      const result = typeof observation.result === 'function' ? await observation.result() : observation.result;
      const entry = await recordDeploymentOutcome(deps.ledger, origin.entry, {
        result,
        reason:
          result === 'rolled-back'
            ? `${observation.reason} — rolled back; commit ${origin.entry.commitId.slice(0, 12)} is not applied to this resource again until a new commit`
            : observation.reason,
        ...(deps.now ? { now: deps.now } : {}),
      });
      const proposal = result === 'rolled-back' ? await writeBack(entry, rollbackWhy(observation)) : undefined;
      if (result !== 'succeeded') {
        await publisher.publish([
          rolloutFailedEvent({ entry, result, resourceArn: observation.resourceArn, ...announced(proposal) }),
        ]);
      }
      const line = { ...log, commitId: entry.commitId, runId: entry.runId, result, entryId: entry.entryId };
      if (result === 'succeeded') logger.info('deployment outcome recorded', line);
      else logger.warn('deployment outcome recorded', line);
      return {
        outcome: 'recorded',
        resourceId: observation.resourceId,
        commitId: entry.commitId,
        result,
        entryId: entry.entryId,
        ...(proposal ? { rollbackProposal: proposal } : {}),
      };
    } catch (error) {
      const summary = summarizeError(error);
      if (isRethrown(error)) {
        logger.error('deployment outcome failed; handed back to EventBridge', { ...log, error: summary });
        throw error;
      }
      logger.error('deployment outcome failed; not retried: retrying cannot change this', { ...log, error: summary });
      return { outcome: 'failed', error: summary };
    }
  };
}

function rollbackWhy(observation: Observation): string {
  return observation.resourceId.startsWith('EcsService:')
    ? `The ECS deployment circuit breaker rolled back ${observation.describe}`
    : `CloudFormation rolled back the ${observation.describe}`;
}

/** The Lambda handler: production dependencies, built on the first invocation (see dependencies.ts). */
export const handler = lazyHandler(createDeploymentOutcomeHandler);
