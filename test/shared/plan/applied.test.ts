/** The record of the last apply and the three-way origin of a difference (shared/plan/applied.ts). */
import { describe, expect, it } from 'vitest';
import { appliedRecordOf, desiredHashOf, originOf } from '../../../shared/plan/applied.ts';
import type { LiveEcsService, LiveStack } from '../../../shared/plan/live-state.ts';

const service = (tags: unknown): LiveEcsService => ({
  kind: 'EcsService',
  id: 'EcsService:prod/web',
  cluster: 'prod',
  name: 'web',
  service: { serviceName: 'web', tags },
  taskDefinition: {},
  taskDefinitionTags: [],
});

const stack = (Tags: unknown): LiveStack => ({
  kind: 'CloudFormationStack',
  id: 'CloudFormationStack:network',
  name: 'network',
  stack: { StackName: 'network', Tags },
});

describe('desiredHashOf', () => {
  it('hashes the same state the same whatever the key order, and a different state differently', () => {
    // Act
    const one = desiredHashOf({ spec: { desiredCount: 3, launchType: 'FARGATE' }, b: [1, { y: 2, x: 1 }] });
    const reordered = desiredHashOf({ b: [1, { x: 1, y: 2 }], spec: { launchType: 'FARGATE', desiredCount: 3 } });
    const changed = desiredHashOf({ spec: { desiredCount: 4, launchType: 'FARGATE' }, b: [1, { y: 2, x: 1 }] });
    const listOrder = desiredHashOf({ spec: { desiredCount: 3, launchType: 'FARGATE' }, b: [{ y: 2, x: 1 }, 1] });

    // Assess
    expect(one).toMatch(/^[0-9a-f]{20}$/);
    expect(reordered).toBe(one);
    expect(changed).not.toBe(one);
    expect(listOrder).not.toBe(one);
  });
});

describe('appliedRecordOf', () => {
  it("reads a service's record from its tags", () => {
    // Act
    const record = appliedRecordOf(
      service([
        { key: 'team', value: 'storefront' },
        { key: 'driftless:commit', value: 'c'.repeat(40) },
        { key: 'driftless:desired', value: 'abc' },
      ]),
    );

    // Assess
    expect(record).toEqual({ commitId: 'c'.repeat(40), desiredHash: 'abc' });
  });

  it("reads a stack's record from its Tags", () => {
    // Act
    const record = appliedRecordOf(
      stack([
        { Key: 'driftless:commit', Value: 'd'.repeat(40) },
        { Key: 'driftless:desired', Value: 'def' },
      ]),
    );

    // Assess
    expect(record).toEqual({ commitId: 'd'.repeat(40), desiredHash: 'def' });
  });

  it('has no record for an absent resource, missing tags or malformed tags', () => {
    // Assess
    expect(appliedRecordOf(undefined)).toEqual({});
    expect(appliedRecordOf(service(undefined))).toEqual({});
    expect(appliedRecordOf(service([null, 'x', { key: 'driftless:desired', value: 7 }]))).toEqual({});
  });
});

describe('originOf', () => {
  it('is drift when Git has not changed since the last apply, pending when it has, unrecorded without a record', () => {
    // Assess
    expect(originOf('h1', { desiredHash: 'h1' })).toBe('drift');
    expect(originOf('h2', { desiredHash: 'h1' })).toBe('pending');
    expect(originOf('h2', {})).toBe('unrecorded');
  });
});
