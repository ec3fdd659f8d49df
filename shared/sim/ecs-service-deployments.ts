/** ECS service deployments and service revisions as the simulator keeps them: one per deployment CreateService or
 * UpdateService starts, moving through the stages of its strategy (ROLLING, BLUE_GREEN, LINEAR, CANARY) on the
 * simulator's clock, and answered as ListServiceDeployments, DescribeServiceDeployments and DescribeServiceRevisions
 * answer. */
import { createHash } from 'node:crypto';
import type {
  ContainerImage,
  Deployment,
  DescribeServiceDeploymentsRequest,
  DescribeServiceDeploymentsResponse,
  DescribeServiceRevisionsRequest,
  DescribeServiceRevisionsResponse,
  ListServiceDeploymentsRequest,
  ListServiceDeploymentsResponse,
  Service,
  ServiceDeployment,
  ServiceDeploymentStatus,
  ServiceRevision,
  ServiceRevisionSummary,
} from '@aws-sdk/client-ecs';
import type { SimulatorContext } from './context.ts';
import { ecsArn, lastSegment } from './ecs-defaults.ts';
import { type Phase, plan, round } from './ecs-deployment-plans.ts';
import { describeByArn, listServiceDeployments } from './ecs-service-deployment-reads.ts';

const MINUTE_MS = 60_000;

export interface DeploymentRecord {
  readonly deployment: ServiceDeployment;
  readonly serviceKey: string;
  /** The DescribeServices deployment (ecs-svc/…) this service deployment rolls out. */
  readonly ecsDeploymentId: string;
  readonly phases: readonly Phase[];
  phase: number;
  phaseStartedAt: number;
}

/** How a deployment in progress failed, and whether it rolls back. */
export interface DeploymentFailure {
  readonly by: 'circuit-breaker' | 'alarm';
  readonly reason: string;
  readonly rollback: boolean;
  readonly alarmName?: string;
}

const ONGOING: ReadonlySet<ServiceDeploymentStatus | undefined> = new Set([
  'PENDING',
  'IN_PROGRESS',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_REQUESTED',
  'STOP_REQUESTED',
]);

export class ServiceDeployments {
  private readonly byArn = new Map<string, DeploymentRecord>();
  /** "<cluster>/<service>" → its newest service deployment. */
  private readonly newest = new Map<string, DeploymentRecord>();
  private readonly revisions = new Map<string, ServiceRevision>();
  /** "<cluster>/<service>" → the revision serving production (the last one that completed). */
  private readonly production = new Map<string, string>();

  constructor(
    private readonly context: SimulatorContext,
    private readonly containerImages: (taskDefinitionArn: string) => ContainerImage[],
  ) {}

  /** A new service deployment of what the service now runs (PENDING); one still in progress is STOPPED. */
  start(service: Service, ecsDeployment: Deployment): ServiceDeployment {
    const serviceKey = keyOf(service);
    const now = this.context.date();
    const sources: ServiceRevisionSummary[] = [];
    const productionArn = this.production.get(serviceKey);
    if (productionArn) sources.push(summary(productionArn, service.runningCount ?? 0, service.runningCount ?? 0));
    const ongoing = this.ongoing(serviceKey);
    if (ongoing) {
      const target = ongoing.deployment.targetServiceRevision;
      if (target?.arn && target.arn !== productionArn) sources.push({ ...target, pendingTaskCount: 0 });
      this.stop(ongoing, 'Service deployment stopped: a newer service deployment started.');
    }
    const revision = serviceRevision(this.context, service, ecsDeployment, this.containerImages);
    this.revisions.set(revision.serviceRevisionArn as string, revision);
    const configuration = structuredClone(service.deploymentConfiguration ?? {});
    const strategy = configuration.strategy ?? 'ROLLING';
    const traffic = strategy !== 'ROLLING';
    const desired = service.desiredCount ?? 0;
    const breaker = configuration.deploymentCircuitBreaker;
    const alarms = configuration.alarms;
    const id = serviceDeploymentId(ecsArn(this.context, `service/${serviceKey}`), ecsDeployment.id ?? '');
    const deployment: ServiceDeployment = {
      serviceDeploymentArn: ecsArn(this.context, `service-deployment/${serviceKey}/${id}`),
      serviceArn: service.serviceArn,
      clusterArn: service.clusterArn,
      createdAt: now,
      updatedAt: now,
      sourceServiceRevisions: sources.map((source, index) =>
        // The first source serves production; a revision left from a stopped deployment serves none.
        traffic
          ? {
              ...source,
              requestedProductionTrafficWeight: index === 0 ? 100 : 0,
              requestedTestTrafficWeight: index === 0 ? 100 : 0,
            }
          : source,
      ),
      targetServiceRevision: {
        ...summary(revision.serviceRevisionArn as string, desired, 0),
        ...(traffic ? { requestedProductionTrafficWeight: 0, requestedTestTrafficWeight: 0 } : {}),
      },
      status: 'PENDING',
      deploymentConfiguration: configuration,
      deploymentCircuitBreaker: {
        status: breaker?.enable ? 'MONITORING' : 'DISABLED',
        failureCount: 0,
        threshold: Math.min(200, Math.max(3, Math.ceil(desired * 0.5))),
      },
      alarms: alarms?.enable
        ? { status: 'MONITORING', alarmNames: [...(alarms.alarmNames ?? [])], triggeredAlarmNames: [] }
        : { status: 'DISABLED', alarmNames: [], triggeredAlarmNames: [] },
    };
    const record: DeploymentRecord = {
      deployment,
      serviceKey,
      ecsDeploymentId: ecsDeployment.id ?? '',
      phases: plan(configuration, sources.length > 1),
      phase: 0,
      phaseStartedAt: now.getTime(),
    };
    this.byArn.set(deployment.serviceDeploymentArn as string, record);
    this.newest.set(serviceKey, record);
    return deployment;
  }

