import { type Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT } from '../../functions/environment.ts';
import { ECS_MANUAL_CHANGE_CALLS, STACK_MANUAL_CHANGE_CALLS } from '../../shared/triggers/manual-change.ts';
import {
  asArray,
  type Json,
  propertiesOf,
  REQUIRED_CONTEXT,
  type Statement,
  type Synthesized,
  synthesize,
} from './synth.ts';

const CONTEXT = {
  ...REQUIRED_CONTEXT,
  createTrail: 'true',
  trailRetentionDays: '30',
};

let synthesized: Synthesized | undefined;
let template: Template;
let annotations: Annotations;
let resources: Record<string, Json>;

function resourcesOfType(type: string): [string, Json][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

beforeAll(() => {
  synthesized = synthesize(CONTEXT);
  ({ template, annotations, resources } = synthesized);
}, 180_000);

afterAll(() => synthesized?.cleanup());

function functionId(prefix: string): string {
  const [id] = resourcesOfType('AWS::Lambda::Function')
    .map(([candidate]) => candidate)
    .filter((candidate) => candidate.startsWith(prefix));
  expect(id, prefix).toBeDefined();
  return id as string;
}

describe('manual-change rules', () => {
  it.each([
    ['aws.ecs', 'ecs.amazonaws.com', ECS_MANUAL_CHANGE_CALLS],
    ['aws.cloudformation', 'cloudformation.amazonaws.com', STACK_MANUAL_CHANGE_CALLS],
  ])('sends successful %s write calls from CloudTrail to the manual-change function', (source, eventSource, calls) => {
    // Prepare
    const manualChange = functionId('ManualChange');
    const rules = resourcesOfType('AWS::Events::Rule').filter(
      ([, rule]) => (propertiesOf(rule).EventPattern as Json | undefined)?.source?.toString() === source,
    );
    const [, rule] =
      rules.find(([, candidate]) =>
        ((propertiesOf(candidate).EventPattern as Json)['detail-type'] as string[]).includes(
          'AWS API Call via CloudTrail',
        ),
      ) ?? [];

    // Assess
    expect(propertiesOf(rule).EventPattern).toEqual({
      source: [source],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: [eventSource], eventName: [...calls], errorCode: [{ exists: false }] },
    });
    const [target] = propertiesOf(rule).Targets as Json[];
    expect(target?.Arn).toEqual({ 'Fn::GetAtt': [manualChange, 'Arn'] });
    expect(target?.RetryPolicy).toEqual({
      MaximumRetryAttempts: expect.any(Number),
      MaximumEventAgeInSeconds: expect.any(Number),
    });
    expect(target?.DeadLetterConfig).toBeDefined();
  });

  it('tells the function every role driftless acts with, so its own calls are never answered', () => {
    // Prepare
    const variables = (propertiesOf(resources[functionId('ManualChange')]).Environment as { Variables: Json })
      .Variables;
    const roles = resourcesOfType('AWS::IAM::Role')
      .map(([id]) => id)
      .filter(
        (id) =>
          /^(Push|Sweep|PullRequest|DeploymentOutcome|ManualChange)Role/.test(id) || /^CloudFormationRole/.test(id),
      );

    // Assess
    const value = variables[ENVIRONMENT.ownRoleArns] as { 'Fn::Join': [string, unknown[]] };
    expect(value['Fn::Join'][0]).toBe('');
    const joined = JSON.stringify(value);
    expect(roles).toHaveLength(6);
    for (const role of roles) expect(joined).toContain(`"${role}"`);
    expect(propertiesOf(resources[functionId('ManualChange')]).ReservedConcurrentExecutions).toBe(1);
  });
});

describe('optional trail', () => {
  it('logs write management events of this region into a private, encrypted bucket that forgets them', () => {
    // Assess
    template.resourceCountIs('AWS::CloudTrail::Trail', 1);
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsLogging: true,
      IsMultiRegionTrail: false,
      IncludeGlobalServiceEvents: false,
      EnableLogFileValidation: true,
      EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'WriteOnly' }],
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('has no unsuppressed cdk-nag AwsSolutions error or warning', () => {
    // Assess
    const findings = [
      ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ];
    expect(findings.map((finding) => `${finding.id}: ${String(finding.entry.data)}`)).toEqual([]);
  });
});

describe('pull requests', () => {
  it('allows CreatePullRequest, CreateBranch and CreateCommit on the configuration repository only', () => {
    // Prepare
    const proposing = resourcesOfType('AWS::IAM::Policy').flatMap(([policy, resource]) =>
      ((propertiesOf(resource).PolicyDocument as Json).Statement as Statement[])
        .filter((statement) =>
          asArray(statement.Action).some((action) =>
            ['codecommit:CreatePullRequest', 'codecommit:CreateBranch', 'codecommit:CreateCommit'].includes(action),
          ),
        )
        .map((statement) => ({ policy, statement })),
    );

    // Assess
    expect(proposing.length).toBeGreaterThan(0);
    for (const { statement } of proposing) {
      expect(statement.Effect).toBe('Allow');
      expect(JSON.stringify(statement.Resource)).toMatch(/codecommit:.*:platform-config"/);
      expect(asArray(statement.Resource as string)).toHaveLength(1);
    }
    const branchWrites = proposing.filter(({ statement }) =>
      asArray(statement.Action).some((action) =>
        ['codecommit:CreateBranch', 'codecommit:CreateCommit'].includes(action),
      ),
    );
    for (const { statement } of branchWrites) {
      expect(statement.Condition).toEqual({ StringLike: { 'codecommit:References': 'refs/heads/driftless/*' } });
    }
    // Plans only: the pull-request function comments, it never proposes.
    expect(proposing.some(({ policy }) => policy.startsWith('PullRequestRole'))).toBe(false);
  });
});
