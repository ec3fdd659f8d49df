import { describe, expect, it } from 'vitest';
import {
  canonicalCpu,
  canonicalMemory,
  NOT_COMPARABLE,
  normalizeDeclaredService,
  normalizeDeclaredStack,
  normalizeLiveService,
  normalizeLiveStack,
  normalizeTaskDefinition,
} from '../../../shared/plan/normalize.ts';

const container = { name: 'web', image: 'web:1.0.0' };

describe('normalizeTaskDefinition', () => {
  it('drops the fields DescribeTaskDefinition adds that are not RegisterTaskDefinition input', () => {
    const live = normalizeTaskDefinition({
      family: 'web',
      containerDefinitions: [container],
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
      revision: 7,
      status: 'ACTIVE',
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
      compatibilities: ['EC2', 'FARGATE'],
      registeredAt: '2026-11-01T10:00:00.000Z',
      registeredBy: 'arn:aws:sts::123456789012:assumed-role/driftless/run',
      deregisteredAt: '2026-11-02T10:00:00.000Z',
    });
    expect(live).toEqual(normalizeTaskDefinition({ family: 'web', containerDefinitions: [container] }));
    expect(Object.keys(live)).not.toContain('revision');
  });

  it('fills essential true, cpu 0 and the bridge network mode as ECS does', () => {
    expect(normalizeTaskDefinition({ family: 'web', containerDefinitions: [container] })).toEqual({
      family: 'web',
      networkMode: 'bridge',
      containerDefinitions: { web: { name: 'web', image: 'web:1.0.0', essential: true, cpu: 0 } },
    });
  });

  it('fills port mapping protocol tcp and hostPort = containerPort under awsvpc', () => {
    const declared = normalizeTaskDefinition({
      family: 'web',
      networkMode: 'awsvpc',
      containerDefinitions: [{ ...container, portMappings: [{ containerPort: 8080 }] }],
    });
    const live = normalizeTaskDefinition({
      family: 'web',
      networkMode: 'awsvpc',
      containerDefinitions: [
        { ...container, portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }] },
      ],
    });
    expect(declared).toEqual(live);
  });

  it('treats an unset host port under bridge as dynamic (0)', () => {
    const declared = normalizeTaskDefinition({
      family: 'web',
      containerDefinitions: [{ ...container, portMappings: [{ containerPort: 80 }] }],
    });
    const live = normalizeTaskDefinition({
      family: 'web',
      networkMode: 'bridge',
      containerDefinitions: [{ ...container, portMappings: [{ containerPort: 80, hostPort: 0, protocol: 'tcp' }] }],
    });
    expect(declared).toEqual(live);
  });

  it('removes the empty lists ECS answers for what was never set', () => {
    const live = normalizeTaskDefinition({
      family: 'web',
      volumes: [],
      placementConstraints: [],
      containerDefinitions: [
        { ...container, mountPoints: [], volumesFrom: [], environment: [], portMappings: [], systemControls: [] },
      ],
    });
    expect(live).toEqual(normalizeTaskDefinition({ family: 'web', containerDefinitions: [container] }));
  });

  it('stores task cpu and memory as the API does, accepting vCPU and GB forms', () => {
    expect(canonicalCpu('0.25 vCPU')).toBe('256');
    expect(canonicalCpu(1024)).toBe('1024');
    expect(canonicalCpu('2 vcpu')).toBe('2048');
    expect(canonicalMemory('1 GB')).toBe('1024');
    expect(canonicalMemory('0.5GB')).toBe('512');
    expect(canonicalMemory(512)).toBe('512');
    expect(canonicalMemory('2048 MiB')).toBe('2048');
  });

  it('compares environment, secrets, port mappings, ulimits and tags as sets keyed by name', () => {
    const a = normalizeTaskDefinition(
      {
        family: 'web',
        containerDefinitions: [
          {
            ...container,
            environment: [
              { name: 'B', value: '2' },
              { name: 'A', value: '1' },
            ],
            secrets: [
              { name: 'Y', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/y' },
              { name: 'X', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/x' },
            ],
            portMappings: [{ containerPort: 9000 }, { containerPort: 8080 }],
            ulimits: [
              { name: 'nproc', softLimit: 1, hardLimit: 2 },
              { name: 'nofile', softLimit: 3, hardLimit: 4 },
            ],
          },
        ],
      },
      [
        { key: 'team', value: 'web' },
        { key: 'app', value: 'shop' },
      ],
    );
    const b = normalizeTaskDefinition(
      {
        family: 'web',
        containerDefinitions: [
          {
            ...container,
            environment: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
            secrets: [
              { name: 'X', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/x' },
              { name: 'Y', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/y' },
            ],
            portMappings: [{ containerPort: 8080 }, { containerPort: 9000 }],
            ulimits: [
              { name: 'nofile', softLimit: 3, hardLimit: 4 },
              { name: 'nproc', softLimit: 1, hardLimit: 2 },
            ],
          },
        ],
      },
      [
        { key: 'app', value: 'shop' },
        { key: 'team', value: 'web' },
      ],
    );
    expect(a).toEqual(b);
  });

  it('matches containers by name, whatever their order', () => {
    const sidecar = { name: 'envoy', image: 'envoy:1.30' };
    expect(normalizeTaskDefinition({ family: 'web', containerDefinitions: [container, sidecar] })).toEqual(
      normalizeTaskDefinition({ family: 'web', containerDefinitions: [sidecar, container] }),
    );
  });

  it('leaves driftless and aws tags out of the comparison', () => {
    expect(
      normalizeTaskDefinition({ family: 'web', containerDefinitions: [container] }, [
        { key: 'driftless:managed-by', value: 'prod' },
        { key: 'aws:cloudformation:stack-name', value: 'x' },
      ]),
    ).not.toHaveProperty('tags');
  });

  it('fills health check interval, timeout and retries', () => {
    const declared = normalizeTaskDefinition({
      family: 'web',
      containerDefinitions: [{ ...container, healthCheck: { command: ['CMD', 'true'] } }],
    });
    const live = normalizeTaskDefinition({
      family: 'web',
      containerDefinitions: [
        { ...container, healthCheck: { command: ['CMD', 'true'], interval: 30, timeout: 5, retries: 3 } },
      ],
    });
    expect(declared).toEqual(live);
  });

  it('drops readOnly false on mount points and enableFaultInjection false', () => {
    const declared = normalizeTaskDefinition({
      family: 'web',
      containerDefinitions: [{ ...container, mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }] }],
    });
    const live = normalizeTaskDefinition({
      family: 'web',
      enableFaultInjection: false,
      containerDefinitions: [
        { ...container, mountPoints: [{ sourceVolume: 'data', containerPath: '/data', readOnly: false }] },
      ],
    });
    expect(declared).toEqual(live);
  });

  it('fills the EFS volume defaults', () => {
    const declared = normalizeTaskDefinition({
      family: 'web',
      containerDefinitions: [container],
      volumes: [{ name: 'shared', efsVolumeConfiguration: { fileSystemId: 'fs-1' } }],
    });
    const live = normalizeTaskDefinition({
      family: 'web',
      containerDefinitions: [container],
      volumes: [
        {
          name: 'shared',
          efsVolumeConfiguration: { fileSystemId: 'fs-1', rootDirectory: '/', transitEncryption: 'DISABLED' },
        },
      ],
    });
    expect(declared).toEqual(live);
  });
});

