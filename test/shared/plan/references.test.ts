/** Stack-output references at plan time: resolution, substitution, order, waiting, the role allowlist, and how the
 * plan shows each value and where it came from. Pure: snapshots and live state built in memory. */
import { describe, expect, it } from 'vitest';
import { renderPlanMarkdown } from '../../../shared/plan/markdown.ts';
import { planWithReferences, referencedStackNames, type StackOutputs } from '../../../shared/plan/references.ts';
import { renderPlan } from '../../../shared/plan/render.ts';
import type { EcsServiceDeclaration } from '../../../shared/spec/repository.ts';
import { liveNetwork, liveWeb, NETWORK, templates, WEB } from '../../support/plan-fixtures.ts';
import { liveStateOf, snapshotOf } from '../../support/snapshots.ts';

const SUBNETS = 'subnets: [subnet-a, subnet-b]';
const REFERENCED = 'subnets: ["${stack:platform-network.SubnetA}", "${stack:platform-network.SubnetB}"]';
const WEB_REFERENCING = WEB.replace(SUBNETS, REFERENCED);
const OUTPUTS = { SubnetA: 'subnet-a', SubnetB: 'subnet-b', VpcId: 'vpc-1' };

function stacks(entries: Record<string, StackOutputs | undefined>): Map<string, StackOutputs | undefined> {
  return new Map(Object.entries(entries));
}
const complete = (outputs: Record<string, string>): StackOutputs => ({ status: 'UPDATE_COMPLETE', outputs });

