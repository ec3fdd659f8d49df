/** The canonical form of an ECS service and its task definition: read-only fields dropped, the defaults ECS fills in
 * filled, lists keyed by their natural key, cpu and memory as ECS stores them. Pure. */
import {
  asArray,
  defaulted,
  isObject,
  type JsonObject,
  keyed,
  prune,
  sortedObjects,
  sortedStrings,
  tagMap,
  without,
  withoutFalse,
} from './canonical.ts';
import {
  canonicalDeploymentConfiguration,
  canonicalServiceConnect,
  canonicalVolumeConfigurations,
  canonicalVpcLatticeConfigurations,
} from './normalize-ecs-deployment.ts';

// ------------------------------------------------------------------------------------------------ task definition

/** Fields DescribeTaskDefinition answers that are not RegisterTaskDefinition input. */
export const TASK_DEFINITION_READ_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'inferenceAccelerators',
] as const;

const VCPU = /^\s*([\d.]+)\s*vcpu\s*$/i;
const GIGABYTES = /^\s*([\d.]+)\s*(gb|gib)\s*$/i;
const MEGABYTES = /^\s*([\d.]+)\s*(mb|mib)\s*$/i;

/** Task-level cpu as ECS stores it: a string of CPU units ("0.25 vCPU" and 256 both become "256"). */
export function canonicalCpu(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value);
  const vcpu = VCPU.exec(text);
  if (vcpu) return String(Math.round(Number(vcpu[1]) * 1024));
  return text.trim();
}

/** Task-level memory as ECS stores it: a string of MiB ("1 GB" and 1024 both become "1024"). */
export function canonicalMemory(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value);
  const gigabytes = GIGABYTES.exec(text);
  if (gigabytes) return String(Math.round(Number(gigabytes[1]) * 1024));
  const megabytes = MEGABYTES.exec(text);
  if (megabytes) return String(Math.round(Number(megabytes[1])));
  return text.trim();
}

function canonicalPortMapping(mapping: Record<string, unknown>, networkMode: string): Record<string, unknown> {
  const containerPort = mapping.containerPort;
  // Under awsvpc and host networking the host port is the container port; under bridge an unset one is dynamic (0).
  const hostPort =
    mapping.hostPort ??
    (networkMode === 'awsvpc' || networkMode === 'host' ? containerPort : containerPort === undefined ? undefined : 0);
  return { ...mapping, protocol: defaulted(mapping.protocol, 'tcp'), hostPort };
}

function portMappingKey(mapping: Record<string, unknown>): string {
  const port = mapping.containerPort ?? mapping.containerPortRange;
  return `${port}/${defaulted(mapping.protocol, 'tcp')}`;
}

