/** The ECS half of the simulator: task definitions and services in memory, answering as the ECS API does — the
 * defaults it fills, the errors it raises, the deployments it starts. Handlers are synchronous and work on the
 * simulator's own objects; the caller (index.ts) copies inputs in and results out. */
import type {
  Attribute,
  CapacityProviderStrategyItem,
  Compatibility,
  ContainerDefinition,
  CreateServiceRequest,
  CreateServiceResponse,
  DeleteServiceRequest,
  DeleteServiceResponse,
  Deployment,
  DeploymentConfiguration,
  DeregisterTaskDefinitionRequest,
  DeregisterTaskDefinitionResponse,
  DescribeServicesRequest,
  DescribeServicesResponse,
  DescribeTaskDefinitionRequest,
  DescribeTaskDefinitionResponse,
  Failure,
  ListServicesRequest,
  ListServicesResponse,
  ListTagsForResourceRequest,
  ListTagsForResourceResponse,
  NetworkConfiguration,
  PortMapping,
  RegisterTaskDefinitionRequest,
  RegisterTaskDefinitionResponse,
  Service,
  Tag,
  TagResourceRequest,
  TagResourceResponse,
  TaskDefinition,
  UntagResourceRequest,
  UntagResourceResponse,
  UpdateServiceRequest,
  UpdateServiceResponse,
  Volume,
} from '@aws-sdk/client-ecs';
import type { SimulatorContext } from './context.ts';
import { ecsErrors } from './errors.ts';
import { decodeToken, deepEqual, encodeToken } from './util.ts';

/** A task definition revision and the tags registered with it (DescribeTaskDefinition returns them apart). */
export interface SimulatedTaskDefinition {
  taskDefinition: TaskDefinition;
  tags: Tag[];
}

const FAMILY = /^[a-zA-Z0-9_-]{1,255}$/;
const SERVICE_NAME = /^[a-zA-Z0-9_-]{1,255}$/;
const MAX_CONTAINERS = 10;
const FARGATE_PROVIDERS = new Set(['FARGATE', 'FARGATE_SPOT']);
/** The Fargate platform version LATEST resolves to, as deployments report it. */
const FARGATE_LATEST = '1.4.0';
const MAX_EVENTS = 100;

export class EcsBackend {
  /** Task definition ARN → revision. */
  private readonly taskDefinitionsByArn = new Map<string, SimulatedTaskDefinition>();
  /** Family → last revision number handed out (deregistered revisions keep their number). */
  private readonly lastRevision = new Map<string, number>();
  /** "<cluster>/<service>" → service, tags included (stripped from answers unless asked for). */
  private readonly servicesByKey = new Map<string, Service>();
  /** "<cluster>/<service>" whose deployment in progress fails its tasks at the next advance. */
  private readonly failingRollouts = new Set<string>();

  constructor(
    private readonly context: SimulatorContext,
    private readonly missingClusters: ReadonlySet<string>,
  ) {}

  // ---------------------------------------------------------------------------------------------- ARNs and names

  private arn(resource: string): string {
    return `arn:aws:ecs:${this.context.region}:${this.context.accountId}:${resource}`;
  }

  private clusterName(reference: string | undefined): string {
    const name = lastSegment(reference ?? 'default');
    if (this.missingClusters.has(name)) throw ecsErrors.clusterNotFound();
    return name;
  }

  // ---------------------------------------------------------------------------------------------- task definitions

  registerTaskDefinition(input: RegisterTaskDefinitionRequest): RegisterTaskDefinitionResponse {
    const record = this.register(input);
    return { taskDefinition: record.taskDefinition, tags: record.tags };
  }

