/** The declaration format (apiVersion driftless/v1) as zod schemas: the single definition behind validation,
 * the TypeScript types and the exported JSON Schema. Field names follow the ECS and CloudFormation APIs so that
 * `aws ecs describe-task-definition` output can be pasted in. */
import { z } from 'zod';

export const API_VERSION = 'driftless/v1';
export const KINDS = ['Settings', 'EcsService', 'CloudFormationStack'] as const;
export type Kind = (typeof KINDS)[number];
export const RESOURCE_KINDS = ['EcsService', 'CloudFormationStack'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

// ECS stores cpu and memory as strings but people write numbers in YAML; both are accepted as input.
const numberOrString = z.union([z.string().min(1), z.number()]);
const nonNegativeInt = z.number().int().min(0);
const keyValue = z.strictObject({ name: z.string().min(1), value: z.string() });
const ecsTag = z.strictObject({ key: z.string().min(1).max(128), value: z.string().max(256) });
const secretReference = z.strictObject({ name: z.string().min(1), valueFrom: z.string().min(1) });

/** A JSON pointer (RFC 6901) into a declaration, e.g. /spec/desiredCount. */
export const jsonPointer = z
  .string()
  .regex(/^(\/([^~/]|~[01])*)+$/, 'must be a JSON pointer such as /spec/desiredCount (RFC 6901)');

export const syncPolicy = z.strictObject({
  /** Apply order: lower waves first. @default 0 for stacks' dependents is decided by the planner */
  wave: z.number().int().min(-100).max(100).optional(),
  /** Revert manual changes found by the drift sweep. @default the Settings value */
  selfHeal: z.boolean().optional(),
  /** JSON pointers into this declaration that are neither compared nor sent. */
  ignore: z.array(jsonPointer).optional(),
});

const metadataCommon = {
  /** Free-form labels for humans and tools; never sent to AWS. */
  labels: z.record(z.string(), z.string()).optional(),
  description: z.string().optional(),
};

// ---------------------------------------------------------------------------------------------- Settings

export const settingsSpec = z.strictObject({
  targets: z.strictObject({
    /** ECS clusters (names or ARNs) this repository may touch. */
    clusters: z.array(z.string().min(1)).default([]),
    /** Every CloudFormation stack name must start with this prefix. */
    stackNamePrefix: z.string().default(''),
    /** Glob patterns (`*` matches any run of characters) that role ARNs passed to ECS or CloudFormation must match. */
    roleArnPatterns: z.array(z.string().min(1)).default([]),
  }),
  sync: z
    .strictObject({
      selfHeal: z.boolean().default(true),
      prune: z.boolean().default(false),
      maxPruneFraction: z.number().min(0).max(1).default(0.2),
      /** Ignore rules applied to every resource of a kind. */
      ignore: z
        .strictObject({
          EcsService: z.array(jsonPointer).default([]),
          CloudFormationStack: z.array(jsonPointer).default([]),
        })
        .default({ EcsService: [], CloudFormationStack: [] }),
    })
    .default({
      selfHeal: true,
      prune: false,
      maxPruneFraction: 0.2,
      ignore: { EcsService: [], CloudFormationStack: [] },
    }),
});

export const settingsDocument = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Settings'),
  metadata: z.strictObject({ name: z.string().optional(), ...metadataCommon }).optional(),
  spec: settingsSpec,
});
export type SettingsDocument = z.output<typeof settingsDocument>;

// ---------------------------------------------------------------------------------------------- Task definition

const portMapping = z.strictObject({
  containerPort: z.number().int().min(0).max(65535).optional(),
  hostPort: z.number().int().min(0).max(65535).optional(),
  protocol: z.enum(['tcp', 'udp']).optional(),
  name: z.string().optional(),
  appProtocol: z.enum(['http', 'http2', 'grpc']).optional(),
  containerPortRange: z.string().optional(),
});

const logConfiguration = z.strictObject({
  logDriver: z.enum(['json-file', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'awsfirelens']),
  options: z.record(z.string(), z.string()).optional(),
  secretOptions: z.array(secretReference).optional(),
});

const healthCheck = z.strictObject({
  command: z.array(z.string()).min(1),
  interval: z.number().int().min(5).max(300).optional(),
  timeout: z.number().int().min(2).max(120).optional(),
  retries: z.number().int().min(1).max(10).optional(),
  startPeriod: z.number().int().min(0).max(300).optional(),
});

