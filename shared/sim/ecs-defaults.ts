/** ECS names and ARNs, and the defaults ECS fills into a service's settings: pure helpers the ECS half shares. */
import type {
  CapacityProviderStrategyItem,
  DeploymentConfiguration,
  NetworkConfiguration,
  Service,
} from '@aws-sdk/client-ecs';
import type { SimulatorContext } from './context.ts';

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

/** ECS's defaults for what the request leaves out; on update, what is left out keeps its current value. */
export function fillDeploymentConfiguration(
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
