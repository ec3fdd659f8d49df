/** Reading CloudTrail records: which managed resource a write call changed, who made it, and which calls are not
 * answered; and the coalescing of a burst. */
import { describe, expect, it } from 'vitest';
import {
  ALL_STACKS,
  type CloudTrailDetail,
  callerOf,
  isOwnCall,
  ManualChangeCoalescer,
  readManualChange,
} from '../../../shared/triggers/manual-change.ts';

const SCOPE = {
  ownRoleArns: ['arn:aws:iam::123456789012:role/service-role/driftless-Push-ABC'],
  allowedClusters: ['prod', 'arn:aws:ecs:us-east-1:123456789012:cluster/batch'],
  stackNamePrefix: 'platform-',
};
const USER = { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/Mary_Major' };

function ecs(eventName: string, requestParameters: Record<string, unknown>, extra: Partial<CloudTrailDetail> = {}) {
  return {
    eventID: 'e-1',
    eventTime: '2024-05-01T12:00:00Z',
    eventSource: 'ecs.amazonaws.com',
    eventName,
    userIdentity: USER,
    requestParameters,
    responseElements: null,
    ...extra,
  } satisfies CloudTrailDetail;
}

function stack(eventName: string, requestParameters: Record<string, unknown>) {
  return { ...ecs(eventName, requestParameters), eventSource: 'cloudformation.amazonaws.com' };
}

describe('readManualChange', () => {
  it.each([
    [
      'UpdateService by name, cluster by name',
      ecs('UpdateService', { cluster: 'prod', service: 'web' }),
      'EcsService:prod/web',
    ],
    [
      'UpdateService by service ARN',
      ecs('UpdateService', { service: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web' }),
      'EcsService:prod/web',
    ],
    [
      'UpdateService with a cluster ARN',
      ecs('UpdateService', { cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/batch', service: 'jobs' }),
      'EcsService:batch/jobs',
    ],
    [
      'CreateService by serviceName',
      ecs('CreateService', { cluster: 'prod', serviceName: 'api' }),
      'EcsService:prod/api',
    ],
    [
      'DeleteService named in the response only',
      ecs(
        'DeleteService',
        { service: 'web' },
        { responseElements: { service: { serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web' } } },
      ),
      'EcsService:prod/web',
    ],
    [
      'TagResource on a service',
      ecs('TagResource', { resourceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web', tags: [] }),
      'EcsService:prod/web',
    ],
    [
      'UpdateStack by name',
      stack('UpdateStack', { stackName: 'platform-network' }),
      'CloudFormationStack:platform-network',
    ],
    [
      'DeleteStack by stack ARN',
      stack('DeleteStack', {
        stackName: 'arn:aws:cloudformation:us-east-1:123456789012:stack/platform-network/5b2a7c10-07e1-11ef',
      }),
      'CloudFormationStack:platform-network',
    ],
    [
      'UpdateTerminationProtection',
      stack('UpdateTerminationProtection', { stackName: 'platform-network', enableTerminationProtection: false }),
      'CloudFormationStack:platform-network',
    ],
    [
      'ExecuteChangeSet named by change-set ARN only',
      stack('ExecuteChangeSet', { changeSetName: 'arn:aws:cloudformation:us-east-1:123456789012:changeSet/x/1' }),
      ALL_STACKS,
    ],
  ])('%s → %s', (_name, detail, resource) => {
    expect(readManualChange(detail, SCOPE)).toEqual({
      answer: 'reconcile',
      resources: [resource],
      changedBy: USER.arn,
      apiCall: `${detail.eventSource.split('.')[0]}:${detail.eventName}`,
      eventId: 'e-1',
      eventTime: '2024-05-01T12:00:00Z',
    });
  });

  it.each([
    [
      'a task definition tag',
      ecs('TagResource', { resourceArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:3' }),
      /is not a service/,
    ],
    [
      'the old service ARN format',
      ecs('TagResource', { resourceArn: 'arn:aws:ecs:us-east-1:123456789012:service/web' }),
      /is not a service/,
    ],
    ['a cluster outside the limits', ecs('UpdateService', { cluster: 'staging', service: 'web' }), /outside/],
    ['the default cluster', ecs('UpdateService', { service: 'web' }), /EcsService:default\/web, outside/],
    ['a stack without the prefix', stack('UpdateStack', { stackName: 'billing-db' }), /outside/],
    ['a read call', ecs('DescribeServices', {}), /not a call that changes a service/],
    [
      'CreateChangeSet (nothing changes until executed)',
      stack('CreateChangeSet', { stackName: 'platform-network' }),
      /not a call that changes a stack/,
    ],
    ['another service', { ...ecs('PutObject', {}), eventSource: 's3.amazonaws.com' }, /not ECS or CloudFormation/],
  ])('ignores %s', (_name, detail, reason) => {
    const reading = readManualChange(detail, SCOPE);
    expect(reading.answer).toBe('ignore');
    expect(reading.answer === 'ignore' && reading.reason).toMatch(reason);
  });

  it('names an assumed role by the role it was issued from', () => {
    const detail = ecs(
      'UpdateService',
      { cluster: 'prod', service: 'web' },
      {
        userIdentity: {
          type: 'AssumedRole',
          arn: 'arn:aws:sts::123456789012:assumed-role/Admin/bob',
          sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::123456789012:role/Admin' } },
        },
      },
    );
    expect(callerOf(detail)).toBe('arn:aws:iam::123456789012:role/Admin');
  });

  it('recognises its own roles by issuer ARN and by assumed-role name (role paths included), not by a lookalike', () => {
    const own = (userIdentity: CloudTrailDetail['userIdentity']) =>
      isOwnCall(ecs('UpdateService', {}, { userIdentity }), SCOPE.ownRoleArns);
    expect(own({ sessionContext: { sessionIssuer: { arn: SCOPE.ownRoleArns[0] } } })).toBe(true);
    expect(own({ arn: 'arn:aws:sts::123456789012:assumed-role/driftless-Push-ABC/session' })).toBe(true);
    expect(own({ arn: 'arn:aws:sts::210987654321:assumed-role/driftless-Push-ABC/session' })).toBe(false);
    expect(own({ arn: 'arn:aws:sts::123456789012:assumed-role/driftless-Push-ABCD/session' })).toBe(false);
    expect(own(USER)).toBe(false);
  });
});

describe('ManualChangeCoalescer', () => {
  it('covers an event made at least a second before the run for every one of its resources started', () => {
    const coalescer = new ManualChangeCoalescer();
    coalescer.started(['EcsService:prod/web'], Date.parse('2024-05-01T12:00:10Z'));
    expect(coalescer.covered(['EcsService:prod/web'], '2024-05-01T12:00:09Z')).toBe(true);
    expect(coalescer.covered(['EcsService:prod/web'], '2024-05-01T12:00:09.500Z')).toBe(false);
    expect(coalescer.covered(['EcsService:prod/web'], '2024-05-01T12:00:10Z')).toBe(false);
    expect(coalescer.covered(['EcsService:prod/web', 'EcsService:prod/worker'], '2024-05-01T12:00:00Z')).toBe(false);
    expect(coalescer.covered(['EcsService:prod/web'], 'not a time')).toBe(false);
  });

  it('forgets the oldest resources past its limit', () => {
    const coalescer = new ManualChangeCoalescer(1_000, 2);
    coalescer.started(['a'], 10_000);
    coalescer.started(['b'], 10_000);
    coalescer.started(['c'], 10_000);
    expect(coalescer.covered(['a'], new Date(0).toISOString())).toBe(false);
    expect(coalescer.covered(['c'], new Date(0).toISOString())).toBe(true);
  });
});
