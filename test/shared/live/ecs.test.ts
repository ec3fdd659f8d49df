import {
  AccessDeniedException,
  ClusterNotFoundException,
  DescribeServicesCommand,
  type DescribeServicesCommandInput,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandOutput,
  ECSClient,
  ECSServiceException,
  ListServicesCommand,
  type ListServicesCommandInput,
  ServerException,
  type Service,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveReadError, LiveUnavailableError } from '../../../shared/errors.ts';
import { EcsLiveReader, type EcsLiveReaderOptions } from '../../../shared/live/ecs.ts';
import { MemoryTaskDefinitionStore } from '../../../shared/live/task-definition-store.ts';
import type { LiveEcsService } from '../../../shared/plan/live-state.ts';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const CLUSTER = 'prod';
const CREATED_AT = new Date('2024-03-01T10:00:00.000Z');
const UPDATED_AT = new Date('2024-03-02T11:30:00.000Z');
const REGISTERED_AT = new Date('2024-02-28T09:15:00.000Z');

function clusterArn(cluster: string): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${cluster}`;
}

function serviceArn(cluster: string, name: string): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${cluster}/${name}`;
}

function taskDefinitionArn(family: string, revision = 1): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
}

/** A DescribeServices `services[]` item shaped like the API reference's example. */
function describedService(cluster: string, name: string, overrides: Partial<Service> = {}): Service {
  const taskDefinition = overrides.taskDefinition ?? taskDefinitionArn(name);
  return {
    serviceArn: serviceArn(cluster, name),
    serviceName: name,
    clusterArn: clusterArn(cluster),
    loadBalancers: [],
    serviceRegistries: [],
    status: 'ACTIVE',
    desiredCount: 2,
    runningCount: 2,
    pendingCount: 0,
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    taskDefinition,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    deployments: [
      {
        id: 'ecs-svc/1234567890123456789',
        status: 'PRIMARY',
        taskDefinition,
        desiredCount: 2,
        pendingCount: 0,
        runningCount: 2,
        failedTasks: 0,
        createdAt: CREATED_AT,
        updatedAt: UPDATED_AT,
        launchType: 'FARGATE',
        rolloutState: 'COMPLETED',
        rolloutStateReason: 'ECS deployment ecs-svc/1234567890123456789 completed.',
      },
    ],
    events: [
      {
        id: 'a1b2c3d4-5678-90ab-cdef-11111EXAMPLE',
        createdAt: UPDATED_AT,
        message: `(service ${name}) has reached a steady state.`,
      },
    ],
    createdAt: CREATED_AT,
    placementConstraints: [],
    placementStrategy: [],
    networkConfiguration: {
      awsvpcConfiguration: { subnets: ['subnet-0123456789abcdef0'], securityGroups: ['sg-0123456789abcdef0'] },
    },
    schedulingStrategy: 'REPLICA',
    enableECSManagedTags: true,
    propagateTags: 'SERVICE',
    enableExecuteCommand: false,
    tags: [{ key: 'driftless:managed-by', value: 'inst-1' }],
    ...overrides,
  };
}

/** A DescribeTaskDefinition response shaped like the API reference's example, with tags at the top level. */
function describedTaskDefinition(arn: string): DescribeTaskDefinitionCommandOutput {
  const family = (arn.split('/').pop() ?? '').split(':')[0] ?? '';
  return {
    $metadata: {},
    taskDefinition: {
      taskDefinitionArn: arn,
      family,
      revision: Number(arn.split(':').pop()),
      containerDefinitions: [
        {
          name: 'app',
          image: 'public.ecr.aws/nginx/nginx:1.27',
          cpu: 0,
          essential: true,
          portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }],
          environment: [],
          mountPoints: [],
          volumesFrom: [],
        },
      ],
      networkMode: 'awsvpc',
      status: 'ACTIVE',
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
      compatibilities: ['EC2', 'FARGATE'],
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      registeredAt: REGISTERED_AT,
      registeredBy: `arn:aws:iam::${ACCOUNT}:role/driftless`,
    },
    tags: [
      { key: 'driftless:managed-by', value: 'inst-1' },
      { key: 'team', value: 'payments' },
    ],
  };
}