describe('planWithReferences', () => {
  it('substitutes the outputs, and finds the service in sync when live has those values: no false drift', () => {
    // Act
    const result = planWithReferences({
      snapshot: snapshotOf({ 'web.yaml': WEB_REFERENCING }),
      live: liveStateOf([liveWeb()]),
      stacks: stacks({ 'platform-network': complete(OUTPUTS) }),
    });

    // Assess
    expect(result.diagnostics).toEqual([]);
    const web = result.snapshot.declarations[0] as EcsServiceDeclaration;
    expect(web.document.spec.networkConfiguration?.awsvpcConfiguration?.subnets).toEqual(['subnet-a', 'subnet-b']);
    expect(result.plan.actions).toHaveLength(1);
    expect(result.plan.actions[0]).toMatchObject({ type: 'in-sync', wave: 1, changes: [] });
    expect(result.plan.actions[0]?.resolved).toEqual([
      {
        path: '/spec/networkConfiguration/awsvpcConfiguration/subnets/0',
        reference: '${stack:platform-network.SubnetA}',
        stack: 'platform-network',
        outputKey: 'SubnetA',
        value: 'subnet-a',
      },
      {
        path: '/spec/networkConfiguration/awsvpcConfiguration/subnets/1',
        reference: '${stack:platform-network.SubnetB}',
        stack: 'platform-network',
        outputKey: 'SubnetB',
        value: 'subnet-b',
      },
    ]);
  });

  it('diffs the resolved value against live, and shows it with its source in the text and Markdown plans', () => {
    // Act
    const result = planWithReferences({
      snapshot: snapshotOf({ 'web.yaml': WEB_REFERENCING }),
      live: liveStateOf([liveWeb()]),
      stacks: stacks({ 'platform-network': complete({ ...OUTPUTS, SubnetB: 'subnet-c' }) }),
    });

    // Assess
    expect(result.plan.actions.map((action) => [action.type, action.changes])).toEqual([
      [
        'update',
        [
          {
            path: '/spec/networkConfiguration/awsvpcConfiguration/subnets',
            before: ['subnet-a', 'subnet-b'],
            after: ['subnet-a', 'subnet-c'],
          },
        ],
      ],
    ]);
    const text = renderPlan(result.plan);
    expect(text).toContain(
      '/spec/networkConfiguration/awsvpcConfiguration/subnets/1 = subnet-c ← ${stack:platform-network.SubnetB}',
    );
    const markdown = renderPlanMarkdown({ plan: result.plan, commitId: result.plan.commitId });
    expect(markdown).toContain(
      '- resolved `/spec/networkConfiguration/awsvpcConfiguration/subnets/1` = `subnet-c` ← `${stack:platform-network.SubnetB}`',
    );
  });

  it('resolves a reference embedded in a longer string, anywhere in the spec, task definition included', () => {
    // Prepare
    const web = WEB_REFERENCING.replace(
      'image: web:1.4.2',
      'image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/${stack:platform-images.WebRepository}:1.4.2"',
    );

    // Act
    const result = planWithReferences({
      snapshot: snapshotOf({ 'web.yaml': web }),
      live: liveStateOf([], ['EcsService:prod/web']),
      stacks: stacks({
        'platform-network': complete(OUTPUTS),
        'platform-images': complete({ WebRepository: 'web-prod' }),
      }),
    });

    // Assess
    const declaration = result.snapshot.declarations[0] as EcsServiceDeclaration;
    expect(declaration.document.spec.taskDefinition.containerDefinitions[0]?.image).toBe(
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/web-prod:1.4.2',
    );
    expect(result.plan.actions[0]?.resolved?.map((reference) => `${reference.path}=${reference.value}`)).toEqual([
      '/spec/networkConfiguration/awsvpcConfiguration/subnets/0=subnet-a',
      '/spec/networkConfiguration/awsvpcConfiguration/subnets/1=subnet-b',
      '/spec/taskDefinition/containerDefinitions/0/image=web-prod',
    ]);
  });

  it('runs the service after the declared stack it references: wave = the stack wave + 1', () => {
    // Prepare
    const network = `${NETWORK}sync: { wave: 3 }\n`;

    // Act
    const result = planWithReferences({
      snapshot: snapshotOf({ 'web.yaml': WEB_REFERENCING, 'network.yaml': network }, { templates }),
      live: liveStateOf([liveWeb(), liveNetwork({ Outputs: [{ OutputKey: 'SubnetA', OutputValue: 'subnet-a' }] })]),
      stacks: stacks({ 'platform-network': complete(OUTPUTS) }),
    });

    // Assess
    expect(result.plan.actions.map((action) => [action.type, action.id, action.wave])).toEqual([
      ['in-sync', 'CloudFormationStack:platform-network', 3],
      ['in-sync', 'EcsService:prod/web', 4],
    ]);
  });

  it('plans a wait while a referenced declared stack has a pending change, even before the stack has the output', () => {
    // Act
    const result = planWithReferences({
      snapshot: snapshotOf({ 'web.yaml': WEB_REFERENCING, 'network.yaml': NETWORK }, { templates }),
      live: liveStateOf([], ['EcsService:prod/web', 'CloudFormationStack:platform-network']),
      stacks: stacks({ 'platform-network': undefined }),
    });

    // Assess
    expect(result.diagnostics).toEqual([]);
    expect(result.plan.actions.map((action) => [action.type, action.id, action.wave])).toEqual([
      ['create', 'CloudFormationStack:platform-network', 0],
      ['wait', 'EcsService:prod/web', 1],
    ]);
    expect(result.plan.actions[1]).toMatchObject({
      waitsFor: ['platform-network'],
      changes: [],
      reason: 'waits for stack platform-network to be stable: its outputs may change',
    });
    expect(result.plan.summary).toMatchObject({ create: 1, wait: 1 });
  });

  it('leaves out a service whose reference names a missing stack or output: E_REFERENCE at file:line', () => {
    // Prepare
    const web = WEB.replace(
      SUBNETS,
      'subnets: ["${stack:platform-network.SubnetC}", "${stack:platform-gone.SubnetB}"]',
    );
    const worker = WEB.replace('name: web, cluster: prod', 'name: worker, cluster: prod');

    // Act
    const result = planWithReferences({
      snapshot: snapshotOf({ 'web.yaml': web, 'worker.yaml': worker }),
      live: liveStateOf([], ['EcsService:prod/web', 'EcsService:prod/worker']),
      stacks: stacks({ 'platform-network': complete(OUTPUTS), 'platform-gone': undefined }),
    });

    // Assess
    expect(result.diagnostics).toEqual([
      {
        code: 'E_REFERENCE',
        severity: 'error',
        file: 'web.yaml',
        line: 7,
        column: 60,
        message:
          '${stack:platform-network.SubnetC}: stack platform-network (UPDATE_COMPLETE) has no output SubnetC (its outputs: SubnetA, SubnetB, VpcId)',
      },
      {
        code: 'E_REFERENCE',
        severity: 'error',
        file: 'web.yaml',
        line: 7,
        column: 97,
        message: '${stack:platform-gone.SubnetB}: stack platform-gone does not exist',
      },
    ]);
    expect(result.snapshot.declarations.map((declaration) => declaration.id)).toEqual(['EcsService:prod/worker']);
    expect(result.snapshot.pruneBlocked).toBe(true);
    expect(result.snapshot.diagnostics).toEqual(result.diagnostics);
    expect(result.plan.actions.map((action) => [action.type, action.id])).toEqual([
      ['create', 'EcsService:prod/worker'],
    ]);
  });

  it('never reads a stack Settings do not let references read: E_REFERENCE, and the stack is not described', () => {
    // Prepare
    const web = WEB.replace(
      SUBNETS,
      'subnets: ["${stack:billing-database.SubnetA}", "${stack:platform-network.SubnetB}"]',
    );
    const snapshot = snapshotOf({ 'web.yaml': web });

    // Act
    const names = referencedStackNames(snapshot);
    const result = planWithReferences({
      snapshot,
      live: liveStateOf([], ['EcsService:prod/web']),
      stacks: stacks({ 'platform-network': complete(OUTPUTS), 'billing-database': complete({ SubnetA: 'subnet-x' }) }),
    });

    // Assess
    expect(names).toEqual(['platform-network']);
    expect(result.diagnostics.map(({ code, line, message }) => ({ code, line, message }))).toEqual([
      {
        code: 'E_REFERENCE',
        line: 7,
        message:
          '${stack:billing-database.SubnetA} may not read stack billing-database: Settings (targets) let references read only stacks under the prefix platform- and those listed in readStacks (none)',
      },
    ]);
    expect(result.snapshot.declarations).toEqual([]);
  });

  it('checks a resolved role ARN against targets.roleArnPatterns: E_ROLE, and the service is left out', () => {
    // Prepare
    const web = WEB_REFERENCING.replace(
      '    family: web\n',
      '    family: web\n    taskRoleArn: ${stack:platform-roles.WebTaskRole}\n    executionRoleArn: "arn:aws:iam::123456789012:role/app/${stack:platform-roles.ExecutionRoleName}"\n',
    );
    const run = (outputs: Record<string, string>) =>
      planWithReferences({
        snapshot: snapshotOf({ 'web.yaml': web }),
        live: liveStateOf([], ['EcsService:prod/web']),
        stacks: stacks({ 'platform-network': complete(OUTPUTS), 'platform-roles': complete(outputs) }),
      });

    // Act
    const refused = run({ WebTaskRole: 'arn:aws:iam::123456789012:role/admin/root', ExecutionRoleName: 'web-exec' });
    const allowed = run({ WebTaskRole: 'arn:aws:iam::123456789012:role/app/web-task', ExecutionRoleName: 'web-exec' });

    // Assess
    expect(refused.diagnostics).toEqual([
      {
        code: 'E_ROLE',
        severity: 'error',
        file: 'web.yaml',
        line: 11,
        column: 18,
        message:
          'taskRoleArn arn:aws:iam::123456789012:role/admin/root (from ${stack:platform-roles.WebTaskRole}) does not match an allowed role ARN pattern in Settings (targets.roleArnPatterns: arn:aws:iam::123456789012:role/app/*)',
      },
    ]);
    expect(refused.snapshot.declarations).toEqual([]);
    expect(allowed.diagnostics).toEqual([]);
    const taskDefinition = (allowed.snapshot.declarations[0] as EcsServiceDeclaration).document.spec.taskDefinition;
    expect([taskDefinition.taskRoleArn, taskDefinition.executionRoleArn]).toEqual([
      'arn:aws:iam::123456789012:role/app/web-task',
      'arn:aws:iam::123456789012:role/app/web-exec',
    ]);
  });

  it('checks a resolved service role (a lifecycle hook roleArn) against targets.roleArnPatterns too', () => {
    // Prepare
    const web = WEB_REFERENCING.replace(
      '  deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } }\n',
      [
        '  loadBalancers:',
        '    - targetGroupArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1',
        '      containerName: web',
        '      containerPort: 8080',
        '      advancedConfiguration:',
        '        alternateTargetGroupArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2',
        '        productionListenerRule: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/1/2/3',
        '        roleArn: arn:aws:iam::123456789012:role/app/web-elb',
        '  deploymentConfiguration:',
        '    strategy: BLUE_GREEN',
        '    lifecycleHooks:',
        '      - hookTargetArn: arn:aws:lambda:us-east-1:123456789012:function:check',
        '        roleArn: ${stack:platform-roles.HookRole}',
        '        lifecycleStages: [POST_TEST_TRAFFIC_SHIFT]',
        '',
      ].join('\n'),
    );
    const run = (HookRole: string) =>
      planWithReferences({
        snapshot: snapshotOf({ 'web.yaml': web }),
        live: liveStateOf([], ['EcsService:prod/web']),
        stacks: stacks({ 'platform-network': complete(OUTPUTS), 'platform-roles': complete({ HookRole }) }),
      });

    // Act
    const refused = run('arn:aws:iam::123456789012:role/admin/root');
    const allowed = run('arn:aws:iam::123456789012:role/app/web-hook');

    // Assess
    expect(refused.diagnostics.map(({ code, message }) => ({ code, message }))).toEqual([
      {
        code: 'E_ROLE',
        message:
          'roleArn arn:aws:iam::123456789012:role/admin/root (from ${stack:platform-roles.HookRole}) does not match an allowed role ARN pattern in Settings (targets.roleArnPatterns: arn:aws:iam::123456789012:role/app/*)',
      },
    ]);
    expect(refused.snapshot.declarations).toEqual([]);
    expect(allowed.diagnostics).toEqual([]);
  });

  it('returns the same plan as buildPlan when no service references a stack', () => {
    // Act
    const result = planWithReferences({
      snapshot: snapshotOf({ 'web.yaml': WEB }),
      live: liveStateOf([liveWeb()]),
      stacks: new Map(),
    });

    // Assess
    expect(result.plan.actions.map((action) => [action.type, action.resolved])).toEqual([['in-sync', undefined]]);
  });
});
