/** The declaration format (apiVersion driftless/v1) as zod schemas: the single definition behind validation,
 * the TypeScript types and the exported JSON Schema. Field names follow the ECS and CloudFormation APIs so that
 * `aws ecs describe-task-definition` output can be pasted in. */
// Named imports, not the `z` namespace: they let the Lambda bundles leave out zod's locales and JSON Schema code.
import { array, boolean, enum as enumOf, literal, number, type output, record, strictObject, string, union } from 'zod';

export const API_VERSION = 'driftless/v1';
export const KINDS = ['Settings', 'EcsService', 'CloudFormationStack'] as const;
export type Kind = (typeof KINDS)[number];
export const RESOURCE_KINDS = ['EcsService', 'CloudFormationStack'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

// ECS stores cpu and memory as strings but people write numbers in YAML; both are accepted as input.
const numberOrString = union([string().min(1), number()]);
const nonNegativeInt = number().int().min(0);
const keyValue = strictObject({ name: string().min(1), value: string() });
const ecsTag = strictObject({ key: string().min(1).max(128), value: string().max(256) });
const secretReference = strictObject({ name: string().min(1), valueFrom: string().min(1) });

/** A JSON pointer (RFC 6901) into a declaration, e.g. /spec/desiredCount. */
export const jsonPointer = string().regex(
  /^(\/([^~/]|~[01])*)+$/,
  'must be a JSON pointer such as /spec/desiredCount (RFC 6901)',
);

/** What a sweep or a manual change does with drift: revert it, only record and announce it, or open a pull request
 * that writes the live values into the declaration. */
export const DRIFT_POLICIES = ['revert', 'alert', 'adopt'] as const;
export type DriftPolicy = (typeof DRIFT_POLICIES)[number];
const driftPolicy = enumOf(DRIFT_POLICIES);

export const syncPolicy = strictObject({
  /** Apply order: lower waves first. @default 0 for stacks' dependents is decided by the planner */
  wave: number().int().min(-100).max(100).optional(),
  /** Revert manual changes found by the drift sweep. @default the Settings value */
  selfHeal: boolean().optional(),
  /** JSON pointers into this declaration that are neither compared nor sent. */
  ignore: array(jsonPointer).optional(),
  /** What to do with drift on this resource. @default the Settings value, else revert when selfHeal is on, alert when off */
  drift: driftPolicy.optional(),
});

const metadataCommon = {
  /** Free-form labels for humans and tools; never sent to AWS. */
  labels: record(string(), string()).optional(),
  description: string().optional(),
};

// ---------------------------------------------------------------------------------------------- Settings

export const settingsSpec = strictObject({
  targets: strictObject({
    /** ECS clusters (names or ARNs) this repository may touch. */
    clusters: array(string().min(1)).default([]),
    /** Every CloudFormation stack name must start with this prefix. */
    stackNamePrefix: string().default(''),
    /** Glob patterns (`*` matches any run of characters) that role ARNs passed to ECS or CloudFormation must match. */
    roleArnPatterns: array(string().min(1)).default([]),
    /** CloudFormation resource types stack templates may declare: exact (AWS::SNS::Topic), one service's
     * (AWS::SQS::*), Custom::<Name>, Transform::<name> or AWS::CloudFormation::Init. Nested stacks, custom
     * resources, AWS::IAM and AWS::Serverless types, transforms and Init are allowed only when named exactly.
     * @default none: a stack may declare no resource type until it is listed */
    resourceTypes: array(string().min(1)).default([]),
    /** Stacks not under stackNamePrefix whose outputs `${stack:<name>.<OutputKey>}` references may read (exact names). */
    readStacks: array(
      string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a CloudFormation stack name, without wildcards'),
    ).default([]),
  }),
  sync: strictObject({
    selfHeal: boolean().default(true),
    prune: boolean().default(false),
    maxPruneFraction: number().min(0).max(1).default(0.2),
    /** What to do with drift, for resources that do not say. @default revert when selfHeal is on, alert when off */
    drift: driftPolicy.optional(),
    /** Ignore rules applied to every resource of a kind. */
    ignore: strictObject({
      EcsService: array(jsonPointer).default([]),
      CloudFormationStack: array(jsonPointer).default([]),
    }).default({ EcsService: [], CloudFormationStack: [] }),
  }).default({
    selfHeal: true,
    prune: false,
    maxPruneFraction: 0.2,
    ignore: { EcsService: [], CloudFormationStack: [] },
  }),
});

export const settingsDocument = strictObject({
  apiVersion: literal(API_VERSION),
  kind: literal('Settings'),
  metadata: strictObject({ name: string().optional(), ...metadataCommon }).optional(),
  spec: settingsSpec,
});
export type SettingsDocument = output<typeof settingsDocument>;

// ---------------------------------------------------------------------------------------------- Task definition

const portMapping = strictObject({
  containerPort: number().int().min(0).max(65535).optional(),
  hostPort: number().int().min(0).max(65535).optional(),
  protocol: enumOf(['tcp', 'udp']).optional(),
  name: string().optional(),
  appProtocol: enumOf(['http', 'http2', 'grpc']).optional(),
  containerPortRange: string().optional(),
});

const logConfiguration = strictObject({
  logDriver: enumOf(['json-file', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'awsfirelens']),
  options: record(string(), string()).optional(),
  secretOptions: array(secretReference).optional(),
});

const healthCheck = strictObject({
  command: array(string()).min(1),
  interval: number().int().min(5).max(300).optional(),
  timeout: number().int().min(2).max(120).optional(),
  retries: number().int().min(1).max(10).optional(),
  startPeriod: number().int().min(0).max(300).optional(),
});

const linuxParameters = strictObject({
  capabilities: strictObject({ add: array(string()).optional(), drop: array(string()).optional() }).optional(),
  devices: array(
    strictObject({
      hostPath: string(),
      containerPath: string().optional(),
      permissions: array(enumOf(['read', 'write', 'mknod'])).optional(),
    }),
  ).optional(),
  initProcessEnabled: boolean().optional(),
  sharedMemorySize: number().int().optional(),
  tmpfs: array(
    strictObject({
      containerPath: string(),
      size: number().int(),
      mountOptions: array(string()).optional(),
    }),
  ).optional(),
  maxSwap: number().int().optional(),
  swappiness: number().int().min(0).max(100).optional(),
});

export const containerDefinition = strictObject({
  name: string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'container names are 1-255 letters, numbers, hyphens and underscores'),
  image: string().min(1),
  repositoryCredentials: strictObject({ credentialsParameter: string().min(1) }).optional(),
  cpu: number().int().min(0).optional(),
  memory: number().int().min(4).optional(),
  memoryReservation: number().int().min(4).optional(),
  links: array(string()).optional(),
  portMappings: array(portMapping).optional(),
  essential: boolean().optional(),
  restartPolicy: strictObject({
    enabled: boolean(),
    ignoredExitCodes: array(number().int()).optional(),
    restartAttemptPeriod: number().int().optional(),
  }).optional(),
  entryPoint: array(string()).optional(),
  command: array(string()).optional(),
  environment: array(keyValue).optional(),
  environmentFiles: array(strictObject({ value: string(), type: literal('s3') })).optional(),
  mountPoints: array(
    strictObject({
      sourceVolume: string().optional(),
      containerPath: string().optional(),
      readOnly: boolean().optional(),
    }),
  ).optional(),
  volumesFrom: array(strictObject({ sourceContainer: string().optional(), readOnly: boolean().optional() })).optional(),
  linuxParameters: linuxParameters.optional(),
  secrets: array(secretReference).optional(),
  dependsOn: array(
    strictObject({
      containerName: string(),
      condition: enumOf(['START', 'COMPLETE', 'SUCCESS', 'HEALTHY']),
    }),
  ).optional(),
  startTimeout: number().int().optional(),
  stopTimeout: number().int().optional(),
  versionConsistency: enumOf(['enabled', 'disabled']).optional(),
  hostname: string().optional(),
  user: string().optional(),
  workingDirectory: string().optional(),
  disableNetworking: boolean().optional(),
  privileged: boolean().optional(),
  readonlyRootFilesystem: boolean().optional(),
  dnsServers: array(string()).optional(),
  dnsSearchDomains: array(string()).optional(),
  extraHosts: array(strictObject({ hostname: string(), ipAddress: string() })).optional(),
  dockerSecurityOptions: array(string()).optional(),
  interactive: boolean().optional(),
  pseudoTerminal: boolean().optional(),
  dockerLabels: record(string(), string()).optional(),
  ulimits: array(strictObject({ name: string(), softLimit: number().int(), hardLimit: number().int() })).optional(),
  logConfiguration: logConfiguration.optional(),
  healthCheck: healthCheck.optional(),
  systemControls: array(strictObject({ namespace: string(), value: string() })).optional(),
  resourceRequirements: array(
    strictObject({ value: string(), type: enumOf(['GPU', 'InferenceAccelerator']) }),
  ).optional(),
  firelensConfiguration: strictObject({
    type: enumOf(['fluentd', 'fluentbit']),
    options: record(string(), string()).optional(),
  }).optional(),
  credentialSpecs: array(string()).optional(),
});
export type ContainerDefinition = output<typeof containerDefinition>;

