/** The ECS half of the simulator: task definitions and services in memory, answering as the ECS API does — the
 * defaults it fills, the errors it raises, the deployments it starts. Handlers are synchronous and work on the
 * simulator's own objects; the caller (index.ts) copies inputs in and results out. */

import { createHash } from 'node:crypto';
import type {
  CreateServiceRequest,
  CreateServiceResponse,
  DeleteServiceRequest,
  DeleteServiceResponse,
  DeregisterTaskDefinitionRequest,
  DeregisterTaskDefinitionResponse,
  DescribeServiceDeploymentsRequest,
  DescribeServiceDeploymentsResponse,
  DescribeServiceRevisionsRequest,
  DescribeServiceRevisionsResponse,
  DescribeServicesRequest,
  DescribeServicesResponse,
  DescribeTaskDefinitionRequest,
  DescribeTaskDefinitionResponse,
  ListServiceDeploymentsRequest,
  ListServiceDeploymentsResponse,
  ListServicesRequest,
  ListServicesResponse,
  ListTagsForResourceRequest,
  ListTagsForResourceResponse,
  RegisterTaskDefinitionRequest,
  RegisterTaskDefinitionResponse,
  Service,
  ServiceDeployment,
  TagResourceRequest,
  TagResourceResponse,
  UntagResourceRequest,
  UntagResourceResponse,
  UpdateServiceRequest,
  UpdateServiceResponse,
} from '@aws-sdk/client-ecs';
import type { SimulatorContext } from './context.ts';
import { lastSegment } from './ecs-defaults.ts';
import { Rollouts } from './ecs-deployments.ts';
import { ServiceRegistry } from './ecs-services.ts';
import { ResourceTags } from './ecs-tags.ts';
import { type SimulatedTaskDefinition, TaskDefinitionRegistry } from './ecs-task-definitions.ts';
import { ecsErrors } from './errors.ts';

export type { SimulatedTaskDefinition } from './ecs-task-definitions.ts';

export class EcsBackend {
  private readonly taskDefinitionRegistry: TaskDefinitionRegistry;
  private readonly rollouts: Rollouts;
  private readonly serviceRegistry: ServiceRegistry;
  private readonly resourceTags: ResourceTags;

  constructor(
    context: SimulatorContext,
    private readonly missingClusters: ReadonlySet<string>,
  ) {
    this.taskDefinitionRegistry = new TaskDefinitionRegistry(context);
    this.rollouts = new Rollouts(context, (arn) => this.containerImages(arn));
    this.serviceRegistry = new ServiceRegistry(context, missingClusters, this.taskDefinitionRegistry, this.rollouts);
    this.resourceTags = new ResourceTags(this.serviceRegistry, this.taskDefinitionRegistry);
  }

  // ---------------------------------------------------------------------------------------------- task definitions

  registerTaskDefinition(input: RegisterTaskDefinitionRequest): RegisterTaskDefinitionResponse {
    const record = this.register(input);
    return { taskDefinition: record.taskDefinition, tags: record.tags };
  }

  /** Registers a revision: validates as ECS does, numbers it, fills the defaults ECS fills. */
  register(input: RegisterTaskDefinitionRequest): SimulatedTaskDefinition {
    return this.taskDefinitionRegistry.register(input);
  }

  describeTaskDefinition(input: DescribeTaskDefinitionRequest): DescribeTaskDefinitionResponse {
    return this.taskDefinitionRegistry.describe(input);
  }

  deregisterTaskDefinition(input: DeregisterTaskDefinitionRequest): DeregisterTaskDefinitionResponse {
    return this.taskDefinitionRegistry.deregister(input);
  }

  // ---------------------------------------------------------------------------------------------- services

  createService(input: CreateServiceRequest): CreateServiceResponse {
    return { service: this.create(input) };
  }

  create(input: CreateServiceRequest): Service {
    return this.serviceRegistry.create(input);
  }

  updateService(input: UpdateServiceRequest): UpdateServiceResponse {
    return this.serviceRegistry.update(input);
  }

  deleteService(input: DeleteServiceRequest): DeleteServiceResponse {
    return this.serviceRegistry.delete(input);
  }

