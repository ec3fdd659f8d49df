/** ECS names and ARNs, and the defaults ECS fills into a service's settings: pure helpers the ECS half shares. */
import type {
  CapacityProviderStrategyItem,
  Deployment,
  DeploymentConfiguration,
  DeploymentLifecycleHook,
  LoadBalancer,
  NetworkConfiguration,
  Service,
  ServiceConnectConfiguration,
  ServiceVolumeConfiguration,
  TaskDefinition,
  VpcLatticeConfiguration,
} from '@aws-sdk/client-ecs';
import type { SimulatorContext } from './context.ts';
import { ecsErrors } from './errors.ts';

const FARGATE_PROVIDERS = new Set(['FARGATE', 'FARGATE_SPOT']);

export function ecsArn(context: SimulatorContext, resource: string): string {
  return `arn:aws:ecs:${context.region}:${context.accountId}:${resource}`;
}

export function lastSegment(nameOrArn: string): string {
  if (!nameOrArn.startsWith('arn:')) return nameOrArn;
  const slash = nameOrArn.lastIndexOf('/');
  return slash === -1 ? nameOrArn : nameOrArn.slice(slash + 1);
}

export function withoutTags(service: Service): Service {
  const { tags: _tags, ...rest } = service;
  return rest;
}

export function roleArn(role: string, accountId: string): string {
  return role.startsWith('arn:') ? role : `arn:aws:iam::${accountId}:role/${role}`;
}

export function onFargate(
  launchType: string | undefined,
  strategy: CapacityProviderStrategyItem[] | undefined,
): boolean {
  return (
    launchType === 'FARGATE' || (strategy ?? []).some((item) => FARGATE_PROVIDERS.has(item.capacityProvider ?? ''))
  );
}

export function fillStrategy(strategy: CapacityProviderStrategyItem[]): CapacityProviderStrategyItem[] {
  return strategy.map((item) => ({ ...item, weight: item.weight ?? 0, base: item.base ?? 0 }));
}

export function fillNetwork(network: NetworkConfiguration): NetworkConfiguration {
  if (!network.awsvpcConfiguration) return network;
  return {
    ...network,
    awsvpcConfiguration: {
      ...network.awsvpcConfiguration,
      assignPublicIp: network.awsvpcConfiguration.assignPublicIp ?? 'DISABLED',
    },
  };
}

function fillLifecycleHook(hook: DeploymentLifecycleHook): DeploymentLifecycleHook {
  return {
    ...hook,
    targetType: hook.targetType ?? 'AWS_LAMBDA',
    timeoutConfiguration: {
      timeoutInMinutes: hook.timeoutConfiguration?.timeoutInMinutes ?? 1440,
      action: hook.timeoutConfiguration?.action ?? 'ROLLBACK',
    },
  };
}

/** ECS's defaults for what the request leaves out; on update, what is left out keeps its current value. */
export function fillDeploymentConfiguration(
  given: DeploymentConfiguration | undefined,
  current: DeploymentConfiguration | undefined,
  daemon: boolean,
): DeploymentConfiguration {
  const base = current ?? {};
  const filled: DeploymentConfiguration = {
    ...base,
    ...given,
    maximumPercent: given?.maximumPercent ?? base.maximumPercent ?? (daemon ? 100 : 200),
    minimumHealthyPercent: given?.minimumHealthyPercent ?? base.minimumHealthyPercent ?? (daemon ? 0 : 100),
    deploymentCircuitBreaker: given?.deploymentCircuitBreaker ??
      base.deploymentCircuitBreaker ?? { enable: false, rollback: false },
    alarms: given?.alarms ?? base.alarms ?? { alarmNames: [], enable: false, rollback: false },
    strategy: given?.strategy ?? base.strategy ?? 'ROLLING',
  };
  if (filled.lifecycleHooks) filled.lifecycleHooks = filled.lifecycleHooks.map(fillLifecycleHook);
  // The documented step defaults, kept only under the strategy they belong to.
  if (filled.strategy === 'LINEAR') {
    filled.linearConfiguration = {
      stepPercent: filled.linearConfiguration?.stepPercent ?? 10,
      stepBakeTimeInMinutes: filled.linearConfiguration?.stepBakeTimeInMinutes ?? 6,
    };
  } else {
    delete filled.linearConfiguration;
  }
  if (filled.strategy === 'CANARY') {
    filled.canaryConfiguration = {
      canaryPercent: filled.canaryConfiguration?.canaryPercent ?? 5,
      canaryBakeTimeInMinutes: filled.canaryConfiguration?.canaryBakeTimeInMinutes ?? 10,
    };
  } else {
    delete filled.canaryConfiguration;
  }
  return filled;
}