const taskDefinition = { family: 'web', networkMode: 'awsvpc', containerDefinitions: [container] };
const liveTaskDefinition = {
  ...taskDefinition,
  revision: 3,
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:1:task-definition/web:3',
};

function liveService(overrides: Record<string, unknown> = {}) {
  return {
    serviceName: 'web',
    status: 'ACTIVE',
    desiredCount: 2,
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:3',
    deploymentConfiguration: {
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      deploymentCircuitBreaker: { enable: false, rollback: false },
      alarms: { alarmNames: [], enable: false, rollback: false },
    },
    networkConfiguration: {
      awsvpcConfiguration: { subnets: ['subnet-b', 'subnet-a'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' },
    },
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: 'ECS' },
    propagateTags: 'NONE',
    enableECSManagedTags: false,
    enableExecuteCommand: false,
    healthCheckGracePeriodSeconds: 0,
    loadBalancers: [],
    serviceRegistries: [],
    placementConstraints: [],
    placementStrategy: [],
    deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
    ...overrides,
  };
}

describe('normalize services', () => {
  const spec = {
    desiredCount: 2,
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-1'] } },
    taskDefinition,
  };

  it('fills the defaults ECS fills: deployment percentages, circuit breaker off, REPLICA, NONE, LATEST, ECS', () => {
    expect(normalizeLiveService(liveService(), liveTaskDefinition, [], spec)).toEqual(normalizeDeclaredService(spec));
  });

  it('treats subnets and security groups as sets', () => {
    const reordered = {
      ...spec,
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-b', 'subnet-a'], securityGroups: ['sg-1'] } },
    };
    expect(normalizeDeclaredService(reordered)).toEqual(normalizeDeclaredService(spec));
  });

  it('compares the task definition by content, never by ARN or family:revision', () => {
    const normalized = normalizeLiveService(liveService(), liveTaskDefinition, [], spec);
    expect(JSON.stringify(normalized)).not.toContain('task-definition/web:3');
  });

  it('leaves desiredCount out when Application Auto Scaling owns it', () => {
    const autoscaled = { ...spec, autoscaling: true };
    expect(normalizeLiveService(liveService({ desiredCount: 7 }), liveTaskDefinition, [], autoscaled)).toEqual(
      normalizeDeclaredService(autoscaled),
    );
  });

  it('does not compare the launch model when the declaration leaves it to the cluster default', () => {
    const { launchType: _launchType, ...withoutLaunchType } = spec;
    const live = liveService({
      launchType: undefined,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }],
    });
    expect(normalizeLiveService(live, liveTaskDefinition, [], withoutLaunchType)).toEqual(
      normalizeDeclaredService(withoutLaunchType),
    );
  });

  it('reads Service Connect from the PRIMARY deployment, where DescribeServices reports it', () => {
    const connect = { enabled: true, namespace: 'prod', services: [{ portName: 'http' }] };
    const live = liveService({ deployments: [{ status: 'PRIMARY', serviceConnectConfiguration: connect }] });
    const declared = { ...spec, serviceConnectConfiguration: connect };
    expect(normalizeLiveService(live, liveTaskDefinition, [], declared)).toEqual(normalizeDeclaredService(declared));
  });

  it('defaults a DAEMON service to 100/0 deployment percentages and no desiredCount', () => {
    const daemon = { schedulingStrategy: 'DAEMON', launchType: 'EC2', taskDefinition };
    const live = liveService({
      schedulingStrategy: 'DAEMON',
      launchType: 'EC2',
      platformVersion: undefined,
      networkConfiguration: undefined,
      desiredCount: 4,
      deploymentConfiguration: { maximumPercent: 100, minimumHealthyPercent: 0 },
    });
    expect(normalizeLiveService(live, liveTaskDefinition, [], daemon)).toEqual(normalizeDeclaredService(daemon));
  });
});