  describeServices(input: DescribeServicesRequest): DescribeServicesResponse {
    return this.serviceRegistry.describe(input);
  }

  listServices(input: ListServicesRequest): ListServicesResponse {
    return this.serviceRegistry.list(input);
  }

  // ---------------------------------------------------------------------------------------------- service deployments

  listServiceDeployments(input: ListServiceDeploymentsRequest): ListServiceDeploymentsResponse {
    const cluster = lastSegment(input.cluster ?? 'default');
    if (this.missingClusters.has(cluster)) throw ecsErrors.clusterNotFound();
    const service = this.serviceRegistry.get(cluster, lastSegment(input.service ?? ''));
    if (!service || service.status === 'INACTIVE') throw ecsErrors.serviceNotFound();
    return this.rollouts.serviceDeployments.list(input, service.serviceArn as string);
  }

  describeServiceDeployments(input: DescribeServiceDeploymentsRequest): DescribeServiceDeploymentsResponse {
    return this.rollouts.serviceDeployments.describe(input);
  }

  describeServiceRevisions(input: DescribeServiceRevisionsRequest): DescribeServiceRevisionsResponse {
    return this.rollouts.serviceDeployments.describeRevisions(input);
  }

  /** The images a task definition's containers run, as a service revision records them (digests made up, stable). */
  private containerImages(taskDefinitionArn: string) {
    const record = this.taskDefinitionRegistry.byArn(taskDefinitionArn);
    return (record?.taskDefinition.containerDefinitions ?? []).map((container) => ({
      containerName: container.name,
      image: container.image,
      imageDigest: `sha256:${createHash('sha256')
        .update(container.image ?? '')
        .digest('hex')}`,
    }));
  }

  // ---------------------------------------------------------------------------------------------- tags

  tagResource(input: TagResourceRequest): TagResourceResponse {
    return this.resourceTags.tagResource(input);
  }

  untagResource(input: UntagResourceRequest): UntagResourceResponse {
    return this.resourceTags.untagResource(input);
  }

  listTagsForResource(input: ListTagsForResourceRequest): ListTagsForResourceResponse {
    return this.resourceTags.listTagsForResource(input);
  }

  // ---------------------------------------------------------------------------------------------- simulation

  /** Every deployment in progress finishes; draining services become INACTIVE. */
  advance(): void {
    this.rollouts.advance(this.serviceRegistry.all());
  }

  /** Each service deployment in progress moves one phase forward, timed phases only once their time has passed. */
  stepRollouts(): boolean {
    return this.rollouts.step(this.serviceRegistry.all());
  }

  /** Service deployments move as far as the simulator's clock allows. */
  advanceRollouts(): void {
    this.rollouts.advanceAsClockAllows(() => this.serviceRegistry.all());
  }

  alarmNextRollout(cluster: string, name: string, alarmName?: string): void {
    this.serviceForDrift(cluster, name);
    this.rollouts.alarmNext(cluster, name, alarmName);
  }

  serviceDeployments(): ServiceDeployment[] {
    return this.rollouts.serviceDeployments.all();
  }

  /** The service's deployment in progress will fail to start its tasks: at the next advance the deployment circuit
   * breaker marks it FAILED and, when the service has rollback on, rolls back to the deployment before it. */
  failNextRollout(cluster: string, name: string): void {
    this.serviceForDrift(cluster, name);
    this.rollouts.failNext(cluster, name);
  }

  /** Puts a service in place as if created and rolled out long ago: steady, its deployment COMPLETED. */
  seedService(input: CreateServiceRequest): Service {
    const service = this.serviceRegistry.seed(input);
    this.rollouts.settleSeeded(service);
    return service;
  }

  /** The live service, to change behind the API's back. */
  serviceForDrift(cluster: string, name: string): Service {
    return this.serviceRegistry.forDrift(cluster, name);
  }

  taskDefinitionForDrift(reference: string): SimulatedTaskDefinition {
    return this.taskDefinitionRegistry.forDrift(reference);
  }

  services(): Service[] {
    return this.serviceRegistry.all();
  }

  taskDefinitions(): SimulatedTaskDefinition[] {
    return this.taskDefinitionRegistry.all();
  }
}
