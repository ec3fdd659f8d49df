/**
 * What an ECS Deployment State Change or CloudFormation Stack Status Change event says about a deployment: which
 * resource, which result, and whether it is over. Pure: the deployment-outcome function records what it reads
 * (deployment-outcome-recorder.ts) once the ledger says the deployment was driftless's.
 *
 * - ECS: SERVICE_DEPLOYMENT_COMPLETED → succeeded; SERVICE_DEPLOYMENT_FAILED → rolled-back when the reason says the
 *   circuit breaker rolls back, else failed or rolled-back by the service's circuit breaker (or alarms) rollback
 *   setting, asked only for a deployment driftless started; SERVICE_DEPLOYMENT_IN_PROGRESS → rolled-back only when
 *   its reason says it is rolling back, else nothing to record. The service is resources[0]; the deployment is
 *   matched by detail.deploymentId.
 * - CloudFormation: UPDATE_ROLLBACK_COMPLETE / ROLLBACK_COMPLETE → rolled-back, other *_FAILED → failed, other
 *   *_COMPLETE → succeeded, *_IN_PROGRESS → nothing to record; matched by detail.stack-id.
 */
import type { DeploymentConfiguration } from '@aws-sdk/client-ecs';
import type { DeploymentResult } from '../audit/deployment-outcomes.ts';
import type { LedgerEntry } from '../audit/ledger.ts';

/** The fields of an ECS Deployment State Change event read here (functions/events.ts parses the whole event). */
export interface EcsDeploymentStateChange {
  readonly resources: readonly string[];
  readonly detail: { readonly eventName: string; readonly deploymentId: string; readonly reason?: string };
}

/** The fields of a CloudFormation Stack Status Change event read here. */
export interface StackStatusChange {
  readonly detail: {
    readonly 'stack-id': string;
    readonly 'status-details': { readonly status: string; readonly 'status-reason'?: string };
  };
}

export interface EcsServiceName {
  readonly cluster: string;
  readonly name: string;
}

/** A FAILED ECS deployment whose reason does not say it was rolled back: the service's rollback setting decides. */
export interface FailedUnlessRolledBack {
  readonly service: EcsServiceName;
}

/** What an event says happened, before the ledger is asked whether it was ours. */
export interface DeploymentObservation {
  readonly kind: 'observed';
  readonly resourceId: string;
  readonly resourceArn: string;
  /** Which ledger outcomes reference this deployment. */
  readonly references: (entry: LedgerEntry) => boolean;
  readonly describe: string;
  /** The result, or what decides it once the deployment is known to be ours (it costs a DescribeServices). */
  readonly result: DeploymentResult | FailedUnlessRolledBack;
  readonly reason: string;
  /** Who rolled the resource back, for the rollback write-back's pull request. */
  readonly rollbackWhy: string;
}

export type DeploymentReading = DeploymentObservation | { readonly kind: 'ignored'; readonly reason: string };

export function ignoredDeploymentEvent(reason: string): DeploymentReading {
  return { kind: 'ignored', reason };
}

export function readEcsDeploymentStateChange(event: EcsDeploymentStateChange): DeploymentReading {
  const { detail } = event;
  const serviceArn = event.resources[0] ?? '';
  const service = parseServiceArn(serviceArn);
  if (!service) return ignoredDeploymentEvent(`resource ${serviceArn || '(none)'} is not a service ARN with a cluster`);
  const describe = `ECS deployment ${detail.deploymentId}`;
  const base = {
    kind: 'observed',
    resourceId: `EcsService:${service.cluster}/${service.name}`,
    resourceArn: serviceArn,
    references: (entry: LedgerEntry) => entry.references?.deploymentId === detail.deploymentId,
    describe,
    reason: `${describe} ${detail.eventName}: ${detail.reason ?? '(no reason given)'}`,
    rollbackWhy: `The ECS deployment circuit breaker rolled back ${describe}`,
  } as const;
  switch (detail.eventName) {
    case 'SERVICE_DEPLOYMENT_COMPLETED':
      return { ...base, result: 'succeeded' };
    case 'SERVICE_DEPLOYMENT_FAILED':
      return { ...base, result: saysRolledBack(detail.reason) ? 'rolled-back' : { service } };
    case 'SERVICE_DEPLOYMENT_IN_PROGRESS':
      return saysRolledBack(detail.reason)
        ? { ...base, result: 'rolled-back' }
        : ignoredDeploymentEvent(`${describe} is in progress`);
    default:
      return ignoredDeploymentEvent(`ECS event ${detail.eventName} is not a deployment state`);
  }
}

export function readStackStatusChange(event: StackStatusChange): DeploymentReading {
  const stackId = event.detail['stack-id'];
  const { status, 'status-reason': statusReason } = event.detail['status-details'];
  const name = stackNameOf(stackId);
  if (!name) return ignoredDeploymentEvent(`stack id ${stackId} is not a CloudFormation stack ARN`);
  const result = stackResult(status);
  if (!result) return ignoredDeploymentEvent(`stack ${name} is ${status}, not finished`);
  const describe = `stack ${name} operation`;
  return {
    kind: 'observed',
    resourceId: `CloudFormationStack:${name}`,
    resourceArn: stackId,
    references: (entry) => sameStack(entry.references?.stackId, stackId),
    describe,
    result,
    reason: `stack ${name} ${status}${statusReason ? `: ${statusReason}` : ''}`,
    rollbackWhy: `CloudFormation rolled back the ${describe}`,
  };
}

// ------------------------------------------------------------------------------------------------ ECS

/** `arn:aws:ecs:<region>:<account>:service/<cluster>/<name>` → cluster and name; the old ARN format (no cluster)
 * cannot be traced to a declaration and answers undefined. */
export function parseServiceArn(arn: string): EcsServiceName | undefined {
  const match = /^arn:[^:]+:ecs:[^:]*:\d{12}:service\/([^/]+)\/([^/]+)$/.exec(arn);
  return match ? { cluster: match[1]!, name: match[2]! } : undefined;
}

/** The circuit breaker's words for a rollback, in a FAILED event's or a rollback deployment's reason. */
export function saysRolledBack(reason: string | undefined): boolean {
  return /roll(ed|ing)?[\s-]?back/i.test(reason ?? '');
}

/** ECS rolls a failed deployment back when the service's circuit breaker or alarms say so. */
export function rollsBackFailedDeployments(configuration: DeploymentConfiguration | undefined): boolean {
  return (
    configuration?.deploymentCircuitBreaker?.rollback === true ||
    (configuration?.alarms?.enable === true && configuration.alarms.rollback === true)
  );
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
