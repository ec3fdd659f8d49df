/** The small declarations and live responses the plan tests share: web (a Fargate service) and the network stack,
 * as YAML and as the ECS and CloudFormation API would describe them. */
import { liveService, liveStack } from './snapshots.ts';

export const WEB = `apiVersion: driftless/v1
kind: EcsService
metadata: { name: web, cluster: prod }
spec:
  desiredCount: 2
  launchType: FARGATE
  networkConfiguration: { awsvpcConfiguration: { subnets: [subnet-a, subnet-b], securityGroups: [sg-1] } }
  deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } }
  taskDefinition:
    family: web
    cpu: "256"
    memory: "512"
    networkMode: awsvpc
    requiresCompatibilities: [FARGATE]
    containerDefinitions:
      - name: web
        image: web:1.4.2
        portMappings: [{ containerPort: 8080 }]
        environment: [{ name: LOG_LEVEL, value: info }]
`;

export const NETWORK = `apiVersion: driftless/v1
kind: CloudFormationStack
metadata: { name: platform-network }
spec:
  template: network.template.yaml
  parameters: { VpcCidr: 10.0.0.0/16 }
  tags: { team: platform }
`;
export const TEMPLATE = `Parameters:
  VpcCidr: { Type: String }
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: { CidrBlock: !Ref VpcCidr }
`;

/** What DescribeServices / DescribeTaskDefinition answer for WEB once ECS has filled its defaults. */
export function liveWeb(service: Record<string, unknown> = {}, taskDefinition: Record<string, unknown> = {}) {
  return liveService(
    'prod',
    'web',
    {
      serviceName: 'web',
      status: 'ACTIVE',
      desiredCount: 2,
      runningCount: 2,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:4',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-b', 'subnet-a'],
          securityGroups: ['sg-1'],
          assignPublicIp: 'DISABLED',
        },
      },
      deploymentConfiguration: {
        maximumPercent: 200,
        minimumHealthyPercent: 100,
        deploymentCircuitBreaker: { enable: true, rollback: true },
      },
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      propagateTags: 'NONE',
      enableECSManagedTags: false,
      enableExecuteCommand: false,
      deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
      ...service,
    },
    {
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:4',
      revision: 4,
      status: 'ACTIVE',
      family: 'web',
      cpu: '256',
      memory: '512',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      compatibilities: ['EC2', 'FARGATE'],
      containerDefinitions: [
        {
          name: 'web',
          image: 'web:1.4.2',
          cpu: 0,
          essential: true,
          portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
          environment: [{ name: 'LOG_LEVEL', value: 'info' }],
          mountPoints: [],
          volumesFrom: [],
        },
      ],
      volumes: [],
      ...taskDefinition,
    },
  );
}

export function liveNetwork(stack: Record<string, unknown> = {}, templateBody: string | undefined = TEMPLATE) {
  return liveStack(
    'platform-network',
    {
      StackStatus: 'UPDATE_COMPLETE',
      Parameters: [{ ParameterKey: 'VpcCidr', ParameterValue: '10.0.0.0/16' }],
      Tags: [{ Key: 'team', Value: 'platform' }],
      ...stack,
    },
    templateBody,
  );
}

export const templates = { 'network.template.yaml': TEMPLATE };