  /** Registers a revision: validates as ECS does, numbers it, fills the defaults ECS fills. */
  register(input: RegisterTaskDefinitionRequest): SimulatedTaskDefinition {
    const { tags, ...spec } = input;
    validateTaskDefinition(spec);
    const family = spec.family as string;
    const revision = (this.lastRevision.get(family) ?? 0) + 1;
    const networkMode = spec.networkMode ?? 'bridge';
    const taskDefinitionArn = this.arn(`task-definition/${family}:${revision}`);
    const taskDefinition: TaskDefinition = {
      ...spec,
      taskDefinitionArn,
      family,
      revision,
      networkMode,
      containerDefinitions: (spec.containerDefinitions ?? []).map((container) => fillContainer(container, networkMode)),
      volumes: (spec.volumes ?? []).map(fillVolume),
      placementConstraints: spec.placementConstraints ?? [],
      status: 'ACTIVE',
      compatibilities: compatibilities(spec, networkMode),
      requiresAttributes: requiresAttributes(spec, networkMode),
      registeredAt: this.context.date(),
      registeredBy: this.context.principalArn,
      enableFaultInjection: spec.enableFaultInjection ?? false,
    };
    this.lastRevision.set(family, revision);
    const record = { taskDefinition, tags: tags ?? [] };
    this.taskDefinitionsByArn.set(taskDefinitionArn, record);
    return record;
  }

  describeTaskDefinition(input: DescribeTaskDefinitionRequest): DescribeTaskDefinitionResponse {
    const record = this.findTaskDefinition(input.taskDefinition ?? '');
    if (!record) throw ecsErrors.client('Unable to describe task definition.');
    return {
      taskDefinition: record.taskDefinition,
      ...(input.include?.includes('TAGS') ? { tags: record.tags } : {}),
    };
  }

  deregisterTaskDefinition(input: DeregisterTaskDefinitionRequest): DeregisterTaskDefinitionResponse {
    const reference = input.taskDefinition ?? '';
    // DeregisterTaskDefinition wants a revision: a bare family is refused.
    const record = reference.includes(':') ? this.findTaskDefinition(reference) : undefined;
    if (!record) throw ecsErrors.client('The specified task definition does not exist.');
    record.taskDefinition.status = 'INACTIVE';
    record.taskDefinition.deregisteredAt ??= this.context.date();
    return { taskDefinition: record.taskDefinition };
  }

  /** By ARN, family:revision, or family (its latest ACTIVE revision). */
  private findTaskDefinition(reference: string): SimulatedTaskDefinition | undefined {
    let familyAndRevision = reference;
    if (reference.startsWith('arn:')) {
      const match = /^arn:aws:ecs:([^:]+):(\d+):task-definition\/(.+)$/.exec(reference);
      if (!match || match[1] !== this.context.region || match[2] !== this.context.accountId) return undefined;
      familyAndRevision = match[3] as string;
    }
    const [family, revisionText, ...rest] = familyAndRevision.split(':');
    if (!family || rest.length > 0) return undefined;
    if (revisionText === undefined) {
      const latest = [...this.taskDefinitionsByArn.values()]
        .filter((record) => record.taskDefinition.family === family && record.taskDefinition.status === 'ACTIVE')
        .sort((a, b) => (b.taskDefinition.revision ?? 0) - (a.taskDefinition.revision ?? 0))[0];
      return latest;
    }
    if (!/^\d+$/.test(revisionText)) return undefined;
    return this.taskDefinitionsByArn.get(this.arn(`task-definition/${family}:${Number(revisionText)}`));
  }

  /** The ARN a service runs: CreateService and UpdateService resolve families and revisions to it. */
  private resolveTaskDefinitionForService(reference: string | undefined): TaskDefinition {
    if (!reference) throw ecsErrors.invalidParameter('TaskDefinition must be specified.');
    const record = this.findTaskDefinition(reference);
    if (!record) throw ecsErrors.invalidParameter('TaskDefinition not found.');
    if (record.taskDefinition.status !== 'ACTIVE') throw ecsErrors.invalidParameter('TaskDefinition is inactive');
    return record.taskDefinition;
  }

  // ---------------------------------------------------------------------------------------------- services

  private serviceArn(cluster: string, name: string): string {
    return this.arn(`service/${cluster}/${name}`);
  }

