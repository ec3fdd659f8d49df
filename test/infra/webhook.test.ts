/** A GitHub or GitLab source: the receiver behind a public function URL, the queue and its dead-letter queue, the
 * worker on the queue, secrets readable only by name and only by the functions that need them, no CodeCommit grant or
 * rule, the receiver confined to delivery items of the lock table, and cdk-nag clean. */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT, readEnvironment } from '../../functions/environment.ts';
import { ContextError, parseContext } from '../../infra/context.ts';
import { asArray, type Json, propertiesOf, REQUIRED_CONTEXT, type Synthesized, synthesize } from './synth.ts';

const { repository: _codeCommitRepository, ...TARGETS } = REQUIRED_CONTEXT;
const KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:driftless/github-app-key-AbCdEf';
const WEBHOOK_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:driftless/webhook-GhIjKl';
const TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:driftless/gitlab-token-MnOpQr';

const GITHUB = {
  ...TARGETS,
  source: 'github',
  githubRepository: 'acme/platform-config',
  githubAppId: '123456',
  githubAppPrivateKeySecretArn: KEY_ARN,
  githubApiUrl: 'https://github.example.com/api/v3',
  webhookSecretArn: WEBHOOK_ARN,
};
const GITLAB = {
  ...TARGETS,
  source: 'gitlab',
  gitlabProject: 'platform/team/platform-config',
  gitlabUrl: 'https://gitlab.example.com/',
  gitlabTokenSecretArn: TOKEN_ARN,
  webhookSecretArn: WEBHOOK_ARN,
};

let github: Synthesized | undefined;
let gitlab: Synthesized | undefined;

beforeAll(() => {
  github = synthesize(GITHUB);
  gitlab = synthesize(GITLAB);
}, 300_000);

afterAll(() => {
  github?.cleanup();
  gitlab?.cleanup();
});

function ofType(synthesized: Synthesized | undefined, type: string): [string, Json][] {
  return Object.entries(synthesized?.resources ?? {}).filter(([, resource]) => resource.Type === type);
}

function onlyId(synthesized: Synthesized | undefined, type: string, pattern: RegExp): string {
  const ids = ofType(synthesized, type)
    .map(([id]) => id)
    .filter((id) => pattern.test(id));
  expect(ids, `${type} ${pattern}`).toHaveLength(1);
  return ids[0] as string;
}

function variablesOf(synthesized: Synthesized | undefined, id: string): Json {
  return (propertiesOf(synthesized?.resources[id]).Environment as { Variables: Json }).Variables;
}

/** Resolved-at-deploy values stand in as ARN-shaped placeholders, as in stack.test.ts. */
function asStrings(variables: Json): Record<string, string> {
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      typeof value === 'string'
        ? value
        : name === ENVIRONMENT.webhookQueueUrl
          ? 'https://sqs.us-east-1.amazonaws.com/123456789012/token'
          : `arn:token:${name}`,
    ]),
  );
}

/** Every (policy, action, statement) of the synthesized policies. */
function actions(synthesized: Synthesized | undefined) {
  return (synthesized?.statements ?? []).flatMap(({ policy, statement }) =>
    asArray(statement.Action).map((action) => ({ policy, action, statement })),
  );
}

