/** Reads ECS service deployments (the rollouts UpdateService and CreateService start) as driftless's `Rollout`: its
 * strategy, status, lifecycle stage, production traffic, rollback, circuit breaker and alarms. */
import {
  DescribeServiceDeploymentsCommand,
  type DescribeServiceDeploymentsCommandOutput,
  type ECSClient,
  ListServiceDeploymentsCommand,
  type ListServiceDeploymentsCommandOutput,
  type ServiceDeployment,
  type ServiceDeploymentBrief,
} from '@aws-sdk/client-ecs';
import { ecsClient } from '../aws/clients.ts';
import { liveReadError } from '../aws/errors.ts';
import { TokenBucket } from '../aws/token-bucket.ts';
import { LiveReadError } from '../errors.ts';
import type { RateLimit } from './ecs.ts';

/** DescribeServiceDeployments takes at most 20 ARNs per call (the API maximum). */
export const DESCRIBE_SERVICE_DEPLOYMENTS_BATCH_SIZE = 20;

/** ECS publishes no separate quota for the service-deployment reads: paced like a modest share of the read APIs, so
 * following rollouts never starves the reconciler's DescribeServices. */
export const ROLLOUT_READ_RATE: RateLimit = { capacity: 20, refillPerSecond: 5 };

/** How far before the write the newest deployment is looked for: the caller's clock and ECS's may disagree a little. */
export const CLOCK_SKEW_MS = 60_000;

/** How a rollout ended, or that it has not. `superseded`: stopped because a newer deployment replaced it. */
export type RolloutResult = 'in-progress' | 'succeeded' | 'rolled-back' | 'failed' | 'superseded';

export interface RolloutMonitor {
  /** DISABLED, MONITORING, MONITORING_COMPLETE or TRIGGERED. */
  readonly status: string;
}

export interface Rollout {
  readonly arn: string;
  readonly serviceArn?: string;
  /** ROLLING, BLUE_GREEN, LINEAR or CANARY; ROLLING when ECS does not say, as ECS defaults it. */
  readonly strategy: string;
  /** The ECS service deployment status (PENDING, IN_PROGRESS, SUCCESSFUL, ROLLBACK_IN_PROGRESS, …). */
  readonly status: string;
  readonly statusReason?: string;
  /** The lifecycle stage ECS reports (BAKE_TIME, PRODUCTION_TRAFFIC_SHIFT, …), for every strategy that has one. */
  readonly stage?: string;
  /** Percent of production traffic on the target revision, where ECS reports it (blue/green, linear, canary). */
  readonly productionTrafficPercent?: number;
  readonly targetRevisionArn?: string;
  /** The bake time the deployment runs with, in minutes, when it has one. */
  readonly bakeTimeMinutes?: number;
  /** ISO-8601 times. */
  readonly createdAt?: string;
  readonly startedAt?: string;
  readonly updatedAt?: string;
  readonly finishedAt?: string;
  /** Since when the rollout has been where it is: its last update, else its start. */
  readonly since?: string;
  readonly rollback?: { readonly reason?: string; readonly startedAt?: string; readonly serviceRevisionArn?: string };
  readonly circuitBreaker?: RolloutMonitor & { readonly failureCount?: number; readonly threshold?: number };
  readonly alarms?: RolloutMonitor & {
    readonly alarmNames: readonly string[];
    readonly triggeredAlarmNames: readonly string[];
  };
  /** What the status means for the write that started it. */
  readonly result: RolloutResult;
}