  /** The service deployment of this service still under way, if any: only the newest can be. */
  ongoing(serviceKey: string): DeploymentRecord | undefined {
    const record = this.newest.get(serviceKey);
    return record && ONGOING.has(record.deployment.status) ? record : undefined;
  }

  /** What DescribeServices reports of the service's deployments: the newest service deployment, and the revisions
   * that have tasks (requested or running) in it. */
  current(service: Service): Pick<Service, 'currentServiceDeployment' | 'currentServiceRevisions'> {
    const record = this.newest.get(keyOf(service));
    if (!record) return {};
    const deployment = record.deployment;
    const revisions = [deployment.targetServiceRevision, ...(deployment.sourceServiceRevisions ?? [])]
      .filter(
        (revision) => revision && ((revision.requestedTaskCount ?? 0) > 0 || (revision.runningTaskCount ?? 0) > 0),
      )
      .map((revision) => ({
        arn: revision?.arn,
        requestedTaskCount: revision?.requestedTaskCount,
        runningTaskCount: revision?.runningTaskCount,
        pendingTaskCount: revision?.pendingTaskCount,
      }));
    return { currentServiceDeployment: deployment.serviceDeploymentArn, currentServiceRevisions: revisions };
  }

  /** Moves one phase forward when the current one has lasted its time: 'waiting' when it has not, 'finished' when
   * the deployment is now SUCCESSFUL. */
  step(record: DeploymentRecord): 'moved' | 'waiting' | 'finished' {
    const current = record.phases[record.phase];
    if (current && this.context.date().getTime() - record.phaseStartedAt < current.minutes * MINUTE_MS) {
      return 'waiting';
    }
    if (record.phase + 1 >= record.phases.length) {
      this.succeed(record);
      return 'finished';
    }
    this.enter(record, record.phase + 1);
    return 'moved';
  }

  /** Runs the rest of the plan at once: SUCCESSFUL. */
  finish(record: DeploymentRecord): void {
    if (record.phase < record.phases.length - 1) this.enter(record, record.phases.length - 1);
    this.succeed(record);
  }