function canonicalContainer(container: Record<string, unknown>, networkMode: string): Record<string, unknown> {
  const healthCheck = isObject(container.healthCheck)
    ? {
        ...container.healthCheck,
        interval: defaulted(container.healthCheck.interval, 30),
        timeout: defaulted(container.healthCheck.timeout, 5),
        retries: defaulted(container.healthCheck.retries, 3),
      }
    : undefined;
  const linuxParameters = isObject(container.linuxParameters)
    ? canonicalLinuxParameters(container.linuxParameters)
    : undefined;
  const logConfiguration = isObject(container.logConfiguration)
    ? {
        ...container.logConfiguration,
        secretOptions: keyed(
          container.logConfiguration.secretOptions,
          (s) => String(s.name),
          (s) => s.valueFrom,
        ),
      }
    : undefined;
  return {
    ...container,
    essential: defaulted(container.essential, true),
    // ECS reports cpu 0 for a container that reserves none.
    cpu: defaulted(container.cpu, 0),
    portMappings: keyed(container.portMappings, portMappingKey, undefined, (m) => canonicalPortMapping(m, networkMode)),
    environment: keyed(
      container.environment,
      (variable) => String(variable.name),
      (variable) => String(variable.value ?? ''),
    ),
    secrets: keyed(
      container.secrets,
      (secret) => String(secret.name),
      (secret) => secret.valueFrom,
    ),
    mountPoints: keyed(
      container.mountPoints,
      (mount) => `${mount.sourceVolume}:${mount.containerPath}`,
      undefined,
      withoutFalse('readOnly'),
    ),
    volumesFrom: keyed(
      container.volumesFrom,
      (from) => String(from.sourceContainer),
      undefined,
      withoutFalse('readOnly'),
    ),
    ulimits: keyed(container.ulimits, (limit) => String(limit.name)),
    dependsOn: keyed(
      container.dependsOn,
      (dependency) => String(dependency.containerName),
      (dependency) => dependency.condition,
    ),
    extraHosts: keyed(
      container.extraHosts,
      (host) => String(host.hostname),
      (host) => host.ipAddress,
    ),
    systemControls: keyed(
      container.systemControls,
      (control) => String(control.namespace),
      (control) => control.value,
    ),
    resourceRequirements: keyed(
      container.resourceRequirements,
      (requirement) => String(requirement.type),
      // GPU sharing is compared with the count it applies to; most requirements have none.
      (requirement) =>
        requirement.sharingStrategy === undefined
          ? requirement.value
          : { value: requirement.value, sharingStrategy: requirement.sharingStrategy },
    ),
    environmentFiles: sortedObjects(container.environmentFiles),
    healthCheck,
    logConfiguration,
    linuxParameters,
  };
}

/** Capabilities, device permissions and tmpfs mount options are sets: Docker applies them in no particular order. */
function canonicalLinuxParameters(parameters: Record<string, unknown>): Record<string, unknown> {
  const capabilities = isObject(parameters.capabilities)
    ? { add: sortedStrings(parameters.capabilities.add), drop: sortedStrings(parameters.capabilities.drop) }
    : undefined;
  return {
    ...parameters,
    capabilities,
    devices: sortedObjects(
      asArray(parameters.devices).map((device) => ({ ...device, permissions: sortedStrings(device.permissions) })),
    ),
    tmpfs: keyed(
      parameters.tmpfs,
      (mount) => String(mount.containerPath),
      undefined,
      (mount) => ({
        ...mount,
        mountOptions: sortedStrings(mount.mountOptions),
      }),
    ),
  };
}

function canonicalVolume(volume: Record<string, unknown>): Record<string, unknown> {
  const efs = isObject(volume.efsVolumeConfiguration)
    ? {
        ...volume.efsVolumeConfiguration,
        rootDirectory: defaulted(volume.efsVolumeConfiguration.rootDirectory, '/'),
        transitEncryption: defaulted(volume.efsVolumeConfiguration.transitEncryption, 'DISABLED'),
      }
    : undefined;
  return { ...volume, efsVolumeConfiguration: efs };
}

/** The canonical task definition, from RegisterTaskDefinition input (declared) or DescribeTaskDefinition (live).
 * `tags` are the task definition's tags (declared inline, or DescribeTaskDefinition's separate `tags`). */
export function normalizeTaskDefinition(taskDefinition: Record<string, unknown>, tags?: unknown): JsonObject {
  const input = without(taskDefinition, [...TASK_DEFINITION_READ_ONLY_FIELDS, 'tags']);
  const networkMode = String(defaulted(input.networkMode, 'bridge'));
  const canonical = {
    ...input,
    networkMode,
    cpu: canonicalCpu(input.cpu),
    memory: canonicalMemory(input.memory),
    requiresCompatibilities: sortedStrings(input.requiresCompatibilities),
    containerDefinitions: keyed(
      input.containerDefinitions,
      (container) => String(container.name),
      undefined,
      (container) => canonicalContainer(container, networkMode),
    ),
    volumes: keyed(input.volumes, (volume) => String(volume.name), undefined, canonicalVolume),
    placementConstraints: sortedObjects(input.placementConstraints),
    proxyConfiguration: isObject(input.proxyConfiguration)
      ? {
          ...input.proxyConfiguration,
          properties: keyed(
            input.proxyConfiguration.properties,
            (p) => String(p.name),
            (p) => p.value,
          ),
        }
      : undefined,
    // false is what ECS answers when fault injection was never asked for.
    enableFaultInjection: input.enableFaultInjection === false ? undefined : input.enableFaultInjection,
    tags: tagMap(tags ?? taskDefinition.tags),
  };
  return (prune(canonical) ?? {}) as JsonObject;
}

