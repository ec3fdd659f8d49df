/** The rules ECS states for a service's deployment strategy, lifecycle hooks, launch-time EBS volumes and VPC Lattice
 * configurations, checked before any call so that a refusal is a diagnostic at file:line rather than a failed
 * apply. Pure. */
import { type Diagnostic, diagnostic } from './diagnostics.ts';
import type { ParsedDocument, PathSegment } from './parse.ts';
import type { EcsServiceDocument } from './schema.ts';

type Locate = ParsedDocument['locate'];
type Spec = EcsServiceDocument['spec'];

/** Strategies that shift traffic between two service revisions (ECS "native" deployments). */
const TRAFFIC_SHIFTING = new Set(['BLUE_GREEN', 'LINEAR', 'CANARY']);
/** Stages where a PAUSE hook is not allowed: only a Lambda function can run while traffic moves. */
const LAMBDA_ONLY_STAGES = new Set(['TEST_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT']);
const DEPLOYMENT: PathSegment[] = ['spec', 'deploymentConfiguration'];

export function checkDeploymentRules(document: EcsServiceDocument, locate: Locate): Diagnostic[] {
  const spec = document.spec;
  return [
    ...checkStrategy(spec, locate),
    ...checkLifecycleHooks(spec, locate),
    ...checkVolumeConfigurations(spec, locate),
    ...checkVpcLattice(spec, locate),
  ];
}

function error(locate: Locate, path: PathSegment[], message: string): Diagnostic {
  return diagnostic('E_ECS_RULE', locate(path), message);
}

function checkStrategy(spec: Spec, locate: Locate): Diagnostic[] {
  const found: Diagnostic[] = [];
  const deployment = spec.deploymentConfiguration;
  const strategy = deployment?.strategy ?? 'ROLLING';
  if (deployment?.linearConfiguration && strategy !== 'LINEAR') {
    found.push(
      error(
        locate,
        [...DEPLOYMENT, 'linearConfiguration'],
        `linearConfiguration needs strategy LINEAR, not ${strategy}`,
      ),
    );
  }
  if (deployment?.canaryConfiguration && strategy !== 'CANARY') {
    found.push(
      error(
        locate,
        [...DEPLOYMENT, 'canaryConfiguration'],
        `canaryConfiguration needs strategy CANARY, not ${strategy}`,
      ),
    );
  }
  if (deployment?.earlySuccessCriteria && strategy !== 'ROLLING') {
    found.push(
      error(
        locate,
        [...DEPLOYMENT, 'earlySuccessCriteria'],
        `earlySuccessCriteria is for the ROLLING strategy only, not ${strategy}`,
      ),
    );
  }
  const early = deployment?.earlySuccessCriteria;
  const minimumHealthy = deployment?.minimumHealthyPercent ?? 100;
  if (early?.healthyPercent !== undefined && early.healthyPercent < minimumHealthy) {
    found.push(
      error(
        locate,
        [...DEPLOYMENT, 'earlySuccessCriteria', 'healthyPercent'],
        `earlySuccessCriteria.healthyPercent ${early.healthyPercent} is below minimumHealthyPercent ${minimumHealthy}; ECS requires it to be at least that`,
      ),
    );
  }
  if (!TRAFFIC_SHIFTING.has(strategy)) return found;

  const controller = spec.deploymentController?.type ?? 'ECS';
  if (controller !== 'ECS') {
    found.push(
      error(
        locate,
        ['spec', 'deploymentController', 'type'],
        `strategy ${strategy} is an ECS deployment: deploymentController must be ECS, not ${controller}`,
      ),
    );
  }
  const balancers = spec.loadBalancers ?? [];
  balancers.forEach((balancer, index) => {
    if (balancer.advancedConfiguration?.alternateTargetGroupArn === undefined) {
      found.push(
        error(
          locate,
          ['spec', 'loadBalancers', index],
          `strategy ${strategy} shifts traffic between two target groups: this load balancer needs advancedConfiguration with alternateTargetGroupArn, productionListenerRule and roleArn`,
        ),
      );
    }
  });
  const lattice = (spec.vpcLatticeConfigurations ?? []).some((item) => item.advancedConfiguration !== undefined);
  const serviceConnect = spec.serviceConnectConfiguration?.enabled === true;
  if (balancers.length === 0 && !serviceConnect && !lattice) {
    found.push(
      error(
        locate,
        [...DEPLOYMENT, 'strategy'],
        `strategy ${strategy} needs a way to shift traffic: a load balancer with advancedConfiguration, Service Connect, or a VPC Lattice configuration with advancedConfiguration`,
      ),
    );
  }
  return found;
}

function checkLifecycleHooks(spec: Spec, locate: Locate): Diagnostic[] {
  const found: Diagnostic[] = [];
  const strategy = spec.deploymentConfiguration?.strategy ?? 'ROLLING';
  spec.deploymentConfiguration?.lifecycleHooks?.forEach((hook, index) => {
    const at: PathSegment[] = [...DEPLOYMENT, 'lifecycleHooks', index];
    if (!TRAFFIC_SHIFTING.has(strategy)) {
      found.push(
        error(locate, at, `lifecycle hooks run in BLUE_GREEN, LINEAR and CANARY deployments, not ${strategy}`),
      );
      return;
    }
    const targetType = hook.targetType ?? 'AWS_LAMBDA';
    if (targetType === 'AWS_LAMBDA' && (hook.hookTargetArn === undefined || hook.roleArn === undefined)) {
      found.push(
        error(
          locate,
          at,
          'an AWS_LAMBDA hook needs hookTargetArn (the function) and roleArn (the role ECS invokes it with)',
        ),
      );
    }
    if (targetType === 'PAUSE') {
      if (hook.hookTargetArn !== undefined) {
        found.push(error(locate, [...at, 'hookTargetArn'], 'a PAUSE hook has no target: leave hookTargetArn out'));
      }
      hook.lifecycleStages.forEach((stage, stageIndex) => {
        if (LAMBDA_ONLY_STAGES.has(stage)) {
          found.push(
            error(
              locate,
              [...at, 'lifecycleStages', stageIndex],
              `a PAUSE hook cannot run at ${stage}: only AWS_LAMBDA hooks run while traffic shifts`,
            ),
          );
        }
      });
    }
  });
  return found;
}

