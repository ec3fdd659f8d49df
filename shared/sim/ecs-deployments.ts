/** Simulated ECS deployments: how one starts, how it rolls out (or fails and rolls back) when the simulator
 * advances or steps, and the service events that report it. The DescribeServices view (`deployments[]`) lives here;
 * the service deployment each one rolls out (ListServiceDeployments, DescribeServiceDeployments) lives in
 * ecs-service-deployments.ts, and both move together. */
import type { ContainerImage, Deployment, Service } from '@aws-sdk/client-ecs';
import type { SimulatorContext } from './context.ts';
import { lastSegment } from './ecs-defaults.ts';
import { type DeploymentFailure, type DeploymentRecord, ServiceDeployments } from './ecs-service-deployments.ts';

/** The Fargate platform version LATEST resolves to, as deployments report it. */
const FARGATE_LATEST = '1.4.0';
const MAX_EVENTS = 100;
/** A runaway guard for advanceRollouts: no plan has this many phases. */
const MAX_STEPS = 10_000;

export class Rollouts {
  /** "<cluster>/<service>" whose deployment in progress fails its tasks at the next advance or step. */
  private readonly failingRollouts = new Set<string>();
  /** "<cluster>/<service>" → the alarm (undefined: the first the service watches) that goes into ALARM during its
   * next deployment. */
  private readonly alarmingRollouts = new Map<string, string | undefined>();
  readonly serviceDeployments: ServiceDeployments;

  constructor(
    private readonly context: SimulatorContext,
    containerImages: (taskDefinitionArn: string) => ContainerImage[] = () => [],
  ) {
    this.serviceDeployments = new ServiceDeployments(context, containerImages);
  }

  /** A new PRIMARY deployment of what the service now runs, IN_PROGRESS, and the service deployment that rolls it
   * out (PENDING; one still in progress is STOPPED). */
  start(service: Service, serviceConnectConfiguration: Deployment['serviceConnectConfiguration']): Deployment {
    const deployment = this.newDeployment(service, serviceConnectConfiguration);
    this.serviceDeployments.start(service, deployment);
    this.showCurrent(service);
    return deployment;
  }

  /** Every deployment in progress finishes (or fails, when told to); draining services become INACTIVE. */
  advance(services: readonly Service[]): void {
    const now = this.context.date();
    for (const service of services) {
      if (service.status === 'DRAINING') {
        service.status = 'INACTIVE';
        service.runningCount = 0;
        service.pendingCount = 0;
        service.deployments = [];
        delete service.currentServiceDeployment;
        delete service.currentServiceRevisions;
        this.serviceDeployments.forget(service);
        continue;
      }
      if (service.status !== 'ACTIVE') continue;
      const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
      const wasSteady =
        primary?.rolloutState === 'COMPLETED' &&
        service.deployments?.length === 1 &&
        service.runningCount === service.desiredCount;
      const key = keyOf(service);
      const record = this.serviceDeployments.ongoing(key);
      const rollingBack = record?.deployment.status === 'ROLLBACK_IN_PROGRESS';
      if (!rollingBack && primary?.rolloutState === 'IN_PROGRESS' && this.failingRollouts.delete(key)) {
        this.fail(service, primary, record, this.circuitBreakerFailure(service), true);
        continue;
      }
      const alarm = record && !rollingBack ? this.dueAlarm(service, record, true) : undefined;
      if (record && primary && alarm) {
        this.fail(service, primary, record, alarm, true);
        continue;
      }
      service.runningCount = service.desiredCount;
      service.pendingCount = 0;
      if (record) {
        if (rollingBack) this.serviceDeployments.completeRollback(record, service.desiredCount ?? 0);
        else this.serviceDeployments.finish(record);
        this.alarmingRollouts.delete(key);
      }
      if (!primary) continue;
      if (wasSteady) continue;
      this.complete(service, primary, now);
    }
    for (const service of services) this.showCurrent(service);
  }