/** What ECS refuses in a deployment configuration, as the service would hold it after the request. */
export function checkDeploymentStrategy(
  given: DeploymentConfiguration | undefined,
  service: {
    readonly strategy: string | undefined;
    readonly controller: string | undefined;
    readonly loadBalancers: readonly LoadBalancer[] | undefined;
    readonly serviceConnect: ServiceConnectConfiguration | undefined;
  },
): void {
  const strategy = service.strategy ?? 'ROLLING';
  if (given?.linearConfiguration && strategy !== 'LINEAR') {
    throw ecsErrors.invalidParameter('linearConfiguration is only valid with the LINEAR deployment strategy.');
  }
  if (given?.canaryConfiguration && strategy !== 'CANARY') {
    throw ecsErrors.invalidParameter('canaryConfiguration is only valid with the CANARY deployment strategy.');
  }
  if (strategy === 'ROLLING') return;
  if ((service.controller ?? 'ECS') !== 'ECS') {
    throw ecsErrors.invalidParameter(`The ${strategy} deployment strategy requires the ECS deployment controller.`);
  }
  const shiftsThroughLoadBalancer = (service.loadBalancers ?? []).some(
    (lb) => lb.advancedConfiguration?.alternateTargetGroupArn !== undefined,
  );
  if (!shiftsThroughLoadBalancer && service.serviceConnect?.enabled !== true) {
    throw ecsErrors.invalidParameter(
      `The ${strategy} deployment strategy requires a load balancer with advancedConfiguration or Service Connect.`,
    );
  }
}

/** ECS's defaults for a managed EBS volume: a gp3 volume with its baseline performance, formatted xfs. */
export function fillVolumeConfigurations(volumes: ServiceVolumeConfiguration[]): ServiceVolumeConfiguration[] {
  return volumes.map((volume) => {
    const ebs = volume.managedEBSVolume;
    if (!ebs) return volume;
    const volumeType = ebs.volumeType ?? 'gp3';
    const gp3 = volumeType === 'gp3';
    return {
      ...volume,
      managedEBSVolume: {
        ...ebs,
        volumeType,
        filesystemType: ebs.filesystemType ?? 'xfs',
        ...(gp3 ? { iops: ebs.iops ?? 3000, throughput: ebs.throughput ?? 125 } : {}),
      },
    };
  });
}

/** The configurations ECS keeps per deployment rather than on the service: set on a new deployment. */
export function withDeploymentConfigurations(
  deployment: Deployment,
  volumeConfigurations: ServiceVolumeConfiguration[] | undefined,
  vpcLatticeConfigurations: VpcLatticeConfiguration[] | undefined,
): Deployment {
  if (volumeConfigurations?.length) deployment.volumeConfigurations = fillVolumeConfigurations(volumeConfigurations);
  if (vpcLatticeConfigurations?.length) deployment.vpcLatticeConfigurations = vpcLatticeConfigurations;
  return deployment;
}

/** ECS makes a volume at launch only for a task definition volume marked configuredAtLaunch. */
export function checkVolumeConfigurations(
  volumes: readonly ServiceVolumeConfiguration[] | undefined,
  taskDefinition: TaskDefinition,
): void {
  for (const volume of volumes ?? []) {
    const declared = taskDefinition.volumes?.find((candidate) => candidate.name === volume.name);
    if (declared?.configuredAtLaunch !== true) {
      throw ecsErrors.invalidParameter(
        `The volume ${volume.name} is not configured at launch in task definition ${taskDefinition.taskDefinitionArn}.`,
      );
    }
  }
}