function realClient(): ECSClient {
  return new ECSClient({ region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 3 });
}

function reader(options: Omit<EcsLiveReaderOptions, 'client'> = {}): EcsLiveReader {
  return new EcsLiveReader({ client: realClient(), ...options });
}

function throttling(): ECSServiceException {
  return new ECSServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400, attempts: 5 },
    message: 'Rate exceeded',
  });
}

/** A virtual clock: sleeping moves time forward at once. */
function virtualClock() {
  const clock = {
    time: 0,
    now: () => clock.time,
    sleep: async (milliseconds: number) => {
      clock.time += milliseconds;
    },
  };
  return clock;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

function names(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `svc-${String(index).padStart(4, '0')}`);
}

describe('EcsLiveReader', () => {
  const ecs = mockClient(ECSClient);

  afterEach(() => {
    ecs.reset();
  });

  /** DescribeServices answers every requested name as an ACTIVE service on `taskDefinition` (its own when absent). */
  function echoServices(taskDefinition?: string) {
    ecs.on(DescribeServicesCommand).callsFake((input: DescribeServicesCommandInput) => ({
      services: (input.services ?? []).map((name) =>
        describedService(input.cluster ?? 'default', name, taskDefinition ? { taskDefinition } : {}),
      ),
      failures: [],
    }));
  }

  function echoTaskDefinitions() {
    ecs
      .on(DescribeTaskDefinitionCommand)
      .callsFake((input: { taskDefinition: string }) => describedTaskDefinition(input.taskDefinition));
  }

  describe('readServices', () => {
    it('describes 25 services in batches of 10, 10 and 5, each with include TAGS', async () => {
      // Prepare
      echoServices(taskDefinitionArn('shared'));
      echoTaskDefinitions();
      const targets = names(25).map((name) => ({ cluster: CLUSTER, name }));

      // Act
      const live = await reader().readServices(targets);

      // Assess
      expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 3);
      const batches = ecs.commandCalls(DescribeServicesCommand).map((call) => call.args[0].input);
      expect(batches.map((input) => input.services?.length).sort()).toEqual([10, 10, 5].sort());
      for (const input of batches) {
        expect(input.include).toEqual(['TAGS']);
        expect(input.cluster).toBe(CLUSTER);
      }
      expect(batches.flatMap((input) => input.services ?? []).sort()).toEqual(names(25));
      expect(live.resources.size).toBe(25);
      expect(live.absent.size).toBe(0);
      expect(live.missingClusters.size).toBe(0);
    });

    it('returns each service with its task definition and tags, dates as ISO strings, and without its events', async () => {
      // Prepare
      echoServices();
      echoTaskDefinitions();

      // Act
      const live = await reader().readServices([{ cluster: CLUSTER, name: 'web' }]);

      // Assess
      const web = live.resources.get('EcsService:prod/web') as LiveEcsService;
      expect(web).toMatchObject({ kind: 'EcsService', id: 'EcsService:prod/web', cluster: CLUSTER, name: 'web' });
      expect(web.service.createdAt).toBe('2024-03-01T10:00:00.000Z');
      expect(web.service.deployments).toEqual([
        expect.objectContaining({ createdAt: '2024-03-01T10:00:00.000Z', updatedAt: '2024-03-02T11:30:00.000Z' }),
      ]);
      // ECS's last 100 event messages of a service: nothing plans with them, so a sweep does not keep 5,000 of them.
      expect(web.service).not.toHaveProperty('events');
      expect(web.service.tags).toEqual([{ key: 'driftless:managed-by', value: 'inst-1' }]);
      expect(web.taskDefinition).toMatchObject({
        taskDefinitionArn: taskDefinitionArn('web'),
        family: 'web',
        registeredAt: '2024-02-28T09:15:00.000Z',
      });
      expect(web.taskDefinitionTags).toEqual([
        { key: 'driftless:managed-by', value: 'inst-1' },
        { key: 'team', value: 'payments' },
      ]);
      expect(JSON.parse(JSON.stringify(web))).toEqual(web);
      expect(ecs).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, {
        taskDefinition: taskDefinitionArn('web'),
        include: ['TAGS'],
      });
    });

    it('names a service by the last segment of its cluster ARN and passes the ARN on to ECS', async () => {
      // Prepare
      echoServices();
      echoTaskDefinitions();

      // Act
      const live = await reader().readServices([{ cluster: clusterArn(CLUSTER), name: 'web' }]);

      // Assess
      expect([...live.resources.keys()]).toEqual(['EcsService:prod/web']);
      expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, { cluster: clusterArn(CLUSTER) });
    });

    it('reports MISSING and INACTIVE services as absent', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({
        services: [describedService(CLUSTER, 'web'), describedService(CLUSTER, 'old', { status: 'INACTIVE' })],
        failures: [{ arn: serviceArn(CLUSTER, 'gone'), reason: 'MISSING' }],
      });
      echoTaskDefinitions();

      // Act
      const live = await reader().readServices(['web', 'old', 'gone'].map((name) => ({ cluster: CLUSTER, name })));

      // Assess
      expect([...live.resources.keys()]).toEqual(['EcsService:prod/web']);
      expect([...live.absent].sort()).toEqual(['EcsService:prod/gone', 'EcsService:prod/old']);
      expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 1);
    });

    it('reports every service of a cluster that does not exist as absent, and the cluster as missing', async () => {
      // Prepare
      echoServices();
      ecs
        .on(DescribeServicesCommand, { cluster: 'staging' })
        .rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: { httpStatusCode: 400 } }));
      echoTaskDefinitions();

      // Act
      const live = await reader().readServices([
        { cluster: CLUSTER, name: 'web' },
        { cluster: 'staging', name: 'web' },
        { cluster: 'staging', name: 'api' },
      ]);

      // Assess
      expect([...live.resources.keys()]).toEqual(['EcsService:prod/web']);
      expect([...live.absent].sort()).toEqual(['EcsService:staging/api', 'EcsService:staging/web']);
      expect([...live.missingClusters]).toEqual(['staging']);
    });

    it('reads a task definition shared by two services once', async () => {
      // Prepare
      echoServices(taskDefinitionArn('shared', 7));
      echoTaskDefinitions();

      // Act
      const live = await reader().readServices([
        { cluster: CLUSTER, name: 'web' },
        { cluster: CLUSTER, name: 'worker' },
      ]);

      // Assess
      expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 1);
      expect(live.resources.get('EcsService:prod/web')?.kind).toBe('EcsService');
      const [web, worker] = [...live.resources.values()] as LiveEcsService[];
      expect(web?.taskDefinition).toEqual(worker?.taskDefinition);
    });

    it('reads no task definition again on a second read by the same reader', async () => {
      // Prepare
      echoServices();
      echoTaskDefinitions();
      const ecsReader = reader();
      const targets = [
        { cluster: CLUSTER, name: 'web' },
        { cluster: CLUSTER, name: 'worker' },
      ];
      await ecsReader.readServices(targets);
      ecs.resetHistory();

      // Act
      const live = await ecsReader.readServices(targets);

      // Assess
      expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 1);
      expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 0);
      expect(live.resources.size).toBe(2);
    });

    it('shares one DescribeTaskDefinition between concurrent reads of the same revision', async () => {
      // Prepare
      echoServices(taskDefinitionArn('shared', 3));
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      ecs
        .on(DescribeTaskDefinitionCommand)
        .callsFake(async (input: { taskDefinition: string }) =>
          gate.then(() => describedTaskDefinition(input.taskDefinition)),
        );
      const ecsReader = reader();

      // Act
      const reads = Promise.all([
        ecsReader.readServices([{ cluster: CLUSTER, name: 'web' }]),
        ecsReader.readServices([{ cluster: CLUSTER, name: 'worker' }]),
      ]);
      await vi.waitFor(() => expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 2));
      await new Promise((resolve) => setImmediate(resolve));
      release();
      const [first, second] = await reads;

      // Assess
      expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 1);
      expect(first.resources.get('EcsService:prod/web')).toBeDefined();
      expect(second.resources.get('EcsService:prod/worker')).toBeDefined();
    });

    it('paces DescribeServices with its token bucket: 1,000 services take (100 - 80) / 16 s of virtual time', async () => {
      // Prepare
      echoServices(taskDefinitionArn('shared'));
      echoTaskDefinitions();
      const clock = virtualClock();
      const ecsReader = reader({
        now: clock.now,
        sleep: clock.sleep,
        rates: { describeServices: { capacity: 80, refillPerSecond: 16 } },
      });

      // Act
      const live = await ecsReader.readServices(names(1000).map((name) => ({ cluster: CLUSTER, name })));

      // Assess
      expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 100);
      expect(clock.time).toBeGreaterThanOrEqual(((100 - 80) / 16) * 1000);
      expect(clock.time).toBeLessThan(((100 - 80) / 16) * 1000 + 1000);
      expect(live.resources.size).toBe(1000);
    });

    it('paces DescribeTaskDefinition with its own token bucket', async () => {
      // Prepare
      echoServices();
      echoTaskDefinitions();
      const clock = virtualClock();
      const ecsReader = reader({
        now: clock.now,
        sleep: clock.sleep,
        rates: {
          describeServices: { capacity: 1000, refillPerSecond: 1000 },
          describeTaskDefinition: { capacity: 2, refillPerSecond: 4 },
        },
      });

      // Act
      await ecsReader.readServices(names(10).map((name) => ({ cluster: CLUSTER, name })));

      // Assess
      expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 10);
      expect(clock.time).toBeGreaterThanOrEqual(((10 - 2) / 4) * 1000);
    });

    it('describes the task definitions of the first batches before the last batch of services is asked for', async () => {
      // Prepare: DescribeServices is paced (one call a second after the first), DescribeTaskDefinition is not.
      echoServices();
      echoTaskDefinitions();
      const clock = virtualClock();
      const ecsReader = reader({
        now: clock.now,
        sleep: clock.sleep,
        rates: {
          describeServices: { capacity: 1, refillPerSecond: 1 },
          describeTaskDefinition: { capacity: 1000, refillPerSecond: 1000 },
        },
      });

      // Act
      const live = await ecsReader.readServices(names(50).map((name) => ({ cluster: CLUSTER, name })));

      // Assess
      const sent = ecs.calls().map((call) => (call.args[0] as object).constructor.name);
      expect(sent.indexOf('DescribeTaskDefinitionCommand')).toBeLessThan(sent.lastIndexOf('DescribeServicesCommand'));
      expect(sent.filter((name) => name === 'DescribeTaskDefinitionCommand')).toHaveLength(50);
      expect(live.resources.size).toBe(50);
    });

    it('spends the burst without waiting for answers: every token available is a call in flight', async () => {
      // Prepare: no DescribeServices answers until 30 calls are out.
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      ecs.on(DescribeServicesCommand).callsFake(async (input: DescribeServicesCommandInput) => {
        await gate;
        const shared = { taskDefinition: taskDefinitionArn('shared') };
        return {
          services: (input.services ?? []).map((name) => describedService(CLUSTER, name, shared)),
          failures: [],
        };
      });
      echoTaskDefinitions();
      const ecsReader = reader({ rates: { describeServices: { capacity: 30, refillPerSecond: 0.001 } } });

      // Act
      const read = ecsReader.readServices(names(300).map((name) => ({ cluster: CLUSTER, name })));
      await vi.waitFor(() => expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 30));
      release();
      const live = await read;

      // Assess
      expect(live.resources.size).toBe(300);
    });

    it('hands each service to onService once it is whole, before the read ends, as the object it returns', async () => {
      // Prepare
      echoServices();
      echoTaskDefinitions();
      const handed: LiveEcsService[] = [];
      let resolved = false;

      // Act
      const read = reader()
        .readServices(
          names(25).map((name) => ({ cluster: CLUSTER, name })),
          {
            onService: (live) => {
              expect(resolved).toBe(false);
              handed.push(live);
            },
          },
        )
        .then((live) => {
          resolved = true;
          return live;
        });
      const live = await read;

      // Assess
      expect(handed).toHaveLength(25);
      for (const service of handed) expect(live.resources.get(service.id)).toBe(service);
      expect(handed.every((service) => service.taskDefinition.taskDefinitionArn !== undefined)).toBe(true);
    });

    it('reads task definitions from the store a previous reader filled, and gives the same live state', async () => {
      // Prepare
      echoServices();
      echoTaskDefinitions();
      const store = new MemoryTaskDefinitionStore();
      const targets = names(12).map((name) => ({ cluster: CLUSTER, name }));
      const first = await reader({ store }).readServices(targets);
      const withoutStore = await reader().readServices(targets);
      ecs.resetHistory();

      // Act
      const second = await reader({ store }).readServices(targets);

      // Assess
      expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 0);
      expect(store.calls).toEqual({ get: 24, put: 12 });
      expect(second).toEqual(first);
      expect(second).toEqual(withoutStore);
    });

    it('describes a task definition whose stored entry names another ARN, and stores the right one', async () => {
      // Prepare: the entry under web's key describes worker's revision.
      echoServices();
      echoTaskDefinitions();
      const store = new MemoryTaskDefinitionStore();
      const [web, worker] = [taskDefinitionArn('web'), taskDefinitionArn('worker')];
      await reader({ store }).readServices([{ cluster: CLUSTER, name: 'worker' }]);
      store.items.set(`TASKDEF#${web}`, { arn: web, definition: store.items.get(`TASKDEF#${worker}`)!.definition });
      ecs.resetHistory();

      // Act
      const live = await reader({ store }).readServices([{ cluster: CLUSTER, name: 'web' }]);

      // Assess
      expect(ecs).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, { taskDefinition: web });
      const service = live.resources.get('EcsService:prod/web') as LiveEcsService;
      expect(service.taskDefinition.taskDefinitionArn).toBe(web);
      expect(JSON.parse(store.items.get(`TASKDEF#${web}`)!.definition).taskDefinition.taskDefinitionArn).toBe(web);
    });

    it('raises a retryable LiveReadError when throttling outlasts the SDK retries', async () => {
      // Prepare
      const error = throttling();
      ecs.on(DescribeServicesCommand).rejects(error);

      // Act
      const raised = await rejectionOf(reader().readServices([{ cluster: CLUSTER, name: 'web' }]));

      // Assess
      expect(raised).toBeInstanceOf(LiveUnavailableError);
      expect(raised).toMatchObject({ name: 'LiveUnavailableError', retryable: true, cause: error });
      expect((raised as Error).message).toContain('DescribeServices');
      expect((raised as Error).message).toContain(CLUSTER);
    });

    it('raises a retryable LiveReadError on a server error', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).rejects(new ServerException({ message: 'Internal', $metadata: {} }));

      // Act
      const raised = await rejectionOf(reader().readServices([{ cluster: CLUSTER, name: 'web' }]));

      // Assess
      expect(raised).toMatchObject({ name: 'LiveUnavailableError', retryable: true });
    });

    it('raises a terminal LiveReadError when access is denied, never reporting the service absent', async () => {
      // Prepare
      ecs
        .on(DescribeServicesCommand)
        .rejects(new AccessDeniedException({ message: 'not authorized', $metadata: { httpStatusCode: 400 } }));

      // Act
      const raised = await rejectionOf(reader().readServices([{ cluster: CLUSTER, name: 'web' }]));

      // Assess
      expect(raised).toBeInstanceOf(LiveReadError);
      expect(raised).toMatchObject({ retryable: false });
    });

    it('raises a LiveReadError for a failure other than MISSING', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({
        services: [],
        failures: [{ arn: serviceArn(CLUSTER, 'web'), reason: 'ACCESS_DENIED', detail: 'no permission' }],
      });

      // Act
      const raised = await rejectionOf(reader().readServices([{ cluster: CLUSTER, name: 'web' }]));

      // Assess
      expect(raised).toBeInstanceOf(LiveReadError);
      expect((raised as Error).message).toContain('ACCESS_DENIED');
    });

    it('raises a LiveReadError when a task definition read fails, and reads it again on the next call', async () => {
      // Prepare
      echoServices();
      ecs
        .on(DescribeTaskDefinitionCommand)
        .rejectsOnce(throttling())
        .callsFake((input: { taskDefinition: string }) => describedTaskDefinition(input.taskDefinition));
      const ecsReader = reader();
      const targets = [{ cluster: CLUSTER, name: 'web' }];

      // Act
      const raised = await rejectionOf(ecsReader.readServices(targets));
      const live = await ecsReader.readServices(targets);

      // Assess
      expect(raised).toMatchObject({ name: 'LiveUnavailableError', retryable: true });
      expect((raised as Error).message).toContain('DescribeTaskDefinition');
      expect(live.resources.size).toBe(1);
      expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 2);
    });
  });

  describe('listManagedServices', () => {
    it('pages through ListServices and keeps the services tagged with the installation id', async () => {
      // Prepare
      const all = names(12);
      ecs
        .on(ListServicesCommand)
        .callsFake((input: ListServicesCommandInput) =>
          input.nextToken === 'page-2'
            ? { serviceArns: all.slice(7).map((name) => serviceArn(CLUSTER, name)) }
            : { serviceArns: all.slice(0, 7).map((name) => serviceArn(CLUSTER, name)), nextToken: 'page-2' },
        );
      ecs.on(DescribeServicesCommand).callsFake((input: DescribeServicesCommandInput) => ({
        services: (input.services ?? []).map((arn) => {
          const name = arn.split('/').pop() ?? '';
          const index = Number(name.slice(4));
          const tags =
            index % 3 === 0
              ? [{ key: 'driftless:managed-by', value: 'inst-1' }]
              : index % 3 === 1
                ? [{ key: 'driftless:managed-by', value: 'inst-2' }]
                : [];
          return describedService(CLUSTER, name, { tags });
        }),
        failures: [],
      }));

      // Act
      const managed = await reader().listManagedServices(CLUSTER, 'inst-1');

      // Assess
      expect(managed).toEqual(
        ['svc-0000', 'svc-0003', 'svc-0006', 'svc-0009'].map((name) => ({ cluster: CLUSTER, name })),
      );
      expect(ecs).toHaveReceivedCommandTimes(ListServicesCommand, 2);
      expect(ecs).toHaveReceivedNthCommandWith(ListServicesCommand, 1, { cluster: CLUSTER, maxResults: 100 });
      expect(ecs).toHaveReceivedNthCommandWith(ListServicesCommand, 2, {
        cluster: CLUSTER,
        maxResults: 100,
        nextToken: 'page-2',
      });
      const batches = ecs.commandCalls(DescribeServicesCommand).map((call) => call.args[0].input);
      expect(batches.map((input) => input.services?.length).sort()).toEqual([10, 2].sort());
      for (const input of batches) expect(input.include).toEqual(['TAGS']);
    });

    it('finds no managed services in a cluster that does not exist', async () => {
      // Prepare
      ecs
        .on(ListServicesCommand)
        .rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: { httpStatusCode: 400 } }));

      // Act
      const managed = await reader().listManagedServices('staging', 'inst-1');

      // Assess
      expect(managed).toEqual([]);
    });

    it('raises a retryable LiveReadError when ListServices is throttled', async () => {
      // Prepare
      ecs.on(ListServicesCommand).rejects(throttling());

      // Act
      const raised = await rejectionOf(reader().listManagedServices(CLUSTER, 'inst-1'));

      // Assess
      expect(raised).toMatchObject({ name: 'LiveUnavailableError', retryable: true });
      expect((raised as Error).message).toContain('ListServices');
    });
  });
});
