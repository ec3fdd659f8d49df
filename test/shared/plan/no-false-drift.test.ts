/** The "no false drift" corpus: realistic declarations (test/fixtures/no-false-drift) created in the AWS simulator
 * through the real API calls, read back with the real readers and planned. Each must plan as exactly one in-sync
 * action; then each single field changed by hand on the live side must show up as exactly that field. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContainerDefinition, Service, Tag, TaskDefinition } from '@aws-sdk/client-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CloudFormationLiveReader } from '../../../shared/live/cloudformation.ts';
import { EcsLiveReader } from '../../../shared/live/ecs.ts';
import { readLiveState } from '../../../shared/live/read.ts';
import type { FieldChange } from '../../../shared/plan/diff.ts';
import type { Json } from '../../../shared/plan/normalize.ts';
import { buildPlan, type IgnoredDifference, type Plan } from '../../../shared/plan/plan.ts';
import { type AwsSimulator, createAwsSimulator, type SimulatedStack } from '../../../shared/sim/index.ts';
import type { FileEntry, GitSource } from '../../../shared/source/git-source.ts';
import { type Declaration, loadRepository, type RepositorySnapshot } from '../../../shared/spec/repository.ts';
import { seedDeclarations } from '../../support/seed.ts';

const CORPUS = fileURLToPath(new URL('../../fixtures/no-false-drift/', import.meta.url));
const COMMIT = 'c0ffee0000000000000000000000000000000000';
const INSTALLATION = 'driftless-prod';

// ------------------------------------------------------------------------------------------------ the corpus

/** The corpus folder as a repository at one commit, read straight from disk: loadRepository validates it as it
 * would a real one (schema, secret and target checks, templates next to their stacks). */
function folderSource(root: string): GitSource {
  const paths = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length).split('\\').join('/'))
    .sort();
  return {
    description: 'no-false-drift corpus',
    resolveRef: async () => COMMIT,
    listFiles: async (): Promise<FileEntry[]> =>
      paths.map((path) => ({ path, blobId: '0'.repeat(40), type: 'file' as const })),
    readFile: async (_commit, path) => readFileSync(join(root, path)),
    changedFiles: async () => [],
    commitInfo: async () => {
      throw new Error('not needed');
    },
  };
}

/** Every declaration of the corpus by identity. */
const CASES = [
  'CloudFormationStack:platform-ledger-db',
  'CloudFormationStack:platform-orders-queues',
  'EcsService:prod-ec2/batch-worker',
  'EcsService:prod-ec2/billing-legacy',
  'EcsService:prod-ec2/edge-haproxy',
  'EcsService:prod-ec2/node-exporter',
  'EcsService:prod-ec2/payments',
  'EcsService:prod/accounts-blue-green',
  'EcsService:prod/catalog-api',
  'EcsService:prod/catalog-linear',
  'EcsService:prod/checkout',
  'EcsService:prod/checkout-canary',
  'EcsService:prod/frontend',
  'EcsService:prod/image-resizer',
  'EcsService:prod/inventory',
  'EcsService:prod/ledger',
  'EcsService:prod/media-transcoder',
  'EcsService:prod/notifications',
  'EcsService:prod/orders',
  'EcsService:prod/profiles-lattice',
  'EcsService:prod/reports',
  'EcsService:prod/search',
  'EcsService:prod/storefront-web',
] as const;
type CaseId = (typeof CASES)[number];

let snapshot: RepositorySnapshot;

beforeAll(async () => {
  snapshot = await loadRepository(folderSource(CORPUS), { ref: 'main' });
});

function declarationOf(id: CaseId): Declaration {
  const declaration = snapshot.declarations.find((candidate) => candidate.id === id);
  if (!declaration) throw new Error(`the corpus has no declaration ${id}`);
  return declaration;
}

// ------------------------------------------------------------------------------------------------ harness

interface Seeded {
  readonly simulator: AwsSimulator;
  readonly declaration: Declaration;
}

/** A fresh simulator holding `id`, created through the API the way apply would (provenance tags included). */
async function seeded(id: CaseId): Promise<Seeded> {
  const declaration = declarationOf(id);
  const simulator = createAwsSimulator();
  await seedDeclarations(simulator, [declaration], (item) => ({
    installationId: INSTALLATION,
    source: item.location.file,
    commitId: snapshot.commitId,
  }));
  return { simulator, declaration };
}

/** Reads live state with the real readers over the simulator's clients, and plans the one declaration. */
async function planOf({ simulator, declaration }: Seeded): Promise<Plan> {
  const readers = {
    ecs: new EcsLiveReader({ client: simulator.ecs }),
    cloudFormation: new CloudFormationLiveReader({ client: simulator.cloudFormation }),
  };
  const single: RepositorySnapshot = { ...snapshot, declarations: [declaration] };
  const { live } = await readLiveState(single, readers);
  return buildPlan({ snapshot: single, live });
}

// ------------------------------------------------------------------------------------------------ live edits

/** Edits to the live side of one case, through the simulator's drift helpers: what someone does by hand. */
interface Live {
  /** The service as DescribeServices reports it. */
  service(patch: (service: Service) => void): void;
  /** The revision the service runs, and its tags. */
  taskDefinition(patch: (taskDefinition: TaskDefinition, tags: Tag[]) => void): void;
  /** One container of the revision the service runs. */
  container(name: string, patch: (container: ContainerDefinition) => void): void;
  /** The stack, as if someone had updated it in the console. */
  stack(patch: (stack: SimulatedStack) => void): void;
  /** Replaces `from` (which must occur once) in the stack's live template. */
  template(from: string, to: string): void;
}

function liveOf({ simulator, declaration }: Seeded): Live {
  const { cluster, name } =
    declaration.kind === 'EcsService'
      ? declaration.document.metadata
      : { cluster: '', name: declaration.document.metadata.name };
  const taskDefinition = (patch: (taskDefinition: TaskDefinition, tags: Tag[]) => void) => {
    const arn = simulator.services().find((service) => service.serviceName === name)?.taskDefinition;
    if (!arn) throw new Error(`no service ${name} in the simulator`);
    simulator.driftTaskDefinition(arn, (record) => patch(record.taskDefinition, record.tags));
  };
  const stack = (patch: (stack: SimulatedStack) => void) =>
    simulator.driftStack(name, (record) => {
      patch(record);
      record.status = 'UPDATE_COMPLETE';
      record.lastUpdatedTime = new Date();
    });
  return {
    service: (patch) => simulator.driftService(cluster, name, patch),
    taskDefinition,
    container: (containerName, patch) =>
      taskDefinition((definition) => {
        const container = definition.containerDefinitions?.find((candidate) => candidate.name === containerName);
        if (!container) throw new Error(`no container ${containerName} in ${definition.taskDefinitionArn}`);
        patch(container);
      }),
    stack,
    template: (from, to) =>
      stack((record) => {
        record.templateBody = replaceOnce(record.templateBody ?? '', from, to);
      }),
  };
}

