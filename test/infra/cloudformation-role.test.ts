import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGED_POLICY_SIZE_LIMIT, policySize } from '../../infra/iam/policy-documents.ts';
import {
  ACCOUNT,
  type Call,
  decide,
  type NamedPolicy,
  policiesOfRole,
  REGION,
} from './cloudformation-role-simulator.ts';
import { asArray, type Json, propertiesOf, REQUIRED_CONTEXT, type Synthesized, synthesize } from './synth.ts';

/** The example configuration repository's stack declares these (examples/config-repo/stacks/network.template.yaml). */
const EXAMPLE_TYPES = 'AWS::EC2::VPC,AWS::EC2::Subnet,AWS::EC2::SecurityGroup';
const MANAGED = { 'aws:RequestTag/driftless:managed-by': 'default', 'aws:TagKeys': ['driftless:managed-by'] };
const OURS = { 'aws:ResourceTag/driftless:managed-by': 'default' };
const ec2 = (resource: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${resource}`;

let synthesized: Synthesized | undefined;
let resources: Record<string, Json>;
let roleId: string;
let policies: NamedPolicy[];

function idOf(prefix: string, type: string): string {
  const ids = Object.keys(resources).filter((id) => id.startsWith(prefix) && resources[id]!.Type === type);
  expect(ids, `${prefix} ${type}`).toHaveLength(1);
  return ids[0]!;
}

const allowStatements = () =>
  policies.flatMap(({ policy }) => policy.Statement.filter((statement) => statement.Effect === 'Allow'));
const actionsOf = (statement: Json) => asArray(statement.Action as string | string[]);

beforeAll(() => {
  synthesized = synthesize({ ...REQUIRED_CONTEXT, allowedResourceTypes: EXAMPLE_TYPES });
  resources = synthesized.resources;
  roleId = idOf('CloudFormationRole', 'AWS::IAM::Role');
  policies = policiesOfRole(resources, roleId);
}, 180_000);

afterAll(() => synthesized?.cleanup());

describe('CloudFormation service role for the example types (AWS::EC2::VPC, Subnet, SecurityGroup)', () => {
  it('has no AWS managed policy: only the derived customer managed policies and its inline denies', () => {
    // Prepare
    const role = propertiesOf(resources[roleId]);
    const attached = (role.ManagedPolicyArns as Json[]).map((reference) => reference.Ref as string);

    // Assess
    expect(JSON.stringify(role)).not.toMatch(/iam::aws:policy|PowerUserAccess|AdministratorAccess/);
    expect(attached.length).toBeGreaterThan(0);
    for (const id of attached) expect(resources[id]!.Type).toBe('AWS::IAM::ManagedPolicy');
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'cloudformation.amazonaws.com' } },
      ],
    });
  });

  it('allows no "*" action and no "service:*", and only the allowed types\' service (plus the role allowlist)', () => {
    // Prepare
    const actions = allowStatements().flatMap(actionsOf);

    // Assess
    expect(actions.length).toBeGreaterThan(20);
    for (const action of actions) {
      expect(action).not.toBe('*');
      expect(action).not.toMatch(/:\*$/);
    }
    expect([...new Set(actions.map((action) => action.split(':')[0]))].sort()).toEqual(['ec2', 'iam']);
    expect(actions.filter((action) => action.startsWith('iam:'))).toEqual(['iam:PassRole']);
    expect(Object.keys(resources).filter((id) => id.startsWith('CloudFormationRoleStackRolesBoundary'))).toEqual([]);
  });

  it("denies writes to the ledger and the lock table, their indexes, and the functions' log groups", () => {
    // Prepare
    const ledgerId = idOf('TablesLedger', 'AWS::DynamoDB::Table');
    const lockId = idOf('TablesLock', 'AWS::DynamoDB::Table');
    const denies = policies.flatMap(({ policy }) =>
      policy.Statement.filter((statement) => statement.Effect === 'Deny'),
    );
    const tables = denies.find((statement) => statement.Sid === 'ProtectLedgerAndLock');
    const logs = denies.find((statement) => statement.Sid === 'ProtectFunctionLogs');

    // Assess
    const table = (id: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`;
    expect(tables?.Resource).toEqual([table(ledgerId), `${table(ledgerId)}/*`, table(lockId), `${table(lockId)}/*`]);
    expect(actionsOf(tables!)).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:DeleteTable']));
    const logGroups = Object.values(resources).filter((resource) => resource.Type === 'AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThanOrEqual(5);
    expect(asArray(logs?.Resource as string[])).toHaveLength(2 * logGroups.length);
  });

  it("keeps every derived managed policy under IAM's 6,144-character quota", () => {
    // Prepare
    const managed = policies.filter(({ name }) => resources[name]!.Type === 'AWS::IAM::ManagedPolicy');

    // Assess
    expect(managed).toHaveLength(1);
    for (const { policy } of managed) {
      expect(policySize(policy as never)).toBeLessThanOrEqual(MANAGED_POLICY_SIZE_LIMIT);
    }
  });

  it('suppresses no AwsSolutions-IAM4 and only named wildcards of AwsSolutions-IAM5 on the role and its policies', () => {
    // Prepare
    const ids = Object.keys(resources).filter((id) => id.startsWith('CloudFormationRole'));
    const suppressions = ids.flatMap(
      (id) =>
        (((resources[id]!.Metadata as Json | undefined)?.cdk_nag as Json | undefined)?.rules_to_suppress as
          | Json[]
          | undefined) ?? [],
    );
    const findings = synthesized!.annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-IAM'));

    // Assess
    expect(findings).toEqual([]);
    expect(suppressions.length).toBeGreaterThan(0);
    for (const suppression of suppressions) {
      expect(suppression.id).toBe('AwsSolutions-IAM5');
      expect(asArray(suppression.applies_to as string[]).length).toBeGreaterThan(0);
      expect(String(suppression.reason).length).toBeGreaterThan(40);
    }
  });
});

