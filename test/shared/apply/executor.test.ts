import { CreateChangeSetCommand, DescribeChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApplyOptions, type ApplyResult, applyPlan } from '../../../shared/apply/executor.ts';
import type { LedgerEntry, RunContext } from '../../../shared/audit/ledger.ts';
import { LedgerWriteError, LockLostError } from '../../../shared/errors.ts';
import { CloudFormationLiveReader } from '../../../shared/live/cloudformation.ts';
import { EcsLiveReader } from '../../../shared/live/ecs.ts';
import { readLiveState } from '../../../shared/live/read.ts';
import { buildPlan, type ManagedResource } from '../../../shared/plan/plan.ts';
import { type AwsSimulator, createAwsSimulator, writeCalls } from '../../../shared/sim/index.ts';
import { MemoryLedger } from '../../../shared/sim/memory-ledger.ts';
import type { EcsServiceDeclaration, RepositorySnapshot } from '../../../shared/spec/repository.ts';
import { seedService } from '../../support/seed.ts';
import { snapshotOf } from '../../support/snapshots.ts';

// ------------------------------------------------------------------------------------------------ fixtures

const INSTALLATION = 'driftless-test';
const START = Date.parse('2026-03-01T00:00:00Z');
const COMMIT_1 = 'c0ffee0000000000000000000000000000000001';
const COMMIT_2 = 'c0ffee0000000000000000000000000000000002';
const COMMIT_3 = 'c0ffee0000000000000000000000000000000003';
const WEB = 'EcsService:prod/web';
const API = 'EcsService:prod/api';
const NETWORK = 'CloudFormationStack:platform-network';

function settingsYaml(sync = ''): string {
  return `apiVersion: driftless/v1
kind: Settings
spec:
  targets: { clusters: [prod], stackNamePrefix: platform-, roleArnPatterns: ['arn:aws:iam::123456789012:role/app/*'] }
${sync}`;
}

interface ServiceOptions {
  readonly image?: string;
  readonly desiredCount?: number;
  readonly tags?: string;
  readonly extraSpec?: string;
  readonly sync?: string;
}

function serviceYaml(name: string, options: ServiceOptions = {}): string {
  return `apiVersion: driftless/v1
kind: EcsService
metadata: { name: ${name}, cluster: prod }
spec:
  desiredCount: ${options.desiredCount ?? 2}
  launchType: FARGATE
  networkConfiguration: { awsvpcConfiguration: { subnets: [subnet-a, subnet-b], securityGroups: [sg-1] } }
  deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } }
  tags: ${options.tags ?? '[{ key: team, value: storefront }]'}
${options.extraSpec ?? ''}  taskDefinition:
    family: ${name}
    cpu: "256"
    memory: "512"
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    containerDefinitions:
      - name: ${name}
        image: ${options.image ?? `${name}:1.0.0`}
        portMappings: [{ containerPort: 8080 }]
        environment: [{ name: LOG_LEVEL, value: info }]
sync: ${options.sync ?? '{ wave: 1 }'}
`;
}

function stackYaml(name: string, options: { cidr?: string; template?: string; sync?: string } = {}): string {
  return `apiVersion: driftless/v1
kind: CloudFormationStack
metadata: { name: ${name} }
spec:
  template: ${options.template ?? 'network.template.yaml'}
  parameters: { VpcCidr: ${options.cidr ?? '10.0.0.0/16'} }
  tags: { team: platform }
sync: ${options.sync ?? '{ wave: 0 }'}
`;
}

const TEMPLATES = {
  'network.template.yaml': `Parameters:
  VpcCidr: { Type: String }
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: { CidrBlock: !Ref VpcCidr }
`,
  // Needs CAPABILITY_IAM, which the declaration does not grant: CreateChangeSet fails.
  'iam.template.yaml': `Parameters:
  VpcCidr: { Type: String }
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: { AssumeRolePolicyDocument: { Version: "2012-10-17", Statement: [] } }
`,
};

function snapshot(
  files: Record<string, string>,
  options: { commitId?: string; settings?: string; pruneBlocked?: boolean } = {},
): RepositorySnapshot {
  return {
    ...snapshotOf(files, {
      templates: TEMPLATES,
      settings: options.settings ?? settingsYaml(),
      ...(options.pruneBlocked === undefined ? {} : { pruneBlocked: options.pruneBlocked }),
    }),
    commitId: options.commitId ?? COMMIT_1,
  };
}

// ------------------------------------------------------------------------------------------------ harness

interface Env {
  readonly simulator: AwsSimulator;
  readonly ledger: MemoryLedger;
  readonly now: () => number;
  readonly sleep: (milliseconds: number) => Promise<void>;
}

const simulators: AwsSimulator[] = [];
afterEach(() => {
  for (const simulator of simulators.splice(0)) simulator.restore();
});

/** A simulator and a ledger on one virtual clock: backoff, polling and token buckets take no real time. */
function environment(): Env {
  let time = START;
  const now = () => time;
  const sleep = async (milliseconds: number) => {
    time += milliseconds;
  };
  const simulator = createAwsSimulator({ now, sleep });
  simulators.push(simulator);
  return { simulator, ledger: new MemoryLedger(), now, sleep };
}

function runContext(snapshot: RepositorySnapshot, dryRun = false): RunContext {
  return {
    runId: `run-${snapshot.commitId.slice(-4)}`,
    trigger: 'push',
    repository: 'platform-config',
    branch: 'main',
    commitId: snapshot.commitId,
    commitMessage: 'change things',
    dryRun,
  };
}

type Planned = Awaited<ReturnType<typeof planFor>>;

async function planFor(env: Env, snapshot: RepositorySnapshot, managedOverride?: readonly ManagedResource[]) {
  const readers = {
    ecs: new EcsLiveReader({ client: env.simulator.ecs, now: env.now, sleep: env.sleep }),
    cloudFormation: new CloudFormationLiveReader({ client: env.simulator.cloudFormation }),
  };
  const read = await readLiveState(snapshot, readers, { installationId: INSTALLATION });
  const managed = managedOverride ?? read.managed ?? [];
  return { plan: buildPlan({ snapshot, live: read.live, managed }), live: read.live, managed };
}

interface ApplyExtras {
  readonly options?: ApplyOptions;
  readonly guard?: () => Promise<void>;
  readonly planned?: Planned;
  readonly managed?: readonly ManagedResource[];
}