describe('a GitHub source', () => {
  let template: Template;
  beforeAll(() => {
    template = github!.template;
  });

  it('serves the receiver on a function URL without IAM auth (the signature is the authentication) and outputs it', () => {
    // Prepare
    const receiverId = onlyId(github, 'AWS::Lambda::Function', /^WebhookReceiverFunction/);

    // Assess
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [receiverId, 'Arn'] },
    });
    const outputs = template.toJSON().Outputs as Record<string, Json>;
    expect(outputs.WebhookUrl?.Value).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^WebhookReceiverFunctionFunctionUrl/), 'FunctionUrl'],
    });
    expect(outputs.RepositoryArn).toBeUndefined();
    expect(propertiesOf(github?.resources[receiverId])).toMatchObject({
      Timeout: 10,
      ReservedConcurrentExecutions: 10,
      Runtime: 'nodejs22.x',
    });
  });

  it('queues deliveries encrypted and TLS-only, dead-letters them after three receives and alarms on the first', () => {
    // Prepare
    const queueId = onlyId(github, 'AWS::SQS::Queue', /^WebhookQueue/);
    const deadLetterId = onlyId(github, 'AWS::SQS::Queue', /^WebhookDeadLetters/);
    const workerId = onlyId(github, 'AWS::Lambda::Function', /^WebhookWorkerFunction/);
    const queue = propertiesOf(github?.resources[queueId]);

    // Assess
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * (propertiesOf(github?.resources[workerId]).Timeout as number),
    );
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterId, 'Arn'] },
      maxReceiveCount: 3,
    });
    for (const id of [queueId, deadLetterId]) {
      expect(propertiesOf(github?.resources[id]).SqsManagedSseEnabled, id).toBe(true);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterId, 'QueueName'] } }],
      Threshold: 0,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: workerId },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('deploys the webhook worker instead of the CodeCommit push and pull-request functions and rules', () => {
    // Prepare
    const functions = ofType(github, 'AWS::Lambda::Function').map(([id]) => id.replace(/Function[0-9A-F]{8}$/, ''));
    const rules = ofType(github, 'AWS::Events::Rule').map(([, rule]) => JSON.stringify(propertiesOf(rule)));

    // Assess
    expect(functions.sort()).toEqual([
      'DeploymentOutcome',
      'ManualChange',
      'Sweep',
      'WebhookReceiver',
      'WebhookWorker',
    ]);
    expect(rules.filter((rule) => rule.includes('aws.codecommit'))).toEqual([]);
    expect(actions(github).filter(({ action }) => action.startsWith('codecommit:'))).toEqual([]);
  });

  it('lets each function read only the secrets it needs, named by full ARN, and only GetSecretValue', () => {
    // Prepare
    const secretReads = actions(github).filter(({ action }) => action.startsWith('secretsmanager:'));
    const byPolicy = new Map<string, unknown[]>();
    for (const { policy, action, statement } of secretReads) {
      expect(action).toBe('secretsmanager:GetSecretValue');
      byPolicy.set(policy.replace(/RoleDefaultPolicy.*$/, ''), asArray(statement.Resource as unknown));
    }

    // Assess
    expect(Object.fromEntries(byPolicy)).toEqual({
      WebhookReceiver: [WEBHOOK_ARN],
      WebhookWorker: [KEY_ARN],
      Sweep: [KEY_ARN],
      DeploymentOutcome: [KEY_ARN],
      ManualChange: [KEY_ARN],
    });
  });

  it('confines the receiver to delivery items of the lock table, its queue and its secret', () => {
    // Prepare
    const receiver = (github?.statements ?? [])
      .filter(({ policy }) => policy.startsWith('WebhookReceiverRole'))
      .map(({ statement }) => statement);
    const queueId = onlyId(github, 'AWS::SQS::Queue', /^WebhookQueue/);
    const lockId = onlyId(github, 'AWS::DynamoDB::Table', /^TablesLock/);

    // Assess
    expect(receiver.flatMap((statement) => asArray(statement.Action)).sort()).toEqual([
      'dynamodb:PutItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
      'sqs:SendMessage',
    ]);
    expect(receiver.find((statement) => statement.Action === 'dynamodb:PutItem')).toMatchObject({
      Resource: { 'Fn::GetAtt': [lockId, 'Arn'] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DELIVERY#*'] } },
    });
    expect(receiver.find((statement) => statement.Action === 'sqs:SendMessage')?.Resource).toEqual({
      'Fn::GetAtt': [queueId, 'Arn'],
    });
    // The lock table's resource policy lets the receiver through (its own policy confines it to delivery items).
    const lock = propertiesOf(github?.resources[lockId]);
    const deny = JSON.stringify(lock.ResourcePolicy);
    expect(deny).toContain('WebhookReceiverRole');
    expect(deny).toContain('WebhookWorkerRole');
  });

  it('gives the functions the GitHub settings, the receiver its secret and queue, in the environment they parse', () => {
    // Prepare
    const workerId = onlyId(github, 'AWS::Lambda::Function', /^WebhookWorkerFunction/);
    const receiverId = onlyId(github, 'AWS::Lambda::Function', /^WebhookReceiverFunction/);
    const manualChangeId = onlyId(github, 'AWS::Lambda::Function', /^ManualChangeFunction/);

    // Act
    const worker = readEnvironment(asStrings(variablesOf(github, workerId)));
    const receiver = readEnvironment(asStrings(variablesOf(github, receiverId)));

    // Assess
    expect(worker).toMatchObject({
      source: 'github',
      repository: 'acme/platform-config',
      github: {
        owner: 'acme',
        repo: 'platform-config',
        appId: 123456,
        privateKeySecretArn: KEY_ARN,
        apiUrl: 'https://github.example.com/api/v3',
      },
    });
    expect(worker.webhook).toBeUndefined();
    expect(receiver.webhook?.secretArn).toBe(WEBHOOK_ARN);
    expect(variablesOf(github, receiverId)[ENVIRONMENT.webhookQueueUrl]).toEqual({
      Ref: expect.stringMatching(/^WebhookQueue/),
    });
    expect(JSON.stringify(variablesOf(github, manualChangeId)[ENVIRONMENT.ownRoleArns])).toContain('WebhookWorkerRole');
  });

  it('has no unsuppressed cdk-nag AwsSolutions error or warning', () => {
    // Assess
    expect(github?.annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(github?.annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });
});

describe('a GitLab source', () => {
  it('tells the functions the project, the instance URL and the token secret; the receiver only its own secret', () => {
    // Prepare
    const workerId = onlyId(gitlab, 'AWS::Lambda::Function', /^WebhookWorkerFunction/);
    const reads = actions(gitlab).filter(({ action }) => action.startsWith('secretsmanager:'));

    // Act
    const worker = readEnvironment(asStrings(variablesOf(gitlab, workerId)));

    // Assess
    expect(worker).toMatchObject({
      source: 'gitlab',
      repository: 'platform/team/platform-config',
      gitlab: {
        project: 'platform/team/platform-config',
        baseUrl: 'https://gitlab.example.com',
        tokenSecretArn: TOKEN_ARN,
      },
    });
    expect(
      reads.filter(({ policy }) => policy.startsWith('WebhookReceiver')).map(({ statement }) => statement.Resource),
    ).toEqual([WEBHOOK_ARN]);
    expect(new Set(reads.map(({ statement }) => JSON.stringify(statement.Resource)))).toEqual(
      new Set([JSON.stringify(WEBHOOK_ARN), JSON.stringify(TOKEN_ARN)]),
    );
    expect(actions(gitlab).filter(({ action }) => action.startsWith('codecommit:'))).toEqual([]);
    expect(gitlab?.annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });
});

describe('the source context', () => {
  function problemsOf(raw: Record<string, unknown>): string {
    try {
      parseContext(raw);
    } catch (error) {
      expect(error).toBeInstanceOf(ContextError);
      return (error as ContextError).message;
    }
    throw new Error('expected a ContextError');
  }

  it('refuses a GitHub source without its App id and secrets, naming each key', () => {
    // Act
    const message = problemsOf({ ...TARGETS, source: 'github', githubRepository: 'acme/platform-config' });

    // Assess
    expect(message).toMatch(/githubAppId: is required with source=github/);
    expect(message).toMatch(/githubAppPrivateKeySecretArn: is required with source=github/);
    expect(message).toMatch(/webhookSecretArn: is required/);
    expect(message).not.toMatch(/repository: is required/);
  });

  it.each([
    [
      'a GitLab source without its project and token',
      { ...TARGETS, source: 'gitlab', webhookSecretArn: WEBHOOK_ARN },
      /gitlabProject: is required[\s\S]*gitlabTokenSecretArn: is required/,
    ],
    [
      'a CodeCommit repository name with a GitHub source',
      { ...GITHUB, repository: 'platform-config' },
      /repository: does not apply with source=github/,
    ],
    [
      'a secret ARN without its six-character suffix',
      { ...GITHUB, webhookSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook' },
      /webhookSecretArn: a full Secrets Manager secret ARN/,
    ],
    [
      'a repository that is not owner/name',
      { ...GITHUB, githubRepository: 'platform-config' },
      /githubRepository: a GitHub repository as owner\/name/,
    ],
    ['a GitLab URL over plain HTTP', { ...GITLAB, gitlabUrl: 'http://gitlab.example.com' }, /gitlabUrl: an https URL/],
    ['an unknown source', { ...TARGETS, source: 'bitbucket' }, /source:/],
  ])('refuses %s', (_what, raw, problem) => {
    // Act
    const message = problemsOf(raw);

    // Assess
    expect(message).toMatch(problem);
  });

  it('defaults the GitLab URL to gitlab.com and tracks the host repository', () => {
    // Act
    const { gitlabUrl: _url, ...withoutUrl } = GITLAB;
    const settings = parseContext(withoutUrl);

    // Assess
    expect(settings).toMatchObject({
      source: 'gitlab',
      repository: 'platform/team/platform-config',
      gitlabUrl: 'https://gitlab.com',
    });
  });
});