  /** The service a name or ARN points at within a cluster, whatever its status. */
  private findService(cluster: string, reference: string): Service | undefined {
    if (reference.startsWith('arn:')) {
      const match = /^arn:aws:ecs:([^:]+):(\d+):service\/(?:([^/]+)\/)?([^/]+)$/.exec(reference);
      if (!match || match[1] !== this.context.region || match[2] !== this.context.accountId) return undefined;
      // Old-format ARNs (service/<name>) carry no cluster; new ones must name the cluster asked about.
      if (match[3] !== undefined && match[3] !== cluster) return undefined;
      return this.servicesByKey.get(`${cluster}/${match[4]}`);
    }
    return this.servicesByKey.get(`${cluster}/${reference}`);
  }

  createService(input: CreateServiceRequest): CreateServiceResponse {
    return { service: this.create(input) };
  }

  create(input: CreateServiceRequest): Service {
    const cluster = this.clusterName(input.cluster);
    const name = input.serviceName ?? '';
    if (!SERVICE_NAME.test(name)) {
      throw ecsErrors.invalidParameter(
        'Service name can contain up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.',
      );
    }
    const existing = this.servicesByKey.get(`${cluster}/${name}`);
    if (existing && existing.status !== 'INACTIVE') {
      throw ecsErrors.invalidParameter('Creation of service was not idempotent.');
    }
    const strategy = input.capacityProviderStrategy?.length ? input.capacityProviderStrategy : undefined;
    if (input.launchType && strategy) {
      throw ecsErrors.invalidParameter(
        'Specifying both a launch type and capacity provider strategy is not supported.',
      );
    }
    const taskDefinition = this.resolveTaskDefinitionForService(input.taskDefinition);
    if (taskDefinition.networkMode === 'awsvpc' && !input.networkConfiguration?.awsvpcConfiguration) {
      throw ecsErrors.invalidParameter(
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      );
    }
    const schedulingStrategy = input.schedulingStrategy ?? 'REPLICA';
    const daemon = schedulingStrategy === 'DAEMON';
    const launchType = strategy ? undefined : (input.launchType ?? 'EC2');
    const fargate = onFargate(launchType, strategy);
    if (!fargate && input.platformVersion) {
      throw ecsErrors.invalidParameter('The platform version must be null when specifying an EC2 launch type.');
    }
    const now = this.context.date();
    const service: Service = {
      serviceArn: this.serviceArn(cluster, name),
      serviceName: name,
      clusterArn: this.arn(`cluster/${cluster}`),
      loadBalancers: input.loadBalancers ?? [],
      serviceRegistries: input.serviceRegistries ?? [],
      status: 'ACTIVE',
      desiredCount: input.desiredCount ?? 0,
      runningCount: 0,
      pendingCount: 0,
      ...(launchType ? { launchType } : {}),
      ...(strategy ? { capacityProviderStrategy: fillStrategy(strategy) } : {}),
      ...(fargate ? { platformVersion: input.platformVersion ?? 'LATEST', platformFamily: 'Linux' } : {}),
      taskDefinition: taskDefinition.taskDefinitionArn,
      deploymentConfiguration: fillDeploymentConfiguration(input.deploymentConfiguration, undefined, daemon),
      deployments: [],
      roleArn: input.role
        ? roleArn(input.role, this.context.accountId)
        : `arn:aws:iam::${this.context.accountId}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`,
      events: [],
      createdAt: now,
      placementConstraints: input.placementConstraints ?? [],
      placementStrategy: input.placementStrategy ?? [],
      ...(input.networkConfiguration ? { networkConfiguration: fillNetwork(input.networkConfiguration) } : {}),
      healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds ?? 0,
      schedulingStrategy,
      deploymentController: input.deploymentController ?? { type: 'ECS' },
      tags: input.tags ?? [],
      createdBy: this.context.principalArn,
      enableECSManagedTags: input.enableECSManagedTags ?? false,
      propagateTags: input.propagateTags ?? 'NONE',
      enableExecuteCommand: input.enableExecuteCommand ?? false,
      availabilityZoneRebalancing: input.availabilityZoneRebalancing ?? (daemon ? 'DISABLED' : 'ENABLED'),
    };
    service.deployments = [this.newDeployment(service, input.serviceConnectConfiguration)];
    this.servicesByKey.set(`${cluster}/${name}`, service);
    return service;
  }

