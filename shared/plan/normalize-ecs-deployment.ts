/** The canonical form of a service's deployment settings and of the configurations ECS keeps per deployment (EBS
 * volumes, VPC Lattice): the defaults ECS documents filled in, so a field left unset in Git never reads as drift.
 * Pure. */
import { asArray, defaulted, isObject, keyed, sortedObjects, sortedStrings, tagMap } from './canonical.ts';

/** Strategies that shift traffic between two service revisions, each with its own configuration member. */
const STRATEGY_CONFIGURATION = { LINEAR: 'linearConfiguration', CANARY: 'canaryConfiguration' } as const;

function canonicalLifecycleHook(hook: Record<string, unknown>): Record<string, unknown> {
  const timeout = isObject(hook.timeoutConfiguration) ? hook.timeoutConfiguration : {};
  return {
    ...hook,
    targetType: defaulted(hook.targetType, 'AWS_LAMBDA'),
    // Stages are a set: ECS runs the hook at each, in the deployment's own order.
    lifecycleStages: sortedStrings(hook.lifecycleStages),
    timeoutConfiguration: {
      timeoutInMinutes: defaulted(timeout.timeoutInMinutes, 1440),
      action: defaulted(timeout.action, 'ROLLBACK'),
    },
  };
}

function canonicalCircuitBreaker(value: unknown): Record<string, unknown> {
  const breaker = isObject(value) ? value : {};
  const threshold = isObject(breaker.thresholdConfiguration) ? breaker.thresholdConfiguration : {};
  return {
    enable: defaulted(breaker.enable, false),
    rollback: defaulted(breaker.rollback, false),
    resetOnHealthyTask: defaulted(breaker.resetOnHealthyTask, true),
    thresholdConfiguration: {
      type: defaulted(threshold.type, 'BOUNDED_PERCENT'),
      value: defaulted(threshold.value, 50),
    },
  };
}

/** The canonical deploymentConfiguration. `bakeTimeDeclared`: whether Git sets bakeTimeInMinutes; when it does not,
 * the bake time is ECS's to choose and is not compared. */
export function canonicalDeploymentConfiguration(
  value: unknown,
  daemon: boolean,
  bakeTimeDeclared: boolean,
): Record<string, unknown> {
  const deployment = isObject(value) ? value : {};
  const strategy = String(defaulted(deployment.strategy, 'ROLLING'));
  const alarms = isObject(deployment.alarms) ? deployment.alarms : undefined;
  // ECS answers { alarmNames: [], enable: false, rollback: false } for a service that never used alarms.
  const alarmsInUse =
    alarms && (alarms.enable === true || (Array.isArray(alarms.alarmNames) && alarms.alarmNames.length > 0));
  const linear = isObject(deployment.linearConfiguration) ? deployment.linearConfiguration : {};
  const canary = isObject(deployment.canaryConfiguration) ? deployment.canaryConfiguration : {};
  const early = isObject(deployment.earlySuccessCriteria) ? deployment.earlySuccessCriteria : undefined;
  return {
    ...deployment,
    maximumPercent: defaulted(deployment.maximumPercent, daemon ? 100 : 200),
    minimumHealthyPercent: defaulted(deployment.minimumHealthyPercent, daemon ? 0 : 100),
    deploymentCircuitBreaker: canonicalCircuitBreaker(deployment.deploymentCircuitBreaker),
    alarms: alarmsInUse ? { ...alarms, alarmNames: sortedStrings(alarms?.alarmNames) } : undefined,
    strategy: strategy === 'ROLLING' ? undefined : strategy,
    bakeTimeInMinutes: bakeTimeDeclared ? deployment.bakeTimeInMinutes : undefined,
    // A strategy's configuration means nothing under another strategy, and ECS fills its documented defaults.
    [STRATEGY_CONFIGURATION.LINEAR]:
      strategy === 'LINEAR'
        ? {
            stepPercent: defaulted(linear.stepPercent, 10),
            stepBakeTimeInMinutes: defaulted(linear.stepBakeTimeInMinutes, 6),
          }
        : undefined,
    [STRATEGY_CONFIGURATION.CANARY]:
      strategy === 'CANARY'
        ? {
            canaryPercent: defaulted(canary.canaryPercent, 5),
            canaryBakeTimeInMinutes: defaulted(canary.canaryBakeTimeInMinutes, 10),
          }
        : undefined,
    lifecycleHooks: asArray(deployment.lifecycleHooks).map(canonicalLifecycleHook),
    // Switched off is what ECS does without it.
    earlySuccessCriteria: early?.enable === true ? early : undefined,
  };
}

const GP3_BASELINE = { iops: 3000, throughput: 125 };

function canonicalManagedEbsVolume(value: Record<string, unknown>): Record<string, unknown> {
  const volumeType = String(defaulted(value.volumeType, 'gp3'));
  const gp3 = volumeType === 'gp3';
  return {
    ...value,
    volumeType,
    filesystemType: defaulted(value.filesystemType, 'xfs'),
    // EC2 gives a gp3 volume its baseline IOPS and throughput when none is asked for.
    iops: gp3 ? defaulted(value.iops, GP3_BASELINE.iops) : value.iops,
    throughput: gp3 ? defaulted(value.throughput, GP3_BASELINE.throughput) : value.throughput,
    tagSpecifications: sortedObjects(
      asArray(value.tagSpecifications).map((specification) => ({
        ...specification,
        tags: tagMap(specification.tags),
        propagateTags: defaulted(specification.propagateTags, 'NONE'),
      })),
    ),
  };
}

/** volumeConfigurations keyed by volume name (the task definition's configuredAtLaunch volume). */
export function canonicalVolumeConfigurations(value: unknown): Record<string, unknown> | undefined {
  return keyed(
    value,
    (volume) => String(volume.name),
    undefined,
    (volume) => ({
      ...volume,
      managedEBSVolume: isObject(volume.managedEBSVolume)
        ? canonicalManagedEbsVolume(volume.managedEBSVolume)
        : undefined,
    }),
  );
}

/** vpcLatticeConfigurations keyed by target group: a task registers once in each. */
export function canonicalVpcLatticeConfigurations(value: unknown): Record<string, unknown> | undefined {
  return keyed(value, (configuration) => String(configuration.targetGroupArn));
}

/** Service Connect as compared: absent unless enabled, services keyed by port name, access logs without query
 * parameters unless asked for. */
export function canonicalServiceConnect(value: unknown): unknown {
  if (!isObject(value) || value.enabled !== true) return undefined;
  const accessLog = isObject(value.accessLogConfiguration) ? value.accessLogConfiguration : undefined;
  return {
    ...value,
    services: keyed(value.services, (service) => String(service.portName)),
    accessLogConfiguration: accessLog
      ? { ...accessLog, includeQueryParameters: defaulted(accessLog.includeQueryParameters, 'DISABLED') }
      : undefined,
  };
}
