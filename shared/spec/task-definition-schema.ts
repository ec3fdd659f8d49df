/** The RegisterTaskDefinition input as zod schemas, field names and enums exactly as the ECS API (the pinned
 * @aws-sdk/client-ecs) has them, so `aws ecs describe-task-definition` output can be pasted in. */
import { array, boolean, enum as enumOf, literal, number, type output, record, strictObject, string, union } from 'zod';

// ECS stores cpu and memory as strings but people write numbers in YAML; both are accepted as input.
const numberOrString = union([string().min(1), number()]);
export const keyValue = strictObject({ name: string().min(1), value: string() });
export const ecsTag = strictObject({ key: string().min(1).max(128), value: string().max(256) });
export const secretReference = strictObject({ name: string().min(1), valueFrom: string().min(1) });

const portMapping = strictObject({
  containerPort: number().int().min(0).max(65535).optional(),
  hostPort: number().int().min(0).max(65535).optional(),
  protocol: enumOf(['tcp', 'udp']).optional(),
  name: string().optional(),
  appProtocol: enumOf(['http', 'http2', 'grpc']).optional(),
  containerPortRange: string().optional(),
});

export const logConfiguration = strictObject({
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
    strictObject({
      value: string(),
      type: enumOf(['GPU', 'InferenceAccelerator', 'NeuronDevice']),
      // A union in the API: NVIDIA Multi-Process Service is its one member.
      sharingStrategy: strictObject({
        nvidiaMps: strictObject({
          memory: number().int().min(1),
          maxComputePercent: number().int().min(1).max(100).optional(),
        }),
      }).optional(),
    }),
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
  s3filesVolumeConfiguration: strictObject({
    fileSystemArn: string().min(1),
    rootDirectory: string().optional(),
    transitEncryptionPort: number().int().optional(),
    accessPointArn: string().optional(),
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
