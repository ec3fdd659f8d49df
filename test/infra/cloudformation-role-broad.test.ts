import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { CloudFormationServiceRole } from '../../infra/constructs/cloudformation-role.ts';
import { iamActions, isWriteAction, supportsConditionKey } from '../../infra/iam/iam-data.ts';
import { MANAGED_POLICIES_PER_ROLE, MANAGED_POLICY_SIZE_LIMIT, policySize } from '../../infra/iam/policy-documents.ts';
import {
  ACCOUNT,
  type Call,
  decide,
  type NamedPolicy,
  policiesOfRole,
  REGION,
  resolveIntrinsics,
} from './cloudformation-role-simulator.ts';
import { asArray, type Json } from './synth.ts';

/** Fifteen types a platform team commonly lets its stacks declare, IAM roles among them. */
const BROAD_TYPES = [
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::Lambda::Function',
  'AWS::Logs::LogGroup',
  'AWS::ECS::Service',
  'AWS::ECS::TaskDefinition',
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::Events::Rule',
  'AWS::EC2::SecurityGroup',
  'AWS::IAM::Role',
  'AWS::SSM::Parameter',
];
const LEDGER = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/driftless-ledger`;
const BOUNDARY_NAME = 'driftless-stack-roles-boundary';
const CREATED_BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/${BOUNDARY_NAME}`;
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

interface Built {
  readonly construct: CloudFormationServiceRole;
  readonly resources: Record<string, Json>;
  readonly annotations: Annotations;
  readonly roleId: string;
  readonly policies: NamedPolicy[];
}

/** The construct alone in a stack, with cdk-nag's checks, as DriftlessStack wires it. */
function build(allowedResourceTypes: readonly string[], permissionsBoundaryArn?: string): Built {
  const app = new App();
  const stack = new Stack(app, 'Installation', { env: { account: ACCOUNT, region: REGION } });
  const construct = new CloudFormationServiceRole(stack, 'CloudFormationRole', {
    allowedResourceTypes,
    stackNamePrefix: 'platform-',
    allowedClusters: ['prod', 'staging'],
    installationId: 'default',
    roleArnPatterns: [role('app/*')],
    protectedTableArns: [LEDGER],
    protectedLogGroups: [logs.LogGroup.fromLogGroupName(stack, 'PushLogs', 'driftless-push')],
    boundaryPolicyName: BOUNDARY_NAME,
    ...(permissionsBoundaryArn ? { permissionsBoundaryArn } : {}),
  });
  Aspects.of(app).add(new AwsSolutionsChecks());
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Json>;
  const roleId = Object.keys(resources).find((id) => resources[id]!.Type === 'AWS::IAM::Role')!;
  return {
    construct,
    resources,
    annotations: Annotations.fromStack(stack),
    roleId,
    policies: policiesOfRole(resources, roleId),
  };
}

const broad = build(BROAD_TYPES);
const statementsOf = (policies: readonly NamedPolicy[]) => policies.flatMap(({ policy }) => policy.Statement);