  private newDeployment(service: Service, serviceConnectConfiguration: Deployment['serviceConnectConfiguration']) {
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

  updateService(input: UpdateServiceRequest): UpdateServiceResponse {
    const cluster = this.clusterName(input.cluster);
    const service = this.findService(cluster, input.service ?? '');
    if (!service) throw ecsErrors.serviceNotFound();
    if (service.status !== 'ACTIVE') throw ecsErrors.serviceNotActive();

    const before = structuredClone(service);
    const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
    let redeploy = input.forceNewDeployment === true;

    if (input.taskDefinition !== undefined) {
      const taskDefinition = this.resolveTaskDefinitionForService(input.taskDefinition);
      if (taskDefinition.networkMode === 'awsvpc' && !(input.networkConfiguration ?? service.networkConfiguration)) {
        throw ecsErrors.invalidParameter(
          "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
        );
      }
      service.taskDefinition = taskDefinition.taskDefinitionArn;
    }
    if (input.capacityProviderStrategy !== undefined) {
      if (input.capacityProviderStrategy.length > 0) {
        // A service on a launch type can be moved to a capacity provider strategy; the launch type then goes.
        service.capacityProviderStrategy = fillStrategy(input.capacityProviderStrategy);
        delete service.launchType;
      } else {
        delete service.capacityProviderStrategy;
      }
    }
    const fargate = onFargate(service.launchType, service.capacityProviderStrategy);
    if (input.platformVersion !== undefined) {
      if (!fargate) {
        throw ecsErrors.invalidParameter('The platform version must be null when specifying an EC2 launch type.');
      }
      service.platformVersion = input.platformVersion;
    }
    if (fargate) {
      service.platformVersion ??= 'LATEST';
      service.platformFamily ??= 'Linux';
    } else {
      delete service.platformVersion;
      delete service.platformFamily;
    }
    if (input.desiredCount !== undefined) service.desiredCount = input.desiredCount;
    if (input.deploymentConfiguration !== undefined) {
      service.deploymentConfiguration = fillDeploymentConfiguration(
        input.deploymentConfiguration,
        service.deploymentConfiguration,
        service.schedulingStrategy === 'DAEMON',
      );
    }
    if (input.networkConfiguration !== undefined)
      service.networkConfiguration = fillNetwork(input.networkConfiguration);
    if (input.loadBalancers !== undefined) service.loadBalancers = input.loadBalancers;
    if (input.serviceRegistries !== undefined) service.serviceRegistries = input.serviceRegistries;
    if (input.placementConstraints !== undefined) service.placementConstraints = input.placementConstraints;
    if (input.placementStrategy !== undefined) service.placementStrategy = input.placementStrategy;
    if (input.healthCheckGracePeriodSeconds !== undefined) {
      service.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
    }
    if (input.enableExecuteCommand !== undefined) service.enableExecuteCommand = input.enableExecuteCommand;
    if (input.enableECSManagedTags !== undefined) service.enableECSManagedTags = input.enableECSManagedTags;
    if (input.propagateTags !== undefined) service.propagateTags = input.propagateTags;
    if (input.availabilityZoneRebalancing !== undefined) {
      service.availabilityZoneRebalancing = input.availabilityZoneRebalancing;
    }
    if (input.deploymentController !== undefined) service.deploymentController = input.deploymentController;

    const serviceConnect = input.serviceConnectConfiguration ?? primary?.serviceConnectConfiguration;
    // What the tasks run with changed: ECS starts a new deployment. Counts, deployment settings and tag settings
    // apply to the running deployment.
    const changedFields = [
      'taskDefinition',
      'networkConfiguration',
      'capacityProviderStrategy',
      'launchType',
      'platformVersion',
      'loadBalancers',
      'serviceRegistries',
    ] as const;
    for (const field of changedFields) {
      if (!deepEqual(before[field], service[field])) redeploy = true;
    }
    if (
      input.serviceConnectConfiguration !== undefined &&
      !deepEqual(input.serviceConnectConfiguration, primary?.serviceConnectConfiguration)
    ) {
      redeploy = true;
    }

    if (redeploy || !primary) {
      const deployments = (service.deployments ?? []).map((deployment) =>
        deployment.status === 'PRIMARY' ? { ...deployment, status: 'ACTIVE' } : deployment,
      );
      service.deployments = [this.newDeployment(service, serviceConnect), ...deployments];
    } else if (input.desiredCount !== undefined) {
      primary.desiredCount = service.desiredCount;
      primary.updatedAt = this.context.date();
      if (primary.runningCount !== primary.desiredCount) primary.rolloutState = 'IN_PROGRESS';
    }
    return { service };
  }

  deleteService(input: DeleteServiceRequest): DeleteServiceResponse {
    const cluster = this.clusterName(input.cluster);
    const service = this.findService(cluster, input.service ?? '');
    if (!service) throw ecsErrors.serviceNotFound();
    if (service.status === 'INACTIVE') throw ecsErrors.serviceNotActive();
    if (service.status === 'DRAINING') return { service };
    if (!input.force && service.schedulingStrategy !== 'DAEMON' && (service.desiredCount ?? 0) > 0) {
      throw ecsErrors.invalidParameter('The service cannot be stopped while it is scaled above 0.');
    }
    service.status = 'DRAINING';
    service.desiredCount = 0;
    for (const deployment of service.deployments ?? []) {
      deployment.desiredCount = 0;
      deployment.updatedAt = this.context.date();
    }
    return { service };
  }

  describeServices(input: DescribeServicesRequest): DescribeServicesResponse {
    const references = input.services ?? [];
    if (references.length === 0) throw ecsErrors.invalidParameter('Services cannot be empty.');
    if (references.length > 10) throw ecsErrors.invalidParameter('services can have at most 10 items.');
    const cluster = this.clusterName(input.cluster);
    const withTags = input.include?.includes('TAGS') === true;
    const services: Service[] = [];
    const failures: Failure[] = [];
    for (const reference of references) {
      const service = this.findService(cluster, reference);
      if (service) {
        services.push(withTags ? service : withoutTags(service));
      } else {
        const arn = reference.startsWith('arn:') ? reference : this.serviceArn(cluster, reference);
        failures.push({ arn, reason: 'MISSING' });
      }
    }
    return { services, failures };
  }

  listServices(input: ListServicesRequest): ListServicesResponse {
    const cluster = this.clusterName(input.cluster);
    const maxResults = input.maxResults ?? 10;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
      throw ecsErrors.invalidParameter('maxResults must be between 1 and 100.');
    }
    const offset = input.nextToken === undefined ? 0 : decodeToken(input.nextToken);
    if (offset === undefined) throw ecsErrors.invalidParameter('Invalid nextToken.');
    const arns = [...this.servicesByKey.values()]
      .filter(
        (service) =>
          service.clusterArn === this.arn(`cluster/${cluster}`) &&
          service.status !== 'INACTIVE' &&
          (input.launchType === undefined || service.launchType === input.launchType) &&
          (input.schedulingStrategy === undefined || service.schedulingStrategy === input.schedulingStrategy),
      )
      .map((service) => service.serviceArn as string);
    const page = arns.slice(offset, offset + maxResults);
    const next = offset + maxResults;
    return { serviceArns: page, ...(next < arns.length ? { nextToken: encodeToken(next) } : {}) };
  }