const volume = strictObject({
  name: string().min(1),
  host: strictObject({ sourcePath: string().optional() }).optional(),
  configuredAtLaunch: boolean().optional(),
  dockerVolumeConfiguration: strictObject({
    scope: enumOf(['task', 'shared']).optional(),
    autoprovision: boolean().optional(),
    driver: string().optional(),
    driverOpts: record(string(), string()).optional(),
    labels: record(string(), string()).optional(),
  }).optional(),
  efsVolumeConfiguration: strictObject({
    fileSystemId: string(),
    rootDirectory: string().optional(),
    transitEncryption: enumOf(['ENABLED', 'DISABLED']).optional(),
    transitEncryptionPort: number().int().optional(),
    authorizationConfig: strictObject({
      accessPointId: string().optional(),
      iam: enumOf(['ENABLED', 'DISABLED']).optional(),
    }).optional(),
  }).optional(),
  fsxWindowsFileServerVolumeConfiguration: strictObject({
    fileSystemId: string(),
    rootDirectory: string(),
    authorizationConfig: strictObject({ credentialsParameter: string(), domain: string() }),
  }).optional(),
});

/** RegisterTaskDefinition input, exactly as the ECS API names it. */
export const taskDefinition = strictObject({
  family: string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'family is 1-255 letters, numbers, hyphens and underscores'),
  taskRoleArn: string().optional(),
  executionRoleArn: string().optional(),
  networkMode: enumOf(['bridge', 'host', 'awsvpc', 'none']).optional(),
  containerDefinitions: array(containerDefinition).min(1),
  volumes: array(volume).optional(),
  placementConstraints: array(
    strictObject({ type: literal('memberOf').optional(), expression: string().optional() }),
  ).optional(),
  requiresCompatibilities: array(enumOf(['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES'])).optional(),
  cpu: numberOrString.optional(),
  memory: numberOrString.optional(),
  tags: array(ecsTag).optional(),
  pidMode: enumOf(['host', 'task']).optional(),
  ipcMode: enumOf(['host', 'task', 'none']).optional(),
  proxyConfiguration: strictObject({
    type: literal('APPMESH').optional(),
    containerName: string(),
    properties: array(keyValue).optional(),
  }).optional(),
  ephemeralStorage: strictObject({ sizeInGiB: number().int().min(21).max(200) }).optional(),
  runtimePlatform: strictObject({
    cpuArchitecture: enumOf(['X86_64', 'ARM64']).optional(),
    operatingSystemFamily: string().optional(),
  }).optional(),
  enableFaultInjection: boolean().optional(),
});
export type TaskDefinition = output<typeof taskDefinition>;