  /** The circuit breaker or an alarm failed the deployment: with rollback, ROLLBACK_IN_PROGRESS towards the source
   * revision, else STOPPED (the target revision keeps what it had). */
  fail(record: DeploymentRecord, failure: DeploymentFailure): void {
    const now = this.context.date();
    const deployment = record.deployment;
    if (failure.by === 'circuit-breaker') {
      const breaker = deployment.deploymentCircuitBreaker ?? {};
      const enabled = breaker.status !== 'DISABLED';
      deployment.deploymentCircuitBreaker = {
        ...breaker,
        ...(enabled ? { status: 'TRIGGERED' } : {}),
        failureCount: Math.max(breaker.threshold ?? 1, deployment.targetServiceRevision?.requestedTaskCount ?? 1),
      };
    } else {
      const alarms = deployment.alarms ?? {};
      deployment.alarms = {
        ...alarms,
        status: 'TRIGGERED',
        triggeredAlarmNames: [failure.alarmName ?? alarms.alarmNames?.[0] ?? 'alarm'],
      };
    }
    deployment.statusReason = failure.reason;
    deployment.updatedAt = now;
    const target = deployment.targetServiceRevision;
    if (!failure.rollback) {
      deployment.status = 'STOPPED';
      deployment.stoppedAt = now;
      if (target) target.runningTaskCount = 0;
      return;
    }
    const source = deployment.sourceServiceRevisions?.[0];
    deployment.status = 'ROLLBACK_IN_PROGRESS';
    deployment.rollback = {
      reason: failure.reason,
      startedAt: now,
      ...(source?.arn ? { serviceRevisionArn: source.arn } : {}),
    };
    if (target) {
      target.runningTaskCount = 0;
      if (target.requestedProductionTrafficWeight !== undefined) {
        target.requestedProductionTrafficWeight = 0;
        target.requestedTestTrafficWeight = 0;
      }
    }
    for (const item of deployment.sourceServiceRevisions ?? []) {
      if (item.requestedProductionTrafficWeight !== undefined) {
        item.requestedProductionTrafficWeight = item === source ? 100 : 0;
        item.requestedTestTrafficWeight = item === source ? 100 : 0;
      }
    }
  }

  /** The rollback is done: the source revision serves again. */
  completeRollback(record: DeploymentRecord, runningCount: number): void {
    const now = this.context.date();
    const deployment = record.deployment;
    deployment.status = 'ROLLBACK_SUCCESSFUL';
    deployment.finishedAt = now;
    deployment.updatedAt = now;
    const source = deployment.sourceServiceRevisions?.[0];
    if (source) {
      source.runningTaskCount = runningCount;
      source.requestedTaskCount = runningCount;
    }
    for (const extra of deployment.sourceServiceRevisions?.slice(1) ?? []) {
      extra.runningTaskCount = 0;
      extra.requestedTaskCount = 0;
    }
    if (deployment.targetServiceRevision) deployment.targetServiceRevision.requestedTaskCount = 0;
    if (source?.arn) this.production.set(record.serviceKey, source.arn);
  }

  /** A seeded service's deployment: SUCCESSFUL long ago, its revision in production. */
  settleSeeded(service: Service): void {
    const record = this.ongoing(keyOf(service));
    if (record) this.finish(record);
  }

  /** ECS deletes a service's deployments with the service. */
  forget(service: Service): void {
    const serviceKey = keyOf(service);
    for (const [arn, record] of this.byArn) {
      if (record.serviceKey === serviceKey) this.byArn.delete(arn);
    }
    this.production.delete(serviceKey);
    this.newest.delete(serviceKey);
  }

  list(input: ListServiceDeploymentsRequest, serviceArn: string): ListServiceDeploymentsResponse {
    return listServiceDeployments(this.all(), input, serviceArn);
  }

  describe(input: DescribeServiceDeploymentsRequest): DescribeServiceDeploymentsResponse {
    const { found, failures } = describeByArn(input.serviceDeploymentArns, 'serviceDeploymentArns', (arn) => {
      return this.byArn.get(arn)?.deployment;
    });
    return { serviceDeployments: found, failures };
  }

  describeRevisions(input: DescribeServiceRevisionsRequest): DescribeServiceRevisionsResponse {
    const { found, failures } = describeByArn(input.serviceRevisionArns, 'serviceRevisionArns', (arn) =>
      this.revisions.get(arn),
    );
    return { serviceRevisions: found, failures };
  }

  all(): ServiceDeployment[] {
    return [...this.byArn.values()].map((record) => record.deployment);
  }

  // ---------------------------------------------------------------------------------------------- internals

