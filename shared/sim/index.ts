/** An in-memory ECS and CloudFormation for tests, the local demo and benchmarks: real SDK clients whose `send` is
 * answered by the simulator (through aws-sdk-client-mock), so adapter code runs unchanged against state that
 * behaves like the APIs — defaults filled, errors raised, deployments and stack operations that finish when the
 * simulator advances, faults and rate limits on demand. Never shipped: test support only. */
import {
  ApplicationAutoScalingClient,
  type ApplicationAutoScalingClientResolvedConfig,
  type ServiceInputTypes as AutoScalingInputs,
  type ServiceOutputTypes as AutoScalingOutputs,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  CloudFormationClient,
  type CloudFormationClientResolvedConfig,
  type ServiceInputTypes as CloudFormationInputs,
  type ServiceOutputTypes as CloudFormationOutputs,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  ListStacksCommand,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateServiceCommand,
  type CreateServiceRequest,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type ECSClientResolvedConfig,
  type ServiceInputTypes as EcsInputs,
  type ServiceOutputTypes as EcsOutputs,
  ListServiceDeploymentsCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionRequest,
  type Service,
  type ServiceDeployment,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import { ECS_RATE_LIMITS, TokenBucket } from '../aws/token-bucket.ts';
import { ScalableTargets } from './application-auto-scaling.ts';
import { CloudFormationBackend, type SeedStackInput, type SimulatedStack } from './cloudformation.ts';
import type { SimulatorContext } from './context.ts';
import { EcsBackend, type SimulatedTaskDefinition } from './ecs.ts';
import { type AwsServiceName, serverError, throttlingError, timeoutError } from './errors.ts';
import { IdGenerator } from './ids.ts';

export type { SeedStackInput, SimulatedStack } from './cloudformation.ts';
export type { SimulatedTaskDefinition } from './ecs.ts';

/** What an injected fault does to a call:
 * - 'throttle': rejects with the service's throttling error (ThrottlingException / Throttling, 400);
 * - 'server-error': rejects with ServerException / InternalFailure (500);
 * - 'timeout': rejects with a TimeoutError before the call reaches the simulated service;
 * - 'timeout-after-apply': the call takes effect, then the caller sees a TimeoutError (a lost response);
 * - { latencyMs }: the call is slower by that much, then proceeds. */
export type Fault = 'throttle' | 'server-error' | 'timeout' | 'timeout-after-apply' | { readonly latencyMs: number };

export interface SimulatorOptions {
  readonly accountId?: string;
  readonly region?: string;
  /** Added to every call, through `sleep`. */
  readonly latencyMs?: number;
  /** Throttle calls beyond the published ECS rate limits (and generous CloudFormation ones). */
  readonly enforceRateLimits?: boolean;
  /** Clock in milliseconds: timestamps and rate limits follow it. Defaults to Date.now. */
  readonly now?: () => number;
  /** How latency is waited for; tests pass a virtual one. */
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /** Clusters that do not exist (ClusterNotFoundException); any other name is a cluster. */
  readonly missingClusters?: readonly string[];
  /** Seed of the generator behind deployment ids, stack UUIDs and the like. */
  readonly seed?: number;
  /** Who the calls come from, as registeredBy and createdBy report it. */
  readonly principalArn?: string;
}

/** A service to put in place without the API: CreateService input whose task definition may be registered on the
 * way (a RegisterTaskDefinition input) or named (family, family:revision or ARN). */
export type SeedServiceInput = Omit<CreateServiceRequest, 'taskDefinition' | 'serviceName'> & {
  readonly serviceName: string;
  readonly taskDefinition: string | RegisterTaskDefinitionRequest;
};

export interface AwsSimulator {
  /** A real ECSClient answered by the simulator. */
  readonly ecs: ECSClient;
  /** A real CloudFormationClient answered by the simulator. */
  readonly cloudFormation: CloudFormationClient;
  /** A real ApplicationAutoScalingClient answered by the simulator (ECS service targets only). */
  readonly autoScaling: ApplicationAutoScalingClient;
  /** The aws-sdk-client-mock stubs behind the clients, for its matchers (toHaveReceivedCommand…). Do not reset. */
  readonly stubs: {
    readonly ecs: AwsStub<EcsInputs, EcsOutputs, ECSClientResolvedConfig>;
    readonly cloudFormation: AwsStub<CloudFormationInputs, CloudFormationOutputs, CloudFormationClientResolvedConfig>;
    readonly autoScaling: AwsStub<AutoScalingInputs, AutoScalingOutputs, ApplicationAutoScalingClientResolvedConfig>;
  };
  /** Calls per API ('ECS.DescribeServices', 'CloudFormation.GetTemplate', …), failed ones included. */
  readonly calls: Record<string, number>;
  resetCalls(): void;
  /** The next `times` (default 1) calls to `api` fail as `fault`. `api` is 'ECS.DescribeServices', a whole service
   * ('ECS.*', 'CloudFormation.*') or every API ('*'). Faults for one API are used in the order injected. */
  injectFault(api: string, fault: Fault, times?: number): void;
  clearFaults(): void;
  /** Registers a task definition without an API call (nothing counted, no faults or limits). */
  seedTaskDefinition(input: RegisterTaskDefinitionRequest): SimulatedTaskDefinition;
  /** Creates a service without an API call, already steady: its deployment COMPLETED, its tasks running. */
  seedService(input: SeedServiceInput): Service;
  /** Creates a stack without an API call, CREATE_COMPLETE. */
  seedStack(input: SeedStackInput): SimulatedStack;
  /** A manual change to a live service (console, CLI): `patch` edits the simulator's own object. */
  driftService(cluster: string, name: string, patch: (service: Service) => void): void;
  /** A manual change to a task definition revision (its tags, say): `patch` edits the simulator's own record. */
  driftTaskDefinition(reference: string, patch: (record: SimulatedTaskDefinition) => void): void;
  /** A manual change to a live stack: `patch` edits the simulator's own record (templateBody, parameters, tags…). */
  driftStack(name: string, patch: (stack: SimulatedStack) => void): void;
  /** The service's deployment in progress fails to start its tasks at the next advance: the deployment circuit
   * breaker fails it and, when the service has rollback on, rolls back to the previous task definition. */
  failNextRollout(cluster: string, name: string): void;
  /** During the service's next deployment a deployment alarm (`alarmName`, else the first the service watches) goes
   * into ALARM: for a ROLLING deployment while IN_PROGRESS, for BLUE_GREEN, LINEAR and CANARY during BAKE_TIME (with
   * `advance()`, whenever it runs). The service deployment's `alarms` read TRIGGERED; with
   * `deploymentConfiguration.alarms.rollback` it goes ROLLBACK_IN_PROGRESS then ROLLBACK_SUCCESSFUL (traffic and the
   * service's task definition back to the source revision), else STOPPED with the DescribeServices deployment FAILED.
   * A service that does not watch alarms (`alarms.enable` false) ignores it, as ECS does. */
  alarmNextRollout(cluster: string, name: string, alarmName?: string): void;
  /** Finishes what is in flight: deployments roll out (service deployments SUCCESSFUL, whatever their bake times),
   * draining services go INACTIVE, change sets finish computing, stack operations complete (or roll back). */
  advance(): void;
  /** The finer control over rollouts: every service deployment in progress moves one phase forward. A rolling one
   * goes PENDING → IN_PROGRESS → SUCCESSFUL; BLUE_GREEN, LINEAR and CANARY go PENDING, then through the lifecycle
   * stages (RECONCILE_SERVICE when more than one revision runs, PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP,
   * TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT — once for blue/green at 100 %, per step
   * for LINEAR (stepPercent) and CANARY (canaryPercent, then 100 %) — POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME,
   * CLEAN_UP), then SUCCESSFUL. A timed phase (BAKE_TIME for bakeTimeInMinutes, a linear step for
   * stepBakeTimeInMinutes, the canary for canaryBakeTimeInMinutes) stays until the simulator's clock (`now`) shows its
   * time has passed. A rollback in progress completes. The DescribeServices view follows: the deployment COMPLETED
   * when its service deployment is SUCCESSFUL. Returns whether anything moved. */
  stepRollouts(): boolean;
  /** Steps until nothing moves: each service deployment goes as far as the simulator's clock allows (a test or the
   * demo moves its clock, then calls this, as time passing in ECS would). */
  advanceRollouts(): void;
  /** Copies of the service deployments (every status, oldest first). */
  serviceDeployments(): ServiceDeployment[];
  /** Copies of the current state. */
  services(): Service[];
  taskDefinitions(): SimulatedTaskDefinition[];
  stacks(): SimulatedStack[];
  /** Gives the clients their real `send` back. */
  restore(): void;
}

/** CloudFormation publishes no per-API limits; these are generous stand-ins for its read APIs. */
export const CLOUDFORMATION_SIMULATED_RATE_LIMITS = {
  reads: { capacity: 100, refillPerSecond: 10 },
} as const;

interface PendingFault {
  readonly fault: Fault;
  remaining: number;
}

const realSleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

export function createAwsSimulator(options: SimulatorOptions = {}): AwsSimulator {
  const accountId = options.accountId ?? '123456789012';
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? (() => Date.now());
  const sleep = options.sleep ?? realSleep;
  const latencyMs = options.latencyMs ?? 0;
  const context: SimulatorContext = {
    accountId,
    region,
    ids: new IdGenerator(options.seed ?? 1),
    principalArn: options.principalArn ?? `arn:aws:sts::${accountId}:assumed-role/driftless-simulator/simulator`,
    date: () => new Date(now()),
  };
  const ecsBackend = new EcsBackend(context, new Set(options.missingClusters ?? []));
  const cloudFormationBackend = new CloudFormationBackend(context);
  const scalableTargets = new ScalableTargets(context, (cluster, name) =>
    ecsBackend
      .services()
      .some(
        (service) =>
          service.status === 'ACTIVE' && service.serviceName === name && service.clusterArn?.endsWith(`/${cluster}`),
      ),
  );

  // ---------------------------------------------------------------------------------------------- rate limits
  const buckets = new Map<string, TokenBucket>();
  if (options.enforceRateLimits) {
    const bucket = (limit: { capacity: number; refillPerSecond: number }) => new TokenBucket({ ...limit, now, sleep });
    buckets.set('ECS.DescribeServices', bucket(ECS_RATE_LIMITS.describeServices));
    buckets.set('ECS.DescribeTaskDefinition', bucket(ECS_RATE_LIMITS.describeTaskDefinition));
    buckets.set('ECS.RegisterTaskDefinition', bucket(ECS_RATE_LIMITS.registerTaskDefinition));
    const serviceWrites = bucket(ECS_RATE_LIMITS.serviceWrites);
    for (const api of ['ECS.CreateService', 'ECS.UpdateService', 'ECS.DeleteService']) buckets.set(api, serviceWrites);
    for (const api of [
      'CloudFormation.DescribeStacks',
      'CloudFormation.DescribeChangeSet',
      'CloudFormation.GetTemplate',
    ]) {
      buckets.set(api, bucket(CLOUDFORMATION_SIMULATED_RATE_LIMITS.reads));
    }
  }

  // ---------------------------------------------------------------------------------------------- faults
  const faults = new Map<string, PendingFault[]>();
  const takeFault = (api: string): Fault | undefined => {
    const service = api.slice(0, api.indexOf('.'));
    for (const key of [api, `${service}.*`, '*']) {
      const queue = faults.get(key);
      const pending = queue?.[0];
      if (!queue || !pending) continue;
      pending.remaining -= 1;
      if (pending.remaining <= 0) queue.shift();
      return pending.fault;
    }
    return undefined;
  };

  // ---------------------------------------------------------------------------------------------- calls
  const calls: Record<string, number> = {};
  let requestCounter = 0;

  /** One API call: counted, delayed, faulted, rate limited, then answered with copies in and out. */
  const handle =
    <I, O extends object>(service: AwsServiceName, operation: string, handler: (input: I) => O) =>
    async (input: I): Promise<O> => {
      const api = `${service}.${operation}`;
      calls[api] = (calls[api] ?? 0) + 1;
      if (latencyMs > 0) await sleep(latencyMs);
      const fault = takeFault(api);
      if (typeof fault === 'object') await sleep(fault.latencyMs);
      else if (fault === 'throttle') throw throttlingError(service);
      else if (fault === 'server-error') throw serverError(service);
      else if (fault === 'timeout') throw timeoutError(api);
      const bucket = buckets.get(api);
      if (bucket && !bucket.tryTake()) throw throttlingError(service);
      const output = structuredClone(handler(structuredClone(input ?? ({} as I))));
      if (fault === 'timeout-after-apply') throw timeoutError(api);
      requestCounter += 1;
      const requestId = `00000000-0000-4000-a000-${requestCounter.toString(16).padStart(12, '0')}`;
      return { ...output, $metadata: { httpStatusCode: 200, requestId, attempts: 1, totalRetryDelay: 0 } };
    };

  // ---------------------------------------------------------------------------------------------- clients
  const credentials = { accessKeyId: 'SIMULATED', secretAccessKey: 'SIMULATED' };
  const ecs = new ECSClient({ region, credentials });
  const cloudFormation = new CloudFormationClient({ region, credentials });
  const ecsStub = mockClient(ecs);
  const cloudFormationStub = mockClient(cloudFormation);
  const autoScaling = new ApplicationAutoScalingClient({ region, credentials });
  const autoScalingStub = mockClient(autoScaling);

  // Anything not simulated fails loudly rather than answering undefined. Registered first: the specific
  // commands below take precedence over it.
  const unsupported = (service: AwsServiceName, stub: { send: { lastCall?: { args: unknown[] } | null } }) => () => {
    const command = stub.send.lastCall?.args[0];
    const name = typeof command === 'object' && command !== null ? command.constructor.name : 'this command';
    throw new Error(`The AWS simulator does not implement ${service} ${name}`);
  };
  ecsStub.onAnyCommand().callsFake(unsupported('ECS', ecsStub));
  cloudFormationStub.onAnyCommand().callsFake(unsupported('CloudFormation', cloudFormationStub));
  autoScalingStub.onAnyCommand().callsFake(unsupported('ApplicationAutoScaling', autoScalingStub));

  ecsStub
    .on(RegisterTaskDefinitionCommand)
    .callsFake(handle('ECS', 'RegisterTaskDefinition', ecsBackend.registerTaskDefinition.bind(ecsBackend)))
    .on(DescribeTaskDefinitionCommand)
    .callsFake(handle('ECS', 'DescribeTaskDefinition', ecsBackend.describeTaskDefinition.bind(ecsBackend)))
    .on(DeregisterTaskDefinitionCommand)
    .callsFake(handle('ECS', 'DeregisterTaskDefinition', ecsBackend.deregisterTaskDefinition.bind(ecsBackend)))
    .on(CreateServiceCommand)
    .callsFake(handle('ECS', 'CreateService', ecsBackend.createService.bind(ecsBackend)))
    .on(UpdateServiceCommand)
    .callsFake(handle('ECS', 'UpdateService', ecsBackend.updateService.bind(ecsBackend)))
    .on(DeleteServiceCommand)
    .callsFake(handle('ECS', 'DeleteService', ecsBackend.deleteService.bind(ecsBackend)))
    .on(DescribeServicesCommand)
    .callsFake(handle('ECS', 'DescribeServices', ecsBackend.describeServices.bind(ecsBackend)))
    .on(ListServicesCommand)
    .callsFake(handle('ECS', 'ListServices', ecsBackend.listServices.bind(ecsBackend)))
    .on(ListServiceDeploymentsCommand)
    .callsFake(handle('ECS', 'ListServiceDeployments', ecsBackend.listServiceDeployments.bind(ecsBackend)))
    .on(DescribeServiceDeploymentsCommand)
    .callsFake(handle('ECS', 'DescribeServiceDeployments', ecsBackend.describeServiceDeployments.bind(ecsBackend)))
    .on(DescribeServiceRevisionsCommand)
    .callsFake(handle('ECS', 'DescribeServiceRevisions', ecsBackend.describeServiceRevisions.bind(ecsBackend)))
    .on(TagResourceCommand)
    .callsFake(handle('ECS', 'TagResource', ecsBackend.tagResource.bind(ecsBackend)))
    .on(UntagResourceCommand)
    .callsFake(handle('ECS', 'UntagResource', ecsBackend.untagResource.bind(ecsBackend)))
    .on(ListTagsForResourceCommand)
    .callsFake(handle('ECS', 'ListTagsForResource', ecsBackend.listTagsForResource.bind(ecsBackend)));

  const cfn = cloudFormationBackend;
  cloudFormationStub
    .on(CreateChangeSetCommand)
    .callsFake(handle('CloudFormation', 'CreateChangeSet', cfn.createChangeSet.bind(cfn)))
    .on(DescribeChangeSetCommand)
    .callsFake(handle('CloudFormation', 'DescribeChangeSet', cfn.describeChangeSet.bind(cfn)))
    .on(DeleteChangeSetCommand)
    .callsFake(handle('CloudFormation', 'DeleteChangeSet', cfn.deleteChangeSet.bind(cfn)))
    .on(ExecuteChangeSetCommand)
    .callsFake(handle('CloudFormation', 'ExecuteChangeSet', cfn.executeChangeSet.bind(cfn)))
    .on(DescribeStacksCommand)
    .callsFake(handle('CloudFormation', 'DescribeStacks', cfn.describeStacks.bind(cfn)))
    .on(ListStacksCommand)
    .callsFake(handle('CloudFormation', 'ListStacks', cfn.listStacks.bind(cfn)))
    .on(GetTemplateCommand)
    .callsFake(handle('CloudFormation', 'GetTemplate', cfn.getTemplate.bind(cfn)))
    .on(DeleteStackCommand)
    .callsFake(handle('CloudFormation', 'DeleteStack', cfn.deleteStack.bind(cfn)))
    .on(UpdateTerminationProtectionCommand)
    .callsFake(handle('CloudFormation', 'UpdateTerminationProtection', cfn.updateTerminationProtection.bind(cfn)));

  autoScalingStub
    .on(RegisterScalableTargetCommand)
    .callsFake(
      handle('ApplicationAutoScaling', 'RegisterScalableTarget', scalableTargets.register.bind(scalableTargets)),
    )
    .on(DescribeScalableTargetsCommand)
    .callsFake(
      handle('ApplicationAutoScaling', 'DescribeScalableTargets', scalableTargets.describe.bind(scalableTargets)),
    )
    .on(DeregisterScalableTargetCommand)
    .callsFake(
      handle('ApplicationAutoScaling', 'DeregisterScalableTarget', scalableTargets.deregister.bind(scalableTargets)),
    );

  const seedTaskDefinition = (input: RegisterTaskDefinitionRequest) =>
    structuredClone(ecsBackend.register(structuredClone(input)));

  return {
    ecs,
    cloudFormation,
    autoScaling,
    stubs: { ecs: ecsStub, cloudFormation: cloudFormationStub, autoScaling: autoScalingStub },
    calls,
    resetCalls: () => {
      for (const key of Object.keys(calls)) delete calls[key];
    },
    injectFault: (api, fault, times = 1) => {
      if (!(times > 0)) throw new RangeError('a fault is injected for at least one call');
      const queue = faults.get(api) ?? [];
      queue.push({ fault, remaining: times });
      faults.set(api, queue);
    },
    clearFaults: () => faults.clear(),
    seedTaskDefinition,
    seedService: (input) => {
      const { taskDefinition, ...rest } = input;
      const arn =
        typeof taskDefinition === 'string'
          ? taskDefinition
          : (seedTaskDefinition(taskDefinition).taskDefinition.taskDefinitionArn as string);
      return structuredClone(ecsBackend.seedService(structuredClone({ ...rest, taskDefinition: arn })));
    },
    seedStack: (input) => structuredClone(cloudFormationBackend.seedStack(structuredClone(input))),
    driftService: (cluster, name, patch) => patch(ecsBackend.serviceForDrift(cluster, name)),
    failNextRollout: (cluster, name) => ecsBackend.failNextRollout(cluster, name),
    alarmNextRollout: (cluster, name, alarmName) => ecsBackend.alarmNextRollout(cluster, name, alarmName),
    stepRollouts: () => ecsBackend.stepRollouts(),
    advanceRollouts: () => ecsBackend.advanceRollouts(),
    serviceDeployments: () => structuredClone(ecsBackend.serviceDeployments()),
    driftTaskDefinition: (reference, patch) => patch(ecsBackend.taskDefinitionForDrift(reference)),
    driftStack: (name, patch) => patch(cloudFormationBackend.stackForDrift(name)),
    advance: () => {
      ecsBackend.advance();
      cloudFormationBackend.advance();
    },
    services: () => structuredClone(ecsBackend.services()),
    taskDefinitions: () => structuredClone(ecsBackend.taskDefinitions()),
    stacks: () => structuredClone(cloudFormationBackend.stacks()),
    restore: () => {
      ecsStub.restore();
      cloudFormationStub.restore();
      autoScalingStub.restore();
    },
  };
}

/** Every API that changes state, as the simulator counts them: what "no AWS write happened" checks against. */
export const WRITE_APIS: readonly string[] = [
  'ECS.RegisterTaskDefinition',
  'ECS.DeregisterTaskDefinition',
  'ECS.CreateService',
  'ECS.UpdateService',
  'ECS.DeleteService',
  'ECS.TagResource',
  'ECS.UntagResource',
  'CloudFormation.CreateChangeSet',
  'CloudFormation.ExecuteChangeSet',
  'CloudFormation.DeleteChangeSet',
  'CloudFormation.DeleteStack',
  'CloudFormation.UpdateTerminationProtection',
  'ApplicationAutoScaling.RegisterScalableTarget',
  'ApplicationAutoScaling.DeregisterScalableTarget',
];

/** The write calls among `calls`, by API. */
export function writeCalls(calls: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(calls).filter(([api, count]) => WRITE_APIS.includes(api) && count > 0));
}

/** How many writes `calls` holds, of one API or of all. */
export function writeCount(calls: Readonly<Record<string, number>>, api?: string): number {
  return Object.entries(writeCalls(calls))
    .filter(([name]) => api === undefined || name === api)
    .reduce((sum, [, count]) => sum + count, 0);
}