describe('normalize stacks', () => {
  const template = {
    Parameters: {
      VpcCidr: { Type: 'String', Default: '10.0.0.0/16' },
      AdminPassword: { Type: 'String', NoEcho: true },
    },
    Resources: { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: { Ref: 'VpcCidr' } } } },
  };

  it('compares templates as data: YAML short forms and JSON long forms, any key order', () => {
    const yaml =
      'Parameters:\n  AdminPassword: { Type: String, NoEcho: true }\n  VpcCidr: { Type: String, Default: 10.0.0.0/16 }\nResources:\n  Vpc:\n    Properties: { CidrBlock: !Ref VpcCidr }\n    Type: AWS::EC2::VPC\n';
    const live = normalizeLiveStack({ Parameters: [] }, yaml, template);
    const declared = normalizeDeclaredStack({ spec: {}, template });
    expect(live.spec).toHaveProperty('template', (declared.spec as Record<string, unknown>).template);
  });

  it('fills parameters from template defaults and never shows or compares NoEcho values', () => {
    const declared = normalizeDeclaredStack({ spec: { parameters: { AdminPassword: 'hunter2' } }, template });
    const live = normalizeLiveStack(
      {
        Parameters: [
          { ParameterKey: 'VpcCidr', ParameterValue: '10.0.0.0/16' },
          { ParameterKey: 'AdminPassword', ParameterValue: '****' },
        ],
      },
      JSON.stringify(template),
      template,
    );
    expect(live).toEqual(declared);
    expect(JSON.stringify(declared)).not.toContain('hunter2');
    expect((declared.spec as { parameters: Record<string, string> }).parameters.AdminPassword).toBe(NOT_COMPARABLE);
  });

  it('treats tags as a set and ignores aws: and driftless: tags', () => {
    const declared = normalizeDeclaredStack({ spec: { tags: { team: 'platform', app: 'net' } }, template });
    const live = normalizeLiveStack(
      {
        Parameters: [{ ParameterKey: 'VpcCidr', ParameterValue: '10.0.0.0/16' }],
        Tags: [
          { Key: 'app', Value: 'net' },
          { Key: 'driftless:managed-by', Value: 'prod' },
          { Key: 'team', Value: 'platform' },
        ],
      },
      JSON.stringify(template),
      template,
    );
    expect(live).toEqual(declared);
  });

  it('stringifies number and boolean parameters as CloudFormation stores them', () => {
    const declared = normalizeDeclaredStack({
      spec: { parameters: { Count: 3, Enabled: true } },
      template: { Resources: {} },
    });
    expect(declared.spec).toEqual({ parameters: { Count: '3', Enabled: 'true' } });
  });
});