describe('CloudFormation service role for a broad list of fifteen types', () => {
  it('fits in customer managed policies under the size and count quotas, with no "*" or "service:*" action', () => {
    // Prepare
    const managed = broad.policies.filter(({ name }) => broad.resources[name]!.Type === 'AWS::IAM::ManagedPolicy');
    const actions = statementsOf(broad.policies)
      .filter((statement) => statement.Effect === 'Allow')
      .flatMap((statement) => asArray(statement.Action as string | string[]));

    // Assess
    expect(managed.length).toBeGreaterThan(1);
    expect(managed.length).toBeLessThanOrEqual(MANAGED_POLICIES_PER_ROLE);
    for (const { policy } of managed)
      expect(policySize(policy as never)).toBeLessThanOrEqual(MANAGED_POLICY_SIZE_LIMIT);
    expect(actions.filter((action) => action === '*' || action.endsWith(':*'))).toEqual([]);
    expect([...new Set(actions.map((action) => action.split(':')[0]))].sort()).toEqual(
      [...broad.construct.permissions.services].sort(),
    );
    expect(broad.construct.permissions.services).toEqual([
      'dynamodb',
      'ec2',
      'ecs',
      'elasticloadbalancing',
      'events',
      'iam',
      'lambda',
      'logs',
      's3',
      'sns',
      'sqs',
      'ssm',
    ]);
  });

  it('conditions every IAM write that can name a boundary on the created boundary, and keeps the rest to prefixed ARNs', () => {
    // Prepare
    const iamAllows = statementsOf(broad.policies).filter(
      (statement) =>
        statement.Effect === 'Allow' &&
        asArray(statement.Action as string[]).some((action) => action.startsWith('iam:') && action !== 'iam:PassRole'),
    );
    const details = new Map(iamActions('iam').map((action) => [`iam:${action.name}`, action]));

    // Assess
    expect(iamAllows.length).toBeGreaterThan(0);
    for (const statement of iamAllows) {
      for (const action of asArray(statement.Action as string[]).filter((each) => each.startsWith('iam:'))) {
        const detail = details.get(action)!;
        const bounded = isWriteAction(detail) && supportsConditionKey(detail, 'iam:PermissionsBoundary');
        const condition = (statement.Condition as Json | undefined)?.StringEquals as Json | undefined;
        expect(condition?.['iam:PermissionsBoundary'], action).toEqual(bounded ? CREATED_BOUNDARY : undefined);
      }
      for (const resource of asArray(statement.Resource as string[])) {
        expect(resource, JSON.stringify(statement)).toMatch(
          /^(\*|arn:aws:iam::123456789012:[a-z-]+\/platform-\*|arn:aws:iam::aws:.*)$/,
        );
      }
    }
    expect(
      broad.resources[
        Object.keys(broad.resources).find((id) => id.startsWith('CloudFormationRoleStackRolesBoundary'))!
      ],
    ).toBeDefined();
  });

  it('raises no unsuppressed cdk-nag finding and suppresses no AwsSolutions-IAM4', () => {
    // Prepare
    const findings = [
      ...broad.annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...broad.annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ];

    // Assess
    expect(findings.map((finding) => finding.entry.data)).toEqual([]);
    expect(JSON.stringify(broad.resources)).not.toContain('AwsSolutions-IAM4');
  });
});

