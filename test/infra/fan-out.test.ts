import { type Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT, readEnvironment } from '../../functions/environment.ts';
import {
  asArray,
  type Json,
  type PolicyStatementOf,
  propertiesOf,
  REQUIRED_CONTEXT,
  type Synthesized,
  synthesize,
} from './synth.ts';

const CONTEXT = {
  ...REQUIRED_CONTEXT,
  sweepShardSize: '500',
  sweepWorkers: '6',
};

let synthesized: Synthesized | undefined;
let template: Template;
let annotations: Annotations;
let resources: Record<string, Json>;
let statements: PolicyStatementOf[];
let shardQueueId: string;
let deadLetterId: string;
let workerId: string;
let sweepId: string;

function resourcesOfType(type: string): [string, Json][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

function variablesOf(id: string): Json {
  return (propertiesOf(resources[id]).Environment as { Variables: Json }).Variables;
}

function onlyId(type: string, pattern: RegExp): string {
  const ids = resourcesOfType(type)
    .map(([id]) => id)
    .filter((id) => pattern.test(id));
  expect(ids, `${type} ${pattern}`).toHaveLength(1);
  return ids[0] as string;
}

beforeAll(() => {
  synthesized = synthesize(CONTEXT);
  ({ template, annotations, resources, statements } = synthesized);
  shardQueueId = onlyId('AWS::SQS::Queue', /^SweepShardsQueue/);
  deadLetterId = onlyId('AWS::SQS::Queue', /^SweepShardsDeadLetters/);
  workerId = onlyId('AWS::Lambda::Function', /^SweepShardFunction/);
  sweepId = onlyId('AWS::Lambda::Function', /^SweepFunction/);
}, 180_000);

afterAll(() => synthesized?.cleanup());

describe('DriftlessStack with fan-out: the shard queue', () => {
  it('is encrypted, TLS-only, visible again only after six worker timeouts, dead-lettered after three receives', () => {
    // Prepare
    const queue = propertiesOf(resources[shardQueueId]);
    const worker = propertiesOf(resources[workerId]);

    // Assess
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (worker.Timeout as number));
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterId, 'Arn'] },
      maxReceiveCount: 3,
    });
    for (const id of [shardQueueId, deadLetterId]) {
      expect(propertiesOf(resources[id]).SqsManagedSseEnabled, id).toBe(true);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('alarms on the first message in its dead-letter queue', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterId, 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });
});

describe('DriftlessStack with fan-out: the sweep-shard worker', () => {
  it('runs 15 minutes at most, sweepWorkers at a time, like the other functions otherwise', () => {
    // Prepare
    const worker = propertiesOf(resources[workerId]);

    // Assess
    expect(worker).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 900,
      ReservedConcurrentExecutions: 6,
    });
    expect(propertiesOf(resources[sweepId]).ReservedConcurrentExecutions).toBe(1);
    // A shard the worker fails on ends in the shard dead-letter queue, whose alarm says so: no second alarm.
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: workerId } }] },
      0,
    );
  });

  it('reads the shard queue one message at a time, reporting batch item failures, at most sweepWorkers at once', () => {
    // Prepare
    const mappings = resourcesOfType('AWS::Lambda::EventSourceMapping');

    // Assess
    expect(mappings).toHaveLength(1);
    expect(propertiesOf(mappings[0]?.[1])).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [shardQueueId, 'Arn'] },
      FunctionName: { Ref: workerId },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 6 },
    });
  });

  it('is granted what the sweep is granted, plus consuming the shard queue', () => {
    // Prepare
    const granted = (pattern: RegExp) =>
      statements
        // Each writes its own log group; the rest is the same.
        .filter(({ policy, statement }) => pattern.test(policy) && ![undefined, 'WriteOwnLogs'].includes(statement.Sid))
        .map(({ statement }) => JSON.stringify({ ...statement, Sid: statement.Sid }))
        .sort();
    const consume = statements.filter(
      ({ policy, statement }) =>
        /^SweepShardRole/.test(policy) && JSON.stringify(statement.Resource).includes(`"${shardQueueId}"`),
    );

    // Assess
    const sweepGrants = granted(/^SweepRole/).filter((statement) => !statement.includes('SendSweepShards'));
    expect(granted(/^SweepShardRole/)).toEqual(sweepGrants);
    expect(consume).toHaveLength(1);
    expect(asArray(consume[0]?.statement.Action ?? []).sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
  });
});