  /** Each service deployment in progress moves one phase forward; a timed phase (bake time, a linear or canary step)
   * stays until the simulator's clock shows its time has passed. True when anything moved. */
  step(services: readonly Service[]): boolean {
    let moved = false;
    for (const service of services) {
      if (service.status !== 'ACTIVE') continue;
      const key = keyOf(service);
      const record = this.serviceDeployments.ongoing(key);
      if (!record) continue;
      const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
      if (record.deployment.status === 'ROLLBACK_IN_PROGRESS') {
        service.runningCount = service.desiredCount;
        service.pendingCount = 0;
        this.serviceDeployments.completeRollback(record, service.desiredCount ?? 0);
        if (primary) this.complete(service, primary, this.context.date());
        moved = true;
        continue;
      }
      if (primary?.rolloutState === 'IN_PROGRESS' && this.failingRollouts.delete(key)) {
        this.fail(service, primary, record, this.circuitBreakerFailure(service), false);
        moved = true;
        continue;
      }
      const alarm = this.dueAlarm(service, record, false);
      if (primary && alarm) {
        this.fail(service, primary, record, alarm, false);
        moved = true;
        continue;
      }
      const result = this.serviceDeployments.step(record);
      if (result === 'waiting') continue;
      moved = true;
      if (result !== 'finished') continue;
      this.alarmingRollouts.delete(key);
      service.runningCount = service.desiredCount;
      service.pendingCount = 0;
      if (primary) this.complete(service, primary, this.context.date());
    }
    for (const service of services) this.showCurrent(service);
    return moved;
  }

  /** Steps until nothing moves: every deployment goes as far as the simulator's clock allows. */
  advanceAsClockAllows(services: () => readonly Service[]): void {
    let steps = 0;
    while (steps < MAX_STEPS && this.step(services())) steps += 1;
  }

  /** The service's deployment in progress will fail to start its tasks: at the next advance or step the deployment
   * circuit breaker marks it FAILED and, when the service has rollback on, rolls back to the deployment before it. */
  failNext(cluster: string, name: string): void {
    this.failingRollouts.add(`${lastSegment(cluster)}/${name}`);
  }

  /** During the service's next deployment (a rolling one while IN_PROGRESS, the others during BAKE_TIME) a deployment
   * alarm goes into ALARM: with deploymentConfiguration.alarms.rollback the deployment rolls back, else it stops.
   * Alarms the service does not watch (alarms.enable false) change nothing, as in ECS. */
  alarmNext(cluster: string, name: string, alarmName?: string): void {
    this.alarmingRollouts.set(`${lastSegment(cluster)}/${name}`, alarmName);
  }

  /** A seeded service's deployment: completed long ago. */
  settleSeeded(service: Service): void {
    this.serviceDeployments.settleSeeded(service);
    this.showCurrent(service);
  }

  /** Service.currentServiceDeployment and currentServiceRevisions, as the service deployment now stands. */
  private showCurrent(service: Service): void {
    if (service.status !== 'ACTIVE') return;
    Object.assign(service, this.serviceDeployments.current(service));
  }

  private newDeployment(
    service: Service,
    serviceConnectConfiguration: Deployment['serviceConnectConfiguration'],
  ): Deployment {
    const now = this.context.date();
    const id = `ecs-svc/${this.context.ids.digits(19)}`;
    return {
      id,
      status: 'PRIMARY',
      taskDefinition: service.taskDefinition,
      desiredCount: service.desiredCount,
      pendingCount: 0,
      runningCount: 0,
      failedTasks: 0,
      createdAt: now,
      updatedAt: now,
      ...(service.launchType ? { launchType: service.launchType } : {}),
      ...(service.capacityProviderStrategy ? { capacityProviderStrategy: service.capacityProviderStrategy } : {}),
      ...(service.platformVersion
        ? {
            platformVersion: service.platformVersion === 'LATEST' ? FARGATE_LATEST : service.platformVersion,
            platformFamily: service.platformFamily,
          }
        : {}),
      ...(service.networkConfiguration ? { networkConfiguration: service.networkConfiguration } : {}),
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment in progress.',
      ...(serviceConnectConfiguration ? { serviceConnectConfiguration } : {}),
    };
  }

  /** The deployment reached a steady state: the only one left, COMPLETED. */
  private complete(service: Service, primary: Deployment, now: Date): void {
    primary.desiredCount = service.desiredCount;
    primary.runningCount = service.desiredCount;
    primary.pendingCount = 0;
    primary.updatedAt = now;
    primary.rolloutState = 'COMPLETED';
    primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
    service.deployments = [primary];
    this.addEvent(service, `(service ${service.serviceName}) has reached a steady state.`);
    this.addEvent(service, `(service ${service.serviceName}) (deployment ${primary.id}) deployment completed.`);
  }

