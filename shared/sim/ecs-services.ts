/** The simulated ECS services: created, updated, deleted, described and listed per cluster as ECS does, tags held
 * with each service and stripped from answers unless asked for. */
import type {
  CreateServiceRequest,
  DeleteServiceRequest,
  DeleteServiceResponse,
  DescribeServicesRequest,
  DescribeServicesResponse,
  Failure,
  ListServicesRequest,
  ListServicesResponse,
  Service,
  UpdateServiceRequest,
  UpdateServiceResponse,
} from '@aws-sdk/client-ecs';
import type { SimulatorContext } from './context.ts';
import {
  checkDeploymentStrategy,
  checkVolumeConfigurations,
  ecsArn,
  fillDeploymentConfiguration,
  fillNetwork,
  fillStrategy,
  lastSegment,
  onFargate,
  roleArn,
  withDeploymentConfigurations,
  withoutTags,
} from './ecs-defaults.ts';
import type { Rollouts } from './ecs-deployments.ts';
import { applyServiceUpdate } from './ecs-service-update.ts';
import type { TaskDefinitionRegistry } from './ecs-task-definitions.ts';
import { ecsErrors } from './errors.ts';
import { decodeToken, encodeToken } from './util.ts';

const SERVICE_NAME = /^[a-zA-Z0-9_-]{1,255}$/;

export class ServiceRegistry {
  /** "<cluster>/<service>" → service, tags included (stripped from answers unless asked for). */
  private readonly servicesByKey = new Map<string, Service>();

  constructor(
    private readonly context: SimulatorContext,
    private readonly missingClusters: ReadonlySet<string>,
    private readonly taskDefinitions: TaskDefinitionRegistry,
    private readonly rollouts: Rollouts,
  ) {}

  private clusterName(reference: string | undefined): string {
    const name = lastSegment(reference ?? 'default');
    if (this.missingClusters.has(name)) throw ecsErrors.clusterNotFound();
    return name;
  }

  private serviceArn(cluster: string, name: string): string {
    return ecsArn(this.context, `service/${cluster}/${name}`);
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
    const taskDefinition = this.taskDefinitions.resolveForService(input.taskDefinition);
    if (taskDefinition.networkMode === 'awsvpc' && !input.networkConfiguration?.awsvpcConfiguration) {
      throw ecsErrors.invalidParameter(
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      );
    }
    checkVolumeConfigurations(input.volumeConfigurations, taskDefinition);
    checkDeploymentStrategy(input.deploymentConfiguration, {
      strategy: input.deploymentConfiguration?.strategy,
      controller: input.deploymentController?.type,
      loadBalancers: input.loadBalancers,
      serviceConnect: input.serviceConnectConfiguration,
    });
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
      clusterArn: ecsArn(this.context, `cluster/${cluster}`),
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
    service.deployments = [
      withDeploymentConfigurations(
        this.rollouts.start(service, input.serviceConnectConfiguration),
        input.volumeConfigurations,
        input.vpcLatticeConfigurations,
      ),
    ];
    this.servicesByKey.set(`${cluster}/${name}`, service);
    return service;
  }

  update(input: UpdateServiceRequest): UpdateServiceResponse {
    const cluster = this.clusterName(input.cluster);
    const service = this.findService(cluster, input.service ?? '');
    if (!service) throw ecsErrors.serviceNotFound();
    if (service.status !== 'ACTIVE') throw ecsErrors.serviceNotActive();
    applyServiceUpdate(service, input, this.taskDefinitions, this.rollouts, this.context);
    return { service };
  }

  delete(input: DeleteServiceRequest): DeleteServiceResponse {
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

  describe(input: DescribeServicesRequest): DescribeServicesResponse {
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

  list(input: ListServicesRequest): ListServicesResponse {
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
          service.clusterArn === ecsArn(this.context, `cluster/${cluster}`) &&
          service.status !== 'INACTIVE' &&
          (input.launchType === undefined || service.launchType === input.launchType) &&
          (input.schedulingStrategy === undefined || service.schedulingStrategy === input.schedulingStrategy),
      )
      .map((service) => service.serviceArn as string);
    const page = arns.slice(offset, offset + maxResults);
    const next = offset + maxResults;
    return { serviceArns: page, ...(next < arns.length ? { nextToken: encodeToken(next) } : {}) };
  }

  /** Puts a service in place as if created and rolled out long ago: steady, its deployment COMPLETED. */
  seed(input: CreateServiceRequest): Service {
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
  forDrift(cluster: string, name: string): Service {
    const service = this.servicesByKey.get(`${lastSegment(cluster)}/${name}`);
    if (!service) throw new Error(`simulator: no service ${name} in cluster ${cluster}`);
    return service;
  }

  /** The service of this cluster and name, whatever its status. */
  get(cluster: string, name: string): Service | undefined {
    return this.servicesByKey.get(`${cluster}/${name}`);
  }

  all(): Service[] {
    return [...this.servicesByKey.values()];
  }
}