describe('DriftlessStack with fan-out: the sweep', () => {
  it('may only SendMessage to the shard queue, nothing else in SQS', () => {
    // Prepare
    const sqsOfSweep = statements.filter(
      ({ policy, statement }) =>
        /^SweepRole/.test(policy) && asArray(statement.Action).some((action) => action.startsWith('sqs:')),
    );
    const onShardQueue = statements.filter(({ statement }) =>
      JSON.stringify(statement.Resource).includes(`"${shardQueueId}"`),
    );

    // Assess
    expect(sqsOfSweep.map(({ statement }) => statement)).toEqual([
      {
        Sid: 'SendSweepShards',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [shardQueueId, 'Arn'] },
      },
    ]);
    expect(onShardQueue.map(({ policy }) => policy.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'SweepRoleDefaultPolicy',
      'SweepShardRoleDefaultPolicy',
    ]);
  });

  it('alone is told the shard size and the queue, in the environment readEnvironment parses', () => {
    // Prepare
    const sweep = variablesOf(sweepId);
    const asStrings = Object.fromEntries(
      Object.entries(sweep).map(([name, value]) => [
        name,
        typeof value === 'string'
          ? value
          : name === ENVIRONMENT.shardQueueUrl
            ? 'https://sqs.us-east-1.amazonaws.com/123456789012/shards'
            : `arn:token:${name}`,
      ]),
    );

    // Assess
    expect(sweep[ENVIRONMENT.sweepShardSize]).toBe('500');
    expect(sweep[ENVIRONMENT.shardQueueUrl]).toEqual({ Ref: shardQueueId });
    expect(readEnvironment(asStrings)).toMatchObject({
      sweepShardSize: 500,
      shardQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/shards',
    });
    for (const [id] of resourcesOfType('AWS::Lambda::Function')) {
      if (id === sweepId) continue;
      expect(variablesOf(id)[ENVIRONMENT.sweepShardSize], id).toBeUndefined();
      expect(variablesOf(id)[ENVIRONMENT.shardQueueUrl], id).toBeUndefined();
    }
  });
});

describe('DriftlessStack with fan-out: compliance', () => {
  it('allows no SQS, ECS or CloudFormation write on "*" but the documented RegisterTaskDefinition', () => {
    // Prepare
    const offending = statements.flatMap(({ policy, statement }) => {
      if (statement.Effect !== 'Allow' || !asArray(statement.Resource).includes('*')) return [];
      return asArray(statement.Action)
        .filter((action) => /^(sqs|ecs|cloudformation|iam|dynamodb|lambda):/.test(action) || action === '*')
        .filter((action) => !/^(ecs:(List|Describe)|cloudformation:Describe)/.test(action))
        .filter(
          (action) =>
            !(
              action === 'ecs:RegisterTaskDefinition' &&
              statement.Condition?.StringEquals?.['aws:RequestTag/driftless:managed-by'] === 'default'
            ),
        )
        .map((action) => `${policy}: ${action}`);
    });

    // Assess
    expect(offending).toEqual([]);
  });

  it('passes roles only with iam:PassedToService, never on "*"', () => {
    // Prepare
    const passRoles = statements.filter(
      ({ statement }) => statement.Effect === 'Allow' && asArray(statement.Action).includes('iam:PassRole'),
    );
    const byFunctions = passRoles.filter(({ policy }) => !policy.startsWith('CloudFormationRole'));

    // Assess: each function that writes passes the task roles to ECS tasks, a service's infrastructure roles to ECS
    // and the service role to CloudFormation.
    const passed = byFunctions.map(
      ({ policy, statement }) =>
        `${policy.replace(/DefaultPolicy[0-9A-F]{8}$/, '')} → ${statement.Condition?.StringEquals?.['iam:PassedToService']}`,
    );
    expect(passed.sort()).toEqual(
      ['ManualChangeRole', 'PushRole', 'SweepRole', 'SweepShardRole'].flatMap((role) => [
        `${role} → cloudformation.amazonaws.com`,
        `${role} → ecs-tasks.amazonaws.com`,
        `${role} → ecs.amazonaws.com`,
      ]),
    );
    for (const { statement } of passRoles) {
      expect(statement.Condition?.StringEquals?.['iam:PassedToService']).toBeDefined();
      expect(asArray(statement.Resource)).not.toContain('*');
    }
  });

  it('has no unsuppressed cdk-nag AwsSolutions error or warning', () => {
    // Assess
    const findings = [
      ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ];
    expect(findings.map((finding) => `${finding.id}: ${String(finding.entry.data).slice(0, 120)}`)).toEqual([]);
  });
});