  private enter(record: DeploymentRecord, index: number): void {
    const phase = record.phases[index] as Phase;
    const now = this.context.date();
    const deployment = record.deployment;
    record.phase = index;
    record.phaseStartedAt = now.getTime();
    if (deployment.status === 'PENDING' && phase.status === 'IN_PROGRESS') deployment.startedAt = now;
    deployment.status = phase.status;
    deployment.updatedAt = now;
    if (phase.stage) deployment.lifecycleStage = phase.stage;
    const target = deployment.targetServiceRevision as ServiceRevisionSummary;
    const desired = target.requestedTaskCount ?? 0;
    target.runningTaskCount = phase.scaledUp ? desired : 0;
    if (phase.production !== undefined) {
      target.requestedProductionTrafficWeight = phase.production;
      target.requestedTestTrafficWeight = phase.test ?? 0;
      const serving = deployment.sourceServiceRevisions?.[0];
      if (serving) {
        serving.requestedProductionTrafficWeight = round(100 - phase.production);
        serving.requestedTestTrafficWeight = round(100 - (phase.test ?? 0));
      }
    }
    if (phase.cleanedUp) {
      for (const source of deployment.sourceServiceRevisions ?? []) {
        source.requestedTaskCount = 0;
        source.runningTaskCount = 0;
      }
    }
  }

  private succeed(record: DeploymentRecord): void {
    const now = this.context.date();
    const deployment = record.deployment;
    deployment.startedAt ??= now;
    deployment.status = 'SUCCESSFUL';
    deployment.finishedAt = now;
    deployment.updatedAt = now;
    const target = deployment.targetServiceRevision as ServiceRevisionSummary;
    target.runningTaskCount = target.requestedTaskCount;
    for (const source of deployment.sourceServiceRevisions ?? []) {
      source.requestedTaskCount = 0;
      source.runningTaskCount = 0;
    }
    if (deployment.alarms?.status === 'MONITORING') deployment.alarms.status = 'MONITORING_COMPLETE';
    if (deployment.deploymentCircuitBreaker?.status === 'MONITORING') {
      deployment.deploymentCircuitBreaker.status = 'MONITORING_COMPLETE';
    }
    if (target.arn) this.production.set(record.serviceKey, target.arn);
  }

  private stop(record: DeploymentRecord, reason: string): void {
    const now = this.context.date();
    record.deployment.status = 'STOPPED';
    record.deployment.statusReason = reason;
    record.deployment.stoppedAt = now;
    record.deployment.updatedAt = now;
  }
}

function keyOf(service: Service): string {
  return `${lastSegment(service.clusterArn ?? '')}/${service.serviceName}`;
}

function summary(arn: string, requested: number, running: number): ServiceRevisionSummary {
  return { arn, requestedTaskCount: requested, runningTaskCount: running, pendingTaskCount: 0 };
}

/** An id shaped like ECS's (22 URL-safe characters), derived from the deployment rather than drawn from the shared
 * generator, so adding service deployments changes no other simulated id. */
function serviceDeploymentId(serviceArn: string, ecsDeploymentId: string): string {
  return createHash('sha256').update(`${serviceArn}\u0000${ecsDeploymentId}`).digest('base64url').slice(0, 22);
}

/** What the deployment runs, as a service revision records it. */
function serviceRevision(
  context: SimulatorContext,
  service: Service,
  ecsDeployment: Deployment,
  containerImages: (taskDefinitionArn: string) => ContainerImage[],
): ServiceRevision {
  const serviceKey = keyOf(service);
  const ecsId = ecsDeployment.id ?? '';
  const id = ecsId.slice(ecsId.indexOf('/') + 1);
  const revision: ServiceRevision = {
    serviceRevisionArn: ecsArn(context, `service-revision/${serviceKey}/${id}`),
    serviceArn: service.serviceArn,
    clusterArn: service.clusterArn,
    taskDefinition: ecsDeployment.taskDefinition,
    ...(ecsDeployment.capacityProviderStrategy
      ? { capacityProviderStrategy: ecsDeployment.capacityProviderStrategy }
      : {}),
    ...(ecsDeployment.launchType ? { launchType: ecsDeployment.launchType } : {}),
    ...(ecsDeployment.platformVersion
      ? { platformVersion: ecsDeployment.platformVersion, platformFamily: ecsDeployment.platformFamily }
      : {}),
    loadBalancers: structuredClone(service.loadBalancers ?? []),
    serviceRegistries: structuredClone(service.serviceRegistries ?? []),
    ...(ecsDeployment.networkConfiguration ? { networkConfiguration: ecsDeployment.networkConfiguration } : {}),
    containerImages: containerImages(ecsDeployment.taskDefinition ?? ''),
    guardDutyEnabled: false,
    ...(ecsDeployment.serviceConnectConfiguration
      ? { serviceConnectConfiguration: ecsDeployment.serviceConnectConfiguration }
      : {}),
    createdAt: context.date(),
  };
  return revision;
}