// ---------------------------------------------------------------------------------------------- ECS service

const awsvpcConfiguration = strictObject({
  subnets: array(string().min(1)).min(1).max(16),
  securityGroups: array(string().min(1)).max(5).optional(),
  assignPublicIp: enumOf(['ENABLED', 'DISABLED']).optional(),
});

const loadBalancer = strictObject({
  targetGroupArn: string().optional(),
  loadBalancerName: string().optional(),
  containerName: string(),
  containerPort: number().int().min(0).max(65535),
});

const deploymentConfiguration = strictObject({
  deploymentCircuitBreaker: strictObject({ enable: boolean(), rollback: boolean() }).optional(),
  maximumPercent: number().int().min(0).optional(),
  minimumHealthyPercent: number().int().min(0).optional(),
  alarms: strictObject({ alarmNames: array(string()), enable: boolean(), rollback: boolean() }).optional(),
  strategy: enumOf(['ROLLING', 'BLUE_GREEN']).optional(),
  bakeTimeInMinutes: number().int().min(0).optional(),
});

const serviceConnectConfiguration = strictObject({
  enabled: boolean(),
  namespace: string().optional(),
  services: array(
    strictObject({
      portName: string(),
      discoveryName: string().optional(),
      clientAliases: array(strictObject({ port: number().int(), dnsName: string().optional() })).optional(),
      ingressPortOverride: number().int().optional(),
      timeout: strictObject({
        idleTimeoutSeconds: number().int().optional(),
        perRequestTimeoutSeconds: number().int().optional(),
      }).optional(),
    }),
  ).optional(),
  logConfiguration: logConfiguration.optional(),
});

