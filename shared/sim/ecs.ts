/** The ECS half of the simulator: task definitions and services in memory, answering as the ECS API does — the
 * defaults it fills, the errors it raises, the deployments it starts. Handlers are synchronous and work on the
 * simulator's own objects; the caller (index.ts) copies inputs in and results out. */
import type {
  CreateServiceRequest,
  CreateServiceResponse,
  DeleteServiceRequest,
  DeleteServiceResponse,
  DeregisterTaskDefinitionRequest,
  DeregisterTaskDefinitionResponse,
  DescribeServicesRequest,
  DescribeServicesResponse,
  DescribeTaskDefinitionRequest,
  DescribeTaskDefinitionResponse,
  ListServicesRequest,
  ListServicesResponse,
  ListTagsForResourceRequest,
  ListTagsForResourceResponse,
  RegisterTaskDefinitionRequest,
  RegisterTaskDefinitionResponse,
  Service,
  TagResourceRequest,
  TagResourceResponse,
  UntagResourceRequest,
  UntagResourceResponse,
  UpdateServiceRequest,
  UpdateServiceResponse,
} from '@aws-sdk/client-ecs';
import type { SimulatorContext } from './context.ts';
import { Rollouts } from './ecs-deployments.ts';
import { ServiceRegistry } from './ecs-services.ts';
import { ResourceTags } from './ecs-tags.ts';
import { type SimulatedTaskDefinition, TaskDefinitionRegistry } from './ecs-task-definitions.ts';

export type { SimulatedTaskDefinition } from './ecs-task-definitions.ts';

export class EcsBackend {
  private readonly taskDefinitionRegistry: TaskDefinitionRegistry;
  private readonly rollouts: Rollouts;
  private readonly serviceRegistry: ServiceRegistry;
  private readonly resourceTags: ResourceTags;

  constructor(context: SimulatorContext, missingClusters: ReadonlySet<string>) {
    this.taskDefinitionRegistry = new TaskDefinitionRegistry(context);
    this.rollouts = new Rollouts(context);
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

  /** The service's deployment in progress will fail to start its tasks: at the next advance the deployment circuit
   * breaker marks it FAILED and, when the service has rollback on, rolls back to the deployment before it. */
  failNextRollout(cluster: string, name: string): void {
    this.serviceForDrift(cluster, name);
    this.rollouts.failNext(cluster, name);
  }

  /** Puts a service in place as if created and rolled out long ago: steady, its deployment COMPLETED. */
  seedService(input: CreateServiceRequest): Service {
    return this.serviceRegistry.seed(input);
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