  // ---------------------------------------------------------------------------------------------- tags

  /** The tag list of a service or task definition ARN, to read or change in place. */
  private taggable(resourceArn: string | undefined): { tags: Tag[]; set: (tags: Tag[]) => void } {
    const arn = resourceArn ?? '';
    const service = /^arn:aws:ecs:[^:]+:\d+:service\/([^/]+)\/([^/]+)$/.exec(arn);
    if (service) {
      const record = this.servicesByKey.get(`${service[1]}/${service[2]}`);
      if (record && record.serviceArn === arn) {
        return {
          tags: record.tags ?? [],
          set: (tags) => {
            record.tags = tags;
          },
        };
      }
    }
    const taskDefinition = this.taskDefinitionsByArn.get(arn);
    if (taskDefinition) {
      return {
        tags: taskDefinition.tags,
        set: (tags) => {
          taskDefinition.tags = tags;
        },
      };
    }
    throw ecsErrors.invalidParameter('The specified resource could not be found.');
  }

  tagResource(input: TagResourceRequest): TagResourceResponse {
    const target = this.taggable(input.resourceArn);
    const added = input.tags ?? [];
    for (const tag of added) {
      if (tag.key?.toLowerCase().startsWith('aws:')) {
        throw ecsErrors.invalidParameter('Tag keys starting with aws: are reserved for AWS use.');
      }
    }
    const merged = target.tags.filter((tag) => !added.some((update) => update.key === tag.key));
    merged.push(...added);
    if (merged.length > 50) throw ecsErrors.invalidParameter('A resource can have at most 50 tags.');
    target.set(merged);
    return {};
  }

