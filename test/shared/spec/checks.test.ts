import { describe, expect, it } from 'vitest';
import { clusterName, globToRegExp, looksLikeSecretName, secretShapeOf } from '../../../shared/spec/checks.ts';
import { parseTemplate } from '../../../shared/spec/cloudformation-yaml.ts';
import { resolveTemplatePath } from '../../../shared/spec/repository.ts';
import { editDistance, nearest } from '../../../shared/spec/suggest.ts';

describe('secret detection', () => {
  it.each([
    'DB_PASSWORD',
    'db_password',
    'STRIPE_SECRET',
    'GITHUB_TOKEN',
    'API_KEY',
    'AWS_SECRET_ACCESS_KEY',
    'PRIVATE_KEY',
  ])('treats %s as a secret name', (name) => {
    expect(looksLikeSecretName(name)).toBe(true);
  });

  it.each(['LOG_LEVEL', 'DB_PASSWORD_ARN', 'TOKEN_TTL', 'SECRET_NAME', 'PORT'])(
    'does not treat %s as a secret name',
    (name) => {
      expect(looksLikeSecretName(name)).toBe(false);
    },
  );

  it.each([
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIE...', 'a private key block'],
    ['-----BEGIN OPENSSH PRIVATE KEY-----', 'a private key block'],
    ['AKIAIOSFODNN7EXAMPLE', 'an AWS access key id'],
    ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'an AWS secret access key'],
    ['postgres://app:hunter2@db.internal:5432/app', 'a password in a URL'],
    [`ghp_${'a1B2'.repeat(9)}`, 'a GitHub token'],
  ])('recognises %s as %s', (value, shape) => {
    expect(secretShapeOf(value)).toBe(shape);
  });

  it.each([
    'info',
    // A git sha is 40 characters too, but hex only: it must not read as a secret key.
    '3f2a9c1d5e7b8a0f4c6d2e1b9a8f7c6d5e4b3a21',
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf',
    'http://api.prod.internal:8080/v1',
    '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2',
  ])('does not flag %s', (value) => {
    expect(secretShapeOf(value)).toBeUndefined();
  });
});

describe('targets', () => {
  it('compares clusters by name whether written as a name or an ARN', () => {
    expect(clusterName('arn:aws:ecs:us-east-1:123456789012:cluster/prod')).toBe('prod');
    expect(clusterName('prod')).toBe('prod');
  });

  it('matches role ARN globs with * as any run of characters and everything else literally', () => {
    const pattern = globToRegExp('arn:aws:iam::123456789012:role/app/*');
    expect(pattern.test('arn:aws:iam::123456789012:role/app/web-task')).toBe(true);
    expect(pattern.test('arn:aws:iam::123456789012:role/admin')).toBe(false);
    expect(globToRegExp('arn:aws:iam::1.3:role/x').test('arn:aws:iam::123:role/x')).toBe(false);
  });
});

describe('template paths', () => {
  it('resolves relative to the declaration file', () => {
    expect(resolveTemplatePath('stacks/network.yaml', 'network.template.yaml')).toEqual({
      ok: true,
      path: 'stacks/network.template.yaml',
    });
    expect(resolveTemplatePath('stacks/prod/network.yaml', '../templates/vpc.yaml')).toEqual({
      ok: true,
      path: 'stacks/templates/vpc.yaml',
    });
  });

  it.each([['/etc/passwd'], ['../../outside.yaml'], ['../../../etc/passwd'], ['C:\\templates\\vpc.yaml']])(
    'refuses %s',
    (template) => {
      expect(resolveTemplatePath('stacks/network.yaml', template).ok).toBe(false);
    },
  );
});

describe('CloudFormation templates', () => {
  it('reads short-form intrinsic functions as their long form', () => {
    const { template } = parseTemplate(
      [
        'Resources:',
        '  Vpc:',
        '    Type: AWS::EC2::VPC',
        '    Properties:',
        '      CidrBlock: !Ref VpcCidr',
        '      Tags: [{ Key: Name, Value: !Sub "${Env}-vpc" }]',
        '  Subnet:',
        '    Type: AWS::EC2::Subnet',
        '    Properties:',
        '      VpcId: !GetAtt Vpc.VpcId',
        '      AvailabilityZone: !Select [0, !GetAZs ""]',
      ].join('\n'),
    );
    expect(template?.Resources).toEqual({
      Vpc: {
        Type: 'AWS::EC2::VPC',
        Properties: { CidrBlock: { Ref: 'VpcCidr' }, Tags: [{ Key: 'Name', Value: { 'Fn::Sub': '${Env}-vpc' } }] },
      },
      Subnet: {
        Type: 'AWS::EC2::Subnet',
        Properties: {
          VpcId: { 'Fn::GetAtt': ['Vpc', 'VpcId'] },
          AvailabilityZone: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
        },
      },
    });
  });

  it('reads JSON templates the same way', () => {
    const { template } = parseTemplate('{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}');
    expect(template).toEqual({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } });
  });

  it('reports a template without Resources', () => {
    expect(parseTemplate('AWSTemplateFormatVersion: "2010-09-09"\n').error?.message).toContain('no Resources');
  });
});

describe('suggestions', () => {
  it('measures edits', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests the closest known word only when it is a plausible typo', () => {
    expect(nearest('desiredcount', ['desiredCount', 'launchType'])).toBe('desiredCount');
    expect(nearest('portMapings', ['portMappings', 'protocol'])).toBe('portMappings');
    expect(nearest('zzzzzz', ['desiredCount', 'launchType'])).toBeUndefined();
  });
});