describe('CloudFormation service role for the example types, evaluated offline with iam-simulate', () => {
  const allowed: [string, Call][] = [
    ['create the VPC, tagged', { action: 'ec2:CreateVpc', resource: ec2('vpc/*'), context: MANAGED }],
    [
      'tag it while creating it',
      { action: 'ec2:CreateTags', resource: ec2('vpc/*'), context: { 'ec2:CreateAction': 'CreateVpc', ...MANAGED } },
    ],
    ['set its DNS attributes', { action: 'ec2:ModifyVpcAttribute', resource: ec2('vpc/vpc-0a1b2c3d'), context: OURS }],
    ['read it back', { action: 'ec2:DescribeVpcs', resource: '*' }],
    ['read its default network ACL', { action: 'ec2:DescribeNetworkAcls', resource: '*' }],
    ['create a subnet, tagged', { action: 'ec2:CreateSubnet', resource: ec2('subnet/*'), context: MANAGED }],
    ['create it in the VPC', { action: 'ec2:CreateSubnet', resource: ec2('vpc/vpc-0a1b2c3d'), context: MANAGED }],
    ['delete a subnet of ours', { action: 'ec2:DeleteSubnet', resource: ec2('subnet/subnet-0a1b2c3d'), context: OURS }],
    [
      'create the security group, tagged',
      { action: 'ec2:CreateSecurityGroup', resource: ec2('security-group/*'), context: MANAGED },
    ],
    [
      'add ingress to our group',
      { action: 'ec2:AuthorizeSecurityGroupIngress', resource: ec2('security-group/sg-0a1b2c3d'), context: OURS },
    ],
    [
      'delete our group',
      { action: 'ec2:DeleteSecurityGroup', resource: ec2('security-group/sg-0a1b2c3d'), context: OURS },
    ],
    ['delete the VPC', { action: 'ec2:DeleteVpc', resource: ec2('vpc/vpc-0a1b2c3d'), context: OURS }],
    [
      'pass a task role to ECS',
      {
        action: 'iam:PassRole',
        resource: `arn:aws:iam::${ACCOUNT}:role/app/web-task`,
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      },
    ],
  ];
  const foreign = { 'aws:ResourceTag/driftless:managed-by': 'another-installation' };
  const denied: [string, Call][] = [
    [
      'ingress on a security group driftless does not manage',
      { action: 'ec2:AuthorizeSecurityGroupIngress', resource: ec2('security-group/sg-0ffff'), context: foreign },
    ],
    [
      'ingress on an untagged security group',
      { action: 'ec2:AuthorizeSecurityGroupIngress', resource: ec2('security-group/sg-0ffff') },
    ],
    ['a VPC without the managed-by tag', { action: 'ec2:CreateVpc', resource: ec2('vpc/*') }],
    ['deleting a VPC driftless does not manage', { action: 'ec2:DeleteVpc', resource: ec2('vpc/vpc-0ffff') }],
    [
      'tagging a foreign VPC as managed',
      { action: 'ec2:CreateTags', resource: ec2('vpc/vpc-0ffff'), context: MANAGED },
    ],
    [
      'a role without a boundary',
      { action: 'iam:CreateRole', resource: `arn:aws:iam::${ACCOUNT}:role/platform-admin` },
    ],
    [
      'a role even with a boundary (no IAM type allowed)',
      {
        action: 'iam:CreateRole',
        resource: `arn:aws:iam::${ACCOUNT}:role/platform-admin`,
        context: { 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/any` },
      },
    ],
    [
      'attaching AdministratorAccess',
      {
        action: 'iam:AttachRolePolicy',
        resource: `arn:aws:iam::${ACCOUNT}:role/platform-app`,
        context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' },
      },
    ],
    [
      'an ECS service (ECS is not allowed)',
      { action: 'ecs:CreateService', resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/platform-web` },
    ],
    ['a bucket policy (S3 is not allowed)', { action: 's3:PutBucketPolicy', resource: 'arn:aws:s3:::platform-assets' }],
    [
      'a DNS record',
      { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z0123456789' },
    ],
    [
      'passing an admin role',
      {
        action: 'iam:PassRole',
        resource: `arn:aws:iam::${ACCOUNT}:role/admin`,
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      },
    ],
    [
      'passing a task role to EC2',
      {
        action: 'iam:PassRole',
        resource: `arn:aws:iam::${ACCOUNT}:role/app/web-task`,
        context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
      },
    ],
  ];

  it.each(allowed)('allows what CloudFormation does for the example: %s', async (_, call) => {
    // Act
    const decision = await decide(policies, call);

    // Assess
    expect(decision).toBe('Allowed');
  });

  it.each(denied)('denies %s', async (_, call) => {
    // Act
    const decision = await decide(policies, call);

    // Assess
    expect(decision).not.toBe('Allowed');
  });

  it('denies explicitly, whatever else is attached, deleting or writing the ledger and the lock and the function logs', async () => {
    // Prepare
    const table = (prefix: string) =>
      `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${idOf(prefix, 'AWS::DynamoDB::Table')}`;
    const logGroup = idOf('PushLogs', 'AWS::Logs::LogGroup');
    const calls: Call[] = [
      { action: 'dynamodb:DeleteTable', resource: table('TablesLedger') },
      { action: 'dynamodb:DeleteTable', resource: table('TablesLock') },
      { action: 'dynamodb:PutItem', resource: table('TablesLock') },
      { action: 'logs:DeleteLogGroup', resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${logGroup}:*` },
    ];

    // Act
    const decisions = await Promise.all(calls.map((call) => decide(policies, call)));

    // Assess
    expect(decisions).toEqual(calls.map(() => 'ExplicitlyDenied'));
  });
});
