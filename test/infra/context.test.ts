import { describe, expect, it } from 'vitest';
import { ContextError, parseContext } from '../../infra/context.ts';

const REQUIRED = {
  repository: 'platform-config',
  allowedClusters: 'prod',
  stackNamePrefix: 'platform-',
  roleArnPatterns: 'arn:aws:iam::123456789012:role/app/*',
};

function problemsOf(raw: Record<string, unknown>): string {
  try {
    parseContext(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ContextError);
    return (error as ContextError).message;
  }
  throw new Error('expected a ContextError');
}

describe('parseContext', () => {
  it('fills the documented defaults', () => {
    // Act
    const settings = parseContext(REQUIRED);

    // Assess
    expect(settings).toEqual({
      source: 'codecommit',
      repository: 'platform-config',
      createRepository: false,
      branch: 'main',
      pathPrefix: '',
      allowedClusters: ['prod'],
      stackNamePrefix: 'platform-',
      roleArnPatterns: ['arn:aws:iam::123456789012:role/app/*'],
      allowedResourceTypes: [],
      readStacks: [],
      sweepRate: 'rate(5 minutes)',
      selfHeal: true,
      prune: false,
      installationId: 'default',
      logRetentionDays: 90,
      reserveConcurrency: true,
      sweepShardSize: 0,
      sweepWorkers: 4,
      createTrail: false,
      trailRetentionDays: 90,
      archiveLedger: false,
      archiveRetentionYears: 7,
      dashboard: false,
      stackName: 'driftless',
    });
  });

  it('reads -c strings and cdk.json values alike: comma lists, "true"/"false", numbers', () => {
    // Act
    const settings = parseContext({
      ...REQUIRED,
      allowedClusters: ' prod, staging ,',
      roleArnPatterns: ['arn:aws:iam::123456789012:role/app/*', 'arn:aws:iam::123456789012:role/cfn/deployer'],
      createRepository: 'true',
      selfHeal: 'false',
      prune: true,
      logRetentionDays: '365',
      installationId: 'blue',
      sweepShardSize: '500',
      sweepWorkers: 8,
    });

    // Assess
    expect(settings).toMatchObject({
      allowedClusters: ['prod', 'staging'],
      roleArnPatterns: ['arn:aws:iam::123456789012:role/app/*', 'arn:aws:iam::123456789012:role/cfn/deployer'],
      createRepository: true,
      selfHeal: false,
      prune: true,
      logRetentionDays: 365,
      sweepShardSize: 500,
      sweepWorkers: 8,
      stackName: 'driftless-blue',
    });
  });

  it('names every missing required key in one error', () => {
    // Act
    const message = problemsOf({});

    // Assess
    expect(message).toMatch(/repository: is required/);
    expect(message).toMatch(/allowedClusters: .*required/);
    expect(message).toMatch(/stackNamePrefix: is required/);
  });

  it.each([
    ['a cluster ARN instead of a name', { allowedClusters: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod' }],
    ['an empty stack name prefix', { stackNamePrefix: '' }],
    ['a role pattern matching every role', { roleArnPatterns: 'arn:aws:iam::123456789012:role/*' }],
    ['a role pattern with a wildcard account', { roleArnPatterns: 'arn:aws:iam::*:role/app/*' }],
    ['a wildcard CloudFormation role', { cloudFormationRoleArn: 'arn:aws:iam::123456789012:role/cfn/*' }],
    ['a schedule that is not an expression', { sweepRate: 'every 5 minutes' }],
    ['a retention CloudWatch Logs does not offer', { logRetentionDays: '100' }],
    ['an installation id with spaces', { installationId: 'my install' }],
    ['a boolean that is not true or false', { prune: 'yes' }],
    ['a shard size that is not a whole number', { sweepShardSize: '12.5' }],
    ['a negative shard size', { sweepShardSize: '-1' }],
    ['a single sweep worker (an SQS event source runs at least 2)', { sweepWorkers: '1' }],
    ['sweep workers that are not a number', { sweepWorkers: 'many' }],
    ['a resource type pattern over every service', { allowedResourceTypes: 'AWS::SQS::Queue,AWS::*' }],
    ['a wildcard over the IAM types', { allowedResourceTypes: 'AWS::IAM::*' }],
    ['a wildcard over every custom resource', { allowedResourceTypes: 'Custom::*' }],
    ['a read stack written as a wildcard', { readStacks: 'shared-*' }],
  ])('refuses %s', (_what, override) => {
    // Act
    const message = problemsOf({ ...REQUIRED, ...override });

    // Assess
    expect(message).toContain(Object.keys(override)[0]);
  });

  it('says why a resource type pattern is too wide, naming the pattern', () => {
    // Act
    const message = problemsOf({ ...REQUIRED, allowedResourceTypes: 'AWS::IAM::*' });

    // Assess
    expect(message).toMatch(/allowedResourceTypes\.0: AWS::IAM::\* would allow every AWS::IAM type/);
  });

  it('refuses a stack name inside the managed prefix: driftless could delete its own stack', () => {
    // Act
    const message = problemsOf({ ...REQUIRED, stackNamePrefix: 'drift' });

    // Assess
    expect(message).toMatch(/stackName: must not start with stackNamePrefix/);
  });
});