/** Pure: a DescribeServiceDeployments item as a Rollout. */
export function rolloutOf(deployment: ServiceDeployment): Rollout {
  const target = deployment.targetServiceRevision;
  const configuration = deployment.deploymentConfiguration;
  const rollback = deployment.rollback;
  const breaker = deployment.deploymentCircuitBreaker;
  const alarms = deployment.alarms;
  const partial = {
    arn: deployment.serviceDeploymentArn ?? '',
    ...(deployment.serviceArn ? { serviceArn: deployment.serviceArn } : {}),
    strategy: configuration?.strategy ?? 'ROLLING',
    status: deployment.status ?? 'PENDING',
    ...(deployment.statusReason ? { statusReason: deployment.statusReason } : {}),
    ...(deployment.lifecycleStage ? { stage: deployment.lifecycleStage } : {}),
    ...(typeof target?.requestedProductionTrafficWeight === 'number'
      ? { productionTrafficPercent: target.requestedProductionTrafficWeight }
      : {}),
    ...(target?.arn ? { targetRevisionArn: target.arn } : {}),
    ...(typeof configuration?.bakeTimeInMinutes === 'number'
      ? { bakeTimeMinutes: configuration.bakeTimeInMinutes }
      : {}),
    ...times(deployment),
    ...(rollback
      ? {
          rollback: {
            ...(rollback.reason ? { reason: rollback.reason } : {}),
            ...(rollback.startedAt ? { startedAt: iso(rollback.startedAt) } : {}),
            ...(rollback.serviceRevisionArn ? { serviceRevisionArn: rollback.serviceRevisionArn } : {}),
          },
        }
      : {}),
    ...(breaker?.status
      ? {
          circuitBreaker: {
            status: breaker.status,
            ...(typeof breaker.failureCount === 'number' ? { failureCount: breaker.failureCount } : {}),
            ...(typeof breaker.threshold === 'number' ? { threshold: breaker.threshold } : {}),
          },
        }
      : {}),
    ...(alarms?.status
      ? {
          alarms: {
            status: alarms.status,
            alarmNames: [...(alarms.alarmNames ?? [])],
            triggeredAlarmNames: [...(alarms.triggeredAlarmNames ?? [])],
          },
        }
      : {}),
  };
  return { ...partial, result: resultOf(partial) };
}

/** SUCCESSFUL → succeeded; ROLLBACK_SUCCESSFUL → rolled-back; ROLLBACK_FAILED → failed; STOPPED → failed when a
 * monitor tripped or a rollback began (ECS stopped it for a reason of its own), else superseded by a newer one. */
export function resultOf(rollout: Omit<Rollout, 'result'>): RolloutResult {
  switch (rollout.status) {
    case 'SUCCESSFUL':
      return 'succeeded';
    case 'ROLLBACK_SUCCESSFUL':
      return 'rolled-back';
    case 'ROLLBACK_FAILED':
      return 'failed';
    case 'STOPPED':
      return rollout.rollback || monitorTripped(rollout) ? 'failed' : 'superseded';
    default:
      // PENDING, IN_PROGRESS, ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, STOP_REQUESTED, and any status ECS adds later.
      return 'in-progress';
  }
}

/** Whether the rollout is rolling back already (its end is then decided, whatever is left to do). */
export function isRollingBack(rollout: Rollout): boolean {
  return rollout.status === 'ROLLBACK_REQUESTED' || rollout.status === 'ROLLBACK_IN_PROGRESS';
}

export function monitorTripped(rollout: Pick<Rollout, 'circuitBreaker' | 'alarms'>): boolean {
  return rollout.circuitBreaker?.status === 'TRIGGERED' || rollout.alarms?.status === 'TRIGGERED';
}

/** One line for a person or a ledger reason: status, stage, traffic, and why it rolled back. */
export function describeRollout(rollout: Rollout): string {
  const parts = [`${rollout.strategy} ${rollout.status}`];
  if (rollout.stage) parts.push(`stage ${rollout.stage}`);
  if (rollout.productionTrafficPercent !== undefined) parts.push(`${rollout.productionTrafficPercent}% of traffic`);
  if (rollout.alarms && rollout.alarms.triggeredAlarmNames.length > 0) {
    parts.push(`alarms triggered: ${rollout.alarms.triggeredAlarmNames.join(', ')}`);
  }
  if (rollout.circuitBreaker?.status === 'TRIGGERED') {
    const count =
      rollout.circuitBreaker.failureCount === undefined
        ? ''
        : ` (${rollout.circuitBreaker.failureCount}/${rollout.circuitBreaker.threshold ?? '?'} failed tasks)`;
    parts.push(`circuit breaker triggered${count}`);
  }
  if (rollout.rollback?.reason) parts.push(`rollback: ${rollout.rollback.reason}`);
  else if (rollout.statusReason) parts.push(rollout.statusReason);
  return parts.join(', ');
}

export interface RolloutReaderOptions {
  /** Injected so tests and callers control region, endpoint and retries; built by ecsClient() when absent. */
  readonly client?: ECSClient;
  readonly rate?: RateLimit;
  readonly now?: () => number;
  readonly sleep?: (milliseconds: number) => Promise<void>;
}

export class RolloutReader {
  private readonly client: ECSClient;
  private readonly bucket: TokenBucket;