const linuxParameters = z.strictObject({
  capabilities: z
    .strictObject({ add: z.array(z.string()).optional(), drop: z.array(z.string()).optional() })
    .optional(),
  devices: z
    .array(
      z.strictObject({
        hostPath: z.string(),
        containerPath: z.string().optional(),
        permissions: z.array(z.enum(['read', 'write', 'mknod'])).optional(),
      }),
    )
    .optional(),
  initProcessEnabled: z.boolean().optional(),
  sharedMemorySize: z.number().int().optional(),
  tmpfs: z
    .array(
      z.strictObject({
        containerPath: z.string(),
        size: z.number().int(),
        mountOptions: z.array(z.string()).optional(),
      }),
    )
    .optional(),
  maxSwap: z.number().int().optional(),
  swappiness: z.number().int().min(0).max(100).optional(),
});

export const containerDefinition = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/, 'container names are 1-255 letters, numbers, hyphens and underscores'),
  image: z.string().min(1),
  repositoryCredentials: z.strictObject({ credentialsParameter: z.string().min(1) }).optional(),
  cpu: z.number().int().min(0).optional(),
  memory: z.number().int().min(4).optional(),
  memoryReservation: z.number().int().min(4).optional(),
  links: z.array(z.string()).optional(),
  portMappings: z.array(portMapping).optional(),
  essential: z.boolean().optional(),
  restartPolicy: z
    .strictObject({
      enabled: z.boolean(),
      ignoredExitCodes: z.array(z.number().int()).optional(),
      restartAttemptPeriod: z.number().int().optional(),
    })
    .optional(),
  entryPoint: z.array(z.string()).optional(),
  command: z.array(z.string()).optional(),
  environment: z.array(keyValue).optional(),
  environmentFiles: z.array(z.strictObject({ value: z.string(), type: z.literal('s3') })).optional(),
  mountPoints: z
    .array(
      z.strictObject({
        sourceVolume: z.string().optional(),
        containerPath: z.string().optional(),
        readOnly: z.boolean().optional(),
      }),
    )
    .optional(),
  volumesFrom: z
    .array(z.strictObject({ sourceContainer: z.string().optional(), readOnly: z.boolean().optional() }))
    .optional(),
  linuxParameters: linuxParameters.optional(),
  secrets: z.array(secretReference).optional(),
  dependsOn: z
    .array(
      z.strictObject({
        containerName: z.string(),
        condition: z.enum(['START', 'COMPLETE', 'SUCCESS', 'HEALTHY']),
      }),
    )
    .optional(),
  startTimeout: z.number().int().optional(),
  stopTimeout: z.number().int().optional(),
  versionConsistency: z.enum(['enabled', 'disabled']).optional(),
  hostname: z.string().optional(),
  user: z.string().optional(),
  workingDirectory: z.string().optional(),
  disableNetworking: z.boolean().optional(),
  privileged: z.boolean().optional(),
  readonlyRootFilesystem: z.boolean().optional(),
  dnsServers: z.array(z.string()).optional(),
  dnsSearchDomains: z.array(z.string()).optional(),
  extraHosts: z.array(z.strictObject({ hostname: z.string(), ipAddress: z.string() })).optional(),
  dockerSecurityOptions: z.array(z.string()).optional(),
  interactive: z.boolean().optional(),
  pseudoTerminal: z.boolean().optional(),
  dockerLabels: z.record(z.string(), z.string()).optional(),
  ulimits: z
    .array(z.strictObject({ name: z.string(), softLimit: z.number().int(), hardLimit: z.number().int() }))
    .optional(),
  logConfiguration: logConfiguration.optional(),
  healthCheck: healthCheck.optional(),
  systemControls: z.array(z.strictObject({ namespace: z.string(), value: z.string() })).optional(),
  resourceRequirements: z
    .array(z.strictObject({ value: z.string(), type: z.enum(['GPU', 'InferenceAccelerator']) }))
    .optional(),
  firelensConfiguration: z
    .strictObject({ type: z.enum(['fluentd', 'fluentbit']), options: z.record(z.string(), z.string()).optional() })
    .optional(),
  credentialSpecs: z.array(z.string()).optional(),
});
export type ContainerDefinition = z.output<typeof containerDefinition>;

