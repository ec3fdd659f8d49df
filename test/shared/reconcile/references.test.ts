import { DescribeStacksCommand, ExecuteChangeSetCommand } from '@aws-sdk/client-cloudformation';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateServiceCommand,
  type CreateServiceCommandInput,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatReconcile } from '../../../cli/commands/reconcile.ts';
import { renderPlan } from '../../../shared/plan/render.ts';
import { reconcile } from '../../../shared/reconcile/run.ts';
import { type AwsSimulator, writeCount as countWrites } from '../../../shared/sim/index.ts';
import { capture } from '../../support/cli.ts';
import { localDynamoDb } from '../../support/dynamodb.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../../support/fixtures.ts';
import type { TestRepo } from '../../support/git-repo.ts';
import { reconcileWorld } from '../../support/reconcile-world.ts';

const LITERAL_SUBNETS = 'subnets: [subnet-0a1b2c3d4e5f60718, subnet-0b2c3d4e5f6071829]';
const REFERENCED_SUBNETS =
  'subnets: ["${stack:platform-network.PrivateSubnetAId}", "${stack:platform-network.PrivateSubnetBId}"]';
const SUBNET_OUTPUTS = `  PrivateSubnetAId:
    Value: !Ref PrivateSubnetA
  PrivateSubnetBId:
    Value: !Ref PrivateSubnetB
`;
const SUBNET_C = `  PrivateSubnetC:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.40.200.0/24
`;

/** The example repository, with web's subnets taken from the network stack's outputs. */
async function referencingTree(): Promise<Record<string, string>> {
  const tree = await readTree(EXAMPLE_REPO_DIR);
  const files = Object.fromEntries(Object.entries(tree).map(([path, body]) => [path, String(body)]));
  files['stacks/network.template.yaml'] = `${files['stacks/network.template.yaml']}${SUBNET_OUTPUTS}`;
  files['services/web.yaml'] = files['services/web.yaml']!.replace(LITERAL_SUBNETS, REFERENCED_SUBNETS);
  return files;
}

