/** Templates checked before any AWS call: types and property names against the CloudFormation resource specification
 * (with suggestions), types, transforms and Init metadata against targets.resourceTypes, ECS clusters and roles
 * against Settings (resolved through parameters the declaration passes), and IAM identities under a permissions
 * boundary; each finding at the template's own line. */
import { describe, expect, it } from 'vitest';
import { parseTemplate } from '../../../shared/spec/cloudformation-yaml.ts';
import type { Diagnostic } from '../../../shared/spec/diagnostics.ts';
import { type ParsedDocument, parseDeclarationFile } from '../../../shared/spec/parse.ts';
import { propertiesOf, suggestProperty, suggestType } from '../../../shared/spec/resource-spec.ts';
import type { SettingsDocument } from '../../../shared/spec/schema.ts';
import { checkTemplate } from '../../../shared/spec/template-checks.ts';
import { declaredTypes } from '../../../shared/spec/template-reach.ts';

const TEMPLATE_PATH = 'stacks/app.template.yaml';

function stack(parameters: Record<string, string> = {}): ParsedDocument & { kind: 'CloudFormationStack' } {
  const lines = Object.entries(parameters).map(([name, value]) => `    ${name}: ${JSON.stringify(value)}`);
  const text = [
    'apiVersion: driftless/v1',
    'kind: CloudFormationStack',
    'metadata: { name: platform-app }',
    'spec:',
    '  template: app.template.yaml',
    ...(lines.length > 0 ? ['  parameters:', ...lines] : []),
  ].join('\n');
  const parsed = parseDeclarationFile('stacks/app.yaml', text).documents[0];
  if (parsed?.kind !== 'CloudFormationStack') throw new Error('the test stack does not parse');
  return parsed;
}

function settings(targets: Record<string, unknown>): SettingsDocument {
  const text = `apiVersion: driftless/v1\nkind: Settings\nspec:\n  targets: ${JSON.stringify({
    clusters: ['prod'],
    stackNamePrefix: 'platform-',
    roleArnPatterns: ['arn:aws:iam::123456789012:role/app/*'],
    ...targets,
  })}\n`;
  const parsed = parseDeclarationFile('driftless.yaml', text).documents[0];
  if (parsed?.kind !== 'Settings') throw new Error('the test settings do not parse');
  return parsed.document;
}

function check(
  lines: readonly string[],
  targets: Record<string, unknown> | undefined,
  parameters: Record<string, string> = {},
): Diagnostic[] {
  const body = lines.join('\n');
  const template = parseTemplate(body).template;
  if (!template) throw new Error('the test template does not parse');
  return checkTemplate(stack(parameters), TEMPLATE_PATH, body, template, targets ? settings(targets) : undefined);
}

const brief = (found: readonly Diagnostic[]) => found.map(({ code, line, message }) => ({ code, line, message }));

describe('the resource specification index', () => {
  it('knows the types and properties CloudFormation documents, and suggests the nearest for a typo', () => {
    // Assess
    expect(propertiesOf('AWS::EC2::VPC')).toContain('CidrBlock');
    expect(propertiesOf('AWS::ECS::Service')).toContain('Cluster');
    expect(propertiesOf('AWS::EC2::VPCs')).toBeUndefined();
    expect(propertiesOf('Custom::Thing')).toBeUndefined();
    expect(suggestType('AWS::EC2::VPCs')).toBe('AWS::EC2::VPC');
    expect(suggestType('AWS::Sqs::Queue')).toBe('AWS::SQS::Queue');
    expect(suggestProperty('AWS::EC2::VPC', 'CidrBlok')).toBe('CidrBlock');
    expect(suggestType('Nothing::Like::ThisAtAll')).toBeUndefined();
  });
});

describe('checking a template against the resource specification', () => {
  it('passes a template whose types and properties all exist, with no Settings to check targets against', () => {
    // Act
    const found = check(
      ['Resources:', '  Queue:', '    Type: AWS::SQS::Queue', '    Properties:', '      VisibilityTimeout: 60'],
      undefined,
    );

    // Assess
    expect(found).toEqual([]);
  });

  it('refuses an unknown type at its line with a suggestion, and a misspelt property at its own line', () => {
    // Act
    const found = check(
      [
        'Resources:',
        '  Queue:',
        '    Type: AWS::SQS::Queues',
        '  Vpc:',
        '    Type: AWS::EC2::VPC',
        '    Properties:',
        '      CidrBlok: 10.0.0.0/16',
      ],
      { resourceTypes: ['AWS::SQS::*', 'AWS::EC2::VPC'] },
    );

    // Assess
    expect(brief(found)).toEqual([
      {
        code: 'E_TEMPLATE',
        line: 3,
        message: expect.stringMatching(
          /^template stacks\/app\.template\.yaml: resource Queue: AWS::SQS::Queues is not a resource type in the CloudFormation resource specification \(@aws-cdk\/aws-service-spec@[\d.]+\); did you mean AWS::SQS::Queue\?$/,
        ),
      },
      {
        code: 'E_TEMPLATE',
        line: 7,
        message:
          'template stacks/app.template.yaml: resource Vpc: AWS::EC2::VPC has no property CidrBlok; did you mean CidrBlock?',
      },
    ]);
  });

  it("takes a custom resource's properties as they are, and reports a resource without a Type", () => {
    // Act
    const found = check(
      [
        'Resources:',
        '  Validator:',
        '    Type: Custom::Validator',
        '    Properties: { ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:v, Anything: 1 }',
        '  Legacy:',
        '    Type: AWS::CloudFormation::CustomResource',
        '    Properties: { ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:v, Whatever: 2 }',
        '  Nothing:',
        '    Properties: {}',
      ],
      { resourceTypes: ['Custom::Validator', 'AWS::CloudFormation::CustomResource'] },
    );

    // Assess
    expect(brief(found)).toEqual([
      { code: 'E_TEMPLATE', line: 8, message: expect.stringContaining('resource Nothing has no Type') },
    ]);
  });
});

