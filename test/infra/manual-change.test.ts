/** The stack's manual-change path, with the optional trail (-c createTrail=true): two rules on "AWS API Call via
 * CloudTrail" events for the write calls the function answers, successful calls only, targeting the manual-change
 * function with retries and a dead-letter queue; the function told every role driftless itself uses (no loop); a
 * single-region, write-only trail into a private, encrypted bucket when asked for, and none otherwise; pull requests
 * allowed on the one repository only. One synthesis for the whole file (the trail-less stack is stack.test.ts's). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT } from '../../functions/environment.ts';
import { createApp } from '../../infra/create-app.ts';
import { ECS_MANUAL_CHANGE_CALLS, STACK_MANUAL_CHANGE_CALLS } from '../../shared/manual-change.ts';

const CONTEXT = {
  repository: 'platform-config',
  allowedClusters: 'prod,staging',
  stackNamePrefix: 'platform-',
  roleArnPatterns: 'arn:aws:iam::123456789012:role/app/*',
  createTrail: 'true',
  trailRetentionDays: '30',
};

type Json = Record<string, unknown>;
interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

let outdir: string;
let template: Template;
let annotations: Annotations;
let resources: Record<string, Json>;

function resourcesOfType(type: string): [string, Json][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

function propertiesOf(resource: Json | undefined): Json {
  return (resource?.Properties ?? {}) as Json;
}

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'driftless-cdk-trail-'));
  const { stack } = createApp(CONTEXT, { outdir });
  template = Template.fromStack(stack);
  annotations = Annotations.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Json>;
}, 180_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

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
    const commits = proposing.filter(({ statement }) => asArray(statement.Action).includes('codecommit:CreateCommit'));
    for (const { statement } of commits) {
      expect(statement.Condition).toEqual({ StringLike: { 'codecommit:References': ['refs/heads/driftless/*'] } });
    }
    // Plans only: the pull-request function comments, it never proposes.
    expect(proposing.some(({ policy }) => policy.startsWith('PullRequestRole'))).toBe(false);
  });
});