describe('CloudFormation service role for the broad list, evaluated offline with iam-simulate', () => {
  const bounded = { 'iam:PermissionsBoundary': CREATED_BOUNDARY };
  const cases: [string, Call, 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied'][] = [
    [
      'a service in an allowed cluster, named with the prefix',
      {
        action: 'ecs:CreateService',
        resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/platform-web-Service-1A2B`,
      },
      'Allowed',
    ],
    [
      'a service in another cluster',
      { action: 'ecs:CreateService', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/payments/platform-web` },
      'ImplicitlyDenied',
    ],
    [
      'replacing a service driftless manages directly',
      { action: 'ecs:UpdateService', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/web` },
      'ImplicitlyDenied',
    ],
    [
      'a prefixed queue',
      { action: 'sqs:CreateQueue', resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:platform-jobs-Queue-1A2B` },
      'Allowed',
    ],
    [
      'a prefixed bucket',
      { action: 's3:CreateBucket', resource: 'arn:aws:s3:::platform-assets-bucket-1a2b' },
      'Allowed',
    ],
    [
      'a bucket outside the prefix',
      { action: 's3:CreateBucket', resource: 'arn:aws:s3:::company-backups' },
      'ImplicitlyDenied',
    ],
    [
      'a bucket policy (AWS::S3::BucketPolicy is not allowed)',
      { action: 's3:PutBucketPolicy', resource: 'arn:aws:s3:::platform-assets-bucket-1a2b' },
      'ImplicitlyDenied',
    ],
    [
      'a role under the boundary',
      { action: 'iam:CreateRole', resource: role('platform-jobs-TaskRole-1A2B'), context: bounded },
      'Allowed',
    ],
    [
      'a role without the boundary',
      { action: 'iam:CreateRole', resource: role('platform-jobs-TaskRole-1A2B') },
      'ExplicitlyDenied',
    ],
    [
      'a role under another boundary',
      {
        action: 'iam:CreateRole',
        resource: role('platform-x'),
        context: { 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/wide` },
      },
      'ExplicitlyDenied',
    ],
    [
      'AdministratorAccess on an unbounded role',
      {
        action: 'iam:AttachRolePolicy',
        resource: role('platform-x'),
        context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' },
      },
      'ExplicitlyDenied',
    ],
    [
      'a policy on a role outside the prefix',
      { action: 'iam:PutRolePolicy', resource: role('admin'), context: bounded },
      'ImplicitlyDenied',
    ],
    [
      'removing a boundary',
      { action: 'iam:DeleteRolePermissionsBoundary', resource: role('platform-x'), context: bounded },
      'ExplicitlyDenied',
    ],
    [
      'passing a stack role not in the allowlist',
      {
        action: 'iam:PassRole',
        resource: role('platform-x'),
        context: { 'iam:PassedToService': 'lambda.amazonaws.com' },
      },
      'ImplicitlyDenied',
    ],
    ['deleting the ledger', { action: 'dynamodb:DeleteTable', resource: LEDGER }, 'ExplicitlyDenied'],
    [
      'deleting a prefixed table',
      { action: 'dynamodb:DeleteTable', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/platform-orders` },
      'Allowed',
    ],
    [
      'a DNS record (Route 53 is not allowed)',
      { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z0123456789' },
      'ImplicitlyDenied',
    ],
  ];

  it.each(cases)('%s', async (_, call, expected) => {
    // Act
    const decision = await decide(broad.policies, call);

    // Assess
    expect(decision).toBe(expected);
  });
});

describe('the permissions boundary of roles a stack creates', () => {
  const boundaryId = Object.keys(broad.resources).find((id) => id.startsWith('CloudFormationRoleStackRolesBoundary'))!;
  const boundary: NamedPolicy[] = [
    {
      name: boundaryId,
      policy: resolveIntrinsics(
        (broad.resources[boundaryId]!.Properties as Json).PolicyDocument,
        broad.resources,
      ) as NamedPolicy['policy'],
    },
  ];
  const administrator: NamedPolicy[] = [
    { name: 'admin', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } },
  ];

  it('is named as the condition expects, and exported only when created', () => {
    // Assess
    expect((broad.resources[boundaryId]!.Properties as Json).ManagedPolicyName).toBe(BOUNDARY_NAME);
    expect(broad.construct.permissionsBoundaryArn).toBeDefined();
  });

  it.each([
    [
      'use a service of the allowed types',
      { action: 'sqs:SendMessage', resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:orders` },
      'Allowed',
    ],
    ['create a role', { action: 'iam:CreateRole', resource: role('escalate') }, 'ExplicitlyDenied'],
    ['attach a policy', { action: 'iam:AttachRolePolicy', resource: role('escalate') }, 'ExplicitlyDenied'],
    ['write the ledger', { action: 'dynamodb:PutItem', resource: LEDGER }, 'ExplicitlyDenied'],
    [
      'use a service no allowed type is of',
      { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z0123456789' },
      'ImplicitlyDenied',
    ],
  ] as [string, Call, string][])('caps even an administrator role: may %s → %s', async (_, call, expected) => {
    // Act
    const decision = await decide(administrator, call, boundary);

    // Assess
    expect(decision).toBe(expected);
  });

  it("is the deployment's own when permissionsBoundaryArn is given: nothing created, writes conditioned on it", async () => {
    // Prepare
    const given = `arn:aws:iam::${ACCOUNT}:policy/org/platform-boundary`;
    const built = build(['AWS::IAM::Role'], given);

    // Act
    const withGiven = await decide(built.policies, {
      action: 'iam:CreateRole',
      resource: role('platform-r'),
      context: { 'iam:PermissionsBoundary': given },
    });
    const withCreated = await decide(built.policies, {
      action: 'iam:CreateRole',
      resource: role('platform-r'),
      context: { 'iam:PermissionsBoundary': CREATED_BOUNDARY },
    });

    // Assess
    expect(
      Object.values(built.resources).filter((resource) => resource.Type === 'AWS::IAM::ManagedPolicy'),
    ).toHaveLength(1);
    expect(withGiven).toBe('Allowed');
    expect(withCreated).toBe('ExplicitlyDenied');
  });
});
