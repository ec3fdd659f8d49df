import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../shared/plan/plan.ts';
import { describeOrigin, renderPlan, summaryLine } from '../../../shared/plan/render.ts';

const plan: Plan = {
  commitId: 'c0ffee',
  hasChanges: true,
  summary: { create: 1, update: 1, delete: 1, replace: 0, wait: 1, inSync: 1 },
  actions: [
    {
      type: 'create',
      id: 'CloudFormationStack:platform-network',
      kind: 'CloudFormationStack',
      wave: 0,
      file: 'stacks/network.yaml',
      health: 'Missing',
      ignored: [],
      changes: [
        {
          path: '/',
          after: {
            spec: {
              parameters: { VpcCidr: '10.0.0.0/16' },
              template: { Resources: { Vpc: { Type: 'AWS::EC2::VPC' }, Subnet: { Type: 'AWS::EC2::Subnet' } } },
            },
          },
        },
      ],
    },
    {
      type: 'wait',
      id: 'CloudFormationStack:platform-dns',
      kind: 'CloudFormationStack',
      wave: 0,
      health: 'Progressing',
      changes: [],
      ignored: [],
      reason: 'the stack is UPDATE_IN_PROGRESS',
    },
    {
      type: 'update',
      id: 'EcsService:prod/web',
      kind: 'EcsService',
      wave: 1,
      file: 'services/web.yaml',
      health: 'Healthy',
      changes: [{ path: '/spec/desiredCount', before: 6, after: 3 }],
      ignored: [
        {
          path: '/spec/enableExecuteCommand',
          before: true,
          after: false,
          rule: '/spec/enableExecuteCommand',
          source: 'settings',
        },
      ],
    },
    {
      type: 'in-sync',
      id: 'EcsService:prod/api',
      kind: 'EcsService',
      wave: 1,
      health: 'Healthy',
      changes: [],
      ignored: [],
    },
    {
      type: 'prune',
      id: 'EcsService:prod/old',
      kind: 'EcsService',
      wave: 1,
      health: 'Healthy',
      changes: [],
      ignored: [],
      blockedBy: ['pruning is off in driftless.yaml (spec.sync.prune: false)'],
    },
  ],
};

describe('renderPlan', () => {
  const text = renderPlan(plan);

  it('shows a created stack by its parameters and the names of its resources, not every template leaf', () => {
    expect(text).toContain('+ CloudFormationStack platform-network: create [Missing, wave 0]  (stacks/network.yaml)');
    expect(text).toContain('    /spec/template/Resources: ["Vpc","Subnet"]');
    expect(text).toContain('    /spec/parameters/VpcCidr: "10.0.0.0/16"');
    expect(text).not.toContain('AWS::EC2::VPC');
  });

  it('shows changed fields as path: before → after, and what an ignore rule hid', () => {
    expect(text).toContain(
      '~ EcsService prod/web: update [Healthy, wave 1]  (services/web.yaml)\n    /spec/desiredCount: 6 → 3',
    );
    expect(text).toContain(
      '    ignored /spec/enableExecuteCommand: true → false (rule /spec/enableExecuteCommand, from settings)',
    );
  });

  it('shows waits with their reason and prunes with their guards', () => {
    expect(text).toContain(
      '… CloudFormationStack platform-dns: wait [Progressing, wave 0]\n    the stack is UPDATE_IN_PROGRESS',
    );
    expect(text).toContain('- EcsService prod/old: delete (prune) [Healthy, wave 1]\n    blocked: pruning is off');
  });

  it('leaves quiet in-sync resources out unless asked', () => {
    expect(text).not.toContain('prod/api');
    expect(renderPlan(plan, { verbose: true })).toContain('= EcsService prod/api: in sync');
  });

  it('ends with the summary line', () => {
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'Plan: 1 to create, 1 to update, 1 to delete, 1 in sync (1 waiting).',
    );
    expect(summaryLine({ ...plan, summary: { create: 0, update: 0, delete: 0, replace: 2, wait: 0, inSync: 3 } })).toBe(
      'Plan: 0 to create, 0 to update, 0 to delete, 3 in sync (2 replace required).',
    );
  });
});

describe('describeOrigin', () => {
  const update = {
    type: 'update' as const,
    id: 'EcsService:prod/web',
    kind: 'EcsService' as const,
    wave: 1,
    health: 'Healthy' as const,
    ignored: [],
    changes: [{ path: '/spec/desiredCount', before: 7, after: 3 }],
    lastApplied: { commitId: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', desiredHash: 'h1' },
  };

  it('says a pending Git change is applied whatever the drift policy, naming the last applied commit', () => {
    // Act
    const text = renderPlan({ ...singleActionPlan, actions: [{ ...update, origin: 'pending' }] });

    // Assess
    expect(text).toContain(
      'Git change not applied yet (last applied at a1b2c3d4e5f6): applied whatever the drift policy',
    );
  });

  it('says drift is a change made outside Git since the last apply', () => {
    // Act
    const text = renderPlan({ ...singleActionPlan, actions: [{ ...update, origin: 'drift' }] });

    // Assess
    expect(text).toContain('drift: changed outside Git since the last apply (last applied at a1b2c3d4e5f6)');
  });

  it('says nothing where there is no record to compare with, or for a create', () => {
    // Act
    const unrecorded = describeOrigin({ ...update, origin: 'unrecorded' });
    const created = describeOrigin({ ...update, type: 'create', origin: 'pending' });

    // Assess
    expect(unrecorded).toBeUndefined();
    expect(created).toBeUndefined();
  });
});

const singleActionPlan: Plan = {
  commitId: 'c0ffee',
  hasChanges: true,
  summary: { create: 0, update: 1, delete: 0, replace: 0, wait: 0, inSync: 0 },
  actions: [],
};