async function apply(env: Env, snapshot: RepositorySnapshot, extras: ApplyExtras = {}) {
  const planned = extras.planned ?? (await planFor(env, snapshot, extras.managed));
  const result = await applyPlan({
    plan: planned.plan,
    snapshot,
    live: planned.live,
    clients: { ecs: env.simulator.ecs, cloudFormation: env.simulator.cloudFormation },
    ledger: env.ledger,
    run: runContext(snapshot, extras.options?.dryRun ?? false),
    installationId: INSTALLATION,
    now: env.now,
    sleep: env.sleep,
    random: () => 0.5,
    options: { managedCount: planned.managed.length, ...extras.options },
    ...(extras.guard ? { guard: extras.guard } : {}),
  });
  return { ...planned, result };
}

/** Applies, then lets the simulator finish rollouts and stack operations. */
async function converge(env: Env, snapshot: RepositorySnapshot): Promise<ApplyResult> {
  const { result } = await apply(env, snapshot);
  env.simulator.advance();
  return result;
}

function writes(simulator: AwsSimulator): Record<string, number> {
  return writeCalls(simulator.calls);
}

function outcomeOf(result: ApplyResult, id: string) {
  const resource = result.resources.find((candidate) => candidate.id === id);
  if (!resource) throw new Error(`no result for ${id}`);
  return resource;
}

/** Every intent has one outcome with its actionId, recorded after it. */
function expectIntentsPaired(ledger: MemoryLedger): void {
  for (const intent of ledger.intents()) {
    const outcomes = ledger.entries.filter((entry) => entry.kind === 'outcome' && entry.actionId === intent.actionId);
    expect(outcomes, `outcome of ${intent.action} on ${intent.resourceId}`).toHaveLength(1);
    expect(ledger.entries.indexOf(outcomes[0]!)).toBeGreaterThan(ledger.entries.indexOf(intent));
  }
}

/** The latest outcome of `action` on `resourceId`. */
function outcomeFor(ledger: MemoryLedger, resourceId: string, action: LedgerEntry['action']): LedgerEntry {
  const entry = ledger
    .outcomes()
    .findLast((candidate) => candidate.resourceId === resourceId && candidate.action === action);
  if (!entry) throw new Error(`no ${action} outcome for ${resourceId}`);
  return entry;
}

// ------------------------------------------------------------------------------------------------ tests