  untagResource(input: UntagResourceRequest): UntagResourceResponse {
    const target = this.taggable(input.resourceArn);
    const keys = new Set(input.tagKeys ?? []);
    target.set(target.tags.filter((tag) => !keys.has(tag.key ?? '')));
    return {};
  }

  listTagsForResource(input: ListTagsForResourceRequest): ListTagsForResourceResponse {
    return { tags: this.taggable(input.resourceArn).tags };
  }

  // ---------------------------------------------------------------------------------------------- simulation

  /** Every deployment in progress finishes; draining services become INACTIVE. */
  advance(): void {
    const now = this.context.date();
    for (const service of this.servicesByKey.values()) {
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
        this.failRollout(service, primary);
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
  failNextRollout(cluster: string, name: string): void {
    this.serviceForDrift(cluster, name);
    this.failingRollouts.add(`${lastSegment(cluster)}/${name}`);
  }

  /** As ECS does it: FAILED with the circuit breaker's reason; with rollback on, a new PRIMARY deployment of the
   * previous deployment's task definition replaces it and rolls out (COMPLETED), and the failed one is gone. */
  private failRollout(service: Service, failed: Deployment): void {
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
    const rollback = this.newDeployment(service, previous.serviceConnectConfiguration);
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

  /** Puts a service in place as if created and rolled out long ago: steady, its deployment COMPLETED. */
  seedService(input: CreateServiceRequest): Service {
    const service = this.create(input);
    const primary = service.deployments?.[0];
    service.runningCount = service.desiredCount;
    if (primary) {
      primary.runningCount = service.desiredCount;
      primary.rolloutState = 'COMPLETED';
      primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
    }
    return service;
  }

  /** The live service, to change behind the API's back. */
  serviceForDrift(cluster: string, name: string): Service {
    const service = this.servicesByKey.get(`${lastSegment(cluster)}/${name}`);
    if (!service) throw new Error(`simulator: no service ${name} in cluster ${cluster}`);
    return service;
  }

  taskDefinitionForDrift(reference: string): SimulatedTaskDefinition {
    const record = this.findTaskDefinition(reference);
    if (!record) throw new Error(`simulator: no task definition ${reference}`);
    return record;
  }

  services(): Service[] {
    return [...this.servicesByKey.values()];
  }

  taskDefinitions(): SimulatedTaskDefinition[] {
    return [...this.taskDefinitionsByArn.values()];
  }
}

// ------------------------------------------------------------------------------------------------ helpers

function lastSegment(nameOrArn: string): string {
  if (!nameOrArn.startsWith('arn:')) return nameOrArn;
  const slash = nameOrArn.lastIndexOf('/');
  return slash === -1 ? nameOrArn : nameOrArn.slice(slash + 1);
}

function withoutTags(service: Service): Service {
  const { tags: _tags, ...rest } = service;
  return rest;
}

function roleArn(role: string, accountId: string): string {
  return role.startsWith('arn:') ? role : `arn:aws:iam::${accountId}:role/${role}`;
}

function onFargate(launchType: string | undefined, strategy: CapacityProviderStrategyItem[] | undefined): boolean {
  return (
    launchType === 'FARGATE' || (strategy ?? []).some((item) => FARGATE_PROVIDERS.has(item.capacityProvider ?? ''))
  );
}

function fillStrategy(strategy: CapacityProviderStrategyItem[]): CapacityProviderStrategyItem[] {
  return strategy.map((item) => ({ ...item, weight: item.weight ?? 0, base: item.base ?? 0 }));
}

function fillNetwork(network: NetworkConfiguration): NetworkConfiguration {
  if (!network.awsvpcConfiguration) return network;
  return {
    ...network,
    awsvpcConfiguration: {
      ...network.awsvpcConfiguration,
      assignPublicIp: network.awsvpcConfiguration.assignPublicIp ?? 'DISABLED',
    },
  };
}

/** ECS's defaults for what the request leaves out; on update, what is left out keeps its current value. */
function fillDeploymentConfiguration(
  given: DeploymentConfiguration | undefined,
  current: DeploymentConfiguration | undefined,
  daemon: boolean,
): DeploymentConfiguration {
  const base = current ?? {};
  return {
    ...base,
    ...given,
    maximumPercent: given?.maximumPercent ?? base.maximumPercent ?? (daemon ? 100 : 200),
    minimumHealthyPercent: given?.minimumHealthyPercent ?? base.minimumHealthyPercent ?? (daemon ? 0 : 100),
    deploymentCircuitBreaker: given?.deploymentCircuitBreaker ??
      base.deploymentCircuitBreaker ?? { enable: false, rollback: false },
    alarms: given?.alarms ?? base.alarms ?? { alarmNames: [], enable: false, rollback: false },
    strategy: given?.strategy ?? base.strategy ?? 'ROLLING',
  };
}

// ------------------------------------------------------------------------------------------------ task definitions

function validateTaskDefinition(spec: Omit<RegisterTaskDefinitionRequest, 'tags'>): void {
  if (!spec.family || !FAMILY.test(spec.family)) {
    throw ecsErrors.client(
      'Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.',
    );
  }
  const containers = spec.containerDefinitions ?? [];
  if (containers.length === 0) throw ecsErrors.client('Container list cannot be empty.');
  if (containers.length > MAX_CONTAINERS) {
    throw ecsErrors.client(`Too many containers: a task definition can have at most ${MAX_CONTAINERS}.`);
  }
  const names = new Set<string>();
  for (const container of containers) {
    if (!container.name) throw ecsErrors.client('Container.name should not be null or empty.');
    if (names.has(container.name)) throw ecsErrors.client(`Duplicate container name: ${container.name}.`);
    names.add(container.name);
    if (!container.image) throw ecsErrors.client('Container.image should not be null or empty.');
  }
  if (!containers.some((container) => container.essential !== false)) {
    throw ecsErrors.client('Task definition does not have any essential container.');
  }
  const fargate = spec.requiresCompatibilities?.includes('FARGATE') === true;
  if (fargate) {
    if (spec.networkMode !== 'awsvpc') throw ecsErrors.client("Fargate only supports network mode 'awsvpc'.");
    if (!spec.cpu) throw ecsErrors.client("Fargate requires that 'cpu' be defined at the task level.");
    if (!spec.memory) throw ecsErrors.client("Fargate requires that 'memory' be defined at the task level.");
  } else if (!spec.memory) {
    for (const container of containers) {
      if (container.memory === undefined && container.memoryReservation === undefined) {
        throw ecsErrors.client(
          `Invalid setting for container '${container.name}'. At least one of 'memory' or 'memoryReservation' must be specified.`,
        );
      }
    }
  }
}

function fillContainer(container: ContainerDefinition, networkMode: string): ContainerDefinition {
  const filled: ContainerDefinition = {
    ...container,
    cpu: container.cpu ?? 0,
    essential: container.essential ?? true,
    portMappings: (container.portMappings ?? []).map((mapping) => fillPortMapping(mapping, networkMode)),
    environment: container.environment ?? [],
    mountPoints: container.mountPoints ?? [],
    volumesFrom: container.volumesFrom ?? [],
    systemControls: container.systemControls ?? [],
  };
  if (container.healthCheck) {
    filled.healthCheck = {
      ...container.healthCheck,
      interval: container.healthCheck.interval ?? 30,
      timeout: container.healthCheck.timeout ?? 5,
      retries: container.healthCheck.retries ?? 3,
    };
  }
  return filled;
}

function fillPortMapping(mapping: PortMapping, networkMode: string): PortMapping {
  const sameAsContainer = networkMode === 'awsvpc' || networkMode === 'host';
  const hostPort =
    mapping.hostPort ?? (mapping.containerPort === undefined ? undefined : sameAsContainer ? mapping.containerPort : 0);
  return { ...mapping, ...(hostPort === undefined ? {} : { hostPort }), protocol: mapping.protocol ?? 'tcp' };
}

function fillVolume(volume: Volume): Volume {
  if (!volume.efsVolumeConfiguration) return volume;
  return {
    ...volume,
    efsVolumeConfiguration: {
      ...volume.efsVolumeConfiguration,
      rootDirectory: volume.efsVolumeConfiguration.rootDirectory ?? '/',
      transitEncryption: volume.efsVolumeConfiguration.transitEncryption ?? 'DISABLED',
    },
  };
}

/** The launch types the revision validated against: always EC2; FARGATE too for an awsvpc task with task-level
 * cpu and memory; EXTERNAL when asked for. */
function compatibilities(spec: Omit<RegisterTaskDefinitionRequest, 'tags'>, networkMode: string): Compatibility[] {
  const result: Compatibility[] = ['EC2'];
  const requested = spec.requiresCompatibilities ?? [];
  if (requested.includes('FARGATE') || (networkMode === 'awsvpc' && spec.cpu && spec.memory)) result.push('FARGATE');
  if (requested.includes('EXTERNAL')) result.push('EXTERNAL');
  return result;
}

/** The agent capabilities the revision needs, as ECS derives them from what the containers use. */
function requiresAttributes(spec: Omit<RegisterTaskDefinitionRequest, 'tags'>, networkMode: string): Attribute[] {
  const names = new Set<string>(['com.amazonaws.ecs.capability.docker-remote-api.1.18']);
  if (networkMode === 'awsvpc') {
    names.add('ecs.capability.task-eni');
    names.add('com.amazonaws.ecs.capability.docker-remote-api.1.29');
  }
  if (spec.taskRoleArn) names.add('com.amazonaws.ecs.capability.task-iam-role');
  for (const container of spec.containerDefinitions ?? []) {
    const logDriver = container.logConfiguration?.logDriver;
    if (logDriver) names.add(`com.amazonaws.ecs.capability.logging-driver.${logDriver}`);
    if (logDriver === 'awslogs' && spec.executionRoleArn) names.add('ecs.capability.execution-role-awslogs');
    if (container.image && /\.dkr\.ecr\.[^/]+\.amazonaws\.com\//.test(container.image)) {
      names.add('com.amazonaws.ecs.capability.ecr-auth');
      if (spec.executionRoleArn) names.add('ecs.capability.execution-role-ecr-pull');
    }
    if (container.healthCheck) names.add('ecs.capability.container-health-check');
    for (const secret of container.secrets ?? []) {
      names.add(
        secret.valueFrom?.includes(':secretsmanager:')
          ? 'ecs.capability.secrets.asm.environment-variables'
          : 'ecs.capability.secrets.ssm.environment-variables',
      );
    }
    if (container.dependsOn?.length) names.add('ecs.capability.container-ordering');
  }
  for (const volume of spec.volumes ?? []) {
    if (volume.efsVolumeConfiguration) names.add('ecs.capability.efs');
  }
  return [...names].sort().map((name) => ({ name }));
}
