/** What the simulator's tests share: a simulator on a ticking clock, a web task definition and service to create,
 * a network stack template (YAML and the same as JSON), and a way to catch the error a call rejects with. */
import type { CreateServiceRequest, RegisterTaskDefinitionRequest } from '@aws-sdk/client-ecs';
import { type AwsSimulator, createAwsSimulator, type SimulatorOptions } from '../../../shared/sim/index.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}`;

export function simulator(options: SimulatorOptions = {}): AwsSimulator {
  let clock = Date.parse('2025-01-01T00:00:00Z');
  return createAwsSimulator({ now: () => clock++, ...options });
}

export function webTaskDefinition(
  overrides: Partial<RegisterTaskDefinitionRequest> = {},
): RegisterTaskDefinitionRequest {
  return {
    family: 'web',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/exec`,
    containerDefinitions: [
      {
        name: 'app',
        image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/web:1`,
        portMappings: [{ containerPort: 8080 }],
        healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8080/ || exit 1'] },
      },
    ],
    ...overrides,
  };
}

export const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'] } };

export function webService(overrides: Partial<CreateServiceRequest> = {}): CreateServiceRequest {
  return {
    cluster: 'prod',
    serviceName: 'web',
    taskDefinition: 'web',
    desiredCount: 2,
    launchType: 'FARGATE',
    networkConfiguration: NETWORK,
    ...overrides,
  };
}

export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to be rejected');
}

export const TEMPLATE_YAML = `AWSTemplateFormatVersion: '2010-09-09'
Description: network
Parameters:
  Env:
    Type: String
  CidrBlock:
    Type: String
    Default: 10.0.0.0/16
  Secret:
    Type: String
    NoEcho: true
    Default: hunter2
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: !Ref CidrBlock
  Bucket:
    Type: AWS::S3::Bucket
Outputs:
  VpcId:
    Value: !Ref Vpc
  EnvName:
    Value: !Ref Env
  Literal:
    Value: fixed
`;

/** The same template as JSON: CloudFormation compares what the templates say, not how. */
export const TEMPLATE_JSON = JSON.stringify({
  AWSTemplateFormatVersion: '2010-09-09',
  Description: 'network',
  Parameters: {
    Env: { Type: 'String' },
    CidrBlock: { Type: 'String', Default: '10.0.0.0/16' },
    Secret: { Type: 'String', NoEcho: true, Default: 'hunter2' },
  },
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: { Ref: 'CidrBlock' } } },
    Bucket: { Type: 'AWS::S3::Bucket' },
  },
  Outputs: { VpcId: { Value: { Ref: 'Vpc' } }, EnvName: { Value: { Ref: 'Env' } }, Literal: { Value: 'fixed' } },
});