describe('applyPlan', () => {
  describe('creating and updating', () => {
    it('creates a service and a stack from nothing, with an intent and an outcome per write', async () => {
      // Prepare
      const env = environment();
      const desired = snapshot({ 'web.yaml': serviceYaml('web'), 'network.yaml': stackYaml('platform-network') });

      // Act
      const { result } = await apply(env, desired);

      // Assess
      expect(outcomeOf(result, WEB).outcome).toBe('applied');
      expect(outcomeOf(result, NETWORK).outcome).toBe('applied');
      expect(result.counts.applied).toBe(2);
      expect(writes(env.simulator)).toEqual({
        'ECS.RegisterTaskDefinition': 1,
        'ECS.CreateService': 1,
        'CloudFormation.CreateChangeSet': 1,
        'CloudFormation.ExecuteChangeSet': 1,
      });
      const service = env.simulator.services().find((candidate) => candidate.serviceName === 'web');
      expect(service?.status).toBe('ACTIVE');
      expect(service?.tags).toEqual(
        expect.arrayContaining([
          { key: 'team', value: 'storefront' },
          { key: 'driftless:managed-by', value: INSTALLATION },
          { key: 'driftless:commit', value: COMMIT_1 },
          { key: 'driftless:source', value: 'web.yaml' },
        ]),
      );
      expect(env.simulator.stacks().map((stack) => [stack.stackName, stack.status])).toEqual([
        ['platform-network', 'CREATE_IN_PROGRESS'],
      ]);

      expect(env.ledger.intents().map((entry) => [entry.resourceId, entry.action])).toEqual([
        [NETWORK, 'CreateChangeSet'],
        [NETWORK, 'ExecuteChangeSet'],
        [WEB, 'RegisterTaskDefinition'],
        [WEB, 'CreateService'],
      ]);
      expectIntentsPaired(env.ledger);
      expect(env.ledger.outcomes().every((entry) => entry.result === 'succeeded')).toBe(true);
      const register = outcomeFor(env.ledger, WEB, 'RegisterTaskDefinition');
      const create = outcomeFor(env.ledger, WEB, 'CreateService');
      expect(register.references?.taskDefinitionArn).toBe(service?.taskDefinition);
      expect(create.references).toEqual({
        serviceArn: service?.serviceArn,
        taskDefinitionArn: service?.taskDefinition,
        deploymentId: service?.deployments?.[0]?.id,
        serviceDeploymentArn: env.simulator.serviceDeployments()[0]?.serviceDeploymentArn,
      });
      expect(env.simulator.calls['ECS.ListServiceDeployments']).toBe(1);
      expect(create.references?.deploymentId).toMatch(/^ecs-svc\//);
      const stack = env.simulator.stacks()[0]!;
      expect(outcomeFor(env.ledger, NETWORK, 'ExecuteChangeSet').references).toEqual({
        changeSetArn: expect.stringContaining(':changeSet/driftless-c0ffee000000-'),
        stackId: stack.stackId,
      });
      const intent = env.ledger.intents()[0]!;
      expect(intent).toMatchObject({
        runId: 'run-0001',
        trigger: 'push',
        repository: 'platform-config',
        branch: 'main',
        commitId: COMMIT_1,
        dryRun: false,
        time: '2026-03-01T00:00:00.000Z',
      });
      expect(intent).not.toHaveProperty('commitMessage');
      expect(intent.changes?.length).toBeGreaterThan(0);
      expect(outcomeOf(result, WEB).references?.deploymentId).toBe(create.references?.deploymentId);
    });

    it('converges: after apply and advance, the next plan has nothing to do', async () => {
      // Prepare
      const env = environment();
      const first = snapshot({
        'web.yaml': serviceYaml('web'),
        'api.yaml': serviceYaml('api'),
        'network.yaml': stackYaml('platform-network'),
      });
      const second = snapshot(
        {
          'web.yaml': serviceYaml('web', { image: 'web:1.1.0', desiredCount: 3 }),
          'api.yaml': serviceYaml('api', { tags: '[{ key: team, value: payments }]' }),
          'network.yaml': stackYaml('platform-network', { cidr: '10.1.0.0/16' }),
        },
        { commitId: COMMIT_2 },
      );

      // Act
      await converge(env, first);
      const afterFirst = await planFor(env, first);
      const secondResult = await converge(env, second);
      const afterSecond = await planFor(env, second);

      // Assess
      expect(afterFirst.plan.hasChanges).toBe(false);
      expect(secondResult.counts).toMatchObject({ applied: 3, failed: 0 });
      expect(afterSecond.plan.hasChanges).toBe(false);
      expect(afterSecond.plan.summary).toMatchObject({ inSync: 3, update: 0 });
    });

    it('rolls out an image change with exactly one RegisterTaskDefinition and one UpdateService', async () => {
      // Prepare
      const env = environment();
      await converge(env, snapshot({ 'web.yaml': serviceYaml('web') }));
      env.simulator.resetCalls();
      const revisionsBefore = env.simulator.taskDefinitions().length;

      // Act
      const { result } = await apply(
        env,
        snapshot({ 'web.yaml': serviceYaml('web', { image: 'web:2.0.0' }) }, { commitId: COMMIT_2 }),
      );

      // Assess
      expect(outcomeOf(result, WEB).outcome).toBe('applied');
      expect(writes(env.simulator)).toEqual({
        'ECS.RegisterTaskDefinition': 1,
        'ECS.UpdateService': 1,
        'ECS.TagResource': 1,
      });
      expect(env.simulator.taskDefinitions()).toHaveLength(revisionsBefore + 1);
      const service = env.simulator.services()[0]!;
      expect(service.taskDefinition).toMatch(/task-definition\/web:2$/);
      const primary = service.deployments?.find((deployment) => deployment.status === 'PRIMARY');
      expect(outcomeFor(env.ledger, WEB, 'RegisterTaskDefinition').references?.taskDefinitionArn).toBe(
        service.taskDefinition,
      );
      const update = env.ledger.outcomes().filter((entry) => entry.action === 'UpdateService' && !entry.reason);
      expect(update.at(-1)?.references).toMatchObject({
        deploymentId: primary?.id,
        serviceArn: service.serviceArn,
        // The rollout this update started, not the one the create started.
        serviceDeploymentArn: env.simulator.serviceDeployments().at(-1)?.serviceDeploymentArn,
      });
      expect(env.simulator.serviceDeployments()).toHaveLength(2);
      expect(service.tags).toContainEqual({ key: 'driftless:commit', value: COMMIT_2 });
    });

    it('records the update without its rollout, and says so, when ListServiceDeployments keeps failing', async () => {
      // Prepare
      const env = environment();
      await converge(env, snapshot({ 'web.yaml': serviceYaml('web') }));
      env.simulator.resetCalls();
      env.simulator.injectFault('ECS.ListServiceDeployments', 'server-error', 10);

      // Act
      const { result } = await apply(
        env,
        snapshot({ 'web.yaml': serviceYaml('web', { image: 'web:2.0.0' }) }, { commitId: COMMIT_2 }),
        { options: { maxAttempts: 3 } },
      );

      // Assess: the write happened, so it succeeded; the lookup was retried as reads are, then given up.
      expect(outcomeOf(result, WEB).outcome).toBe('applied');
      expect(env.simulator.calls['ECS.UpdateService']).toBe(1);
      expect(env.simulator.calls['ECS.ListServiceDeployments']).toBe(3);
      const update = outcomeFor(env.ledger, WEB, 'UpdateService');
      expect(update.result).toBe('succeeded');
      expect(update.references).not.toHaveProperty('serviceDeploymentArn');
      expect(update.references?.deploymentId).toMatch(/^ecs-svc\//);
      expect(update.reason).toMatch(/^rollout not recorded: ListServiceDeployments failed: /);
      expectIntentsPaired(env.ledger);
    });

    it('leaves desiredCount and other ignored fields out of UpdateService', async () => {
      // Prepare
      const env = environment();
      const settings = settingsYaml(
        '  sync: { ignore: { EcsService: [/spec/desiredCount, /spec/enableExecuteCommand] } }',
      );
      await converge(env, snapshot({ 'web.yaml': serviceYaml('web') }, { settings }));
      env.simulator.driftService('prod', 'web', (service) => {
        service.desiredCount = 7;
      });

      // Act
      await apply(
        env,
        snapshot(
          { 'web.yaml': serviceYaml('web', { image: 'web:2.0.0', extraSpec: '  enableExecuteCommand: false\n' }) },
          { commitId: COMMIT_2, settings },
        ),
      );

      // Assess
      const input = env.simulator.stubs.ecs.commandCalls(UpdateServiceCommand).at(-1)?.args[0].input;
      expect(input).toBeDefined();
      expect(input).not.toHaveProperty('desiredCount');
      expect(input).not.toHaveProperty('enableExecuteCommand');
      expect(input?.taskDefinition).toMatch(/web:2$/);
      expect(env.simulator.services()[0]?.desiredCount).toBe(7);
    });

    it('tags a service whose tags alone changed without UpdateService, and removes tags no longer declared', async () => {
      // Prepare
      const env = environment();
      const tagged = '[{ key: team, value: storefront }, { key: owner, value: alice }]';
      await converge(env, snapshot({ 'web.yaml': serviceYaml('web', { tags: tagged }) }));
      env.simulator.resetCalls();
      const entries = env.ledger.entries.length;
      const desired = snapshot({ 'web.yaml': serviceYaml('web') }, { commitId: COMMIT_2 });

      // Act
      const { result } = await apply(env, desired);
      env.simulator.advance();

      // Assess
      expect(outcomeOf(result, WEB).outcome).toBe('applied');
      expect(writes(env.simulator)).toEqual({ 'ECS.TagResource': 1, 'ECS.UntagResource': 1 });
      expect(env.simulator.services()[0]?.tags?.map((tag) => tag.key)).not.toContain('owner');
      const intents = env.ledger.entries.slice(entries).filter((entry) => entry.kind === 'intent');
      expect(intents.map((entry) => entry.reason)).toEqual([
        'the declared tags and driftless provenance',
        'tags no longer declared: owner',
      ]);
      expect((await planFor(env, desired)).plan.hasChanges).toBe(false);
    });

    it('passes DeploymentMode REVERT_DRIFT on UPDATE change sets when selfHeal is on, and not otherwise', async () => {
      // Prepare
      const env = environment();
      const files = (cidr: string, sync: string) => ({
        'network.yaml': stackYaml('platform-network', { cidr, sync }),
      });
      await converge(env, snapshot(files('10.0.0.0/16', '{ wave: 0 }')));
      const calls = () => env.simulator.stubs.cloudFormation.commandCalls(CreateChangeSetCommand);

      // Act
      await converge(env, snapshot(files('10.1.0.0/16', '{ wave: 0 }'), { commitId: COMMIT_2 }));
      await converge(env, snapshot(files('10.2.0.0/16', '{ wave: 0, selfHeal: false }'), { commitId: COMMIT_3 }));

      // Assess
      const inputs = calls().map((call) => call.args[0].input);
      expect(inputs.map((input) => [input.ChangeSetType, input.DeploymentMode])).toEqual([
        ['CREATE', undefined],
        ['UPDATE', 'REVERT_DRIFT'],
        ['UPDATE', undefined],
      ]);
    });
  });

  describe('termination protection', () => {
    it('sets termination protection with its own call, since a change set cannot, and converges', async () => {
      // Prepare
      const env = environment();
      const protectedStack = stackYaml('platform-network').replace(
        '  tags: { team: platform }',
        '  tags: { team: platform }\n  terminationProtection: true',
      );
      const desired = snapshot({ 'network.yaml': protectedStack });

      // Act
      await apply(env, desired);
      env.simulator.advance();
      env.simulator.driftStack('platform-network', (stack) => {
        stack.terminationProtection = false;
      });
      const drifted = await planFor(env, desired);
      await apply(env, desired, { planned: drifted });

      // Assess
      expect(drifted.plan.actions[0]?.changes).toEqual([{ path: '/spec/terminationProtection', after: true }]);
      expect(env.simulator.stacks()[0]?.terminationProtection).toBe(true);
      expect(writes(env.simulator)).toMatchObject({ 'CloudFormation.UpdateTerminationProtection': 2 });
      expect(env.ledger.intents().filter((entry) => entry.action === 'UpdateTerminationProtection')).toHaveLength(2);
      expect((await planFor(env, desired)).plan.hasChanges).toBe(false);
    });
  });

  describe('crashes, retries and lost responses', () => {
    it('finishes a run that failed between RegisterTaskDefinition and UpdateService without a second revision', async () => {
      // Prepare
      const env = environment();
      await converge(env, snapshot({ 'web.yaml': serviceYaml('web') }));
      const desired = snapshot({ 'web.yaml': serviceYaml('web', { image: 'web:2.0.0' }) }, { commitId: COMMIT_2 });
      env.simulator.injectFault('ECS.UpdateService', 'server-error', 5);

      // Act
      const { result: first } = await apply(env, desired);
      const revisionsAfterFirst = env.simulator.taskDefinitions().length;
      env.simulator.resetCalls();
      const { plan, result: second } = await apply(env, desired);

      // Assess
      expect(outcomeOf(first, WEB)).toMatchObject({
        outcome: 'failed',
        error: { name: 'ServerException', retryable: true },
      });
      expect(env.ledger.outcomes()).toContainEqual(
        expect.objectContaining({
          resourceId: WEB,
          action: 'UpdateService',
          result: 'failed',
          errorCode: 'ServerException',
        }),
      );
      expect(plan.actions.map((action) => action.type)).toEqual(['register-task-definition', 'update']);
      expect(outcomeOf(second, WEB).outcome).toBe('applied');
      expect(env.simulator.calls['ECS.RegisterTaskDefinition']).toBeUndefined();
      expect(env.simulator.calls['ECS.UpdateService']).toBe(1);
      expect(env.simulator.taskDefinitions()).toHaveLength(revisionsAfterFirst);
      expect(env.simulator.services()[0]?.taskDefinition).toMatch(/web:2$/);
    });

    it('retries throttling on every write and on DescribeChangeSet, one intent per write, and converges', async () => {
      // Prepare
      const env = environment();
      await converge(env, snapshot({ 'web.yaml': serviceYaml('web'), 'network.yaml': stackYaml('platform-network') }));
      const desired = snapshot(
        {
          'web.yaml': serviceYaml('web', { image: 'web:2.0.0' }),
          'network.yaml': stackYaml('platform-network', { cidr: '10.9.0.0/16' }),
        },
        { commitId: COMMIT_2 },
      );
      const planned = await planFor(env, desired);
      env.simulator.resetCalls();
      const entriesBefore = env.ledger.entries.length;
      for (const api of [
        'ECS.UpdateService',
        'ECS.RegisterTaskDefinition',
        'ECS.DescribeTaskDefinition',
        'CloudFormation.CreateChangeSet',
        'CloudFormation.ExecuteChangeSet',
        'CloudFormation.DescribeChangeSet',
      ]) {
        env.simulator.injectFault(api, 'throttle', 2);
      }

      // Act
      const { result } = await apply(env, desired, { planned });
      env.simulator.advance();

      // Assess
      expect(result.counts).toMatchObject({ applied: 2, failed: 0 });
      expect(env.simulator.calls).toMatchObject({
        'ECS.RegisterTaskDefinition': 3,
        'ECS.UpdateService': 3,
        'ECS.TagResource': 1,
        'CloudFormation.CreateChangeSet': 3,
        'CloudFormation.DescribeChangeSet': 3,
        'CloudFormation.ExecuteChangeSet': 3,
      });
      const intents = env.ledger.entries.slice(entriesBefore).filter((entry) => entry.kind === 'intent');
      expect(intents.map((entry) => entry.action)).toEqual([
        'CreateChangeSet',
        'ExecuteChangeSet',
        'RegisterTaskDefinition',
        'UpdateService',
        'TagResource',
      ]);
      expectIntentsPaired(env.ledger);
      expect((await planFor(env, desired)).plan.hasChanges).toBe(false);
    });

    it('gives up after maxAttempts and reports the failure as retryable', async () => {
      // Prepare
      const env = environment();
      await converge(env, snapshot({ 'web.yaml': serviceYaml('web') }));
      env.simulator.resetCalls();
      env.simulator.injectFault('ECS.UpdateService', 'throttle', 3);

      // Act
      const { result } = await apply(env, snapshot({ 'web.yaml': serviceYaml('web', { desiredCount: 4 }) }), {
        options: { maxAttempts: 3 },
      });

      // Assess
      expect(outcomeOf(result, WEB)).toMatchObject({
        outcome: 'failed',
        error: { name: 'ThrottlingException', retryable: true },
      });
      expect(env.simulator.calls['ECS.UpdateService']).toBe(3);
    });

    it('recognises a CreateService that took effect before its response was lost', async () => {
      // Prepare
      const env = environment();
      env.simulator.injectFault('ECS.CreateService', 'timeout-after-apply');

      // Act
      const { result } = await apply(env, snapshot({ 'web.yaml': serviceYaml('web') }));

      // Assess
      expect(outcomeOf(result, WEB).outcome).toBe('applied');
      expect(env.simulator.calls['ECS.CreateService']).toBe(2);
      expect(env.simulator.services()).toHaveLength(1);
      expect(outcomeFor(env.ledger, WEB, 'CreateService')).toMatchObject({
        result: 'succeeded',
        references: { serviceArn: env.simulator.services()[0]?.serviceArn },
      });
    });

    it('does not register a second revision when RegisterTaskDefinition timed out after registering', async () => {
      // Prepare
      const env = environment();
      env.simulator.injectFault('ECS.RegisterTaskDefinition', 'timeout-after-apply');

      // Act
      const { result } = await apply(env, snapshot({ 'web.yaml': serviceYaml('web') }));

      // Assess
      expect(outcomeOf(result, WEB).outcome).toBe('applied');
      expect(env.simulator.calls['ECS.RegisterTaskDefinition']).toBe(1);
      expect(env.simulator.taskDefinitions()).toHaveLength(1);
    });

    it('recognises CreateChangeSet and ExecuteChangeSet calls that took effect before their responses were lost', async () => {
      // Prepare
      const env = environment();
      env.simulator.injectFault('CloudFormation.CreateChangeSet', 'timeout-after-apply');
      env.simulator.injectFault('CloudFormation.ExecuteChangeSet', 'timeout-after-apply');

      // Act
      const { result } = await apply(env, snapshot({ 'network.yaml': stackYaml('platform-network') }));

      // Assess
      expect(outcomeOf(result, NETWORK).outcome).toBe('applied');
      expect(env.simulator.calls['CloudFormation.CreateChangeSet']).toBe(2);
      expect(env.simulator.calls['CloudFormation.ExecuteChangeSet']).toBe(2);
      expect(env.simulator.stacks().map((stack) => stack.status)).toEqual(['CREATE_IN_PROGRESS']);
    });
  });

  describe('the ledger and the guard', () => {
    it('makes no AWS write when the ledger cannot record the intent, and rejects with LedgerWriteError', async () => {
      // Prepare
      const env = environment();
      env.ledger.failOnAppend(1);
      const desired = snapshot({ 'web.yaml': serviceYaml('web'), 'network.yaml': stackYaml('platform-network') });

      // Act
      const applying = apply(env, desired);

      // Assess
      await expect(applying).rejects.toBeInstanceOf(LedgerWriteError);
      expect(writes(env.simulator)).toEqual({});
      expect(env.ledger.entries).toEqual([]);
    });

    it('stops at the first intent the ledger cannot record, after the writes before it, whose outcomes it still stores', async () => {
      // Prepare
      const env = environment();
      // The CreateChangeSet intent, then the ExecuteChangeSet intent (its outcome is stored while the next write is made).
      env.ledger.failOnAppend(2);
      const desired = snapshot({ 'web.yaml': serviceYaml('web'), 'network.yaml': stackYaml('platform-network') });

      // Act
      const applying = apply(env, desired);

      // Assess
      await expect(applying).rejects.toBeInstanceOf(LedgerWriteError);
      expect(writes(env.simulator)).toEqual({ 'CloudFormation.CreateChangeSet': 1 });
      expect(env.ledger.entries.map((entry) => [entry.kind, entry.action])).toEqual([
        ['intent', 'CreateChangeSet'],
        ['outcome', 'CreateChangeSet'],
      ]);
    });

    it("stores a write's intent before it is made and the previous write's outcome while it is made", async () => {
      // Prepare: the ledger records, at each append, the writes the simulator had taken by then
      const env = environment();
      const seen: string[] = [];
      const append = env.ledger.append.bind(env.ledger);
      env.ledger.append = async (entry) => {
        seen.push(`${entry.kind} ${entry.action} after ${Object.keys(writes(env.simulator)).length} writes`);
        await append(entry);
      };
      const desired = snapshot({ 'network.yaml': stackYaml('platform-network') });

      // Act
      await apply(env, desired);

      // Assess
      expect(seen).toEqual([
        'intent CreateChangeSet after 0 writes',
        'intent ExecuteChangeSet after 1 writes',
        'outcome CreateChangeSet after 2 writes',
        'outcome ExecuteChangeSet after 2 writes',
      ]);
    });

    it('stops when the outcome stored alongside the next write cannot be recorded, and records that write', async () => {
      // Prepare
      const env = environment();
      env.ledger.failOnAppend(3); // the CreateChangeSet outcome, stored while ExecuteChangeSet is made
      const desired = snapshot({ 'network.yaml': stackYaml('platform-network') });

      // Act
      const applying = apply(env, desired);

      // Assess: no write after the failure; the write in flight has its outcome
      await expect(applying).rejects.toBeInstanceOf(LedgerWriteError);
      expect(writes(env.simulator)).toEqual({
        'CloudFormation.CreateChangeSet': 1,
        'CloudFormation.ExecuteChangeSet': 1,
      });
      expect(env.ledger.entries.map((entry) => [entry.kind, entry.action, entry.result])).toEqual([
        ['intent', 'CreateChangeSet', undefined],
        ['intent', 'ExecuteChangeSet', undefined],
        ['outcome', 'ExecuteChangeSet', 'succeeded'],
      ]);
    });

    it('stops writing when the guard throws LockLostError, and rejects with it', async () => {
      // Prepare
      const env = environment();
      let guardCalls = 0;
      const guard = async () => {
        guardCalls += 1;
        if (guardCalls === 2) throw new LockLostError('the run lock was taken by run-2');
      };
      const desired = snapshot({ 'web.yaml': serviceYaml('web'), 'network.yaml': stackYaml('platform-network') });

      // Act
      const applying = apply(env, desired, { guard });

      // Assess
      await expect(applying).rejects.toBeInstanceOf(LockLostError);
      expect(writes(env.simulator)).toEqual({ 'CloudFormation.CreateChangeSet': 1 });
      expect(env.ledger.entries.map((entry) => [entry.kind, entry.action, entry.result])).toEqual([
        ['intent', 'CreateChangeSet', undefined],
        ['outcome', 'CreateChangeSet', 'succeeded'],
      ]);
      expect(guardCalls).toBe(2);
    });

    it('records the outcome of a write in flight when the guard stops the run from another resource', async () => {
      // Prepare
      const env = environment();
      let guardCalls = 0;
      const guard = async () => {
        guardCalls += 1;
        if (guardCalls >= 2) throw new LockLostError('lock lost');
      };
      const desired = snapshot({ 'web.yaml': serviceYaml('web'), 'api.yaml': serviceYaml('api') });

      // Act
      const applying = apply(env, desired, { guard });

      // Assess
      await expect(applying).rejects.toBeInstanceOf(LockLostError);
      expect(writes(env.simulator)).toEqual({ 'ECS.RegisterTaskDefinition': 1 });
      expect(env.ledger.entries.map((entry) => [entry.kind, entry.action, entry.result])).toEqual([
        ['intent', 'RegisterTaskDefinition', undefined],
        ['outcome', 'RegisterTaskDefinition', 'succeeded'],
      ]);
      expectIntentsPaired(env.ledger);
    });

    it('finishes without a second revision after the lock was lost between RegisterTaskDefinition and UpdateService', async () => {
      // Prepare
      const env = environment();
      await converge(env, snapshot({ 'web.yaml': serviceYaml('web') }));
      const desired = snapshot({ 'web.yaml': serviceYaml('web', { image: 'web:2.0.0' }) }, { commitId: COMMIT_2 });
      let guardCalls = 0;
      const guard = async () => {
        guardCalls += 1;
        if (guardCalls === 2) throw new LockLostError('lock lost');
      };
      await expect(apply(env, desired, { guard })).rejects.toBeInstanceOf(LockLostError);
      const revisions = env.simulator.taskDefinitions().length;
      env.simulator.resetCalls();

      // Act
      const { result } = await apply(env, desired);

      // Assess
      expect(outcomeOf(result, WEB).outcome).toBe('applied');
      expect(env.simulator.calls['ECS.RegisterTaskDefinition']).toBeUndefined();
      expect(env.simulator.taskDefinitions()).toHaveLength(revisions);
      expect(env.simulator.services()[0]?.taskDefinition).toMatch(/web:2$/);
    });

    it('makes no write before the resource history is read, however long that read takes', async () => {
      // Prepare: a rolled-back commit, and a history read slower than the writer's own reads
      const env = environment();
      await converge(env, snapshot({ 'web.yaml': serviceYaml('web') }));
      env.ledger.seed({
        ...runContext(snapshot({}, { commitId: COMMIT_2 })),
        trigger: 'deployment-event',
        entryId: '2026-02-28T00:00:00.000Z-0000-rolled-back',
        kind: 'outcome',
        time: '2026-02-28T00:00:00.000Z',
        resourceId: WEB,
        result: 'rolled-back',
      });
      const history = env.ledger.resourceHistory.bind(env.ledger);
      env.ledger.resourceHistory = async (...args) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return history(...args);
      };
      env.simulator.resetCalls();

      // Act
      const { result } = await apply(
        env,
        snapshot({ 'web.yaml': serviceYaml('web', { image: 'web:bad' }) }, { commitId: COMMIT_2 }),
      );

      // Assess
      expect(outcomeOf(result, WEB).outcome).toBe('skipped');
      expect(writes(env.simulator)).toEqual({});
    });

    it('skips a resource whose commit the deployment circuit breaker rolled back, until a new commit', async () => {
      // Prepare
      const env = environment();
      await converge(env, snapshot({ 'web.yaml': serviceYaml('web') }));
      env.ledger.seed({
        ...runContext(snapshot({}, { commitId: COMMIT_2 })),
        trigger: 'deployment-event',
        entryId: '2026-02-28T00:00:00.000Z-0000-rolled-back',
        kind: 'outcome',
        time: '2026-02-28T00:00:00.000Z',
        resourceId: WEB,
        result: 'rolled-back',
      });
      env.simulator.resetCalls();
      const rolledBack = snapshot({ 'web.yaml': serviceYaml('web', { image: 'web:bad' }) }, { commitId: COMMIT_2 });

      // Act
      const { result: first } = await apply(env, rolledBack);
      const { result: again } = await apply(env, rolledBack);
      const { result: fixed } = await apply(
        env,
        snapshot({ 'web.yaml': serviceYaml('web', { image: 'web:good' }) }, { commitId: COMMIT_3 }),
      );

      // Assess
      const reason = `commit ${COMMIT_2.slice(0, 12)} was rolled back by the deployment circuit breaker; a new commit clears this`;
      expect(outcomeOf(first, WEB)).toMatchObject({ outcome: 'skipped', reason });
      expect(outcomeOf(again, WEB)).toMatchObject({ outcome: 'skipped', reason });
      expect(env.ledger.outcomes().filter((entry) => entry.result === 'skipped')).toHaveLength(2);
      expect(outcomeOf(fixed, WEB).outcome).toBe('applied');
      expect(writes(env.simulator)).toEqual({
        'ECS.RegisterTaskDefinition': 1,
        'ECS.UpdateService': 1,
        'ECS.TagResource': 1,
      });
    });
  });

  describe('isolation, dry runs, refusals and waits', () => {
    it('keeps a failing service from stopping the other services of its wave', async () => {
      // Prepare
      const env = environment();
      await converge(env, snapshot({ 'web.yaml': serviceYaml('web'), 'api.yaml': serviceYaml('api') }));
      const desired = snapshot(
        {
          'web.yaml': serviceYaml('web', { image: 'web:2.0.0' }),
          'api.yaml': serviceYaml('api', { image: 'api:2.0.0' }),
        },
        { commitId: COMMIT_2 },
      );
      const planned = await planFor(env, desired);
      env.simulator.driftService('prod', 'api', (service) => {
        service.status = 'DRAINING';
      });
      env.simulator.resetCalls();

      // Act
      const { result } = await apply(env, desired, { planned });

      // Assess
      expect(outcomeOf(result, API)).toMatchObject({
        outcome: 'failed',
        error: { name: 'ServiceNotActiveException', retryable: false },
      });
      expect(outcomeOf(result, WEB).outcome).toBe('applied');
      expect(env.simulator.calls['ECS.UpdateService']).toBe(2);
      expect(outcomeFor(env.ledger, API, 'UpdateService')).toMatchObject({
        result: 'failed',
        errorCode: 'ServiceNotActiveException',
      });
    });

    it('keeps a failing stack from stopping the services of a later wave', async () => {
      // Prepare
      const env = environment();
      const desired = snapshot({
        'iam.yaml': stackYaml('platform-iam', { template: 'iam.template.yaml' }),
        'web.yaml': serviceYaml('web'),
      });

      // Act
      const { result } = await apply(env, desired);

      // Assess
      expect(outcomeOf(result, 'CloudFormationStack:platform-iam')).toMatchObject({
        outcome: 'failed',
        error: { name: 'InsufficientCapabilitiesException', retryable: false },
      });
      expect(outcomeOf(result, WEB).outcome).toBe('applied');
      expect(env.simulator.services()).toHaveLength(1);
    });

    it('makes no write on a dry run, and records each write it would make as an intent marked dry-run', async () => {
      // Prepare
      const env = environment();
      const desired = snapshot({ 'web.yaml': serviceYaml('web'), 'network.yaml': stackYaml('platform-network') });

      // Act
      const { result } = await apply(env, desired, { options: { dryRun: true } });

      // Assess
      expect(writes(env.simulator)).toEqual({});
      expect(result.dryRun).toBe(true);
      expect(result.counts['dry-run']).toBe(2);
      expect(env.ledger.entries.map((entry) => [entry.kind, entry.action, entry.result, entry.dryRun])).toEqual([
        ['intent', 'CreateChangeSet', 'dry-run', true],
        ['intent', 'ExecuteChangeSet', 'dry-run', true],
        ['intent', 'RegisterTaskDefinition', 'dry-run', true],
        ['intent', 'CreateService', 'dry-run', true],
      ]);
    });

    it('refuses a change that needs a replacement, and says what to do by hand', async () => {
      // Prepare
      const env = environment();
      await converge(env, snapshot({ 'web.yaml': serviceYaml('web') }));
      env.simulator.resetCalls();
      const desired = snapshot(
        { 'web.yaml': serviceYaml('web', { extraSpec: '  deploymentController: { type: CODE_DEPLOY }\n' }) },
        { commitId: COMMIT_2 },
      );

      // Act
      const { result } = await apply(env, desired, { options: { allowReplace: true } });

      // Assess
      const web = outcomeOf(result, WEB);
      expect(web.outcome).toBe('refused');
      expect(web.reason).toContain('/spec/deploymentController/type');
      expect(web.reason).toContain('not supported yet');
      expect(web.reason).toContain('delete it by hand');
      expect(writes(env.simulator)).toEqual({});
      expect(env.ledger.outcomes().at(-1)).toMatchObject({ resourceId: WEB, result: 'refused', reason: web.reason });
    });

    it('waits for a busy stack without writing', async () => {
      // Prepare
      const env = environment();
      await converge(env, snapshot({ 'network.yaml': stackYaml('platform-network') }));
      env.simulator.driftStack('platform-network', (stack) => {
        stack.status = 'UPDATE_IN_PROGRESS';
      });
      env.simulator.resetCalls();
      const entries = env.ledger.entries.length;

      // Act
      const { result } = await apply(
        env,
        snapshot({ 'network.yaml': stackYaml('platform-network', { cidr: '10.5.0.0/16' }) }, { commitId: COMMIT_2 }),
      );

      // Assess
      expect(outcomeOf(result, NETWORK)).toMatchObject({
        outcome: 'waiting',
        reason: expect.stringContaining('UPDATE_IN_PROGRESS'),
      });
      expect(writes(env.simulator)).toEqual({});
      expect(env.ledger.entries).toHaveLength(entries);
    });

    it('reports a stack in sync and deletes the change set when CloudFormation finds nothing to change', async () => {
      // Prepare
      const env = environment();
      await converge(env, snapshot({ 'network.yaml': stackYaml('platform-network') }));
      const desired = snapshot(
        { 'network.yaml': stackYaml('platform-network', { cidr: '10.7.0.0/16' }) },
        { commitId: COMMIT_2 },
      );
      const planned = await planFor(env, desired);
      await apply(env, desired, { planned });
      env.simulator.advance();
      env.simulator.resetCalls();
      const entries = env.ledger.entries.length;

      // Act: the same (now stale) plan again, as a retried run would
      const { result } = await apply(env, desired, { planned });

      // Assess
      expect(outcomeOf(result, NETWORK)).toMatchObject({ outcome: 'in-sync' });
      expect(outcomeOf(result, NETWORK).error).toBeUndefined();
      expect(writes(env.simulator)).toEqual({
        'CloudFormation.CreateChangeSet': 1,
        'CloudFormation.DeleteChangeSet': 1,
      });
      const changeSetArn = outcomeOf(result, NETWORK).references?.changeSetArn;
      await expect(
        env.simulator.cloudFormation.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetArn })),
      ).rejects.toMatchObject({ name: 'ChangeSetNotFoundException' });
      expect(
        env.ledger.entries.slice(entries).map((entry) => [entry.kind, entry.action, entry.result, entry.reason]),
      ).toEqual([
        ['intent', 'CreateChangeSet', undefined, undefined],
        ['intent', 'DeleteChangeSet', undefined, 'the change set held no changes'],
        ['outcome', 'CreateChangeSet', 'succeeded', undefined],
        ['outcome', 'DeleteChangeSet', 'succeeded', 'the change set held no changes'],
      ]);
    });
  });

  describe('prune', () => {
    const ALL = {
      'web.yaml': serviceYaml('web'),
      'old.yaml': serviceYaml('old'),
      'old-stack.yaml': stackYaml('platform-old'),
    };
    const OLD = 'EcsService:prod/old';
    const OLD_STACK = 'CloudFormationStack:platform-old';

    /** web, old and platform-old created by this installation; the next commit declares only web. */
    async function prunable(sync: string, options: { pruneBlocked?: boolean; files?: Record<string, string> } = {}) {
      const env = environment();
      const settings = settingsYaml(sync);
      await converge(env, snapshot(ALL, { settings }));
      env.simulator.resetCalls();
      const next = snapshot(options.files ?? { 'web.yaml': serviceYaml('web') }, {
        commitId: COMMIT_2,
        settings,
        ...(options.pruneBlocked === undefined ? {} : { pruneBlocked: options.pruneBlocked }),
      });
      return { env, next, entries: env.ledger.entries.length };
    }

    it('prunes managed resources no longer declared: services scaled to 0 and deleted, then stacks', async () => {
      // Prepare
      const { env, next, entries } = await prunable('  sync: { prune: true, maxPruneFraction: 1 }');

      // Act
      const { plan, result } = await apply(env, next);
      env.simulator.advance();

      // Assess
      expect(plan.summary.delete).toBe(2);
      expect(outcomeOf(result, OLD).outcome).toBe('applied');
      expect(outcomeOf(result, OLD_STACK).outcome).toBe('applied');
      expect(writes(env.simulator)).toEqual({
        'ECS.UpdateService': 1,
        'ECS.DeleteService': 1,
        'CloudFormation.DeleteStack': 1,
      });
      const pruneIntents = env.ledger.entries.slice(entries).filter((entry) => entry.kind === 'intent');
      expect(pruneIntents.map((entry) => [entry.resourceId, entry.action])).toEqual([
        [OLD, 'UpdateService'],
        [OLD, 'DeleteService'],
        [OLD_STACK, 'DeleteStack'],
      ]);
      expect(pruneIntents[0]?.changes).toEqual([{ path: '/spec/desiredCount', before: 2, after: 0 }]);
      expectIntentsPaired(env.ledger);
      expect(env.simulator.services().find((service) => service.serviceName === 'old')?.status).toBe('INACTIVE');
      expect(env.simulator.stacks().find((stack) => stack.stackName === 'platform-old')?.status).toBe(
        'DELETE_COMPLETE',
      );
      expect((await planFor(env, next)).plan.hasChanges).toBe(false);
    });

    it('prunes nothing when a declaration failed to validate', async () => {
      // Prepare
      const { env, next, entries } = await prunable('  sync: { prune: true, maxPruneFraction: 1 }', {
        pruneBlocked: true,
      });

      // Act
      const { result } = await apply(env, next);

      // Assess
      expect(outcomeOf(result, OLD)).toMatchObject({
        outcome: 'refused',
        reason: expect.stringContaining('failed to validate'),
      });
      expect(outcomeOf(result, OLD_STACK).outcome).toBe('refused');
      expect(writes(env.simulator)).toEqual({});
      expect(env.ledger.entries.slice(entries).map((entry) => [entry.resourceId, entry.action, entry.result])).toEqual([
        [OLD, 'Prune', 'refused'],
        [OLD_STACK, 'Prune', 'refused'],
      ]);
    });

    it('prunes nothing beyond maxPruneFraction', async () => {
      // Prepare
      const { env, next } = await prunable('  sync: { prune: true, maxPruneFraction: 0.5 }');

      // Act
      const { result } = await apply(env, next);

      // Assess
      expect(outcomeOf(result, OLD)).toMatchObject({
        outcome: 'refused',
        reason: expect.stringContaining('2 of 3 managed resources is over maxPruneFraction 0.5'),
      });
      expect(writes(env.simulator)).toEqual({});
    });

    it('prunes nothing when pruning is off, or when the managed count is not given', async () => {
      // Prepare
      const off = await prunable('  sync: { maxPruneFraction: 1 }');
      const unknown = await prunable('  sync: { prune: true, maxPruneFraction: 1 }');

      // Act
      const { result: offResult } = await apply(off.env, off.next);
      const { result: unknownResult } = await apply(unknown.env, unknown.next, {
        options: { managedCount: undefined },
      });

      // Assess
      expect(outcomeOf(offResult, OLD).reason).toContain('pruning is off');
      expect(outcomeOf(unknownResult, OLD)).toMatchObject({
        outcome: 'refused',
        reason: expect.stringContaining('managedCount'),
      });
      expect(writes(off.env.simulator)).toEqual({});
      expect(writes(unknown.env.simulator)).toEqual({});
    });

    it('leaves no managed resource only with allowEmpty', async () => {
      // Prepare
      const sync = '  sync: { prune: true, maxPruneFraction: 1 }';
      const refused = await prunable(sync, { files: {} });
      const allowed = await prunable(sync, { files: {} });

      // Act
      const { result: refusedResult } = await apply(refused.env, refused.next);
      const { result: allowedResult } = await apply(allowed.env, allowed.next, { options: { allowEmpty: true } });

      // Assess
      expect(refusedResult.counts.refused).toBe(3);
      expect(outcomeOf(refusedResult, WEB).reason).toContain('allowEmpty is not set');
      expect(writes(refused.env.simulator)).toEqual({});
      expect(allowedResult.counts.applied).toBe(3);
      expect(writes(allowed.env.simulator)).toMatchObject({ 'ECS.DeleteService': 2, 'CloudFormation.DeleteStack': 1 });
    });

    it('never touches a resource in the prune list that this installation does not manage', async () => {
      // Prepare
      const env = environment();
      const settings = settingsYaml('  sync: { prune: true, maxPruneFraction: 1 }');
      const desired = snapshot({ 'web.yaml': serviceYaml('web') }, { settings });
      await converge(env, desired);
      const legacy = snapshot({ 'legacy.yaml': serviceYaml('legacy') }).declarations[0] as EcsServiceDeclaration;
      await seedService(env.simulator, legacy);
      env.simulator.advance();
      env.simulator.resetCalls();
      const managed: ManagedResource[] = [
        { id: WEB, kind: 'EcsService' },
        { id: 'EcsService:prod/legacy', kind: 'EcsService' },
      ];

      // Act
      const { plan, result } = await apply(env, desired, { managed });

      // Assess
      expect(plan.actions.find((action) => action.type === 'prune')?.id).toBe('EcsService:prod/legacy');
      expect(outcomeOf(result, 'EcsService:prod/legacy')).toMatchObject({
        outcome: 'refused',
        reason: expect.stringContaining(`not tagged driftless:managed-by=${INSTALLATION}`),
      });
      expect(writes(env.simulator)).toEqual({});
      const service = env.simulator.services().find((candidate) => candidate.serviceName === 'legacy');
      expect(service).toMatchObject({ status: 'ACTIVE', desiredCount: 2 });
    });
  });
});
