import { describe, expect, it } from 'vitest';
import { buildPlan, pruneGuards, removePointer } from '../../../shared/plan/plan.ts';
import { liveNetwork, liveWeb, NETWORK, TEMPLATE, templates, WEB } from '../../support/plan-fixtures.ts';
import { liveStateOf, snapshotOf } from '../../support/snapshots.ts';

describe('buildPlan', () => {
  it('plans a create for a declaration with nothing live', () => {
    const plan = buildPlan({
      snapshot: snapshotOf({ 'web.yaml': WEB }),
      live: liveStateOf([], ['EcsService:prod/web']),
    });
    expect(plan.actions.map((a) => [a.type, a.id, a.health])).toEqual([['create', 'EcsService:prod/web', 'Missing']]);
    expect(plan.summary).toMatchObject({ create: 1, update: 0, inSync: 0 });
  });

  it('finds a service and a stack in sync when live matches after ECS and CloudFormation defaults', () => {
    const plan = buildPlan({
      snapshot: snapshotOf({ 'web.yaml': WEB, 'network.yaml': NETWORK }, { templates }),
      live: liveStateOf([liveWeb(), liveNetwork()]),
    });
    expect(plan.actions.map((a) => [a.type, a.id, a.changes])).toEqual([
      ['in-sync', 'CloudFormationStack:platform-network', []],
      ['in-sync', 'EcsService:prod/web', []],
    ]);
    expect(plan.hasChanges).toBe(false);
  });

  it('names exactly the changed field, with before and after', () => {
    const plan = buildPlan({
      snapshot: snapshotOf({ 'web.yaml': WEB }),
      live: liveStateOf([liveWeb({ desiredCount: 5 })]),
    });
    expect(plan.actions).toEqual([
      expect.objectContaining({ type: 'update', changes: [{ path: '/spec/desiredCount', before: 5, after: 2 }] }),
    ]);
  });

  it('registers a task definition only when its content differs, before updating the service', () => {
    const live = liveWeb({}, {});
    const changedImage = liveStateOf([
      {
        ...live,
        taskDefinition: {
          ...live.taskDefinition,
          containerDefinitions: [{ ...(live.taskDefinition.containerDefinitions as object[])[0], image: 'web:1.4.1' }],
        },
      },
    ]);
    const plan = buildPlan({ snapshot: snapshotOf({ 'web.yaml': WEB }), live: changedImage });
    expect(plan.actions.map((a) => a.type)).toEqual(['register-task-definition', 'update']);
    expect(plan.actions[0]?.changes).toEqual([
      { path: '/spec/taskDefinition/containerDefinitions/web/image', before: 'web:1.4.1', after: 'web:1.4.2' },
    ]);
    expect(plan.actions[1]?.reason).toBe('roll out the new task definition revision');
    expect(plan.summary.update).toBe(1);
  });

  it('explains which ignore rule hid which difference, from Settings and from the declaration', () => {
    const settings = `apiVersion: driftless/v1
kind: Settings
spec:
  targets: { clusters: [prod] }
  sync: { ignore: { EcsService: [/spec/enableExecuteCommand] } }
`;
    const web = `${WEB}sync: { ignore: [/spec/taskDefinition/containerDefinitions/web/environment] }\n`;
    const live = liveWeb({ enableExecuteCommand: true });
    const withEnv = {
      ...live,
      taskDefinition: {
        ...live.taskDefinition,
        containerDefinitions: [
          {
            ...(live.taskDefinition.containerDefinitions as object[])[0],
            environment: [{ name: 'LOG_LEVEL', value: 'debug' }],
          },
        ],
      },
    };
    const plan = buildPlan({ snapshot: snapshotOf({ 'web.yaml': web }, { settings }), live: liveStateOf([withEnv]) });
    expect(plan.actions).toHaveLength(1);
    expect(plan.actions[0]).toMatchObject({ type: 'in-sync', changes: [] });
    expect(plan.actions[0]?.ignored).toEqual([
      {
        path: '/spec/enableExecuteCommand',
        before: true,
        after: false,
        rule: '/spec/enableExecuteCommand',
        source: 'settings',
      },
      {
        path: '/spec/taskDefinition/containerDefinitions/web/environment/LOG_LEVEL',
        before: 'debug',
        after: 'info',
        rule: '/spec/taskDefinition/containerDefinitions/web/environment',
        source: 'declaration',
      },
    ]);
  });

  it('never fights Application Auto Scaling over desiredCount, and says so', () => {
    const autoscaled = WEB.replace(
      'desiredCount: 2',
      'desiredCount: 2\n  autoscaling: { minCapacity: 2, maxCapacity: 10 }',
    );
    const plan = buildPlan({
      snapshot: snapshotOf({ 'web.yaml': autoscaled }),
      live: liveStateOf([liveWeb({ desiredCount: 9 })]),
    });
    expect(plan.actions[0]).toMatchObject({
      type: 'in-sync',
      ignored: [{ path: '/spec/desiredCount', before: 9, after: 2, rule: 'autoscaling', source: 'autoscaling' }],
    });
  });

  it('reports a launch type change as replace-required, not as an update', () => {
    const plan = buildPlan({
      snapshot: snapshotOf({ 'web.yaml': WEB }),
      live: liveStateOf([liveWeb({ launchType: 'EC2' })]),
    });
    expect(plan.actions.map((a) => a.type)).toEqual(['replace-required']);
    expect(plan.actions[0]?.reason).toContain('/spec/launchType');
  });

  it('reports moving from a launch type to a capacity provider strategy as replace-required', () => {
    const spot = WEB.replace(
      'launchType: FARGATE',
      'capacityProviderStrategy: [{ capacityProvider: FARGATE_SPOT, weight: 1 }]',
    );
    const plan = buildPlan({ snapshot: snapshotOf({ 'web.yaml': spot }), live: liveStateOf([liveWeb()]) });
    expect(plan.actions[0]).toMatchObject({ type: 'replace-required' });
    expect(plan.actions[0]?.reason).toContain('launchType ↔ capacityProviderStrategy');
  });

  it('waits for a busy stack instead of updating it', () => {
    const plan = buildPlan({
      snapshot: snapshotOf({ 'network.yaml': NETWORK }, { templates }),
      live: liveStateOf([liveNetwork({ StackStatus: 'UPDATE_IN_PROGRESS' }, undefined)]),
    });
    expect(plan.actions[0]).toMatchObject({ type: 'wait', health: 'Progressing' });
    expect(plan.hasChanges).toBe(true);
  });

  it('creates a stack left in REVIEW_IN_PROGRESS and calls for a replacement after ROLLBACK_COMPLETE', () => {
    const snapshot = snapshotOf({ 'network.yaml': NETWORK }, { templates });
    expect(
      buildPlan({ snapshot, live: liveStateOf([liveNetwork({ StackStatus: 'REVIEW_IN_PROGRESS' })]) }).actions[0]?.type,
    ).toBe('create');
    expect(
      buildPlan({ snapshot, live: liveStateOf([liveNetwork({ StackStatus: 'ROLLBACK_COMPLETE' })]) }).actions[0],
    ).toMatchObject({
      type: 'replace-required',
      health: 'Degraded',
    });
  });

  it('shows a template change as the changed template field', () => {
    const plan = buildPlan({
      snapshot: snapshotOf({ 'network.yaml': NETWORK }, { templates }),
      live: liveStateOf([
        liveNetwork({}, TEMPLATE.replace('AWS::EC2::VPC', 'AWS::EC2::VPC\n    DeletionPolicy: Retain')),
      ]),
    });
    expect(plan.actions[0]?.changes).toEqual([
      { path: '/spec/template/Resources/Vpc/DeletionPolicy', before: 'Retain' },
    ]);
  });

  it('leaves a stack role and termination protection that Git does not set alone, since applying cannot undo them', () => {
    const plan = buildPlan({
      snapshot: snapshotOf({ 'network.yaml': NETWORK }, { templates }),
      live: liveStateOf([
        liveNetwork({ RoleARN: 'arn:aws:iam::123456789012:role/app/cfn', EnableTerminationProtection: true }),
      ]),
    });
    expect(plan.actions[0]).toMatchObject({ type: 'in-sync', changes: [] });
  });

  it('orders stacks (wave 0) before services (wave 1)', () => {
    const plan = buildPlan({
      snapshot: snapshotOf({ 'web.yaml': WEB, 'network.yaml': NETWORK }, { templates }),
      live: liveStateOf([]),
    });
    expect(plan.actions.map((a) => [a.wave, a.id])).toEqual([
      [0, 'CloudFormationStack:platform-network'],
      [1, 'EcsService:prod/web'],
    ]);
  });

  it('masks values under secret-looking names, and keeps secret ARNs visible', () => {
    const live = liveWeb();
    const withSecretValue = {
      ...live,
      taskDefinition: {
        ...live.taskDefinition,
        containerDefinitions: [
          {
            ...(live.taskDefinition.containerDefinitions as object[])[0],
            environment: [
              { name: 'LOG_LEVEL', value: 'info' },
              { name: 'DB_PASSWORD', value: 'hunter2-from-a-console-edit' },
            ],
          },
        ],
      },
    };
    const plan = buildPlan({ snapshot: snapshotOf({ 'web.yaml': WEB }), live: liveStateOf([withSecretValue]) });
    expect(JSON.stringify(plan)).not.toContain('hunter2');
    expect(plan.actions[0]?.changes).toEqual([
      { path: '/spec/taskDefinition/containerDefinitions/web/environment/DB_PASSWORD', before: '(masked)' },
    ]);
  });

  it('lists prune candidates with every guard that stops them', () => {
    const plan = buildPlan({
      snapshot: snapshotOf({ 'web.yaml': WEB }),
      live: liveStateOf([liveWeb()]),
      managed: [
        { id: 'EcsService:prod/web', kind: 'EcsService' },
        { id: 'EcsService:prod/old-api', kind: 'EcsService' },
      ],
    });
    const prune = plan.actions.find((a) => a.type === 'prune');
    expect(prune).toMatchObject({ id: 'EcsService:prod/old-api' });
    expect(prune?.blockedBy).toEqual([
      'pruning is off in driftless.yaml (spec.sync.prune: false)',
      '1 of 2 managed resources is over maxPruneFraction 0.2',
    ]);
    expect(plan.summary.delete).toBe(1);
  });
});