  private circuitBreakerFailure(service: Service): DeploymentFailure {
    const breaker = service.deploymentConfiguration?.deploymentCircuitBreaker;
    return {
      by: 'circuit-breaker',
      reason: 'ECS deployment circuit breaker: tasks failed to start.',
      rollback: breaker?.enable === true && breaker.rollback === true,
    };
  }

  /** The alarm that fires now, if one was set for this service, the service watches alarms, and the deployment is
   * where the alarm fires (anywhere, when advancing at once). */
  private dueAlarm(service: Service, record: DeploymentRecord, anywhere: boolean): DeploymentFailure | undefined {
    const key = keyOf(service);
    if (!this.alarmingRollouts.has(key)) return undefined;
    const alarms = service.deploymentConfiguration?.alarms;
    if (alarms?.enable !== true) return undefined;
    const rolling = (record.deployment.deploymentConfiguration?.strategy ?? 'ROLLING') === 'ROLLING';
    const due =
      anywhere ||
      (rolling ? record.deployment.status === 'IN_PROGRESS' : record.deployment.lifecycleStage === 'BAKE_TIME');
    if (!due) return undefined;
    const alarmName = this.alarmingRollouts.get(key) ?? alarms.alarmNames?.[0] ?? 'alarm';
    this.alarmingRollouts.delete(key);
    return {
      by: 'alarm',
      reason: `ECS deployment alarm ${alarmName} went into ALARM.`,
      rollback: alarms.rollback === true,
      alarmName,
    };
  }

  /** As ECS does it: FAILED with the reason; with rollback on, a new PRIMARY deployment of the previous deployment's
   * task definition replaces it and rolls out (at once when `settle`, else IN_PROGRESS until the next step), and
   * the failed one is gone once it has. */
  private fail(
    service: Service,
    failed: Deployment,
    record: DeploymentRecord | undefined,
    failure: DeploymentFailure,
    settle: boolean,
  ): void {
    const now = this.context.date();
    const alarm = failure.by === 'alarm';
    failed.rolloutState = 'FAILED';
    failed.rolloutStateReason = failure.reason;
    failed.failedTasks = alarm ? (failed.failedTasks ?? 0) : Math.max(1, failed.desiredCount ?? 1);
    failed.runningCount = 0;
    failed.updatedAt = now;
    const what = alarm ? `alarm ${failure.alarmName} in ALARM` : 'tasks failed to start';
    this.addEvent(service, `(service ${service.serviceName}) (deployment ${failed.id}) deployment failed: ${what}.`);
    const previous = service.deployments?.find((deployment) => deployment.status === 'ACTIVE');
    const rollback = failure.rollback && previous?.taskDefinition !== undefined;
    if (record) this.serviceDeployments.fail(record, { ...failure, rollback });
    if (!rollback || !previous?.taskDefinition) return;
    service.taskDefinition = previous.taskDefinition;
    const replacement = this.newDeployment(service, previous.serviceConnectConfiguration);
    const source = alarm ? 'ECS deployment alarms' : 'ECS deployment circuit breaker';
    replacement.rolloutStateReason = `${source}: rolling back to deploymentId ${previous.id}.`;
    this.addEvent(
      service,
      `(service ${service.serviceName}) (deployment ${failed.id}) deployment failed: rolling back to deployment ${previous.id}.`,
    );
    if (!settle) {
      failed.status = 'ACTIVE';
      service.deployments = [replacement, failed];
      return;
    }
    replacement.rolloutState = 'COMPLETED';
    replacement.runningCount = service.desiredCount;
    service.runningCount = service.desiredCount;
    service.pendingCount = 0;
    service.deployments = [replacement];
    if (record) this.serviceDeployments.completeRollback(record, service.desiredCount ?? 0);
    this.addEvent(service, `(service ${service.serviceName}) has reached a steady state.`);
  }

  private addEvent(service: Service, message: string): void {
    const events = service.events ?? [];
    events.unshift({ id: this.context.ids.uuid(), createdAt: this.context.date(), message });
    service.events = events.slice(0, MAX_EVENTS);
  }
}

function keyOf(service: Service): string {
  return `${lastSegment(service.clusterArn ?? '')}/${service.serviceName}`;
}