// ------------------------------------------------------------------------------------------------ service

export interface ServiceNormalizeOptions {
  /** Application Auto Scaling owns desiredCount: it is left out of the comparison. */
  readonly autoscaled: boolean;
  /** Fields the declaration leaves to AWS (e.g. launch type chosen by the cluster's default strategy). */
  readonly declaredFields: ReadonlySet<string>;
  /** The deploymentConfiguration fields the declaration sets, likewise. */
  readonly declaredDeployment: ReadonlySet<string>;
}

function declaredDeploymentFields(spec: Record<string, unknown>): ReadonlySet<string> {
  return new Set(isObject(spec.deploymentConfiguration) ? Object.keys(spec.deploymentConfiguration) : []);
}

const FARGATE_PROVIDERS = new Set(['FARGATE', 'FARGATE_SPOT']);

function canonicalServiceFields(spec: Record<string, unknown>, options: ServiceNormalizeOptions): JsonObject {
  const schedulingStrategy = String(defaulted(spec.schedulingStrategy, 'REPLICA'));
  const daemon = schedulingStrategy === 'DAEMON';
  const strategy = keyed(
    spec.capacityProviderStrategy,
    (item) => String(item.capacityProvider),
    (item) => ({ weight: defaulted(item.weight, 0), base: defaulted(item.base, 0) }),
  );
  const onFargate =
    spec.launchType === 'FARGATE' || Object.keys(strategy ?? {}).some((provider) => FARGATE_PROVIDERS.has(provider));
  const vpc =
    isObject(spec.networkConfiguration) && isObject(spec.networkConfiguration.awsvpcConfiguration)
      ? spec.networkConfiguration.awsvpcConfiguration
      : undefined;

  const fields: Record<string, unknown> = {
    desiredCount: options.autoscaled || daemon ? undefined : spec.desiredCount,
    launchType: spec.launchType,
    capacityProviderStrategy: strategy,
    platformVersion: onFargate ? defaulted(spec.platformVersion, 'LATEST') : undefined,
    networkConfiguration: vpc
      ? {
          awsvpcConfiguration: {
            subnets: sortedStrings(vpc.subnets),
            securityGroups: sortedStrings(vpc.securityGroups),
            assignPublicIp: defaulted(vpc.assignPublicIp, 'DISABLED'),
          },
        }
      : undefined,
    loadBalancers: keyed(
      spec.loadBalancers,
      (lb) => `${lb.targetGroupArn ?? lb.loadBalancerName}|${lb.containerName}|${lb.containerPort}`,
    ),
    serviceRegistries: keyed(spec.serviceRegistries, (registry) => String(registry.registryArn)),
    serviceConnectConfiguration: canonicalServiceConnect(spec.serviceConnectConfiguration),
    deploymentConfiguration: canonicalDeploymentConfiguration(
      spec.deploymentConfiguration,
      daemon,
      options.declaredDeployment.has('bakeTimeInMinutes'),
    ),
    volumeConfigurations: canonicalVolumeConfigurations(spec.volumeConfigurations),
    vpcLatticeConfigurations: canonicalVpcLatticeConfigurations(spec.vpcLatticeConfigurations),
    deploymentController: {
      type: defaulted(isObject(spec.deploymentController) ? spec.deploymentController.type : undefined, 'ECS'),
    },
    schedulingStrategy,
    placementConstraints: sortedObjects(spec.placementConstraints),
    // Order matters for placement strategies: ECS applies them in turn.
    placementStrategy: spec.placementStrategy,
    healthCheckGracePeriodSeconds: defaulted(spec.healthCheckGracePeriodSeconds, 0),
    enableExecuteCommand: defaulted(spec.enableExecuteCommand, false),
    enableECSManagedTags: defaulted(spec.enableECSManagedTags, false),
    propagateTags: defaulted(spec.propagateTags, 'NONE'),
    availabilityZoneRebalancing: spec.availabilityZoneRebalancing,
    tags: tagMap(spec.tags),
  };
  // Left unset in Git, these are AWS's to choose (the cluster's default capacity provider strategy, the
  // rebalancing default of the day); comparing them would report drift nobody caused.
  const launchDeclared =
    options.declaredFields.has('launchType') || options.declaredFields.has('capacityProviderStrategy');
  if (!launchDeclared) {
    delete fields.launchType;
    delete fields.capacityProviderStrategy;
    delete fields.platformVersion;
  }
  if (!options.declaredFields.has('availabilityZoneRebalancing')) delete fields.availabilityZoneRebalancing;
  // UpdateService refuses a grace period on a service without a load balancer, so an unset one cannot be reset.
  if (!options.declaredFields.has('healthCheckGracePeriodSeconds')) delete fields.healthCheckGracePeriodSeconds;
  return (prune(fields) ?? {}) as JsonObject;
}