describe('checking what a template declares against targets.resourceTypes', () => {
  it('finds the types an Fn::ForEach writes, every transform and Fn::Transform, and Init metadata', () => {
    // Prepare
    const body = [
      'Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]',
      'Resources:',
      '  Fn::ForEach::Topics:',
      '    - Name',
      '    - [a, b]',
      '    - Topic${Name}:',
      '        Type: AWS::SNS::Topic',
      '  Server:',
      '    Type: AWS::EC2::Instance',
      '    Metadata:',
      '      AWS::CloudFormation::Init: { config: { commands: {} } }',
      '    Properties:',
      '      UserData:',
      '        Fn::Transform: { Name: Shell, Parameters: {} }',
    ].join('\n');

    // Act
    const declared = declaredTypes(parseTemplate(body).template!);

    // Assess
    expect(declared.map(({ type, path }) => ({ type, path: path.join('/') }))).toEqual([
      { type: 'AWS::SNS::Topic', path: 'Resources/Fn::ForEach::Topics/2/Topic${Name}/Type' },
      { type: 'AWS::EC2::Instance', path: 'Resources/Server/Type' },
      { type: 'AWS::CloudFormation::Init', path: 'Resources/Server/Metadata/AWS::CloudFormation::Init' },
      { type: 'Transform::AWS::LanguageExtensions', path: 'Transform/0' },
      { type: 'Transform::AWS::Serverless-2016-10-31', path: 'Transform/1' },
      { type: 'Transform::Shell', path: 'Resources/Server/Properties/UserData/Fn::Transform' },
    ]);
  });

  it('refuses each one Settings do not allow at its line; an empty list allows none', () => {
    // Act
    const found = check(
      [
        'Transform: AWS::LanguageExtensions',
        'Resources:',
        '  Queue:',
        '    Type: AWS::SQS::Queue',
        '  Topic:',
        '    Type: AWS::SNS::Topic',
      ],
      { resourceTypes: ['AWS::SQS::Queue'] },
    );
    const none = check(['Resources:', '  Queue:', '    Type: AWS::SQS::Queue'], {});

    // Assess
    expect(brief(found)).toEqual([
      {
        code: 'E_RESOURCE_TYPE',
        line: 1,
        message:
          'template stacks/app.template.yaml: transform AWS::LanguageExtensions is not allowed by targets.resourceTypes in Settings (AWS::SQS::Queue): it hides or grants what a stack does, so only its exact name allows it; add Transform::AWS::LanguageExtensions there to allow it',
      },
      {
        code: 'E_RESOURCE_TYPE',
        line: 6,
        message:
          'template stacks/app.template.yaml: resource Topic: AWS::SNS::Topic is not allowed by targets.resourceTypes in Settings (AWS::SQS::Queue); add AWS::SNS::Topic there to allow it',
      },
    ]);
    expect(brief(none)).toEqual([
      { code: 'E_RESOURCE_TYPE', line: 3, message: expect.stringContaining('(none); add AWS::SQS::Queue') },
    ]);
  });

  it('reports an unknown type once, as unknown, even when the list would not allow it either', () => {
    // Act
    const found = check(['Resources:', '  Queue:', '    Type: AWS::SQS::Queu'], { resourceTypes: [] });

    // Assess
    expect(found.map((d) => d.code)).toEqual(['E_TEMPLATE']);
  });

  it('requires a PermissionsBoundary on an allowed IAM role or user, and not on a policy', () => {
    // Act
    const found = check(
      [
        'Resources:',
        '  Bounded:',
        '    Type: AWS::IAM::Role',
        '    Properties:',
        '      AssumeRolePolicyDocument: {}',
        '      PermissionsBoundary: arn:aws:iam::123456789012:policy/driftless-boundary',
        '  Unbounded:',
        '    Type: AWS::IAM::Role',
        '    Properties:',
        '      AssumeRolePolicyDocument: {}',
        '  Person:',
        '    Type: AWS::IAM::User',
        '  Policy:',
        '    Type: AWS::IAM::ManagedPolicy',
        '    Properties: { PolicyDocument: {} }',
      ],
      { resourceTypes: ['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::ManagedPolicy'] },
    );

    // Assess
    expect(brief(found).map(({ code, line }) => ({ code, line }))).toEqual([
      { code: 'E_RESOURCE_TYPE', line: 8 },
      { code: 'E_RESOURCE_TYPE', line: 12 },
    ]);
    expect(found[0]?.message).toContain('an AWS::IAM::Role must carry a PermissionsBoundary');
  });
});

