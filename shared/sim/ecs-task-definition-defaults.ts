/** What ECS checks and fills when a task definition is registered: validation, container and volume defaults, and
 * the compatibilities and agent attributes it derives. Pure functions over the request. */
import type {
  Attribute,
  Compatibility,
  ContainerDefinition,
  PortMapping,
  RegisterTaskDefinitionRequest,
  Volume,
} from '@aws-sdk/client-ecs';
import { ecsErrors } from './errors.ts';

const FAMILY = /^[a-zA-Z0-9_-]{1,255}$/;
const MAX_CONTAINERS = 10;

export function validateTaskDefinition(spec: Omit<RegisterTaskDefinitionRequest, 'tags'>): void {
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

export function fillContainer(container: ContainerDefinition, networkMode: string): ContainerDefinition {
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

export function fillVolume(volume: Volume): Volume {
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
export function compatibilities(
  spec: Omit<RegisterTaskDefinitionRequest, 'tags'>,
  networkMode: string,
): Compatibility[] {
  const result: Compatibility[] = ['EC2'];
  const requested = spec.requiresCompatibilities ?? [];
  if (requested.includes('FARGATE') || (networkMode === 'awsvpc' && spec.cpu && spec.memory)) result.push('FARGATE');
  if (requested.includes('EXTERNAL')) result.push('EXTERNAL');
  return result;
}

/** The agent capabilities the revision needs, as ECS derives them from what the containers use. */
export function requiresAttributes(
  spec: Omit<RegisterTaskDefinitionRequest, 'tags'>,
  networkMode: string,
): Attribute[] {
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