describe('normalize sets inside linuxParameters', () => {
  it('compares capabilities, device permissions and tmpfs mount options as sets', () => {
    const a = normalizeTaskDefinition({
      family: 'web',
      containerDefinitions: [
        {
          ...container,
          linuxParameters: {
            capabilities: { drop: ['MKNOD', 'NET_RAW'] },
            tmpfs: [{ containerPath: '/tmp', size: 64, mountOptions: ['noexec', 'nosuid'] }],
          },
        },
      ],
    });
    const b = normalizeTaskDefinition({
      family: 'web',
      containerDefinitions: [
        {
          ...container,
          linuxParameters: {
            capabilities: { drop: ['NET_RAW', 'MKNOD'] },
            tmpfs: [{ containerPath: '/tmp', size: 64, mountOptions: ['nosuid', 'noexec'] }],
          },
        },
      ],
    });
    expect(a).toEqual(b);
  });
});

describe('normalize the health check grace period', () => {
  it('shows a live 0 as 0, not as unset', () => {
    const declared = normalizeDeclaredService({
      healthCheckGracePeriodSeconds: 60,
      taskDefinition: { family: 'web', containerDefinitions: [container] },
    });
    const live = normalizeLiveService(
      { healthCheckGracePeriodSeconds: 0 },
      { family: 'web', containerDefinitions: [container] },
      [],
      {
        healthCheckGracePeriodSeconds: 60,
      },
    );
    expect((live.spec as Record<string, unknown>).healthCheckGracePeriodSeconds).toBe(0);
    expect((declared.spec as Record<string, unknown>).healthCheckGracePeriodSeconds).toBe(60);
  });
});