/** A scalable target declared with the service: Application Auto Scaling owns desiredCount within it. */
const scalableTarget = strictObject({
  minCapacity: nonNegativeInt,
  maxCapacity: nonNegativeInt,
});

export const ecsServiceSpec = strictObject({
  /** Omit, or ignore, when Application Auto Scaling owns the count. */
  desiredCount: nonNegativeInt.optional(),
  /** true, or a scalable target: desiredCount is owned by Application Auto Scaling after creation. */
  autoscaling: union([boolean(), scalableTarget]).optional(),
  launchType: enumOf(['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES']).optional(),
  capacityProviderStrategy: array(
    strictObject({
      capacityProvider: string().min(1),
      weight: number().int().min(0).max(1000).optional(),
      base: number().int().min(0).max(100000).optional(),
    }),
  ).optional(),
  platformVersion: string().optional(),
  networkConfiguration: strictObject({ awsvpcConfiguration }).optional(),
  loadBalancers: array(loadBalancer).optional(),
  serviceRegistries: array(
    strictObject({
      registryArn: string(),
      port: number().int().optional(),
      containerName: string().optional(),
      containerPort: number().int().optional(),
    }),
  ).optional(),
  serviceConnectConfiguration: serviceConnectConfiguration.optional(),
  deploymentConfiguration: deploymentConfiguration.optional(),
  deploymentController: strictObject({ type: enumOf(['ECS', 'CODE_DEPLOY', 'EXTERNAL']) }).optional(),
  schedulingStrategy: enumOf(['REPLICA', 'DAEMON']).optional(),
  placementConstraints: array(
    strictObject({ type: enumOf(['distinctInstance', 'memberOf']), expression: string().optional() }),
  ).optional(),
  placementStrategy: array(
    strictObject({ type: enumOf(['random', 'spread', 'binpack']), field: string().optional() }),
  ).optional(),
  healthCheckGracePeriodSeconds: nonNegativeInt.optional(),
  enableExecuteCommand: boolean().optional(),
  enableECSManagedTags: boolean().optional(),
  propagateTags: enumOf(['TASK_DEFINITION', 'SERVICE', 'NONE']).optional(),
  availabilityZoneRebalancing: enumOf(['ENABLED', 'DISABLED']).optional(),
  tags: array(ecsTag).max(50).optional(),
  taskDefinition,
}).superRefine((spec, ctx) => {
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
export type EcsServiceSpec = output<typeof ecsServiceSpec>;

export const ecsServiceDocument = strictObject({
  apiVersion: literal(API_VERSION),
  kind: literal('EcsService'),
  metadata: strictObject({
    name: string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'service names are 1-255 letters, numbers, hyphens and underscores'),
    /** Cluster name or ARN. */
    cluster: string().min(1),
    ...metadataCommon,
  }),
  spec: ecsServiceSpec,
  sync: syncPolicy.optional(),
});
export type EcsServiceDocument = output<typeof ecsServiceDocument>;

// ---------------------------------------------------------------------------------------------- CloudFormation stack

const parameterValue = union([string(), number(), boolean()]);

export const cloudFormationStackSpec = strictObject({
  /** Path to the template file, relative to this declaration file. */
  template: string().min(1),
  parameters: record(
    string().regex(/^[A-Za-z0-9]{1,255}$/, 'parameter names are alphanumeric'),
    parameterValue,
  ).optional(),
  tags: record(string().min(1).max(128), string().max(256)).optional(),
  capabilities: array(enumOf(['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'])).optional(),
  /** The CloudFormation service role that performs the stack operations. */
  roleArn: string().optional(),
  terminationProtection: boolean().optional(),
});
export type CloudFormationStackSpec = output<typeof cloudFormationStackSpec>;

export const cloudFormationStackDocument = strictObject({
  apiVersion: literal(API_VERSION),
  kind: literal('CloudFormationStack'),
  metadata: strictObject({
    name: string().regex(
      /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
      'stack names start with a letter and hold up to 128 letters, numbers and hyphens',
    ),
    ...metadataCommon,
  }),
  spec: cloudFormationStackSpec,
  sync: syncPolicy.optional(),
});
export type CloudFormationStackDocument = output<typeof cloudFormationStackDocument>;

export const documentSchemas = {
  Settings: settingsDocument,
  EcsService: ecsServiceDocument,
  CloudFormationStack: cloudFormationStackDocument,
} as const;

export type AnyDocument = SettingsDocument | EcsServiceDocument | CloudFormationStackDocument;