const volume = z.strictObject({
  name: z.string().min(1),
  host: z.strictObject({ sourcePath: z.string().optional() }).optional(),
  configuredAtLaunch: z.boolean().optional(),
  dockerVolumeConfiguration: z
    .strictObject({
      scope: z.enum(['task', 'shared']).optional(),
      autoprovision: z.boolean().optional(),
      driver: z.string().optional(),
      driverOpts: z.record(z.string(), z.string()).optional(),
      labels: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  efsVolumeConfiguration: z
    .strictObject({
      fileSystemId: z.string(),
      rootDirectory: z.string().optional(),
      transitEncryption: z.enum(['ENABLED', 'DISABLED']).optional(),
      transitEncryptionPort: z.number().int().optional(),
      authorizationConfig: z
        .strictObject({ accessPointId: z.string().optional(), iam: z.enum(['ENABLED', 'DISABLED']).optional() })
        .optional(),
    })
    .optional(),
  fsxWindowsFileServerVolumeConfiguration: z
    .strictObject({
      fileSystemId: z.string(),
      rootDirectory: z.string(),
      authorizationConfig: z.strictObject({ credentialsParameter: z.string(), domain: z.string() }),
    })
    .optional(),
});

/** RegisterTaskDefinition input, exactly as the ECS API names it. */
export const taskDefinition = z.strictObject({
  family: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'family is 1-255 letters, numbers, hyphens and underscores'),
  taskRoleArn: z.string().optional(),
  executionRoleArn: z.string().optional(),
  networkMode: z.enum(['bridge', 'host', 'awsvpc', 'none']).optional(),
  containerDefinitions: z.array(containerDefinition).min(1),
  volumes: z.array(volume).optional(),
  placementConstraints: z
    .array(z.strictObject({ type: z.literal('memberOf').optional(), expression: z.string().optional() }))
    .optional(),
  requiresCompatibilities: z.array(z.enum(['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES'])).optional(),
  cpu: numberOrString.optional(),
  memory: numberOrString.optional(),
  tags: z.array(ecsTag).optional(),
  pidMode: z.enum(['host', 'task']).optional(),
  ipcMode: z.enum(['host', 'task', 'none']).optional(),
  proxyConfiguration: z
    .strictObject({
      type: z.literal('APPMESH').optional(),
      containerName: z.string(),
      properties: z.array(keyValue).optional(),
    })
    .optional(),
  ephemeralStorage: z.strictObject({ sizeInGiB: z.number().int().min(21).max(200) }).optional(),
  runtimePlatform: z
    .strictObject({
      cpuArchitecture: z.enum(['X86_64', 'ARM64']).optional(),
      operatingSystemFamily: z.string().optional(),
    })
    .optional(),
  enableFaultInjection: z.boolean().optional(),
});
export type TaskDefinition = z.output<typeof taskDefinition>;

// ---------------------------------------------------------------------------------------------- ECS service

const awsvpcConfiguration = z.strictObject({
  subnets: z.array(z.string().min(1)).min(1).max(16),
  securityGroups: z.array(z.string().min(1)).max(5).optional(),
  assignPublicIp: z.enum(['ENABLED', 'DISABLED']).optional(),
});

const loadBalancer = z.strictObject({
  targetGroupArn: z.string().optional(),
  loadBalancerName: z.string().optional(),
  containerName: z.string(),
  containerPort: z.number().int().min(0).max(65535),
});

const deploymentConfiguration = z.strictObject({
  deploymentCircuitBreaker: z.strictObject({ enable: z.boolean(), rollback: z.boolean() }).optional(),
  maximumPercent: z.number().int().min(0).optional(),
  minimumHealthyPercent: z.number().int().min(0).optional(),
  alarms: z.strictObject({ alarmNames: z.array(z.string()), enable: z.boolean(), rollback: z.boolean() }).optional(),
  strategy: z.enum(['ROLLING', 'BLUE_GREEN']).optional(),
  bakeTimeInMinutes: z.number().int().min(0).optional(),
});

const serviceConnectConfiguration = z.strictObject({
  enabled: z.boolean(),
  namespace: z.string().optional(),
  services: z
    .array(
      z.strictObject({
        portName: z.string(),
        discoveryName: z.string().optional(),
        clientAliases: z.array(z.strictObject({ port: z.number().int(), dnsName: z.string().optional() })).optional(),
        ingressPortOverride: z.number().int().optional(),
        timeout: z
          .strictObject({
            idleTimeoutSeconds: z.number().int().optional(),
            perRequestTimeoutSeconds: z.number().int().optional(),
          })
          .optional(),
      }),
    )
    .optional(),
  logConfiguration: logConfiguration.optional(),
});

/** A scalable target declared with the service: Application Auto Scaling owns desiredCount within it. */
const scalableTarget = z.strictObject({
  minCapacity: nonNegativeInt,
  maxCapacity: nonNegativeInt,
});

export const ecsServiceSpec = z
  .strictObject({
    /** Omit, or ignore, when Application Auto Scaling owns the count. */
    desiredCount: nonNegativeInt.optional(),
    /** true, or a scalable target: desiredCount is owned by Application Auto Scaling after creation. */
    autoscaling: z.union([z.boolean(), scalableTarget]).optional(),
    launchType: z.enum(['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES']).optional(),
    capacityProviderStrategy: z
      .array(
        z.strictObject({
          capacityProvider: z.string().min(1),
          weight: z.number().int().min(0).max(1000).optional(),
          base: z.number().int().min(0).max(100000).optional(),
        }),
      )
      .optional(),
    platformVersion: z.string().optional(),
    networkConfiguration: z.strictObject({ awsvpcConfiguration }).optional(),
    loadBalancers: z.array(loadBalancer).optional(),
    serviceRegistries: z
      .array(
        z.strictObject({
          registryArn: z.string(),
          port: z.number().int().optional(),
          containerName: z.string().optional(),
          containerPort: z.number().int().optional(),
        }),
      )
      .optional(),
    serviceConnectConfiguration: serviceConnectConfiguration.optional(),
    deploymentConfiguration: deploymentConfiguration.optional(),
    deploymentController: z.strictObject({ type: z.enum(['ECS', 'CODE_DEPLOY', 'EXTERNAL']) }).optional(),
    schedulingStrategy: z.enum(['REPLICA', 'DAEMON']).optional(),
    placementConstraints: z
      .array(z.strictObject({ type: z.enum(['distinctInstance', 'memberOf']), expression: z.string().optional() }))
      .optional(),
    placementStrategy: z
      .array(z.strictObject({ type: z.enum(['random', 'spread', 'binpack']), field: z.string().optional() }))
      .optional(),
    healthCheckGracePeriodSeconds: nonNegativeInt.optional(),
    enableExecuteCommand: z.boolean().optional(),
    enableECSManagedTags: z.boolean().optional(),
    propagateTags: z.enum(['TASK_DEFINITION', 'SERVICE', 'NONE']).optional(),
    availabilityZoneRebalancing: z.enum(['ENABLED', 'DISABLED']).optional(),
    tags: z.array(ecsTag).max(50).optional(),
    taskDefinition,
  })
  .superRefine((spec, ctx) => {
    if (spec.launchType !== undefined && spec.capacityProviderStrategy !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['capacityProviderStrategy'],
        message: 'launchType and capacityProviderStrategy are mutually exclusive: ECS accepts one or the other',
      });
    }
    if (typeof spec.autoscaling === 'object' && spec.autoscaling.minCapacity > spec.autoscaling.maxCapacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['autoscaling', 'minCapacity'],
        message: 'minCapacity is larger than maxCapacity',
      });
    }
  });