describe('checking the clusters and roles of ECS resources in a template', () => {
  const SERVICE = (cluster: string) => [
    'Parameters:',
    '  ClusterName: { Type: String }',
    '  DefaultedCluster: { Type: String, Default: prod }',
    '  TaskRole: { Type: String }',
    'Resources:',
    '  Service:',
    '    Type: AWS::ECS::Service',
    '    Properties:',
    ...(cluster === '' ? [] : [`      Cluster: ${cluster}`]),
    '      TaskDefinition: !Ref Task',
    '  Task:',
    '    Type: AWS::ECS::TaskDefinition',
    '    Properties:',
    '      ContainerDefinitions: []',
    '      TaskRoleArn: !Ref TaskRole',
    '      ExecutionRoleArn: arn:aws:iam::123456789012:role/app/web-execution',
  ];
  const ALLOWED = { resourceTypes: ['AWS::ECS::Service', 'AWS::ECS::TaskDefinition'] };
  const ROLE = { TaskRole: 'arn:aws:iam::123456789012:role/app/web-task' };

  it.each([
    ['written out', 'prod', {}],
    ['as an ARN', 'arn:aws:ecs:us-east-1:123456789012:cluster/prod', {}],
    ['through a parameter the declaration passes', '!Ref ClusterName', { ClusterName: 'prod' }],
    ["through a parameter's Default", '!Ref DefaultedCluster', {}],
  ])('accepts an allowed cluster %s, and roles that match the patterns', (_how, cluster, parameters) => {
    // Act
    const found = check(SERVICE(cluster), ALLOWED, { ...ROLE, ...parameters });

    // Assess
    expect(found).toEqual([]);
  });

  it.each([
    [
      'another cluster',
      'payments',
      {},
      'Cluster is payments, a cluster Settings do not allow (targets.clusters: prod)',
    ],
    ['no cluster (ECS uses default)', '', {}, 'it names none, so ECS uses the default cluster'],
    ['a parameter passing another cluster', '!Ref ClusterName', { ClusterName: 'payments' }, 'is payments'],
    ['a parameter with no value', '!Ref ClusterName', {}, 'parameter ClusterName has no value in the declaration'],
    ['an import', '!ImportValue shared-cluster', {}, 'it is computed (Fn::ImportValue)'],
    ['a cluster the stack creates', '!Ref OwnCluster', {}, 'it is computed (Ref OwnCluster)'],
  ])('refuses a service naming %s with E_TARGET at the line', (_what, cluster, parameters, why) => {
    // Act
    const found = check(SERVICE(cluster), ALLOWED, { ...ROLE, ...parameters });

    // Assess
    expect(brief(found)).toEqual([
      { code: 'E_TARGET', line: cluster === '' ? 7 : 9, message: expect.stringContaining(why) },
    ]);
  });

  it('refuses a role outside roleArnPatterns with E_ROLE, written out or through a parameter', () => {
    // Act
    const found = check(SERVICE('prod'), ALLOWED, { TaskRole: 'arn:aws:iam::123456789012:role/admin' });
    const unresolved = check(SERVICE('prod'), ALLOWED, {});

    // Assess
    expect(brief(found)).toEqual([
      {
        code: 'E_ROLE',
        line: 15,
        message:
          'template stacks/app.template.yaml: resource Task: AWS::ECS::TaskDefinition TaskRoleArn arn:aws:iam::123456789012:role/admin does not match an allowed role ARN pattern in Settings (targets.roleArnPatterns: arn:aws:iam::123456789012:role/app/*)',
      },
    ]);
    expect(brief(unresolved)).toEqual([
      { code: 'E_ROLE', line: 15, message: expect.stringContaining('parameter TaskRole has no value') },
    ]);
  });

  it('does not also report the cluster of a service whose type is refused', () => {
    // Act
    const found = check(SERVICE('payments'), { resourceTypes: ['AWS::ECS::TaskDefinition'] }, ROLE);

    // Assess
    expect(found.map((d) => `${d.code}:${d.line}`)).toEqual(['E_RESOURCE_TYPE:7']);
  });
});
