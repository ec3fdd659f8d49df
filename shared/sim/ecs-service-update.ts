/** UpdateService as ECS applies it to a live service: settings change in place, and a change to what the tasks run
 * starts a new deployment. */
import type { Service, UpdateServiceRequest } from '@aws-sdk/client-ecs';
import type { SimulatorContext } from './context.ts';
import {
  checkDeploymentStrategy,
  checkVolumeConfigurations,
  fillDeploymentConfiguration,
  fillNetwork,
  fillStrategy,
  fillVolumeConfigurations,
  onFargate,
  withDeploymentConfigurations,
} from './ecs-defaults.ts';
import type { Rollouts } from './ecs-deployments.ts';
import type { TaskDefinitionRegistry } from './ecs-task-definitions.ts';
import { ecsErrors } from './errors.ts';
import { deepEqual } from './util.ts';

/** Applies the request to the (ACTIVE) service the simulator holds. */
export function applyServiceUpdate(
  service: Service,
  input: UpdateServiceRequest,
  taskDefinitions: TaskDefinitionRegistry,
  rollouts: Rollouts,
  context: SimulatorContext,
): void {
  const before = structuredClone(service);
  const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  let redeploy = input.forceNewDeployment === true;
  // ECS refuses the whole request before changing anything.
  checkDeploymentStrategy(input.deploymentConfiguration, {
    strategy: input.deploymentConfiguration?.strategy ?? service.deploymentConfiguration?.strategy,
    controller: input.deploymentController?.type ?? service.deploymentController?.type,
    loadBalancers: input.loadBalancers ?? service.loadBalancers,
    serviceConnect: input.serviceConnectConfiguration ?? primary?.serviceConnectConfiguration,
  });
  checkVolumeConfigurations(
    input.volumeConfigurations,
    taskDefinitions.resolveForService(input.taskDefinition ?? service.taskDefinition ?? ''),
  );

  if (input.taskDefinition !== undefined) {
    const taskDefinition = taskDefinitions.resolveForService(input.taskDefinition);
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
  if (input.networkConfiguration !== undefined) service.networkConfiguration = fillNetwork(input.networkConfiguration);
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
  // Kept per deployment: what the request leaves out carries over from the running one.
  const volumes = input.volumeConfigurations ?? primary?.volumeConfigurations;
  const lattice = input.vpcLatticeConfigurations ?? primary?.vpcLatticeConfigurations;
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
  if (
    (input.volumeConfigurations !== undefined &&
      !deepEqual(fillVolumeConfigurations(input.volumeConfigurations), primary?.volumeConfigurations ?? [])) ||
    (input.vpcLatticeConfigurations !== undefined &&
      !deepEqual(input.vpcLatticeConfigurations, primary?.vpcLatticeConfigurations ?? []))
  ) {
    redeploy = true;
  }

  if (redeploy || !primary) {
    const deployments = (service.deployments ?? []).map((deployment) =>
      deployment.status === 'PRIMARY' ? { ...deployment, status: 'ACTIVE' } : deployment,
    );
    service.deployments = [
      withDeploymentConfigurations(rollouts.start(service, serviceConnect), volumes, lattice),
      ...deployments,
    ];
  } else if (input.desiredCount !== undefined) {
    primary.desiredCount = service.desiredCount;
    primary.updatedAt = context.date();
    if (primary.runningCount !== primary.desiredCount) primary.rolloutState = 'IN_PROGRESS';
  }
}