/** A declared EcsService's spec in canonical form, wrapped as { spec } so paths read as the declaration's. */
export function normalizeDeclaredService(spec: Record<string, unknown>): JsonObject {
  const { taskDefinition, autoscaling, ...serviceFields } = spec;
  const options: ServiceNormalizeOptions = {
    autoscaled: autoscaling !== undefined && autoscaling !== false,
    declaredFields: new Set(Object.keys(serviceFields)),
    declaredDeployment: declaredDeploymentFields(spec),
  };
  return {
    spec: {
      ...canonicalServiceFields(serviceFields, options),
      taskDefinition: normalizeTaskDefinition(isObject(taskDefinition) ? taskDefinition : {}),
    },
  };
}

/** Service fields DescribeServices reports per deployment (Deployment members), not on the service. */
export const PER_DEPLOYMENT_SERVICE_FIELDS = [
  'serviceConnectConfiguration',
  'volumeConfigurations',
  'vpcLatticeConfigurations',
] as const;

/** A DescribeServices item with each per-deployment field taken from its PRIMARY deployment (the one the service
 * rolls to), where the declaration says it: the one reading of the live service that the planner and import share,
 * so that what import writes is what the planner compares. */
export function liveServiceFields(service: Record<string, unknown>): Record<string, unknown> {
  const primary = asArray(service.deployments).find((deployment) => deployment.status === 'PRIMARY');
  const fields: Record<string, unknown> = { ...service };
  for (const field of PER_DEPLOYMENT_SERVICE_FIELDS) fields[field] = primary?.[field];
  return fields;
}

/** The live service (DescribeServices item + its task definition) in the same canonical form as the declaration
 * it is compared with; `declaredSpec` says which API-owned fields the declaration chose to set. */
export function normalizeLiveService(
  service: Record<string, unknown>,
  taskDefinition: Record<string, unknown>,
  taskDefinitionTags: unknown,
  declaredSpec: Record<string, unknown>,
): JsonObject {
  const { taskDefinition: _declaredTaskDefinition, autoscaling, ...declaredFields } = declaredSpec;
  return {
    spec: {
      ...canonicalServiceFields(liveServiceFields(service), {
        autoscaled: autoscaling !== undefined && autoscaling !== false,
        declaredFields: new Set(Object.keys(declaredFields)),
        declaredDeployment: declaredDeploymentFields(declaredSpec),
      }),
      taskDefinition: normalizeTaskDefinition(taskDefinition, taskDefinitionTags),
    },
  };
}
