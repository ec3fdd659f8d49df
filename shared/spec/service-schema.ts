/** The parts of the CreateService / UpdateService input that a declaration's spec is made of, as zod schemas with
 * field names and enums exactly as the pinned @aws-sdk/client-ecs has them (test/shared/spec/ecs-fields.test.ts
 * holds the two together). */
import { array, boolean, enum as enumOf, number, strictObject, string, unknown } from 'zod';
import { ecsTag, logConfiguration } from './task-definition-schema.ts';

export const DEPLOYMENT_STRATEGIES = ['ROLLING', 'BLUE_GREEN', 'LINEAR', 'CANARY'] as const;
export const LIFECYCLE_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
] as const;

/** Minutes ECS accepts for every bake and hook wait: 0 to 24 hours. */
const minutes = number().int().min(0).max(1440);
// ECS takes traffic percentages in steps of a tenth.
const tenthPercent = (min: number) => number().min(min).max(100).multipleOf(0.1);

export const awsvpcConfiguration = strictObject({
  subnets: array(string().min(1)).min(1).max(16),
  securityGroups: array(string().min(1)).max(5).optional(),
  assignPublicIp: enumOf(['ENABLED', 'DISABLED']).optional(),
});

export const loadBalancer = strictObject({
  targetGroupArn: string().optional(),
  loadBalancerName: string().optional(),
  containerName: string(),
  containerPort: number().int().min(0).max(65535),
  /** The blue/green (and linear, canary) traffic shift: the alternate target group and the listener rules. */
  advancedConfiguration: strictObject({
    alternateTargetGroupArn: string().optional(),
    productionListenerRule: string().optional(),
    testListenerRule: string().optional(),
    roleArn: string().optional(),
  }).optional(),
});

const lifecycleHook = strictObject({
  targetType: enumOf(['AWS_LAMBDA', 'PAUSE']).optional(),
  hookTargetArn: string().optional(),
  roleArn: string().optional(),
  lifecycleStages: array(enumOf(LIFECYCLE_STAGES)).min(1),
  /** Passed to the Lambda function on each invocation, as written. */
  hookDetails: unknown().optional(),
  timeoutConfiguration: strictObject({
    timeoutInMinutes: minutes.min(1).optional(),
    action: enumOf(['CONTINUE', 'ROLLBACK']).optional(),
  }).optional(),
});

export const deploymentConfiguration = strictObject({
  deploymentCircuitBreaker: strictObject({
    enable: boolean(),
    rollback: boolean(),
    resetOnHealthyTask: boolean().optional(),
    thresholdConfiguration: strictObject({
      type: enumOf(['BOUNDED_PERCENT', 'COUNT', 'UNBOUNDED_PERCENT']),
      value: number().int().min(0),
    }).optional(),
  }).optional(),
  maximumPercent: number().int().min(0).optional(),
  minimumHealthyPercent: number().int().min(0).optional(),
  alarms: strictObject({ alarmNames: array(string()), enable: boolean(), rollback: boolean() }).optional(),
  strategy: enumOf(DEPLOYMENT_STRATEGIES).optional(),
  bakeTimeInMinutes: minutes.optional(),
  lifecycleHooks: array(lifecycleHook).optional(),
  linearConfiguration: strictObject({
    stepPercent: tenthPercent(3).optional(),
    stepBakeTimeInMinutes: minutes.optional(),
  }).optional(),
  canaryConfiguration: strictObject({
    canaryPercent: tenthPercent(0.1).optional(),
    canaryBakeTimeInMinutes: minutes.optional(),
  }).optional(),
  earlySuccessCriteria: strictObject({
    enable: boolean(),
    healthyPercent: number().int().min(0).max(100).optional(),
    sourceServiceRevisionCleanup: enumOf(['BLOCKING', 'DEFERRED']).optional(),
  }).optional(),
});

const clientAlias = strictObject({
  port: number().int(),
  dnsName: string().optional(),
  /** Which requests the test listener sends to the new revision during a blue/green deployment. */
  testTrafficRules: strictObject({
    header: strictObject({
      name: string().min(1),
      value: strictObject({ exact: string() }).optional(),
    }),
  }).optional(),
});

export const serviceConnectConfiguration = strictObject({
  enabled: boolean(),
  namespace: string().optional(),
  services: array(
    strictObject({
      portName: string(),
      discoveryName: string().optional(),
      clientAliases: array(clientAlias).optional(),
      ingressPortOverride: number().int().optional(),
      timeout: strictObject({
        idleTimeoutSeconds: number().int().optional(),
        perRequestTimeoutSeconds: number().int().optional(),
      }).optional(),
      tls: strictObject({
        issuerCertificateAuthority: strictObject({ awsPcaAuthorityArn: string().optional() }),
        kmsKey: string().optional(),
        roleArn: string().optional(),
      }).optional(),
    }),
  ).optional(),
  logConfiguration: logConfiguration.optional(),
  accessLogConfiguration: strictObject({
    format: enumOf(['TEXT', 'JSON']),
    includeQueryParameters: enumOf(['ENABLED', 'DISABLED']).optional(),
  }).optional(),
  // A union in the API: each item sets exactly one member.
  containerConfigurations: array(strictObject({ logLevel: enumOf(['debug', 'info']) })).optional(),
});

/** A volume the task definition marks configuredAtLaunch, made by ECS for each task. */
export const serviceVolumeConfiguration = strictObject({
  name: string().min(1),
  managedEBSVolume: strictObject({
    roleArn: string().min(1),
    encrypted: boolean().optional(),
    kmsKeyId: string().optional(),
    volumeType: enumOf(['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard']).optional(),
    sizeInGiB: number().int().min(1).max(16384).optional(),
    snapshotId: string().optional(),
    volumeInitializationRate: number().int().min(0).optional(),
    iops: number().int().min(0).optional(),
    throughput: number().int().min(0).max(1000).optional(),
    tagSpecifications: array(
      strictObject({
        resourceType: enumOf(['volume']),
        tags: array(ecsTag).optional(),
        propagateTags: enumOf(['TASK_DEFINITION', 'SERVICE', 'NONE']).optional(),
      }),
    ).optional(),
    filesystemType: enumOf(['ext3', 'ext4', 'xfs', 'ntfs']).optional(),
  }).optional(),
});

export const vpcLatticeConfiguration = strictObject({
  roleArn: string().min(1),
  targetGroupArn: string().min(1),
  portName: string().min(1),
  advancedConfiguration: strictObject({
    alternateTargetGroupArn: string().optional(),
    productionListenerRule: string().optional(),
    testListenerRule: string().optional(),
  }).optional(),
});
