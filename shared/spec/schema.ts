/** The declaration format (apiVersion driftless/v1) as zod schemas: the single definition behind validation,
 * the TypeScript types and the exported JSON Schema. Field names follow the ECS and CloudFormation APIs so that
 * `aws ecs describe-task-definition` output can be pasted in. */
// Named imports, not the `z` namespace: they let the Lambda bundles leave out zod's locales and JSON Schema code.
import { array, boolean, enum as enumOf, literal, number, type output, record, strictObject, string, union } from 'zod';
import {
  awsvpcConfiguration,
  deploymentConfiguration,
  loadBalancer,
  serviceConnectConfiguration,
  serviceVolumeConfiguration,
  vpcLatticeConfiguration,
} from './service-schema.ts';
import { ecsTag, taskDefinition } from './task-definition-schema.ts';

export const API_VERSION = 'driftless/v1';
export const KINDS = ['Settings', 'EcsService', 'CloudFormationStack'] as const;
export type Kind = (typeof KINDS)[number];
export const RESOURCE_KINDS = ['EcsService', 'CloudFormationStack'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

const nonNegativeInt = number().int().min(0);

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

export {
  type ContainerDefinition,
  containerDefinition,
  type TaskDefinition,
  taskDefinition,
} from './task-definition-schema.ts';

// ---------------------------------------------------------------------------------------------- ECS service

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
  /** EBS volumes for the task definition's volumes that are configuredAtLaunch. */
  volumeConfigurations: array(serviceVolumeConfiguration).optional(),
  vpcLatticeConfigurations: array(vpcLatticeConfiguration).optional(),
  /** RegisterTaskDefinition input: driftless registers it and points the service at the revision. */
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
