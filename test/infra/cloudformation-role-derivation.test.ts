import { describe, expect, it } from 'vitest';
import { scopeArn } from '../../infra/iam/arn-scope.ts';
import { deriveCloudFormationPermissions } from '../../infra/iam/cloudformation-permissions.ts';
import {
  expandAllowedTypes,
  IRREGULAR_SERVICE_PREFIXES,
  iamServiceOf,
  lookupType,
  typesOfNamespace,
  UnknownResourceTypeError,
} from '../../infra/iam/cloudformation-types.ts';
import { iamActions, iamServices, supportsConditionKey } from '../../infra/iam/iam-data.ts';
import { iamWritePatterns } from '../../infra/iam/iam-grants.ts';
import {
  foldGrants,
  PolicyTooLargeError,
  packStatements,
  policySize,
  type Statement,
} from '../../infra/iam/policy-documents.ts';

const SCOPE = { stackNamePrefix: 'platform-', allowedClusters: ['prod', 'staging'], installationId: 'default' };
const BOUNDARY = 'arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/boundary';
const derive = (types: readonly string[]) =>
  deriveCloudFormationPermissions({ allowedResourceTypes: types, scope: SCOPE, permissionsBoundaryArn: BOUNDARY });
const actionsOf = (types: readonly string[]) =>
  derive(types).documents.flatMap((document) => document.Statement.flatMap((statement) => statement.Action));
const typeOf = (name: string) => lookupType(name)!;

describe('CloudFormation types and their IAM services', () => {
  it('keeps only real IAM services in the irregular table, each one the lowercased namespace would miss', () => {
    // Assess
    expect(Object.keys(IRREGULAR_SERVICE_PREFIXES).length).toBeGreaterThan(0);
    for (const [namespace, service] of Object.entries(IRREGULAR_SERVICE_PREFIXES)) {
      expect(iamServices().has(service), `${namespace} → ${service}`).toBe(true);
      expect(iamServices().has(namespace.toLowerCase()), namespace).toBe(false);
    }
  });

  it.each([
    ['AWS::EC2::VPC', 'ec2'],
    ['AWS::ECS::Service', 'ecs'],
    ['AWS::Logs::LogGroup', 'logs'],
    ['AWS::ElasticLoadBalancingV2::LoadBalancer', 'elasticloadbalancing'],
    ['AWS::StepFunctions::StateMachine', 'states'],
    ['AWS::Cognito::UserPool', 'cognito-idp'],
    ['AWS::ApplicationAutoScaling::ScalingPolicy', 'application-autoscaling'],
    ['AWS::KinesisFirehose::DeliveryStream', 'firehose'],
  ])('authorizes %s under the IAM service %s', (type, service) => {
    // Act
    const found = iamServiceOf(typeOf(type));

    // Assess
    expect(found).toBe(service);
  });

  it("expands AWS::Svc::* to the specification's types and sorts custom types and transforms apart", () => {
    // Act
    const allowed = expandAllowedTypes(['AWS::SQS::*', 'Custom::Seed', 'Transform::AWS::Serverless-2016-10-31']);

    // Assess
    expect(allowed.resourceTypes.map((type) => type.name)).toEqual(typesOfNamespace('SQS').sort());
    expect(allowed.resourceTypes.map((type) => type.name)).toContain('AWS::SQS::Queue');
    expect(allowed.customTypes).toEqual(['Custom::Seed']);
    expect(allowed.transforms).toEqual(['AWS::Serverless-2016-10-31']);
  });

  it('grants through a wildcard only what validation allows: AWS::CloudFormation::* never reaches a nested stack', () => {
    // Act
    const allowed = expandAllowedTypes(['AWS::CloudFormation::*']).resourceTypes.map((type) => type.name);

    // Assess
    expect(allowed).toContain('AWS::CloudFormation::WaitCondition');
    expect(allowed).not.toContain('AWS::CloudFormation::Stack');
    expect(allowed).not.toContain('AWS::CloudFormation::CustomResource');
    expect(allowed).not.toContain('AWS::CloudFormation::Macro');
  });

  it('refuses a type the specification does not know, naming it', () => {
    // Assess
    expect(() => expandAllowedTypes(['AWS::SQS::Queu'])).toThrow(UnknownResourceTypeError);
    expect(() => expandAllowedTypes(['AWS::Nothing::*'])).toThrow(/AWS::Nothing::\*/);
  });
});

