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
 * - Announces Rollout Failed on the event bus for failed and rolled-back deployments.
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
    }
  | { readonly outcome: 'failed'; readonly error: ErrorSummary };

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
      if (origin.kind !== 'ours') {
        const reason =
          origin.kind === 'unknown'
            ? `${observation.describe} was not started by driftless`
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
      if (result !== 'succeeded') {
        await publisher.publish([rolloutFailedEvent({ entry, result, resourceArn: observation.resourceArn })]);
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

/** The Lambda handler: production dependencies, built on the first invocation (see dependencies.ts). */
export const handler = lazyHandler(createDeploymentOutcomeHandler);