  constructor(options: RolloutReaderOptions = {}) {
    this.client = options.client ?? ecsClient();
    this.bucket = new TokenBucket({
      ...(options.rate ?? ROLLOUT_READ_RATE),
      ...(options.now ? { now: options.now } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
  }

  /** The ARN of the service's newest deployment created after `after` (less CLOCK_SKEW_MS); one ListServiceDeployments
   * call. Undefined when there is none. */
  async newestSince(cluster: string, service: string, after: Date): Promise<string | undefined> {
    const briefs = await this.list(cluster, service, new Date(after.getTime() - CLOCK_SKEW_MS));
    return newestOf(briefs)?.serviceDeploymentArn;
  }

  /** The service's newest rollout, whatever its status; undefined when ECS lists none (or no such service). */
  async current(cluster: string, service: string): Promise<Rollout | undefined> {
    const newest = newestOf(await this.list(cluster, service, undefined));
    if (!newest?.serviceDeploymentArn) return undefined;
    return this.byArn(newest.serviceDeploymentArn);
  }

  async byArn(arn: string): Promise<Rollout | undefined> {
    return (await this.describe([arn])).get(arn);
  }

  /** Each ARN's rollout; an ARN ECS reports MISSING is left out. */
  async describe(arns: readonly string[]): Promise<Map<string, Rollout>> {
    const rollouts = new Map<string, Rollout>();
    const unique = [...new Set(arns)];
    for (let start = 0; start < unique.length; start += DESCRIBE_SERVICE_DEPLOYMENTS_BATCH_SIZE) {
      const batch = unique.slice(start, start + DESCRIBE_SERVICE_DEPLOYMENTS_BATCH_SIZE);
      await this.bucket.take();
      let response: DescribeServiceDeploymentsCommandOutput | undefined;
      try {
        response = await this.client.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: batch }));
      } catch (error) {
        throw liveReadError('ECS', `DescribeServiceDeployments of ${batch.length} deployments`, error);
      }
      for (const deployment of response?.serviceDeployments ?? []) {
        if (deployment.serviceDeploymentArn) rollouts.set(deployment.serviceDeploymentArn, rolloutOf(deployment));
      }
      for (const failure of response?.failures ?? []) {
        if (failure.reason === 'MISSING') continue;
        const detail = failure.detail ? ` (${failure.detail})` : '';
        throw new LiveReadError(`ECS DescribeServiceDeployments failed for ${failure.arn}: ${failure.reason}${detail}`);
      }
    }
    return rollouts;
  }

  private async list(cluster: string, service: string, after: Date | undefined): Promise<ServiceDeploymentBrief[]> {
    const briefs: ServiceDeploymentBrief[] = [];
    let nextToken: string | undefined;
    do {
      await this.bucket.take();
      let page: ListServiceDeploymentsCommandOutput | undefined;
      try {
        page = await this.client.send(
          new ListServiceDeploymentsCommand({
            cluster,
            service,
            ...(after ? { createdAt: { after } } : {}),
            ...(nextToken ? { nextToken } : {}),
          }),
        );
      } catch (error) {
        throw liveReadError('ECS', `ListServiceDeployments of ${service} in cluster ${cluster}`, error);
      }
      briefs.push(...(page?.serviceDeployments ?? []));
      // Without a time filter the first page holds the newest: there is no need to read a long history.
      nextToken = after ? page?.nextToken : undefined;
    } while (nextToken);
    return briefs;
  }
}

/** The newest by createdAt (the API documents no order). */
function newestOf(briefs: readonly ServiceDeploymentBrief[]): ServiceDeploymentBrief | undefined {
  let newest: ServiceDeploymentBrief | undefined;
  for (const brief of briefs) {
    if (!newest || (brief.createdAt?.getTime() ?? 0) > (newest.createdAt?.getTime() ?? 0)) newest = brief;
  }
  return newest;
}

function times(
  deployment: ServiceDeployment,
): Pick<Rollout, 'createdAt' | 'startedAt' | 'updatedAt' | 'finishedAt' | 'since'> {
  const finished = deployment.finishedAt ?? deployment.stoppedAt;
  const since = deployment.updatedAt ?? deployment.startedAt ?? deployment.createdAt;
  return {
    ...(deployment.createdAt ? { createdAt: iso(deployment.createdAt) } : {}),
    ...(deployment.startedAt ? { startedAt: iso(deployment.startedAt) } : {}),
    ...(deployment.updatedAt ? { updatedAt: iso(deployment.updatedAt) } : {}),
    ...(finished ? { finishedAt: iso(finished) } : {}),
    ...(since ? { since: iso(since) } : {}),
  };
}

function iso(date: Date): string {
  return new Date(date).toISOString();
}
