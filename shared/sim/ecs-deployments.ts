/** Simulated ECS deployments: how one starts, how it rolls out (or fails and rolls back) when the simulator
 * advances, and the service events that report it. */
import type { Deployment, Service } from '@aws-sdk/client-ecs';
import type { SimulatorContext } from './context.ts';
import { lastSegment } from './ecs-defaults.ts';

/** The Fargate platform version LATEST resolves to, as deployments report it. */
const FARGATE_LATEST = '1.4.0';
const MAX_EVENTS = 100;

export class Rollouts {
  /** "<cluster>/<service>" whose deployment in progress fails its tasks at the next advance. */
  private readonly failingRollouts = new Set<string>();

  constructor(private readonly context: SimulatorContext) {}

  /** A new PRIMARY deployment of what the service now runs, IN_PROGRESS. */
  start(service: Service, serviceConnectConfiguration: Deployment['serviceConnectConfiguration']): Deployment {
    const now = this.context.date();
    const id = `ecs-svc/${this.context.ids.digits(19)}`;
    const deployment: Deployment = {
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
    return deployment;
  }

  /** Every deployment in progress finishes; draining services become INACTIVE. */
  advance(services: Iterable<Service>): void {
    const now = this.context.date();
    for (const service of services) {
      if (service.status === 'DRAINING') {
        service.status = 'INACTIVE';
        service.runningCount = 0;
        service.pendingCount = 0;
        service.deployments = [];
        continue;
      }
      if (service.status !== 'ACTIVE') continue;
      const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
      const wasSteady =
        primary?.rolloutState === 'COMPLETED' &&
        service.deployments?.length === 1 &&
        service.runningCount === service.desiredCount;
      const key = `${lastSegment(service.clusterArn ?? '')}/${service.serviceName}`;
      if (primary?.rolloutState === 'IN_PROGRESS' && this.failingRollouts.delete(key)) {
        this.fail(service, primary);
        continue;
      }
      service.runningCount = service.desiredCount;
      service.pendingCount = 0;
      if (!primary) continue;
      if (wasSteady) continue;
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
  }

  /** The service's deployment in progress will fail to start its tasks: at the next advance the deployment circuit
   * breaker marks it FAILED and, when the service has rollback on, rolls back to the deployment before it. */
  failNext(cluster: string, name: string): void {
    this.failingRollouts.add(`${lastSegment(cluster)}/${name}`);
  }

  /** As ECS does it: FAILED with the circuit breaker's reason; with rollback on, a new PRIMARY deployment of the
   * previous deployment's task definition replaces it and rolls out (COMPLETED), and the failed one is gone. */
  private fail(service: Service, failed: Deployment): void {
    const now = this.context.date();
    failed.rolloutState = 'FAILED';
    failed.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    failed.failedTasks = Math.max(1, failed.desiredCount ?? 1);
    failed.runningCount = 0;
    failed.updatedAt = now;
    this.addEvent(
      service,
      `(service ${service.serviceName}) (deployment ${failed.id}) deployment failed: tasks failed to start.`,
    );
    const breaker = service.deploymentConfiguration?.deploymentCircuitBreaker;
    const previous = service.deployments?.find((deployment) => deployment.status === 'ACTIVE');
    if (breaker?.enable !== true || breaker.rollback !== true || !previous?.taskDefinition) return;
    service.taskDefinition = previous.taskDefinition;
    const rollback = this.start(service, previous.serviceConnectConfiguration);
    rollback.rolloutState = 'COMPLETED';
    rollback.rolloutStateReason = `ECS deployment circuit breaker: rolling back to deploymentId ${previous.id}.`;
    rollback.runningCount = service.desiredCount;
    service.runningCount = service.desiredCount;
    service.pendingCount = 0;
    service.deployments = [rollback];
    this.addEvent(
      service,
      `(service ${service.serviceName}) (deployment ${failed.id}) deployment failed: rolling back to deployment ${previous.id}.`,
    );
    this.addEvent(service, `(service ${service.serviceName}) has reached a steady state.`);
  }

  private addEvent(service: Service, message: string): void {
    const events = service.events ?? [];
    events.unshift({ id: this.context.ids.uuid(), createdAt: this.context.date(), message });
    service.events = events.slice(0, MAX_EVENTS);
  }
}