describe('ARN scope', () => {
  it.each([
    [
      'arn:${Partition}:sqs:${Region}:${Account}:${QueueName}',
      ['arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:platform-*'],
      true,
    ],
    [
      'arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName}',
      [
        'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/prod/platform-*',
        'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/staging/platform-*',
      ],
      true,
    ],
    [
      'arn:${Partition}:ecs:${Region}:${Account}:cluster/${ClusterName}',
      ['arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/platform-*'],
      true,
    ],
    [
      'arn:${Partition}:ec2:${Region}:${Account}:vpc/${VpcId}',
      ['arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc/*'],
      false,
    ],
    ['arn:${Partition}:s3:::${BucketName}', ['arn:${AWS::Partition}:s3:::platform-*'], true],
    [
      'arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}',
      ['arn:${AWS::Partition}:iam::${AWS::AccountId}:role/platform-*'],
      true,
    ],
    [
      'arn:${Partition}:cloudformation:${Region}:${Account}:stack/${StackName}/${Id}',
      ['arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/platform-*'],
      true,
    ],
  ])('narrows %s', (format, arns, named) => {
    // Act
    const scoped = scopeArn(format, SCOPE);

    // Assess
    expect(scoped).toEqual({ arns, named });
  });

  it('lowercases the prefix for S3, whose generated bucket names are lowercase', () => {
    // Act
    const scoped = scopeArn('arn:${Partition}:s3:::${BucketName}', { ...SCOPE, stackNamePrefix: 'Platform-' });

    // Assess
    expect(scoped.arns).toEqual(['arn:${AWS::Partition}:s3:::platform-*']);
  });
});

describe('derived actions', () => {
  it("gives a type its own actions, not its neighbours' (VPC: no endpoints; Bucket: no bucket policy)", () => {
    // Act
    const vpc = actionsOf(['AWS::EC2::VPC']);
    const group = actionsOf(['AWS::EC2::SecurityGroup']);
    const bucket = actionsOf(['AWS::S3::Bucket']);
    const bucketPolicy = actionsOf(['AWS::S3::BucketPolicy']);

    // Assess
    expect(vpc).toEqual(
      expect.arrayContaining(['ec2:CreateVpc', 'ec2:DeleteVpc', 'ec2:ModifyVpcAttribute', 'ec2:DescribeVpcs']),
    );
    expect(vpc).not.toContain('ec2:CreateVpcEndpoint');
    expect(vpc).not.toContain('ec2:CreateVpcPeeringConnection');
    expect(group).toEqual(
      expect.arrayContaining(['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress']),
    );
    expect(bucket).toEqual(expect.arrayContaining(['s3:CreateBucket', 's3:PutBucketVersioning']));
    expect(bucket).not.toContain('s3:PutBucketPolicy');
    expect(bucketPolicy).toContain('s3:PutBucketPolicy');
  });

  it('grants no IAM action when no AWS::IAM type is allowed, and never derives iam:PassRole', () => {
    // Act
    const withoutIam = actionsOf(['AWS::ECS::Service', 'AWS::Lambda::Function']);
    const withIam = actionsOf(['AWS::IAM::Role', 'AWS::IAM::Policy']);

    // Assess
    expect(withoutIam.filter((action) => action.startsWith('iam:'))).toEqual([]);
    expect(withIam).toContain('iam:CreateRole');
    expect(withIam).not.toContain('iam:PassRole');
  });

  it('requires a boundary when an AWS::IAM type is allowed', () => {
    // Assess
    expect(() => deriveCloudFormationPermissions({ allowedResourceTypes: ['AWS::IAM::Role'], scope: SCOPE })).toThrow(
      /permissions boundary/,
    );
  });

  it('puts a tag condition only on actions the service authorization data says support that key', () => {
    // Prepare
    const statements = derive([
      'AWS::EC2::VPC',
      'AWS::EC2::Subnet',
      'AWS::EC2::SecurityGroup',
      'AWS::SSM::Parameter',
      'AWS::KMS::Key',
      'AWS::ECS::TaskDefinition',
    ]).documents.flatMap((document) => document.Statement);
    const conditioned = statements.filter((statement) => statement.Condition);

    // Assess
    expect(conditioned.length).toBeGreaterThan(5);
    for (const statement of conditioned) {
      const keys = Object.values(statement.Condition!).flatMap((block) => Object.keys(block));
      for (const name of statement.Action) {
        const [service, actionName] = name.split(':') as [string, string];
        const action = iamActions(service).find((each) => each.name === actionName)!;
        for (const key of keys) {
          const generic = key.replace(/^aws:(RequestTag|ResourceTag)\/.*$/, 'aws:$1/${TagKey}');
          const supported =
            supportsConditionKey(action, generic) ||
            action.resourceTypes.some((type) => supportsConditionKey(action, generic, type.name));
          expect(supported, `${name} ${key}`).toBe(true);
        }
      }
    }
  });

  it('records which data it came from', () => {
    // Act
    const { source } = derive(['AWS::SQS::Queue']);

    // Assess
    expect(source).toMatch(/^@cloud-copilot\/iam-data \d+\.\d+\.\d{9}, @aws-cdk\/aws-service-spec \d+\.\d+\.\d+$/);
  });
});