export type EcsServiceSpec = z.output<typeof ecsServiceSpec>;

export const ecsServiceDocument = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('EcsService'),
  metadata: z.strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,255}$/, 'service names are 1-255 letters, numbers, hyphens and underscores'),
    /** Cluster name or ARN. */
    cluster: z.string().min(1),
    ...metadataCommon,
  }),
  spec: ecsServiceSpec,
  sync: syncPolicy.optional(),
});
export type EcsServiceDocument = z.output<typeof ecsServiceDocument>;

// ---------------------------------------------------------------------------------------------- CloudFormation stack

const parameterValue = z.union([z.string(), z.number(), z.boolean()]);

export const cloudFormationStackSpec = z.strictObject({
  /** Path to the template file, relative to this declaration file. */
  template: z.string().min(1),
  parameters: z
    .record(z.string().regex(/^[A-Za-z0-9]{1,255}$/, 'parameter names are alphanumeric'), parameterValue)
    .optional(),
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).optional(),
  capabilities: z.array(z.enum(['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'])).optional(),
  /** The CloudFormation service role that performs the stack operations. */
  roleArn: z.string().optional(),
  terminationProtection: z.boolean().optional(),
});
export type CloudFormationStackSpec = z.output<typeof cloudFormationStackSpec>;

export const cloudFormationStackDocument = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('CloudFormationStack'),
  metadata: z.strictObject({
    name: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
        'stack names start with a letter and hold up to 128 letters, numbers and hyphens',
      ),
    ...metadataCommon,
  }),
  spec: cloudFormationStackSpec,
  sync: syncPolicy.optional(),
});
export type CloudFormationStackDocument = z.output<typeof cloudFormationStackDocument>;

export const documentSchemas = {
  Settings: settingsDocument,
  EcsService: ecsServiceDocument,
  CloudFormationStack: cloudFormationStackDocument,
} as const;

export type AnyDocument = SettingsDocument | EcsServiceDocument | CloudFormationStackDocument;