function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at === -1 || text.indexOf(from, at + 1) !== -1) throw new Error(`"${from}" does not occur exactly once`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** The first item of `items` whose `key` is `value`; fails the mutation rather than editing nothing. */
function find<T, K extends keyof T>(items: T[] | undefined, key: K, value: T[K]): T {
  const item = items?.find((candidate) => candidate[key] === value);
  if (!item) throw new Error(`no item with ${String(key)} ${String(value)}`);
  return item;
}

function primaryDeployment(service: Service) {
  const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
  if (!primary) throw new Error(`${service.serviceName} has no PRIMARY deployment`);
  return primary;
}

// ------------------------------------------------------------------------------------------------ pointers

/** An RFC 6901 pointer from raw segments, escaped here rather than by the code under test. */
function pointer(...segments: (string | number)[]): string {
  return segments.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
const spec = (...segments: (string | number)[]) => pointer('spec', ...segments);
const taskDef = (...segments: (string | number)[]) => spec('taskDefinition', ...segments);
const container = (name: string, ...segments: (string | number)[]) =>
  taskDef('containerDefinitions', name, ...segments);

// ------------------------------------------------------------------------------------------------ the mutations

interface Mutation {
  readonly case: CaseId;
  /** What was changed by hand, for the test's name. */
  readonly field: string;
  readonly mutate: (live: Live) => void;
  /** The one field the plan must name; left out when the edit must produce no change at all. */
  readonly expectedPath?: string;
  /** Live value; absent when the field is not set live. */
  readonly expectedBefore?: Json;
  /** Declared value; absent when the declaration does not set it. */
  readonly expectedAfter?: Json;
  /** Further changes one edit implies: an item of a keyed list moving to another key, a template default and the
   * parameter value that follows it. */
  readonly alsoExpected?: readonly FieldChange[];
  /** Differences the plan must show as ignored, by rule. */
  readonly expectedIgnored?: readonly IgnoredDifference[];
}

const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const STOREFRONT_TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/storefront-web/6d0ecf831eec9f09';
const INVENTORY_REGISTRY = 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-utcrh6wavdkggqtk';
const SECRETS = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:';
const DEPLOYER = 'arn:aws:iam::123456789012:role/cloudformation/platform-deployer';

const CHECKOUT_TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/';
const ACCOUNTS_TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/accounts-blue/5e6f708192a3b4c5';
const ACCOUNTS_TEST_RULE =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/0f2f7dc8efc522ab/3683b2d02a6cabe1';
const PROFILES_LATTICE_TG = 'arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0a1b2c3d4e5f60718';
/** accounts-blue-green's hooks in canonical form (ECS's defaults filled), the pause hook timing out with `action`. */
function accountsHooks(action: string): Json {
  return [
    {
      hookTargetArn: 'arn:aws:lambda:us-east-1:123456789012:function:accounts-smoke-test',
      roleArn: 'arn:aws:iam::123456789012:role/app/ecs-lifecycle-hooks',
      lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
      hookDetails: { expectStatus: 200, path: '/healthz' },
      targetType: 'AWS_LAMBDA',
      timeoutConfiguration: { action: 'ROLLBACK', timeoutInMinutes: 1440 },
    },
    {
      targetType: 'PAUSE',
      lifecycleStages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'],
      timeoutConfiguration: { action, timeoutInMinutes: 120 },
    },
  ];
}
const MUTATIONS: readonly Mutation[] = [
  // ---------------------------------------------------------------- storefront-web: Fargate behind an ALB
  {
    case: 'EcsService:prod/storefront-web',
    field: 'the image tag',
    mutate: (live) => live.container('web', (c) => (c.image = `${ECR}/storefront-web:2.14.0`)),
    expectedPath: container('web', 'image'),
    expectedBefore: `${ECR}/storefront-web:2.14.0`,
    expectedAfter: `${ECR}/storefront-web:2.14.1`,
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'an environment value',
    mutate: (live) => live.container('web', (c) => (find(c.environment, 'name', 'LOG_LEVEL').value = 'debug')),
    expectedPath: container('web', 'environment', 'LOG_LEVEL'),
    expectedBefore: 'debug',
    expectedAfter: 'info',
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'desiredCount',
    mutate: (live) => live.service((s) => (s.desiredCount = 5)),
    expectedPath: spec('desiredCount'),
    expectedBefore: 5,
    expectedAfter: 3,
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'a security group added',
    mutate: (live) =>
      live.service((s) => s.networkConfiguration?.awsvpcConfiguration?.securityGroups?.push('sg-0123456789abcdef0')),
    expectedPath: spec('networkConfiguration', 'awsvpcConfiguration', 'securityGroups'),
    expectedBefore: ['sg-0123456789abcdef0', 'sg-0d4e5f60718293a4b'],
    expectedAfter: ['sg-0d4e5f60718293a4b'],
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'assignPublicIp',
    mutate: (live) =>
      live.service((s) => {
        if (s.networkConfiguration?.awsvpcConfiguration)
          s.networkConfiguration.awsvpcConfiguration.assignPublicIp = 'ENABLED';
      }),
    expectedPath: spec('networkConfiguration', 'awsvpcConfiguration', 'assignPublicIp'),
    expectedBefore: 'ENABLED',
    expectedAfter: 'DISABLED',
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'the circuit breaker rollback',
    mutate: (live) =>
      live.service((s) => {
        if (s.deploymentConfiguration)
          s.deploymentConfiguration.deploymentCircuitBreaker = { enable: true, rollback: false };
      }),
    expectedPath: spec('deploymentConfiguration', 'deploymentCircuitBreaker', 'rollback'),
    expectedBefore: false,
    expectedAfter: true,
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'healthCheckGracePeriodSeconds',
    mutate: (live) => live.service((s) => (s.healthCheckGracePeriodSeconds = 120)),
    expectedPath: spec('healthCheckGracePeriodSeconds'),
    expectedBefore: 120,
    expectedAfter: 60,
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'the load balancer container port',
    mutate: (live) => live.service((s) => (find(s.loadBalancers, 'containerName', 'web').containerPort = 8081)),
    expectedPath: spec('loadBalancers', `${STOREFRONT_TG}|web|8081`),
    expectedBefore: { targetGroupArn: STOREFRONT_TG, containerName: 'web', containerPort: 8081 },
    alsoExpected: [
      {
        path: spec('loadBalancers', `${STOREFRONT_TG}|web|8080`),
        after: { targetGroupArn: STOREFRONT_TG, containerName: 'web', containerPort: 8080 },
      },
    ],
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'the task cpu',
    mutate: (live) => live.taskDefinition((t) => (t.cpu = '1024')),
    expectedPath: taskDef('cpu'),
    expectedBefore: '1024',
    expectedAfter: '512',
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'the health check interval',
    mutate: (live) =>
      live.container('web', (c) => {
        if (c.healthCheck) c.healthCheck.interval = 30;
      }),
    expectedPath: container('web', 'healthCheck', 'interval'),
    expectedBefore: 30,
    expectedAfter: 15,
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'the awslogs group',
    mutate: (live) =>
      live.container('web', (c) => {
        if (c.logConfiguration?.options) c.logConfiguration.options['awslogs-group'] = '/ecs/prod/storefront';
      }),
    expectedPath: container('web', 'logConfiguration', 'options', 'awslogs-group'),
    expectedBefore: '/ecs/prod/storefront',
    expectedAfter: '/ecs/prod/storefront-web',
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'a pinned platform version',
    mutate: (live) => live.service((s) => (s.platformVersion = '1.3.0')),
    expectedPath: spec('platformVersion'),
    expectedBefore: '1.3.0',
    expectedAfter: 'LATEST',
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'ECS Exec switched on',
    mutate: (live) => live.service((s) => (s.enableExecuteCommand = true)),
    expectedPath: spec('enableExecuteCommand'),
    expectedBefore: true,
    expectedAfter: false,
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'the execution role',
    mutate: (live) =>
      live.taskDefinition((t) => (t.executionRoleArn = 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole')),
    expectedPath: taskDef('executionRoleArn'),
    expectedBefore: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
    expectedAfter: 'arn:aws:iam::123456789012:role/app/storefront-web-execution',
  },

  // ---------------------------------------------------------------- catalog-api: Fargate Spot strategy
  {
    case: 'EcsService:prod/catalog-api',
    field: 'the Spot weight',
    mutate: (live) =>
      live.service((s) => (find(s.capacityProviderStrategy, 'capacityProvider', 'FARGATE_SPOT').weight = 1)),
    expectedPath: spec('capacityProviderStrategy', 'FARGATE_SPOT', 'weight'),
    expectedBefore: 1,
    expectedAfter: 3,
  },
  {
    case: 'EcsService:prod/catalog-api',
    field: 'the on-demand base',
    mutate: (live) => live.service((s) => (find(s.capacityProviderStrategy, 'capacityProvider', 'FARGATE').base = 0)),
    expectedPath: spec('capacityProviderStrategy', 'FARGATE', 'base'),
    expectedBefore: 0,
    expectedAfter: 2,
  },
  {
    case: 'EcsService:prod/catalog-api',
    field: 'the health check interval left to ECS',
    mutate: (live) =>
      live.container('api', (c) => {
        if (c.healthCheck) c.healthCheck.interval = 60;
      }),
    expectedPath: container('api', 'healthCheck', 'interval'),
    expectedBefore: 60,
    expectedAfter: 30,
  },
  {
    case: 'EcsService:prod/catalog-api',
    field: 'the health check retries left to ECS',
    mutate: (live) =>
      live.container('api', (c) => {
        if (c.healthCheck) c.healthCheck.retries = 5;
      }),
    expectedPath: container('api', 'healthCheck', 'retries'),
    expectedBefore: 5,
    expectedAfter: 3,
  },
  {
    case: 'EcsService:prod/catalog-api',
    field: 'stopTimeout',
    mutate: (live) => live.container('api', (c) => (c.stopTimeout = 30)),
    expectedPath: container('api', 'stopTimeout'),
    expectedBefore: 30,
    expectedAfter: 110,
  },
  {
    case: 'EcsService:prod/catalog-api',
    field: 'an environment variable removed',
    mutate: (live) =>
      live.container('api', (c) => (c.environment = c.environment?.filter((v) => v.name !== 'JAVA_TOOL_OPTIONS'))),
    expectedPath: container('api', 'environment', 'JAVA_TOOL_OPTIONS'),
    expectedAfter: '-XX:MaxRAMPercentage=75',
  },

  // ---------------------------------------------------------------- billing-legacy: EC2 bridge
  {
    case: 'EcsService:prod-ec2/billing-legacy',
    field: 'a dynamic host port made static',
    mutate: (live) => live.container('app', (c) => (find(c.portMappings, 'containerPort', 8080).hostPort = 8080)),
    expectedPath: container('app', 'portMappings', '8080/tcp', 'hostPort'),
    expectedBefore: 8080,
    expectedAfter: 0,
  },
  {
    case: 'EcsService:prod-ec2/billing-legacy',
    field: 'memoryReservation',
    mutate: (live) => live.container('app', (c) => (c.memoryReservation = 1024)),
    expectedPath: container('app', 'memoryReservation'),
    expectedBefore: 1024,
    expectedAfter: 768,
  },
  {
    case: 'EcsService:prod-ec2/billing-legacy',
    field: 'the placement strategies swapped',
    mutate: (live) => live.service((s) => s.placementStrategy?.reverse()),
    expectedPath: spec('placementStrategy'),
    expectedBefore: [
      { type: 'binpack', field: 'memory' },
      { type: 'spread', field: 'attribute:ecs.availability-zone' },
    ],
    expectedAfter: [
      { type: 'spread', field: 'attribute:ecs.availability-zone' },
      { type: 'binpack', field: 'memory' },
    ],
  },
  {
    case: 'EcsService:prod-ec2/billing-legacy',
    field: 'a placement constraint expression',
    mutate: (live) =>
      live.service(
        (s) => (find(s.placementConstraints, 'type', 'memberOf').expression = 'attribute:ecs.instance-type =~ m5.*'),
      ),
    expectedPath: spec('placementConstraints'),
    expectedBefore: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ m5.*' }],
    expectedAfter: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ m6i.*' }],
  },
  {
    case: 'EcsService:prod-ec2/billing-legacy',
    field: 'the container links dropped',
    mutate: (live) => live.container('app', (c) => delete c.links),
    expectedPath: container('app', 'links'),
    expectedAfter: ['statsd'],
  },
  {
    case: 'EcsService:prod-ec2/billing-legacy',
    field: 'minimumHealthyPercent',
    mutate: (live) =>
      live.service((s) => {
        if (s.deploymentConfiguration) s.deploymentConfiguration.minimumHealthyPercent = 100;
      }),
    expectedPath: spec('deploymentConfiguration', 'minimumHealthyPercent'),
    expectedBefore: 100,
    expectedAfter: 50,
  },

  // ---------------------------------------------------------------- edge-haproxy: EC2 host networking
  {
    case: 'EcsService:prod-ec2/edge-haproxy',
    field: 'a ulimit',
    mutate: (live) => live.container('haproxy', (c) => (find(c.ulimits, 'name', 'nofile').softLimit = 1024)),
    expectedPath: container('haproxy', 'ulimits', 'nofile', 'softLimit'),
    expectedBefore: 1024,
    expectedAfter: 200000,
  },
  {
    case: 'EcsService:prod-ec2/edge-haproxy',
    field: 'the network mode',
    mutate: (live) => live.taskDefinition((t) => (t.networkMode = 'bridge')),
    expectedPath: taskDef('networkMode'),
    expectedBefore: 'bridge',
    expectedAfter: 'host',
  },
  {
    case: 'EcsService:prod-ec2/edge-haproxy',
    field: 'a kernel parameter',
    mutate: (live) =>
      live.container('haproxy', (c) => (find(c.systemControls, 'namespace', 'net.core.somaxconn').value = '1024')),
    expectedPath: container('haproxy', 'systemControls', 'net.core.somaxconn'),
    expectedBefore: '1024',
    expectedAfter: '4096',
  },
  {
    case: 'EcsService:prod-ec2/edge-haproxy',
    field: 'the container memory limit',
    mutate: (live) => live.container('haproxy', (c) => (c.memory = 256)),
    expectedPath: container('haproxy', 'memory'),
    expectedBefore: 256,
    expectedAfter: 512,
  },
  {
    case: 'EcsService:prod-ec2/edge-haproxy',
    field: 'the awslogs delivery mode',
    mutate: (live) =>
      live.container('haproxy', (c) => {
        if (c.logConfiguration?.options) c.logConfiguration.options.mode = 'blocking';
      }),
    expectedPath: container('haproxy', 'logConfiguration', 'options', 'mode'),
    expectedBefore: 'blocking',
    expectedAfter: 'non-blocking',
  },

  // ---------------------------------------------------------------- payments: awsvpc on EC2
  {
    case: 'EcsService:prod-ec2/payments',
    field: 'initProcessEnabled',
    mutate: (live) =>
      live.container('payments', (c) => {
        if (c.linuxParameters) c.linuxParameters.initProcessEnabled = false;
      }),
    expectedPath: container('payments', 'linuxParameters', 'initProcessEnabled'),
    expectedBefore: false,
    expectedAfter: true,
  },
  {
    case: 'EcsService:prod-ec2/payments',
    field: 'an added Linux capability',
    mutate: (live) => live.container('payments', (c) => c.linuxParameters?.capabilities?.add?.push('NET_ADMIN')),
    expectedPath: container('payments', 'linuxParameters', 'capabilities', 'add'),
    // Capabilities are a set: compared sorted.
    expectedBefore: ['NET_ADMIN', 'SYS_PTRACE'],
    expectedAfter: ['SYS_PTRACE'],
  },
  {
    case: 'EcsService:prod-ec2/payments',
    field: 'a subnet',
    mutate: (live) =>
      live.service((s) => {
        if (s.networkConfiguration?.awsvpcConfiguration) {
          s.networkConfiguration.awsvpcConfiguration.subnets = ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'];
        }
      }),
    expectedPath: spec('networkConfiguration', 'awsvpcConfiguration', 'subnets'),
    expectedBefore: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
    expectedAfter: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b2c3d4e5f6071829'],
  },
  {
    case: 'EcsService:prod-ec2/payments',
    field: 'a Secrets Manager ARN',
    mutate: (live) =>
      live.container(
        'payments',
        (c) => (find(c.secrets, 'name', 'PSP_API_KEY').valueFrom = `${SECRETS}prod/payments/psp-api-key-v2-9TrW1x`),
      ),
    expectedPath: container('payments', 'secrets', 'PSP_API_KEY'),
    expectedBefore: `${SECRETS}prod/payments/psp-api-key-v2-9TrW1x`,
    expectedAfter: `${SECRETS}prod/payments/psp-api-key-7HkQ2m`,
  },
  {
    case: 'EcsService:prod-ec2/payments',
    field: 'the read-only root file system',
    mutate: (live) => live.container('payments', (c) => (c.readonlyRootFilesystem = false)),
    expectedPath: container('payments', 'readonlyRootFilesystem'),
    expectedBefore: false,
    expectedAfter: true,
  },
  {
    case: 'EcsService:prod-ec2/payments',
    field: 'the tmpfs size',
    mutate: (live) =>
      live.container('payments', (c) => {
        const tmpfs = c.linuxParameters?.tmpfs?.[0];
        if (tmpfs) tmpfs.size = 256;
      }),
    // tmpfs mounts are keyed by their container path.
    expectedPath: container('payments', 'linuxParameters', 'tmpfs', '/tmp', 'size'),
    expectedBefore: 256,
    expectedAfter: 128,
  },

  // ---------------------------------------------------------------- orders: Envoy, X-Ray, FireLens
  {
    case: 'EcsService:prod/orders',
    field: 'a dependsOn condition',
    mutate: (live) =>
      live.container('orders', (c) => (find(c.dependsOn, 'containerName', 'envoy').condition = 'START')),
    expectedPath: container('orders', 'dependsOn', 'envoy'),
    expectedBefore: 'START',
    expectedAfter: 'HEALTHY',
  },
  {
    case: 'EcsService:prod/orders',
    field: 'a FireLens option',
    mutate: (live) =>
      live.container('log-router', (c) => {
        if (c.firelensConfiguration?.options) c.firelensConfiguration.options['enable-ecs-log-metadata'] = 'false';
      }),
    expectedPath: container('log-router', 'firelensConfiguration', 'options', 'enable-ecs-log-metadata'),
    expectedBefore: 'false',
    expectedAfter: 'true',
  },
  {
    case: 'EcsService:prod/orders',
    field: 'a log secret option',
    mutate: (live) =>
      live.container(
        'orders',
        (c) =>
          (find(c.logConfiguration?.secretOptions, 'name', 'apikey').valueFrom =
            `${SECRETS}prod/observability/datadog-api-key-old-Q9r8S7`),
      ),
    expectedPath: container('orders', 'logConfiguration', 'secretOptions', 'apikey'),
    expectedBefore: `${SECRETS}prod/observability/datadog-api-key-old-Q9r8S7`,
    expectedAfter: `${SECRETS}prod/observability/datadog-api-key-Xy12Ab`,
  },
  {
    case: 'EcsService:prod/orders',
    field: 'an App Mesh proxy property',
    mutate: (live) =>
      live.taskDefinition((t) => (find(t.proxyConfiguration?.properties, 'name', 'AppPorts').value = '8080,9090')),
    expectedPath: taskDef('proxyConfiguration', 'properties', 'AppPorts'),
    expectedBefore: '8080,9090',
    expectedAfter: '8080',
  },
  {
    case: 'EcsService:prod/orders',
    field: 'the X-Ray daemon made essential',
    mutate: (live) => live.container('xray-daemon', (c) => (c.essential = true)),
    expectedPath: container('xray-daemon', 'essential'),
    expectedBefore: true,
    expectedAfter: false,
  },
  {
    case: 'EcsService:prod/orders',
    field: 'the Envoy image',
    mutate: (live) =>
      live.container(
        'envoy',
        (c) => (c.image = '840364872350.dkr.ecr.us-east-1.amazonaws.com/aws-appmesh-envoy:v1.27.3.0-prod'),
      ),
    expectedPath: container('envoy', 'image'),
    expectedBefore: '840364872350.dkr.ecr.us-east-1.amazonaws.com/aws-appmesh-envoy:v1.27.3.0-prod',
    expectedAfter: '840364872350.dkr.ecr.us-east-1.amazonaws.com/aws-appmesh-envoy:v1.29.6.0-prod',
  },
  {
    case: 'EcsService:prod/orders',
    field: 'the Envoy health check timeout',
    mutate: (live) =>
      live.container('envoy', (c) => {
        if (c.healthCheck) c.healthCheck.timeout = 5;
      }),
    expectedPath: container('envoy', 'healthCheck', 'timeout'),
    expectedBefore: 5,
    expectedAfter: 2,
  },

  // ---------------------------------------------------------------- ledger: secrets and Splunk
  {
    case: 'EcsService:prod/ledger',
    field: 'a Secrets Manager JSON key reference',
    mutate: (live) =>
      live.container(
        'ledger',
        (c) =>
          (find(c.secrets, 'name', 'DB_PASSWORD').valueFrom = `${SECRETS}prod/ledger/db-Q1w2E3:password:AWSPREVIOUS:`),
      ),
    expectedPath: container('ledger', 'secrets', 'DB_PASSWORD'),
    expectedBefore: `${SECRETS}prod/ledger/db-Q1w2E3:password:AWSPREVIOUS:`,
    expectedAfter: `${SECRETS}prod/ledger/db-Q1w2E3:password::`,
  },
  {
    case: 'EcsService:prod/ledger',
    field: 'a bare SSM parameter name',
    mutate: (live) =>
      live.container(
        'ledger',
        (c) => (find(c.secrets, 'name', 'FEATURE_FLAGS_TOKEN').valueFrom = '/prod/ledger/feature-flags-token-v2'),
      ),
    expectedPath: container('ledger', 'secrets', 'FEATURE_FLAGS_TOKEN'),
    expectedBefore: '/prod/ledger/feature-flags-token-v2',
    expectedAfter: '/prod/ledger/feature-flags-token',
  },
  {
    case: 'EcsService:prod/ledger',
    field: 'an SSM parameter ARN',
    mutate: (live) =>
      live.container(
        'ledger',
        (c) =>
          (find(c.secrets, 'name', 'SIGNING_KEY').valueFrom =
            'arn:aws:ssm:us-east-1:123456789012:parameter/staging/ledger/signing-key'),
      ),
    expectedPath: container('ledger', 'secrets', 'SIGNING_KEY'),
    expectedBefore: 'arn:aws:ssm:us-east-1:123456789012:parameter/staging/ledger/signing-key',
    expectedAfter: 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/ledger/signing-key',
  },
  {
    case: 'EcsService:prod/ledger',
    field: 'a secret removed',
    mutate: (live) =>
      live.container('ledger', (c) => (c.secrets = c.secrets?.filter((s) => s.name !== 'STRIPE_API_KEY'))),
    expectedPath: container('ledger', 'secrets', 'STRIPE_API_KEY'),
    expectedAfter: `${SECRETS}prod/ledger/stripe-api-key-Lm4Np6`,
  },
  {
    case: 'EcsService:prod/ledger',
    field: 'the Splunk token secret option',
    mutate: (live) =>
      live.container(
        'ledger',
        (c) =>
          (find(c.logConfiguration?.secretOptions, 'name', 'splunk-token').valueFrom =
            'arn:aws:ssm:us-east-1:123456789012:parameter/prod/ledger/splunk-token'),
      ),
    expectedPath: container('ledger', 'logConfiguration', 'secretOptions', 'splunk-token'),
    expectedBefore: 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/ledger/splunk-token',
    expectedAfter: `${SECRETS}prod/ledger/splunk-hec-token-Zx9Yw8`,
  },
  {
    case: 'EcsService:prod/ledger',
    field: 'a Splunk log option',
    mutate: (live) =>
      live.container('ledger', (c) => {
        if (c.logConfiguration?.options) c.logConfiguration.options['splunk-index'] = 'main';
      }),
    expectedPath: container('ledger', 'logConfiguration', 'options', 'splunk-index'),
    expectedBefore: 'main',
    expectedAfter: 'ledger',
  },

  // ---------------------------------------------------------------- reports: EFS
  {
    case: 'EcsService:prod/reports',
    field: 'an EFS root directory',
    mutate: (live) =>
      live.taskDefinition((t) => {
        const efs = find(t.volumes, 'name', 'archive').efsVolumeConfiguration;
        if (efs) efs.rootDirectory = '/exports';
      }),
    expectedPath: taskDef('volumes', 'archive', 'efsVolumeConfiguration', 'rootDirectory'),
    expectedBefore: '/exports',
    expectedAfter: '/exports/archive',
  },
  {
    case: 'EcsService:prod/reports',
    field: 'EFS transit encryption',
    mutate: (live) =>
      live.taskDefinition((t) => {
        const efs = find(t.volumes, 'name', 'reports-data').efsVolumeConfiguration;
        if (efs) efs.transitEncryption = 'DISABLED';
      }),
    expectedPath: taskDef('volumes', 'reports-data', 'efsVolumeConfiguration', 'transitEncryption'),
    expectedBefore: 'DISABLED',
    expectedAfter: 'ENABLED',
  },
  {
    case: 'EcsService:prod/reports',
    field: 'the EFS access point',
    mutate: (live) =>
      live.taskDefinition((t) => {
        const authorization = find(t.volumes, 'name', 'reports-data').efsVolumeConfiguration?.authorizationConfig;
        if (authorization) authorization.accessPointId = 'fsap-0fedcba9876543210';
      }),
    expectedPath: taskDef('volumes', 'reports-data', 'efsVolumeConfiguration', 'authorizationConfig', 'accessPointId'),
    expectedBefore: 'fsap-0fedcba9876543210',
    expectedAfter: 'fsap-0123456789abcdef0',
  },
  {
    case: 'EcsService:prod/reports',
    field: 'a mount made writable',
    mutate: (live) =>
      live.container('renderer', (c) => (find(c.mountPoints, 'sourceVolume', 'archive').readOnly = false)),
    expectedPath: container('renderer', 'mountPoints', 'archive:/mnt/archive', 'readOnly'),
    expectedAfter: true,
  },

  // ---------------------------------------------------------------- batch-worker: volumes, environment files
  {
    case: 'EcsService:prod-ec2/batch-worker',
    field: 'an environment file',
    mutate: (live) =>
      live.container('worker', (c) => {
        const file = c.environmentFiles?.find((candidate) => candidate.value?.endsWith('/prod.env'));
        if (file) file.value = 'arn:aws:s3:::acme-prod-config/batch-worker/staging.env';
      }),
    expectedPath: container('worker', 'environmentFiles'),
    expectedBefore: [
      { value: 'arn:aws:s3:::acme-prod-config/batch-worker/common.env', type: 's3' },
      { value: 'arn:aws:s3:::acme-prod-config/batch-worker/staging.env', type: 's3' },
    ],
    expectedAfter: [
      { value: 'arn:aws:s3:::acme-prod-config/batch-worker/common.env', type: 's3' },
      { value: 'arn:aws:s3:::acme-prod-config/batch-worker/prod.env', type: 's3' },
    ],
  },
  {
    case: 'EcsService:prod-ec2/batch-worker',
    field: 'a bind mount source path',
    mutate: (live) =>
      live.taskDefinition((t) => (find(t.volumes, 'name', 'host-tmp').host = { sourcePath: '/var/tmp/batch-worker' })),
    expectedPath: taskDef('volumes', 'host-tmp', 'host', 'sourcePath'),
    expectedBefore: '/var/tmp/batch-worker',
    expectedAfter: '/var/lib/batch-worker/tmp',
  },
  {
    case: 'EcsService:prod-ec2/batch-worker',
    field: 'a Docker volume driver option',
    mutate: (live) =>
      live.taskDefinition((t) => {
        const options = find(t.volumes, 'name', 'scratch').dockerVolumeConfiguration?.driverOpts;
        if (options) options.o = 'size=256m';
      }),
    expectedPath: taskDef('volumes', 'scratch', 'dockerVolumeConfiguration', 'driverOpts', 'o'),
    expectedBefore: 'size=256m',
    expectedAfter: 'size=512m',
  },
  {
    case: 'EcsService:prod-ec2/batch-worker',
    field: 'Docker volume auto-provisioning',
    mutate: (live) =>
      live.taskDefinition((t) => {
        const docker = find(t.volumes, 'name', 'model-cache').dockerVolumeConfiguration;
        if (docker) docker.autoprovision = false;
      }),
    expectedPath: taskDef('volumes', 'model-cache', 'dockerVolumeConfiguration', 'autoprovision'),
    expectedBefore: false,
    expectedAfter: true,
  },
  {
    case: 'EcsService:prod-ec2/batch-worker',
    field: 'a ulimit hard limit',
    mutate: (live) => live.container('worker', (c) => (find(c.ulimits, 'name', 'nproc').hardLimit = 4096)),
    expectedPath: container('worker', 'ulimits', 'nproc', 'hardLimit'),
    expectedBefore: 4096,
    expectedAfter: 8192,
  },
  {
    case: 'EcsService:prod-ec2/batch-worker',
    field: 'the command',
    mutate: (live) => live.container('worker', (c) => (c.command = ['worker', '--queue', 'platform-orders'])),
    expectedPath: container('worker', 'command'),
    expectedBefore: ['worker', '--queue', 'platform-orders'],
    expectedAfter: ['worker', '--queue', 'platform-orders', '--concurrency', '8'],
  },

  // ---------------------------------------------------------------- node-exporter: DAEMON
  {
    case: 'EcsService:prod-ec2/node-exporter',
    field: 'minimumHealthyPercent of a daemon',
    mutate: (live) =>
      live.service((s) => {
        if (s.deploymentConfiguration) s.deploymentConfiguration.minimumHealthyPercent = 50;
      }),
    expectedPath: spec('deploymentConfiguration', 'minimumHealthyPercent'),
    expectedBefore: 50,
    expectedAfter: 0,
  },
  {
    case: 'EcsService:prod-ec2/node-exporter',
    field: 'the PID mode',
    mutate: (live) => live.taskDefinition((t) => delete t.pidMode),
    expectedPath: taskDef('pidMode'),
    expectedAfter: 'host',
  },
  {
    case: 'EcsService:prod-ec2/node-exporter',
    field: 'a host volume path',
    mutate: (live) => live.taskDefinition((t) => (find(t.volumes, 'name', 'proc').host = { sourcePath: '/host/proc' })),
    expectedPath: taskDef('volumes', 'proc', 'host', 'sourcePath'),
    expectedBefore: '/host/proc',
    expectedAfter: '/proc',
  },
  {
    case: 'EcsService:prod-ec2/node-exporter',
    field: 'a docker label',
    mutate: (live) =>
      live.container('node-exporter', (c) => {
        if (c.dockerLabels) c.dockerLabels['prometheus.io/port'] = '9101';
      }),
    expectedPath: container('node-exporter', 'dockerLabels', 'prometheus.io/port'),
    expectedBefore: '9101',
    expectedAfter: '9100',
  },

  // ---------------------------------------------------------------- search: Service Connect
  {
    case: 'EcsService:prod/search',
    field: 'a Service Connect client alias port',
    mutate: (live) =>
      live.service((s) => {
        const services = primaryDeployment(s).serviceConnectConfiguration?.services;
        const alias = find(services, 'portName', 'search-http').clientAliases?.[0];
        if (alias) alias.port = 8080;
      }),
    expectedPath: spec('serviceConnectConfiguration', 'services', 'search-http', 'clientAliases'),
    expectedBefore: [{ port: 8080, dnsName: 'search.prod.local' }],
    expectedAfter: [{ port: 80, dnsName: 'search.prod.local' }],
  },
  {
    case: 'EcsService:prod/search',
    field: 'the Service Connect namespace',
    mutate: (live) =>
      live.service((s) => {
        const configuration = primaryDeployment(s).serviceConnectConfiguration;
        if (configuration) {
          configuration.namespace = 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-7mz3v5q2lk8wbx1c';
        }
      }),
    expectedPath: spec('serviceConnectConfiguration', 'namespace'),
    expectedBefore: 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-7mz3v5q2lk8wbx1c',
    expectedAfter: 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-4yq6w2k7xg3pz5hd',
  },
  {
    case: 'EcsService:prod/search',
    field: 'a Service Connect timeout',
    mutate: (live) =>
      live.service((s) => {
        const services = primaryDeployment(s).serviceConnectConfiguration?.services;
        find(services, 'portName', 'search-grpc').timeout = { idleTimeoutSeconds: 60, perRequestTimeoutSeconds: 60 };
      }),
    expectedPath: spec('serviceConnectConfiguration', 'services', 'search-grpc', 'timeout', 'idleTimeoutSeconds'),
    expectedBefore: 60,
    expectedAfter: 300,
  },
  {
    case: 'EcsService:prod/search',
    field: 'a port mapping app protocol',
    mutate: (live) =>
      live.container('search', (c) => (find(c.portMappings, 'containerPort', 8080).appProtocol = 'http2')),
    expectedPath: container('search', 'portMappings', '8080/tcp', 'appProtocol'),
    expectedBefore: 'http2',
    expectedAfter: 'http',
  },
  {
    case: 'EcsService:prod/search',
    field: 'a port mapping name',
    mutate: (live) => live.container('search', (c) => (find(c.portMappings, 'containerPort', 9090).name = 'grpc')),
    expectedPath: container('search', 'portMappings', '9090/tcp', 'name'),
    expectedBefore: 'grpc',
    expectedAfter: 'search-grpc',
  },

  // ---------------------------------------------------------------- inventory: Cloud Map
  {
    case: 'EcsService:prod/inventory',
    field: 'the Cloud Map container port',
    mutate: (live) =>
      live.service((s) => (find(s.serviceRegistries, 'registryArn', INVENTORY_REGISTRY).containerPort = 8081)),
    expectedPath: spec('serviceRegistries', INVENTORY_REGISTRY, 'containerPort'),
    expectedBefore: 8081,
    expectedAfter: 8080,
  },
  {
    case: 'EcsService:prod/inventory',
    field: 'the Cloud Map registry removed',
    mutate: (live) => live.service((s) => (s.serviceRegistries = [])),
    expectedPath: spec('serviceRegistries'),
    expectedAfter: {
      [INVENTORY_REGISTRY]: { registryArn: INVENTORY_REGISTRY, containerName: 'inventory', containerPort: 8080 },
    },
  },

  // ---------------------------------------------------------------- checkout: deployment alarms
  {
    case: 'EcsService:prod/checkout',
    field: 'alarm-based rollback',
    mutate: (live) =>
      live.service((s) => {
        const alarms = s.deploymentConfiguration?.alarms;
        if (alarms) alarms.rollback = false;
      }),
    expectedPath: spec('deploymentConfiguration', 'alarms', 'rollback'),
    expectedBefore: false,
    expectedAfter: true,
  },
  {
    case: 'EcsService:prod/checkout',
    field: 'an alarm removed',
    mutate: (live) =>
      live.service((s) => {
        const alarms = s.deploymentConfiguration?.alarms;
        if (alarms) alarms.alarmNames = ['checkout-5xx-rate'];
      }),
    expectedPath: spec('deploymentConfiguration', 'alarms', 'alarmNames'),
    expectedBefore: ['checkout-5xx-rate'],
    expectedAfter: ['checkout-5xx-rate', 'checkout-p99-latency'],
  },
  {
    case: 'EcsService:prod/checkout',
    field: 'deployment alarms switched off',
    mutate: (live) =>
      live.service((s) => {
        if (s.deploymentConfiguration)
          s.deploymentConfiguration.alarms = { alarmNames: [], enable: false, rollback: false };
      }),
    expectedPath: spec('deploymentConfiguration', 'alarms'),
    expectedAfter: { alarmNames: ['checkout-5xx-rate', 'checkout-p99-latency'], enable: true, rollback: true },
  },
  {
    case: 'EcsService:prod/checkout',
    field: 'maximumPercent',
    mutate: (live) =>
      live.service((s) => {
        if (s.deploymentConfiguration) s.deploymentConfiguration.maximumPercent = 200;
      }),
    expectedPath: spec('deploymentConfiguration', 'maximumPercent'),
    expectedBefore: 200,
    expectedAfter: 150,
  },

  // ---------------------------------------------------------------- notifications: tags
  {
    case: 'EcsService:prod/notifications',
    field: 'a service tag value',
    mutate: (live) => live.service((s) => (find(s.tags, 'key', 'team').value = 'platform')),
    expectedPath: spec('tags', 'team'),
    expectedBefore: 'platform',
    expectedAfter: 'messaging',
  },
  {
    case: 'EcsService:prod/notifications',
    field: 'a service tag added by hand',
    mutate: (live) => live.service((s) => s.tags?.push({ key: 'owner', value: 'alice' })),
    expectedPath: spec('tags', 'owner'),
    expectedBefore: 'alice',
  },
  {
    case: 'EcsService:prod/notifications',
    field: 'propagateTags',
    mutate: (live) => live.service((s) => (s.propagateTags = 'TASK_DEFINITION')),
    expectedPath: spec('propagateTags'),
    expectedBefore: 'TASK_DEFINITION',
    expectedAfter: 'SERVICE',
  },
  {
    case: 'EcsService:prod/notifications',
    field: 'ECS managed tags',
    mutate: (live) => live.service((s) => (s.enableECSManagedTags = false)),
    expectedPath: spec('enableECSManagedTags'),
    expectedBefore: false,
    expectedAfter: true,
  },
  {
    case: 'EcsService:prod/notifications',
    field: 'a task definition tag',
    mutate: (live) => live.taskDefinition((_, tags) => (find(tags, 'key', 'cost-center').value = '9999')),
    expectedPath: taskDef('tags', 'cost-center'),
    expectedBefore: '9999',
    expectedAfter: '4410',
  },

  // ---------------------------------------------------------------- frontend: autoscaled
  {
    case: 'EcsService:prod/frontend',
    field: 'desiredCount moved by Application Auto Scaling',
    mutate: (live) => live.service((s) => (s.desiredCount = 9)),
    expectedIgnored: [{ path: '/spec/desiredCount', before: 9, after: 4, rule: 'autoscaling', source: 'autoscaling' }],
  },
  {
    case: 'EcsService:prod/frontend',
    field: 'the image',
    mutate: (live) => live.container('nginx', (c) => (c.image = `${ECR}/frontend:2024.06.2`)),
    expectedPath: container('nginx', 'image'),
    expectedBefore: `${ECR}/frontend:2024.06.2`,
    expectedAfter: `${ECR}/frontend:2024.06.3`,
  },
  {
    case: 'EcsService:prod/frontend',
    field: 'a health check interval left to ECS',
    mutate: (live) =>
      live.container('nginx', (c) => {
        if (c.healthCheck) c.healthCheck.interval = 10;
      }),
    expectedPath: container('nginx', 'healthCheck', 'interval'),
    expectedBefore: 10,
    expectedAfter: 30,
  },

  // ---------------------------------------------------------------- image-resizer: ARM64, ephemeral storage
  {
    case: 'EcsService:prod/image-resizer',
    field: 'the CPU architecture',
    mutate: (live) =>
      live.taskDefinition((t) => (t.runtimePlatform = { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' })),
    expectedPath: taskDef('runtimePlatform', 'cpuArchitecture'),
    expectedBefore: 'X86_64',
    expectedAfter: 'ARM64',
  },
  {
    case: 'EcsService:prod/image-resizer',
    field: 'the ephemeral storage size',
    mutate: (live) => live.taskDefinition((t) => (t.ephemeralStorage = { sizeInGiB: 21 })),
    expectedPath: taskDef('ephemeralStorage', 'sizeInGiB'),
    expectedBefore: 21,
    expectedAfter: 50,
  },
  {
    case: 'EcsService:prod/image-resizer',
    field: 'the task memory given as "2 GB"',
    mutate: (live) => live.taskDefinition((t) => (t.memory = '4096')),
    expectedPath: taskDef('memory'),
    expectedBefore: '4096',
    expectedAfter: '2048',
  },
  {
    case: 'EcsService:prod/image-resizer',
    field: 'the task cpu given as "1 vCPU"',
    mutate: (live) => live.taskDefinition((t) => (t.cpu = '2048')),
    expectedPath: taskDef('cpu'),
    expectedBefore: '2048',
    expectedAfter: '1024',
  },

  // ---------------------------------------------------------------- platform-ledger-db: YAML template
  {
    case: 'CloudFormationStack:platform-ledger-db',
    field: 'a declared parameter',
    mutate: (live) => live.stack((s) => (s.parameters.Environment = 'staging')),
    expectedPath: spec('parameters', 'Environment'),
    expectedBefore: 'staging',
    expectedAfter: 'prod',
  },
  {
    case: 'CloudFormationStack:platform-ledger-db',
    field: 'a parameter left to its default',
    mutate: (live) => live.stack((s) => (s.parameters.BackupRetentionDays = '7')),
    expectedPath: spec('parameters', 'BackupRetentionDays'),
    expectedBefore: '7',
    expectedAfter: '14',
  },
  {
    case: 'CloudFormationStack:platform-ledger-db',
    field: 'another parameter left to its default',
    mutate: (live) => live.stack((s) => (s.parameters.DbInstanceClass = 'db.r6g.xlarge')),
    expectedPath: spec('parameters', 'DbInstanceClass'),
    expectedBefore: 'db.r6g.xlarge',
    expectedAfter: 'db.r6g.large',
  },
  {
    case: 'CloudFormationStack:platform-ledger-db',
    field: 'a stack tag',
    mutate: (live) => live.stack((s) => (s.tags['cost-center'] = '9999')),
    expectedPath: spec('tags', 'cost-center'),
    expectedBefore: '9999',
    expectedAfter: '4120',
  },
  {
    case: 'CloudFormationStack:platform-ledger-db',
    field: 'a stack tag added by hand',
    mutate: (live) => live.stack((s) => (s.tags.owner = 'bob')),
    expectedPath: spec('tags', 'owner'),
    expectedBefore: 'bob',
  },
  {
    case: 'CloudFormationStack:platform-ledger-db',
    field: 'the service role',
    mutate: (live) => live.stack((s) => (s.roleArn = 'arn:aws:iam::123456789012:role/cloudformation/legacy-deployer')),
    expectedPath: spec('roleArn'),
    expectedBefore: 'arn:aws:iam::123456789012:role/cloudformation/legacy-deployer',
    expectedAfter: DEPLOYER,
  },
  {
    case: 'CloudFormationStack:platform-ledger-db',
    field: 'a template property',
    mutate: (live) => live.template('EngineVersion: "16.3"', 'EngineVersion: "16.4"'),
    expectedPath: spec('template', 'Resources', 'Database', 'Properties', 'EngineVersion'),
    expectedBefore: '16.4',
    expectedAfter: '16.3',
  },
  {
    case: 'CloudFormationStack:platform-ledger-db',
    field: 'a template condition (!Equals)',
    mutate: (live) =>
      live.template('IsProd: !Equals [!Ref Environment, prod]', 'IsProd: !Equals [!Ref Environment, production]'),
    expectedPath: spec('template', 'Conditions', 'IsProd', 'Fn::Equals'),
    expectedBefore: [{ Ref: 'Environment' }, 'production'],
    expectedAfter: [{ Ref: 'Environment' }, 'prod'],
  },
  {
    case: 'CloudFormationStack:platform-ledger-db',
    field: 'an !If branch',
    mutate: (live) =>
      live.template(
        'BackupRetentionPeriod: !If [IsProd, !Ref BackupRetentionDays, 1]',
        'BackupRetentionPeriod: !If [IsProd, !Ref BackupRetentionDays, 0]',
      ),
    expectedPath: spec('template', 'Resources', 'Database', 'Properties', 'BackupRetentionPeriod', 'Fn::If'),
    expectedBefore: ['IsProd', { Ref: 'BackupRetentionDays' }, 0],
    expectedAfter: ['IsProd', { Ref: 'BackupRetentionDays' }, 1],
  },
  {
    case: 'CloudFormationStack:platform-ledger-db',
    field: 'an !Sub string',
    mutate: (live) =>
      live.template(
        'RoleName: !Sub "ledger-${Environment}-db-connect"',
        'RoleName: !Sub "ledger-${Environment}-connect"',
      ),
    expectedPath: spec('template', 'Resources', 'DbConnectRole', 'Properties', 'RoleName', 'Fn::Sub'),
    expectedBefore: 'ledger-${Environment}-connect',
    expectedAfter: 'ledger-${Environment}-db-connect',
  },
  {
    case: 'CloudFormationStack:platform-ledger-db',
    field: 'a !GetAtt replaced by a !Ref',
    mutate: (live) =>
      live.template(
        'VPCSecurityGroups: [!GetAtt DbSecurityGroup.GroupId]',
        'VPCSecurityGroups: [!Ref AppSecurityGroupId]',
      ),
    expectedPath: spec('template', 'Resources', 'Database', 'Properties', 'VPCSecurityGroups'),
    expectedBefore: [{ Ref: 'AppSecurityGroupId' }],
    expectedAfter: [{ 'Fn::GetAtt': ['DbSecurityGroup', 'GroupId'] }],
  },

  // ---------------------------------------------------------------- platform-orders-queues: JSON template
  {
    case: 'CloudFormationStack:platform-orders-queues',
    field: 'a numeric parameter',
    mutate: (live) => live.stack((s) => (s.parameters.VisibilityTimeoutSeconds = '60')),
    expectedPath: spec('parameters', 'VisibilityTimeoutSeconds'),
    expectedBefore: '60',
    expectedAfter: '120',
  },
  {
    case: 'CloudFormationStack:platform-orders-queues',
    field: 'a parameter declared as a YAML boolean',
    mutate: (live) => live.stack((s) => (s.parameters.EnableEncryption = 'false')),
    expectedPath: spec('parameters', 'EnableEncryption'),
    expectedBefore: 'false',
    expectedAfter: 'true',
  },
  {
    case: 'CloudFormationStack:platform-orders-queues',
    field: 'a parameter left to its default',
    mutate: (live) => live.stack((s) => (s.parameters.MessageRetentionSeconds = '86400')),
    expectedPath: spec('parameters', 'MessageRetentionSeconds'),
    expectedBefore: '86400',
    expectedAfter: '345600',
  },
  {
    case: 'CloudFormationStack:platform-orders-queues',
    field: 'a JSON template property',
    mutate: (live) => live.template('"MessageRetentionPeriod": 1209600', '"MessageRetentionPeriod": 604800'),
    expectedPath: spec('template', 'Resources', 'DeadLetterQueue', 'Properties', 'MessageRetentionPeriod'),
    expectedBefore: 604800,
    expectedAfter: 1209600,
  },
  {
    case: 'CloudFormationStack:platform-orders-queues',
    field: 'a JSON template boolean',
    mutate: (live) => live.template('"RawMessageDelivery": true', '"RawMessageDelivery": false'),
    expectedPath: spec('template', 'Resources', 'OrdersSubscription', 'Properties', 'RawMessageDelivery'),
    expectedBefore: false,
    expectedAfter: true,
  },
  {
    case: 'CloudFormationStack:platform-orders-queues',
    field: 'a parameter default, and the value that followed it',
    mutate: (live) => {
      live.template(
        '"MaxReceiveCount": { "Type": "Number", "Default": 5 }',
        '"MaxReceiveCount": { "Type": "Number", "Default": 3 }',
      );
      live.stack((s) => (s.parameters.MaxReceiveCount = '3'));
    },
    expectedPath: spec('parameters', 'MaxReceiveCount'),
    expectedBefore: '3',
    expectedAfter: '5',
    alsoExpected: [{ path: spec('template', 'Parameters', 'MaxReceiveCount', 'Default'), before: 3, after: 5 }],
  },
  {
    case: 'CloudFormationStack:platform-orders-queues',
    field: 'a stack tag value',
    mutate: (live) => live.stack((s) => (s.tags.team = 'fulfilment')),
    expectedPath: spec('tags', 'team'),
    expectedBefore: 'fulfilment',
    expectedAfter: 'orders',
  },
  {
    case: 'CloudFormationStack:platform-orders-queues',
    field: 'a stack tag removed',
    mutate: (live) => live.stack((s) => delete s.tags['cost-center']),
    expectedPath: spec('tags', 'cost-center'),
    expectedAfter: '4300',
  },
  // ---------------------------------------------------------------- checkout-canary: CANARY behind an ALB
  {
    case: 'EcsService:prod/checkout-canary',
    field: 'the canary percentage ECS defaulted',
    mutate: (live) =>
      live.service((s) => {
        if (s.deploymentConfiguration)
          s.deploymentConfiguration.canaryConfiguration = { canaryPercent: 20, canaryBakeTimeInMinutes: 10 };
      }),
    expectedPath: spec('deploymentConfiguration', 'canaryConfiguration', 'canaryPercent'),
    expectedBefore: 20,
    expectedAfter: 5,
  },
  {
    case: 'EcsService:prod/checkout-canary',
    field: 'the alternate target group',
    mutate: (live) =>
      live.service((s) => {
        const advanced = find(s.loadBalancers, 'containerName', 'web').advancedConfiguration;
        if (advanced) advanced.alternateTargetGroupArn = `${CHECKOUT_TG}checkout-old/0a0a0a0a0a0a0a0a`;
      }),
    expectedPath: spec(
      'loadBalancers',
      `${CHECKOUT_TG}checkout-blue/1a2b3c4d5e6f7081|web|8080`,
      'advancedConfiguration',
      'alternateTargetGroupArn',
    ),
    expectedBefore: `${CHECKOUT_TG}checkout-old/0a0a0a0a0a0a0a0a`,
    expectedAfter: `${CHECKOUT_TG}checkout-green/2b3c4d5e6f708192`,
  },
  // ---------------------------------------------------------------- catalog-linear: LINEAR in 20% steps
  {
    case: 'EcsService:prod/catalog-linear',
    field: 'the wait between linear steps',
    mutate: (live) =>
      live.service((s) => {
        if (s.deploymentConfiguration?.linearConfiguration)
          s.deploymentConfiguration.linearConfiguration.stepBakeTimeInMinutes = 1;
      }),
    expectedPath: spec('deploymentConfiguration', 'linearConfiguration', 'stepBakeTimeInMinutes'),
    expectedBefore: 1,
    expectedAfter: 6,
  },
  {
    case: 'EcsService:prod/catalog-linear',
    field: 'the declared step percentage',
    mutate: (live) =>
      live.service((s) => {
        if (s.deploymentConfiguration?.linearConfiguration)
          s.deploymentConfiguration.linearConfiguration.stepPercent = 50;
      }),
    expectedPath: spec('deploymentConfiguration', 'linearConfiguration', 'stepPercent'),
    expectedBefore: 50,
    expectedAfter: 20,
  },
  // ---------------------------------------------------------------- accounts-blue-green: hooks and bake time
  {
    case: 'EcsService:prod/accounts-blue-green',
    field: 'the bake time',
    mutate: (live) =>
      live.service((s) => {
        if (s.deploymentConfiguration) s.deploymentConfiguration.bakeTimeInMinutes = 0;
      }),
    expectedPath: spec('deploymentConfiguration', 'bakeTimeInMinutes'),
    expectedBefore: 0,
    expectedAfter: 15,
  },
  {
    case: 'EcsService:prod/accounts-blue-green',
    field: 'the test listener rule removed',
    mutate: (live) =>
      live.service((s) => {
        const advanced = find(s.loadBalancers, 'containerName', 'app').advancedConfiguration;
        if (advanced) delete advanced.testListenerRule;
      }),
    expectedPath: spec('loadBalancers', `${ACCOUNTS_TG}|app|3000`, 'advancedConfiguration', 'testListenerRule'),
    expectedAfter: ACCOUNTS_TEST_RULE,
  },
  {
    case: 'EcsService:prod/accounts-blue-green',
    field: 'the pause hook timeout action',
    mutate: (live) =>
      live.service((s) => {
        const pause = find(s.deploymentConfiguration?.lifecycleHooks, 'targetType', 'PAUSE');
        pause.timeoutConfiguration = { timeoutInMinutes: 120, action: 'ROLLBACK' };
      }),
    expectedPath: spec('deploymentConfiguration', 'lifecycleHooks'),
    expectedBefore: accountsHooks('ROLLBACK'),
    expectedAfter: accountsHooks('CONTINUE'),
  },
  // ---------------------------------------------------------------- media-transcoder: a managed EBS volume per task
  {
    case: 'EcsService:prod/media-transcoder',
    field: 'the EBS volume size',
    mutate: (live) =>
      live.service((s) => {
        const ebs = find(primaryDeployment(s).volumeConfigurations, 'name', 'scratch').managedEBSVolume;
        if (ebs) ebs.sizeInGiB = 200;
      }),
    expectedPath: spec('volumeConfigurations', 'scratch', 'managedEBSVolume', 'sizeInGiB'),
    expectedBefore: 200,
    expectedAfter: 100,
  },
  {
    case: 'EcsService:prod/media-transcoder',
    field: 'the EBS volume type ECS defaulted',
    mutate: (live) =>
      live.service((s) => {
        const ebs = find(primaryDeployment(s).volumeConfigurations, 'name', 'scratch').managedEBSVolume;
        if (ebs) ebs.volumeType = 'gp2';
      }),
    expectedPath: spec('volumeConfigurations', 'scratch', 'managedEBSVolume', 'volumeType'),
    expectedBefore: 'gp2',
    expectedAfter: 'gp3',
  },
  // ---------------------------------------------------------------- profiles-lattice: a VPC Lattice target group
  {
    case: 'EcsService:prod/profiles-lattice',
    field: 'the VPC Lattice port name',
    mutate: (live) =>
      live.service((s) => {
        find(primaryDeployment(s).vpcLatticeConfigurations, 'portName', 'http').portName = 'admin';
      }),
    expectedPath: spec('vpcLatticeConfigurations', PROFILES_LATTICE_TG, 'portName'),
    expectedBefore: 'admin',
    expectedAfter: 'http',
  },
];

/** Live edits that are not drift: order ECS or CloudFormation does not keep, values it owns, text that parses the
 * same. Each must leave the plan exactly in sync. */
interface NoDrift {
  readonly case: CaseId;
  readonly field: string;
  readonly mutate: (live: Live) => void;
}

const NOT_DRIFT: readonly NoDrift[] = [
  {
    case: 'EcsService:prod/storefront-web',
    field: 'subnets in another order',
    mutate: (live) => live.service((s) => s.networkConfiguration?.awsvpcConfiguration?.subnets?.reverse()),
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'environment variables in another order',
    mutate: (live) => live.container('web', (c) => c.environment?.reverse()),
  },
  {
    case: 'EcsService:prod/storefront-web',
    field: 'running and pending counts, events, a finished deployment',
    mutate: (live) =>
      live.service((s) => {
        s.runningCount = 2;
        s.pendingCount = 1;
        s.events = [{ id: 'e1', createdAt: new Date(), message: '(service storefront-web) has started 1 tasks.' }];
      }),
  },
  {
    case: 'EcsService:prod/checkout-canary',
    field: 'a bake time ECS chose where Git sets none',
    mutate: (live) =>
      live.service((s) => {
        if (s.deploymentConfiguration) s.deploymentConfiguration.bakeTimeInMinutes = 0;
      }),
  },
  {
    case: 'EcsService:prod/accounts-blue-green',
    field: 'lifecycle stages in another order, hook defaults written out',
    mutate: (live) =>
      live.service((s) => {
        const lambda = find(s.deploymentConfiguration?.lifecycleHooks, 'targetType', 'AWS_LAMBDA');
        lambda.lifecycleStages = ['POST_TEST_TRAFFIC_SHIFT'];
        lambda.timeoutConfiguration = { timeoutInMinutes: 1440, action: 'ROLLBACK' };
      }),
  },
  {
    case: 'EcsService:prod/catalog-api',
    field: 'the capacity provider strategy in another order',
    mutate: (live) => live.service((s) => s.capacityProviderStrategy?.reverse()),
  },
  {
    case: 'EcsService:prod/orders',
    field: 'containers in another order',
    mutate: (live) => live.taskDefinition((t) => t.containerDefinitions?.reverse()),
  },
  {
    case: 'EcsService:prod/orders',
    field: 'dependsOn and proxy properties in another order',
    mutate: (live) => {
      live.container('orders', (c) => c.dependsOn?.reverse());
      live.taskDefinition((t) => t.proxyConfiguration?.properties?.reverse());
    },
  },
  {
    case: 'EcsService:prod/ledger',
    field: 'secrets in another order',
    mutate: (live) => live.container('ledger', (c) => c.secrets?.reverse()),
  },
  {
    case: 'EcsService:prod-ec2/batch-worker',
    field: 'volumes, mount points, environment files and ulimits in another order',
    mutate: (live) => {
      live.taskDefinition((t) => t.volumes?.reverse());
      live.container('worker', (c) => {
        c.mountPoints?.reverse();
        c.environmentFiles?.reverse();
        c.ulimits?.reverse();
      });
    },
  },
  {
    case: 'EcsService:prod/reports',
    field: 'readOnly: false written out on a mount',
    mutate: (live) =>
      live.container('renderer', (c) => (find(c.mountPoints, 'sourceVolume', 'reports-data').readOnly = false)),
  },
  {
    case: 'EcsService:prod-ec2/edge-haproxy',
    field: 'port mappings in another order',
    mutate: (live) => live.container('haproxy', (c) => c.portMappings?.reverse()),
  },
  {
    case: 'EcsService:prod-ec2/node-exporter',
    field: 'the desired count ECS sets for a daemon',
    mutate: (live) => live.service((s) => (s.desiredCount = 7)),
  },
  {
    case: 'EcsService:prod/search',
    field: 'Service Connect services in another order',
    mutate: (live) => live.service((s) => primaryDeployment(s).serviceConnectConfiguration?.services?.reverse()),
  },
  {
    case: 'EcsService:prod/checkout',
    field: 'alarm names in another order',
    mutate: (live) => live.service((s) => s.deploymentConfiguration?.alarms?.alarmNames?.reverse()),
  },
  {
    case: 'EcsService:prod/notifications',
    field: 'service tags in another order, and a newer driftless:commit tag',
    mutate: (live) => {
      live.service((s) => {
        s.tags?.reverse();
        find(s.tags, 'key', 'driftless:commit').value = 'feedface00000000000000000000000000000000';
      });
      live.taskDefinition((_, tags) => tags.reverse());
    },
  },
  {
    case: 'CloudFormationStack:platform-ledger-db',
    field: 'the NoEcho password changed (CloudFormation shows ****)',
    mutate: (live) => live.stack((s) => (s.parameters.DbMasterPassword = 'correct-horse-battery-staple-42')),
  },
  {
    case: 'CloudFormationStack:platform-ledger-db',
    field: 'the template written with long-form intrinsics and comments',
    mutate: (live) => {
      live.template(
        'DBInstanceClass: !Ref DbInstanceClass',
        'DBInstanceClass: { Ref: DbInstanceClass } # sized by parameter',
      );
      live.template('MultiAZ: !If [UseMultiAz, true, false]', 'MultiAZ:\n        Fn::If: [UseMultiAz, true, false]');
      live.template(
        'VPCSecurityGroups: [!GetAtt DbSecurityGroup.GroupId]',
        'VPCSecurityGroups:\n        - Fn::GetAtt: [DbSecurityGroup, GroupId]',
      );
    },
  },
  {
    case: 'CloudFormationStack:platform-orders-queues',
    field: 'the JSON template minified',
    mutate: (live) => live.stack((s) => (s.templateBody = JSON.stringify(JSON.parse(s.templateBody ?? '{}')))),
  },
  {
    case: 'CloudFormationStack:platform-orders-queues',
    field: 'parameters and tags in another order',
    mutate: (live) =>
      live.stack((s) => {
        s.parameters = Object.fromEntries(Object.entries(s.parameters).reverse());
        s.tags = Object.fromEntries(Object.entries(s.tags).reverse());
      }),
  },
];

function show(plan: Plan): string {
  return JSON.stringify(plan.actions, null, 2);
}

describe('the no-false-drift corpus', () => {
  it('loads without a single diagnostic, and holds every case', () => {
    expect(snapshot.diagnostics).toEqual([]);
    expect(snapshot.declarations.map((declaration) => declaration.id).sort()).toEqual([...CASES].sort());
  });

  it.each(CASES)('%s plans as in sync right after it is created', async (id) => {
    // Prepare
    const live = await seeded(id);

    // Act
    const plan = await planOf(live);

    // Assess
    try {
      expect(plan.actions).toHaveLength(1);
      const [action] = plan.actions;
      expect(action?.type).toBe('in-sync');
      expect(action?.changes).toEqual([]);
      expect(action?.ignored).toEqual([]);
      expect(plan.hasChanges).toBe(false);
    } catch (error) {
      throw new Error(`${id} is not in sync:\n${show(plan)}`, { cause: error });
    } finally {
      live.simulator.restore();
    }
  });
});

describe('one field changed by hand', () => {
  it('covers every declaration of the corpus', () => {
    expect(new Set(MUTATIONS.map((mutation) => mutation.case))).toEqual(new Set(CASES));
  });

  it.each(MUTATIONS)('$case: $field', async (mutation) => {
    // Prepare
    const live = await seeded(mutation.case);
    mutation.mutate(liveOf(live));
    const expected = [
      ...(mutation.expectedPath === undefined
        ? []
        : [
            {
              path: mutation.expectedPath,
              ...(mutation.expectedBefore === undefined ? {} : { before: mutation.expectedBefore }),
              ...(mutation.expectedAfter === undefined ? {} : { after: mutation.expectedAfter }),
            },
          ]),
      ...(mutation.alsoExpected ?? []),
    ];

    // Act
    const plan = await planOf(live);

    // Assess
    try {
      expect(plan.actions.every((action) => action.id === mutation.case)).toBe(true);
      expect(byPath(plan.actions.flatMap((action) => action.changes))).toEqual(byPath(expected));
      expect(plan.actions.flatMap((action) => action.ignored)).toEqual(mutation.expectedIgnored ?? []);
      if (expected.length === 0) expect(plan.actions.map((action) => action.type)).toEqual(['in-sync']);
      else expect(plan.actions.some((action) => action.type === 'in-sync')).toBe(false);
    } catch (error) {
      throw new Error(`${mutation.case}, ${mutation.field}:\n${show(plan)}`, { cause: error });
    } finally {
      live.simulator.restore();
    }
  });
});

describe('live differences that are not drift', () => {
  it.each(NOT_DRIFT)('$case: $field', async (mutation) => {
    // Prepare
    const live = await seeded(mutation.case);
    mutation.mutate(liveOf(live));

    // Act
    const plan = await planOf(live);

    // Assess
    try {
      expect(plan.actions).toHaveLength(1);
      expect(plan.actions[0]?.type).toBe('in-sync');
      expect(plan.actions[0]?.changes).toEqual([]);
      expect(plan.actions[0]?.ignored).toEqual([]);
    } catch (error) {
      throw new Error(`${mutation.case}, ${mutation.field}:\n${show(plan)}`, { cause: error });
    } finally {
      live.simulator.restore();
    }
  });
});

function byPath(changes: readonly FieldChange[]): FieldChange[] {
  return [...changes].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