describe('policy documents', () => {
  it('packs statements under the limit without losing or adding a grant', () => {
    // Prepare
    const statements = derive(['AWS::S3::Bucket', 'AWS::Lambda::Function']).documents.flatMap(
      (document) => document.Statement,
    );
    const grants = (list: readonly Statement[]) =>
      list
        .flatMap((statement) =>
          statement.Action.flatMap((action) =>
            statement.Resource.map((resource) => `${action} ${resource} ${JSON.stringify(statement.Condition ?? {})}`),
          ),
        )
        .sort();

    // Act
    const packed = packStatements(
      statements.map(({ Sid: _, ...statement }) => statement),
      'Small',
      1_500,
      100,
    );

    // Assess
    expect(packed.length).toBeGreaterThan(3);
    for (const document of packed) expect(policySize(document)).toBeLessThanOrEqual(1_500);
    expect(grants(packed.flatMap((document) => document.Statement))).toEqual(grants(statements));
  });

  it('folds the same actions on the same place into one statement', () => {
    // Act
    const folded = foldGrants([
      { action: 'sqs:CreateQueue', resource: 'arn:q/a*' },
      { action: 'sqs:DeleteQueue', resource: 'arn:q/a*' },
      { action: 'sqs:CreateQueue', resource: 'arn:q/b*' },
      { action: 'sqs:DeleteQueue', resource: 'arn:q/b*' },
    ]);

    // Assess
    expect(folded).toEqual([
      { Effect: 'Allow', Action: ['sqs:CreateQueue', 'sqs:DeleteQueue'], Resource: ['arn:q/a*', 'arn:q/b*'] },
    ]);
  });

  it('refuses a list that needs more managed policies than a role may have', () => {
    // Assess
    expect(() => derive(['AWS::EC2::*'])).toThrow(PolicyTooLargeError);
    expect(() => derive(['AWS::EC2::*'])).toThrow(/cloudFormationRoleArn/);
  });
});

describe('the created boundary', () => {
  it('denies every IAM write but iam:PassRole with one pattern per verb', () => {
    // Prepare
    const patterns = iamWritePatterns().map((pattern) => new RegExp(`^${pattern.replace('*', '.*')}$`));
    const writes = iamActions('iam').filter((action) => action.accessLevel.includes('Write'));

    // Assess
    for (const action of writes) {
      const denied = patterns.some((pattern) => pattern.test(`iam:${action.name}`));
      expect(denied, action.name).toBe(action.name !== 'PassRole');
    }
    expect(patterns.length).toBeLessThan(30);
  });
});