const IOPS_REQUIRED = new Set(['io1', 'io2']);
const IOPS_REFUSED = new Set(['st1', 'sc1', 'standard']);

function checkVolumeConfigurations(spec: Spec, locate: Locate): Diagnostic[] {
  const found: Diagnostic[] = [];
  const atLaunch = new Set(
    (spec.taskDefinition.volumes ?? []).filter((volume) => volume.configuredAtLaunch === true).map((v) => v.name),
  );
  spec.volumeConfigurations?.forEach((volume, index) => {
    const at: PathSegment[] = ['spec', 'volumeConfigurations', index];
    if (!atLaunch.has(volume.name)) {
      found.push(
        error(
          locate,
          [...at, 'name'],
          `volume ${volume.name} must be a taskDefinition volume with configuredAtLaunch: true (${[...atLaunch].join(', ') || 'there is none'})`,
        ),
      );
    }
    const ebs = volume.managedEBSVolume;
    if (!ebs) return;
    const ebsAt: PathSegment[] = [...at, 'managedEBSVolume'];
    const volumeType = ebs.volumeType ?? 'gp3';
    if (ebs.sizeInGiB === undefined && ebs.snapshotId === undefined) {
      found.push(error(locate, ebsAt, 'a managed EBS volume needs sizeInGiB or snapshotId'));
    }
    if (ebs.volumeInitializationRate !== undefined && ebs.snapshotId === undefined) {
      found.push(
        error(
          locate,
          [...ebsAt, 'volumeInitializationRate'],
          'volumeInitializationRate applies only with a snapshotId',
        ),
      );
    }
    if (ebs.throughput !== undefined && volumeType !== 'gp3') {
      found.push(error(locate, [...ebsAt, 'throughput'], `throughput is for gp3 volumes only, not ${volumeType}`));
    }
    if (IOPS_REQUIRED.has(volumeType) && ebs.iops === undefined) {
      found.push(error(locate, ebsAt, `a ${volumeType} volume needs iops`));
    }
    if (IOPS_REFUSED.has(volumeType) && ebs.iops !== undefined) {
      found.push(error(locate, [...ebsAt, 'iops'], `iops is not supported for ${volumeType} volumes`));
    }
  });
  return found;
}

function checkVpcLattice(spec: Spec, locate: Locate): Diagnostic[] {
  const portNames = new Set(
    spec.taskDefinition.containerDefinitions.flatMap((container) =>
      (container.portMappings ?? []).flatMap((mapping) => (mapping.name ? [mapping.name] : [])),
    ),
  );
  return (spec.vpcLatticeConfigurations ?? []).flatMap((configuration, index) =>
    portNames.has(configuration.portName)
      ? []
      : [
          error(
            locate,
            ['spec', 'vpcLatticeConfigurations', index, 'portName'],
            `portName ${configuration.portName} names no portMappings[].name in the task definition`,
          ),
        ],
  );
}

/** Role ARNs the service passes to ECS beyond the task definition's, with where each is written and what it is. */
export function serviceRoleArns(
  spec: Spec,
): { readonly arn: string; readonly path: PathSegment[]; readonly label: string }[] {
  const roles: { arn: string | undefined; path: PathSegment[]; label: string }[] = [];
  spec.deploymentConfiguration?.lifecycleHooks?.forEach((hook, index) => {
    roles.push({
      arn: hook.roleArn,
      path: [...DEPLOYMENT, 'lifecycleHooks', index, 'roleArn'],
      label: 'lifecycle hook roleArn',
    });
  });
  spec.loadBalancers?.forEach((balancer, index) => {
    roles.push({
      arn: balancer.advancedConfiguration?.roleArn,
      path: ['spec', 'loadBalancers', index, 'advancedConfiguration', 'roleArn'],
      label: 'load balancer advancedConfiguration roleArn',
    });
  });
  spec.volumeConfigurations?.forEach((volume, index) => {
    roles.push({
      arn: volume.managedEBSVolume?.roleArn,
      path: ['spec', 'volumeConfigurations', index, 'managedEBSVolume', 'roleArn'],
      label: 'managed EBS volume roleArn',
    });
  });
  spec.vpcLatticeConfigurations?.forEach((configuration, index) => {
    roles.push({
      arn: configuration.roleArn,
      path: ['spec', 'vpcLatticeConfigurations', index, 'roleArn'],
      label: 'VPC Lattice roleArn',
    });
  });
  spec.serviceConnectConfiguration?.services?.forEach((service, index) => {
    roles.push({
      arn: service.tls?.roleArn,
      path: ['spec', 'serviceConnectConfiguration', 'services', index, 'tls', 'roleArn'],
      label: 'Service Connect TLS roleArn',
    });
  });
  return roles.flatMap((role) => (role.arn === undefined ? [] : [{ ...role, arn: role.arn }]));
}