describe('normalize the deployment settings ECS fills', () => {
  const spec = {
    desiredCount: 2,
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-1'] } },
    taskDefinition,
  };
  const live = (deploymentConfiguration: Record<string, unknown>, deployment: Record<string, unknown> = {}) =>
    liveService({
      deploymentConfiguration: {
        maximumPercent: 200,
        minimumHealthyPercent: 100,
        deploymentCircuitBreaker: { enable: false, rollback: false },
        ...deploymentConfiguration,
      },
      deployments: [{ status: 'PRIMARY', ...deployment }],
    });

  it('fills the linear and canary steps, and drops a strategy configuration under another strategy', () => {
    const linear = { ...spec, deploymentConfiguration: { strategy: 'LINEAR' } };
    const canary = { ...spec, deploymentConfiguration: { strategy: 'CANARY' } };
    const rolling = { ...spec, deploymentConfiguration: { strategy: 'ROLLING' } };
    expect(
      normalizeLiveService(
        live({ strategy: 'LINEAR', linearConfiguration: { stepPercent: 10, stepBakeTimeInMinutes: 6 } }),
        liveTaskDefinition,
        [],
        linear,
      ),
    ).toEqual(normalizeDeclaredService(linear));
    expect(
      normalizeLiveService(
        live({ strategy: 'CANARY', canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: 10 } }),
        liveTaskDefinition,
        [],
        canary,
      ),
    ).toEqual(normalizeDeclaredService(canary));
    expect(
      normalizeLiveService(
        live({ strategy: 'ROLLING', linearConfiguration: { stepPercent: 50 } }),
        liveTaskDefinition,
        [],
        rolling,
      ),
    ).toEqual(normalizeDeclaredService(rolling));
    expect(
      normalizeDeclaredService({
        ...spec,
        deploymentConfiguration: { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 20 } },
      }),
    ).not.toEqual(normalizeDeclaredService(canary));
  });

  it('compares the bake time only when Git sets it', () => {
    const unset = { ...spec, deploymentConfiguration: { strategy: 'CANARY' } };
    const set = { ...spec, deploymentConfiguration: { strategy: 'CANARY', bakeTimeInMinutes: 15 } };
    const chosen = live({ strategy: 'CANARY', bakeTimeInMinutes: 0 });
    expect(normalizeLiveService(chosen, liveTaskDefinition, [], unset)).toEqual(normalizeDeclaredService(unset));
    expect(normalizeLiveService(chosen, liveTaskDefinition, [], set)).not.toEqual(normalizeDeclaredService(set));
  });

  it('fills the circuit breaker threshold and reset, and treats early success switched off as absent', () => {
    const declared = {
      ...spec,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    };
    const reported = live({
      deploymentCircuitBreaker: {
        enable: true,
        rollback: true,
        resetOnHealthyTask: true,
        thresholdConfiguration: { type: 'BOUNDED_PERCENT', value: 50 },
      },
      earlySuccessCriteria: { enable: false },
    });
    expect(normalizeLiveService(reported, liveTaskDefinition, [], declared)).toEqual(
      normalizeDeclaredService(declared),
    );
  });

  it('reads managed EBS volumes and VPC Lattice from the PRIMARY deployment, EBS defaults filled', () => {
    const lattice = [{ roleArn: 'arn:aws:iam::123456789012:role/app/l', targetGroupArn: 'tg-1', portName: 'http' }];
    const declared = {
      ...spec,
      volumeConfigurations: [
        {
          name: 'scratch',
          managedEBSVolume: {
            roleArn: 'arn:aws:iam::123456789012:role/app/ebs',
            sizeInGiB: 20,
            tagSpecifications: [{ resourceType: 'volume', tags: [{ key: 'team', value: 'media' }] }],
          },
        },
      ],
      vpcLatticeConfigurations: lattice,
    };
    const reported = live(
      {},
      {
        volumeConfigurations: [
          {
            name: 'scratch',
            managedEBSVolume: {
              roleArn: 'arn:aws:iam::123456789012:role/app/ebs',
              sizeInGiB: 20,
              volumeType: 'gp3',
              iops: 3000,
              throughput: 125,
              filesystemType: 'xfs',
              tagSpecifications: [
                { resourceType: 'volume', tags: [{ key: 'team', value: 'media' }], propagateTags: 'NONE' },
              ],
            },
          },
        ],
        vpcLatticeConfigurations: lattice,
      },
    );
    expect(normalizeLiveService(reported, liveTaskDefinition, [], declared)).toEqual(
      normalizeDeclaredService(declared),
    );
    expect(normalizeLiveService(live({}), liveTaskDefinition, [], declared)).not.toEqual(
      normalizeDeclaredService(declared),
    );
  });

  it('fills Service Connect access logs without query parameters', () => {
    const connect = { enabled: true, namespace: 'prod', accessLogConfiguration: { format: 'JSON' } };
    const declared = { ...spec, serviceConnectConfiguration: connect };
    const reported = live(
      {},
      {
        serviceConnectConfiguration: {
          ...connect,
          accessLogConfiguration: { format: 'JSON', includeQueryParameters: 'DISABLED' },
        },
      },
    );
    expect(normalizeLiveService(reported, liveTaskDefinition, [], declared)).toEqual(
      normalizeDeclaredService(declared),
    );
  });

  it('compares GPU sharing with the GPU count it applies to', () => {
    const gpu = (sharingStrategy?: Record<string, unknown>) =>
      normalizeTaskDefinition({
        family: 'web',
        containerDefinitions: [{ ...container, resourceRequirements: [{ type: 'GPU', value: '1', sharingStrategy }] }],
      });
    expect(gpu({ nvidiaMps: { memory: 4096 } })).not.toEqual(gpu({ nvidiaMps: { memory: 8192 } }));
    expect(gpu()).toEqual(
      normalizeTaskDefinition({
        family: 'web',
        containerDefinitions: [{ ...container, resourceRequirements: [{ type: 'GPU', value: '1' }] }],
      }),
    );
  });
});