describe('pruneGuards', () => {
  const allowed = {
    pruneEnabled: true,
    pruneBlocked: false,
    managedCount: 10,
    candidateCount: 2,
    maxPruneFraction: 0.2,
    allowEmpty: false,
  };

  it('allows a prune within every limit', () => {
    expect(pruneGuards(allowed)).toEqual([]);
  });

  it('refuses when a declaration failed, over the fraction, or down to empty', () => {
    expect(pruneGuards({ ...allowed, pruneBlocked: true })).toHaveLength(1);
    expect(pruneGuards({ ...allowed, candidateCount: 3 })).toEqual([
      '3 of 10 managed resources is over maxPruneFraction 0.2',
    ]);
    expect(pruneGuards({ ...allowed, managedCount: 1, candidateCount: 1, maxPruneFraction: 1 })).toEqual([
      'it would leave no managed resource (allowEmpty is not set)',
    ]);
    expect(
      pruneGuards({ ...allowed, managedCount: 1, candidateCount: 1, maxPruneFraction: 1, allowEmpty: true }),
    ).toEqual([]);
  });
});

describe('removePointer', () => {
  it('removes a nested field and leaves the rest', () => {
    expect(removePointer({ spec: { a: 1, b: { c: 2, d: 3 } } }, '/spec/b/c')).toEqual({ spec: { a: 1, b: { d: 3 } } });
    expect(removePointer({ spec: { 'a/b': 1 } }, '/spec/a~1b')).toEqual({ spec: {} });
    expect(removePointer({ spec: {} }, '/spec/missing/deep')).toEqual({ spec: {} });
  });
});