describe('reconcile with stack-output references', () => {
  let dynamo: DynamoDBClient;
  let repo: TestRepo | undefined;
  let simulator: AwsSimulator | undefined;

  beforeAll(() => {
    dynamo = localDynamoDb();
  });
  afterEach(async () => {
    simulator?.restore();
    await repo?.cleanup();
    repo = undefined;
    simulator = undefined;
  });

  async function environment(files?: Record<string, string>) {
    const sleeps: number[] = [];
    const world = await reconcileWorld(dynamo, {
      files: files ?? (await referencingTree()),
      deps: (sim) => ({
        // Time passing is the simulator finishing what is in flight, as AWS would meanwhile.
        sleep: async (milliseconds) => {
          sleeps.push(milliseconds);
          sim.advance();
        },
      }),
      request: {
        applyOptions: { changeSetPollMs: 1, baseDelayMs: 1, stackStablePollMs: 250, stackStableMaxPolls: 5 },
      },
    });
    ({ repo, simulator } = world);
    return { ...world, sleeps };
  }

  async function outputsOf(sim: AwsSimulator, stackName: string): Promise<Record<string, string>> {
    const described = await sim.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    return Object.fromEntries(
      (described.Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey!, output.OutputValue!]),
    );
  }

  function awsvpc(input: CreateServiceCommandInput | UpdateServiceCommandInput | undefined) {
    return input?.networkConfiguration?.awsvpcConfiguration;
  }

  it('creates the stack first, waits for it, then creates the service with the resolved subnets in the same run', async () => {
    // Prepare
    const env = await environment();

    // Act
    const result = await reconcile(env.request, env.deps);

    // Assess
    const outputs = await outputsOf(env.simulator, 'platform-network');
    expect(outputs.PrivateSubnetAId).toMatch(/^subnet-[0-9a-f]{17}$/);
    expect(outputs.PrivateSubnetBId).toMatch(/^subnet-[0-9a-f]{17}$/);
    expect(result.status).toBe('applied');
    const web = result.plan?.actions.find((action) => action.id === 'EcsService:prod/web');
    expect(web).toMatchObject({
      type: 'wait',
      wave: 1,
      waitsFor: ['platform-network'],
      reason: 'waits for stack platform-network to be stable: its outputs may change',
    });
    expect(result.afterStacks?.actions.map((action) => `${action.type} ${action.id}`)).toEqual([
      'create EcsService:prod/web',
    ]);
    expect(result.afterStacks?.actions[0]?.resolved).toEqual([
      {
        path: '/spec/networkConfiguration/awsvpcConfiguration/subnets/0',
        reference: '${stack:platform-network.PrivateSubnetAId}',
        stack: 'platform-network',
        outputKey: 'PrivateSubnetAId',
        value: outputs.PrivateSubnetAId,
      },
      {
        path: '/spec/networkConfiguration/awsvpcConfiguration/subnets/1',
        reference: '${stack:platform-network.PrivateSubnetBId}',
        stack: 'platform-network',
        outputKey: 'PrivateSubnetBId',
        value: outputs.PrivateSubnetBId,
      },
    ]);
    const creates = env.simulator.stubs.ecs.commandCalls(CreateServiceCommand);
    const webCreate = creates.find((call) => call.args[0].input.serviceName === 'web');
    expect(awsvpc(webCreate?.args[0].input)?.subnets).toEqual([outputs.PrivateSubnetAId, outputs.PrivateSubnetBId]);
    expect(result.apply?.resources.map((resource) => `${resource.id} ${resource.outcome}`)).toEqual([
      'CloudFormationStack:platform-network applied',
      'EcsService:prod/api applied',
      'EcsService:prod/web applied',
      'EcsService:prod/worker applied',
    ]);
    const printed = formatReconcile(result, capture());
    expect(printed).toContain(
      [
        '… EcsService prod/web: wait [Missing, wave 1]  (services/web.yaml)',
        '    waits for stack platform-network to be stable: its outputs may change',
      ].join('\n'),
    );
    expect(printed).toContain(
      [
        'Once the stacks they reference were stable, planned again with their outputs:',
        '+ EcsService prod/web: create [Missing, wave 1]  (services/web.yaml)',
      ].join('\n'),
    );
    expect(printed).toContain(
      `    /spec/networkConfiguration/awsvpcConfiguration/subnets/1 = ${outputs.PrivateSubnetBId} ← \${stack:platform-network.PrivateSubnetBId}`,
    );
    // One poll found the stack busy; one stackStablePollMs later it was stable.
    expect(env.sleeps.filter((milliseconds) => milliseconds === 250)).toHaveLength(1);
    const history = await env.ledger.resourceHistory('EcsService:prod/web', { limit: 20 });
    expect(history.filter((entry) => entry.kind === 'intent').map((entry) => entry.action)).toEqual(
      expect.arrayContaining(['RegisterTaskDefinition', 'CreateService']),
    );
    expect(new Set(history.map((entry) => entry.runId))).toEqual(new Set([result.runId]));

    // The next run finds nothing to do: the resolved values are what is live.
    env.simulator.advance();
    const again = await reconcile(env.request, env.deps);
    expect(again.status).toBe('in-sync');
    expect(again.plan?.hasChanges).toBe(false);
    expect(renderPlan(again.plan!, { verbose: true })).toContain(
      `/spec/networkConfiguration/awsvpcConfiguration/subnets/0 = ${outputs.PrivateSubnetAId} ← \${stack:platform-network.PrivateSubnetAId}`,
    );
  });

  it('executes the stack change set first, then updates the service with the new output value, in one run', async () => {
    // Prepare
    const env = await environment();
    const first = await reconcile(env.request, env.deps);
    env.simulator.advance();
    const before = await outputsOf(env.simulator, 'platform-network');
    const template = (await referencingTree())['stacks/network.template.yaml']!;
    await env.repo.commit(
      {
        'stacks/network.template.yaml': template
          .replace('  ServiceSecurityGroup:\n', `${SUBNET_C}  ServiceSecurityGroup:\n`)
          .replace(
            'PrivateSubnetAId:\n    Value: !Ref PrivateSubnetA',
            'PrivateSubnetAId:\n    Value: !Ref PrivateSubnetC',
          ),
      },
      'network: move web to subnet C',
    );
    const executedBefore = env.simulator.stubs.cloudFormation.commandCalls(ExecuteChangeSetCommand).length;
    const updatedBefore = env.simulator.stubs.ecs.commandCalls(UpdateServiceCommand).length;

    // Act: a push that changed only the template still reconciles the services referencing the stack.
    const result = await reconcile({ ...env.request, changedSince: first.commitId! }, env.deps);

    // Assess
    expect(result.plan?.actions.map((action) => `${action.type} ${action.id}`)).toEqual([
      'update CloudFormationStack:platform-network',
      'wait EcsService:prod/web',
    ]);
    const after = await outputsOf(env.simulator, 'platform-network');
    expect(after.PrivateSubnetAId).toMatch(/^subnet-/);
    expect(after.PrivateSubnetAId).not.toBe(before.PrivateSubnetAId);
    expect(after.PrivateSubnetBId).toBe(before.PrivateSubnetBId);
    expect(result.status).toBe('applied');
    const execute = env.simulator.stubs.cloudFormation.commandCalls(ExecuteChangeSetCommand).slice(executedBefore);
    const updates = env.simulator.stubs.ecs.commandCalls(UpdateServiceCommand).slice(updatedBefore);
    expect(execute).toHaveLength(1);
    expect(updates).toHaveLength(1);
    expect(updates[0]!.args[0].input.service).toBe('web');
    expect(awsvpc(updates[0]!.args[0].input)?.subnets).toEqual([after.PrivateSubnetAId, before.PrivateSubnetBId]);
    expect(execute[0]!.calledBefore(updates[0]!)).toBe(true);
    expect(result.afterStacks?.actions.find((action) => action.type === 'update')?.changes).toEqual([
      {
        path: '/spec/networkConfiguration/awsvpcConfiguration/subnets',
        before: [before.PrivateSubnetAId, before.PrivateSubnetBId].sort(),
        after: [after.PrivateSubnetAId, before.PrivateSubnetBId].sort(),
      },
    ]);
    expect(env.simulator.services().find((service) => service.serviceName === 'web')?.networkConfiguration).toEqual(
      expect.objectContaining({
        awsvpcConfiguration: expect.objectContaining({ subnets: [after.PrivateSubnetAId, before.PrivateSubnetBId] }),
      }),
    );
  });

  it('leaves the service waiting, for the next run, when the stack is still busy after the polling bound', async () => {
    // Prepare
    const env = await environment();
    const idle = { ...env.deps, sleep: async () => undefined };

    // Act
    const result = await reconcile(
      { ...env.request, applyOptions: { changeSetPollMs: 1, stackStableMaxPolls: 2 } },
      idle,
    );
    env.simulator.advance();
    const next = await reconcile(env.request, idle);

    // Assess: the services that reference nothing are created in the first run, web in the next
    const created = createdServices(env.simulator);
    expect(created.slice(0, -1).sort()).toEqual(['api', 'worker']);
    expect(created.slice(-1)).toEqual(['web']);
    const web = result.apply?.resources.find((resource) => resource.id === 'EcsService:prod/web');
    expect(web).toMatchObject({
      outcome: 'waiting',
      reason:
        'stack platform-network was still CREATE_IN_PROGRESS after 2 checks 5000 ms apart; the next run applies this service',
    });
    expect(next.apply?.resources.find((resource) => resource.id === 'EcsService:prod/web')?.outcome).toBe('applied');
  });

  it('leaves the service waiting when the stack it references rolls back', async () => {
    // Prepare
    const files = await referencingTree();
    files['stacks/network.template.yaml'] = files['stacks/network.template.yaml']!.replace(
      '    Type: AWS::EC2::SecurityGroup\n',
      '    Type: AWS::EC2::SecurityGroup\n    Metadata: { SimulateFailure: true }\n',
    );
    const env = await environment(files);

    // Act
    const result = await reconcile(env.request, env.deps);

    // Assess
    expect(createdServices(env.simulator).sort()).toEqual(['api', 'worker']);
    expect(result.apply?.resources.find((resource) => resource.id === 'EcsService:prod/web')).toMatchObject({
      outcome: 'waiting',
      reason: 'stack platform-network ended ROLLBACK_COMPLETE; the next run applies this service',
    });
  });

  it('refuses a service whose reference names no output: E_REFERENCE at file:line, no write for it, the rest applied', async () => {
    // Prepare
    const env = await environment();
    await reconcile(env.request, env.deps);
    env.simulator.advance();
    const web = (await referencingTree())['services/web.yaml']!;
    const worker = (await readTree(EXAMPLE_REPO_DIR))['services/worker.yaml']!.toString();
    await env.repo.commit(
      {
        'services/web.yaml': web
          .replace('PrivateSubnetBId}', 'PrivateSubnetCId}')
          .replace('web:1.4.2', 'web:1.4.3')
          .replace('securityGroups: [sg-0c3d4e5f607182930]', 'securityGroups: ["${stack:platform-shared.WebSg}"]'),
        'services/worker.yaml': worker.replace('worker:2.11.0', 'worker:2.12.0'),
      },
      'web: subnet C (not there yet); worker 2.12.0',
    );
    env.simulator.resetCalls();
    const registeredBefore = env.simulator.stubs.ecs.commandCalls(RegisterTaskDefinitionCommand).length;
    const updatedBefore = env.simulator.stubs.ecs.commandCalls(UpdateServiceCommand).length;

    // Act
    const result = await reconcile(env.request, env.deps);

    // Assess
    expect(result.status).toBe('partial');
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([
      {
        code: 'E_REFERENCE',
        severity: 'error',
        file: 'services/web.yaml',
        line: 14,
        column: 63,
        message:
          '${stack:platform-network.PrivateSubnetCId}: stack platform-network (CREATE_COMPLETE) has no output PrivateSubnetCId (its outputs: PrivateSubnetAId, PrivateSubnetBId, PrivateSubnetIds, ServiceSecurityGroupId, VpcId)',
      },
      {
        code: 'E_REFERENCE',
        severity: 'error',
        file: 'services/web.yaml',
        line: 15,
        column: 24,
        message: '${stack:platform-shared.WebSg}: stack platform-shared does not exist',
      },
    ]);
    expect(result.reason).toBe('2 declaration errors: nothing applied from services/web.yaml; pruning blocked');
    expect(result.apply?.resources.map((resource) => `${resource.id} ${resource.outcome}`)).toEqual([
      'CloudFormationStack:platform-network in-sync',
      'EcsService:prod/api in-sync',
      'EcsService:prod/worker applied',
    ]);
    expect(writeCount(env.simulator, 'ECS.UpdateService')).toBe(1);
    expect(env.simulator.stubs.ecs.commandCalls(UpdateServiceCommand)[updatedBefore]!.args[0].input.service).toBe(
      'worker',
    );
    expect(
      env.simulator.stubs.ecs
        .commandCalls(RegisterTaskDefinitionCommand)
        .slice(registeredBefore)
        .map((call) => call.args[0].input.family),
    ).toEqual(['worker']);
  });

  it('checks a role ARN taken from a stack output against the role allowlist', async () => {
    // Prepare
    const files = await referencingTree();
    files['services/web.yaml'] = files['services/web.yaml']!.replace(
      'taskRoleArn: arn:aws:iam::123456789012:role/app/web-task',
      'taskRoleArn: ${stack:platform-roles.WebTaskRoleArn}',
    ).replace(
      'executionRoleArn: arn:aws:iam::123456789012:role/app/web-execution',
      'executionRoleArn: ${stack:platform-roles.WebExecutionRoleArn}',
    );
    const env = await environment(files);
    env.simulator.seedStack({
      stackName: 'platform-roles',
      templateBody: [
        'Resources:',
        '  Topic: { Type: AWS::SNS::Topic }',
        'Outputs:',
        '  WebTaskRoleArn: { Value: "arn:aws:iam::123456789012:role/app/web-task" }',
        '  WebExecutionRoleArn: { Value: "arn:aws:iam::123456789012:role/admin/everything" }',
      ].join('\n'),
    });

    // Act
    const result = await reconcile(env.request, env.deps);

    // Assess
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([
      {
        code: 'E_ROLE',
        severity: 'error',
        file: 'services/web.yaml',
        line: 37,
        column: 23,
        message:
          'executionRoleArn arn:aws:iam::123456789012:role/admin/everything (from ${stack:platform-roles.WebExecutionRoleArn}) does not match an allowed role ARN pattern in Settings (targets.roleArnPatterns: arn:aws:iam::123456789012:role/app/*, arn:aws:iam::123456789012:role/cloudformation/platform-deployer)',
      },
    ]);
    expect(createdServices(env.simulator).sort()).toEqual(['api', 'worker']);
    expect(result.status).toBe('partial');
  });
});

function writeCount(simulator: AwsSimulator, api?: string): number {
  return countWrites(simulator.calls, api);
}

/** The services CreateService was sent for, in the order it was sent. */
function createdServices(simulator: AwsSimulator): (string | undefined)[] {
  return simulator.stubs.ecs.commandCalls(CreateServiceCommand).map((call) => call.args[0].input.serviceName);
}
