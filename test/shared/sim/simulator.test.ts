import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  ListStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateServiceCommand,
  type CreateServiceRequest,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionRequest,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { type AwsSimulator, createAwsSimulator, type SimulatorOptions } from '../../../shared/sim/index.ts';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}`;

function simulator(options: SimulatorOptions = {}): AwsSimulator {
  let clock = Date.parse('2025-01-01T00:00:00Z');
  return createAwsSimulator({ now: () => clock++, ...options });
}

function webTaskDefinition(overrides: Partial<RegisterTaskDefinitionRequest> = {}): RegisterTaskDefinitionRequest {
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

const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'] } };

function webService(overrides: Partial<CreateServiceRequest> = {}): CreateServiceRequest {
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

async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to be rejected');
}

const TEMPLATE_YAML = `AWSTemplateFormatVersion: '2010-09-09'
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
const TEMPLATE_JSON = JSON.stringify({
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

// ================================================================================================ ECS

describe('ECS task definitions', () => {
  it('fills the defaults ECS fills on register, and describes the revision back', async () => {
    // Prepare
    const aws = simulator();
    const input: RegisterTaskDefinitionRequest = {
      family: 'worker',
      containerDefinitions: [
        {
          name: 'app',
          image: 'busybox',
          memory: 128,
          portMappings: [{ containerPort: 80 }],
          healthCheck: { command: ['CMD', 'true'] },
        },
      ],
      volumes: [{ name: 'data', efsVolumeConfiguration: { fileSystemId: 'fs-1' } }],
      tags: [{ key: 'team', value: 'core' }],
    };

    // Act
    const registered = await aws.ecs.send(new RegisterTaskDefinitionCommand(input));
    const described = await aws.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'worker:1', include: ['TAGS'] }),
    );
    const withoutTags = await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'worker' }));

    // Assess
    expect(registered.taskDefinition?.taskDefinitionArn).toBe(`${ARN}:task-definition/worker:1`);
    expect(described.taskDefinition).toMatchObject({
      taskDefinitionArn: `${ARN}:task-definition/worker:1`,
      family: 'worker',
      revision: 1,
      status: 'ACTIVE',
      networkMode: 'bridge',
      compatibilities: ['EC2'],
      volumes: [
        {
          name: 'data',
          efsVolumeConfiguration: { fileSystemId: 'fs-1', rootDirectory: '/', transitEncryption: 'DISABLED' },
        },
      ],
      placementConstraints: [],
      containerDefinitions: [
        {
          name: 'app',
          essential: true,
          cpu: 0,
          portMappings: [{ containerPort: 80, hostPort: 0, protocol: 'tcp' }],
          environment: [],
          mountPoints: [],
          volumesFrom: [],
          systemControls: [],
          healthCheck: { command: ['CMD', 'true'], interval: 30, timeout: 5, retries: 3 },
        },
      ],
    });
    expect(described.taskDefinition?.registeredAt).toBeInstanceOf(Date);
    expect(described.taskDefinition?.registeredBy).toContain(ACCOUNT);
    expect(described.taskDefinition?.requiresAttributes?.length).toBeGreaterThan(0);
    expect(described.taskDefinition).not.toHaveProperty('tags');
    expect(described.tags).toEqual([{ key: 'team', value: 'core' }]);
    expect(withoutTags.tags).toBeUndefined();
  });

  it('sets the host port to the container port under awsvpc and reports Fargate compatibility', async () => {
    // Prepare
    const aws = simulator();

    // Act
    const { taskDefinition } = await aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition()));

    // Assess
    expect(taskDefinition?.containerDefinitions?.[0]?.portMappings).toEqual([
      { containerPort: 8080, hostPort: 8080, protocol: 'tcp' },
    ]);
    expect(taskDefinition?.compatibilities).toEqual(['EC2', 'FARGATE']);
    expect(taskDefinition?.cpu).toBe('256');
    expect(taskDefinition?.memory).toBe('512');
    expect(taskDefinition?.requiresAttributes).toContainEqual({ name: 'ecs.capability.task-eni' });
  });

  it('numbers revisions per family and resolves family, family:revision and ARN', async () => {
    // Prepare
    const aws = simulator();
    await aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition()));
    await aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition()));
    await aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition({ family: 'api' })));

    // Act
    const latest = await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
    const first = await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:1' }));
    const byArn = await aws.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: `${ARN}:task-definition/api:1` }),
    );
    const unknown = await rejection(aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:9' })));

    // Assess
    expect(latest.taskDefinition?.revision).toBe(2);
    expect(first.taskDefinition?.revision).toBe(1);
    expect(byArn.taskDefinition?.family).toBe('api');
    expect(unknown).toMatchObject({ name: 'ClientException', message: 'Unable to describe task definition.' });
    expect(unknown.$metadata?.httpStatusCode).toBe(400);
  });

  it('refuses an invalid family and more than 10 containers with a ClientException', async () => {
    // Prepare
    const aws = simulator();
    const containers = Array.from({ length: 11 }, (_, index) => ({ name: `c${index}`, image: 'busybox', memory: 64 }));

    // Act
    const badFamily = await rejection(
      aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition({ family: 'has spaces' }))),
    );
    const tooMany = await rejection(
      aws.ecs.send(new RegisterTaskDefinitionCommand({ family: 'big', containerDefinitions: containers })),
    );

    // Assess
    expect(badFamily.name).toBe('ClientException');
    expect(tooMany.name).toBe('ClientException');
    expect(aws.taskDefinitions()).toHaveLength(0);
  });
});

describe('ECS services', () => {
  it('creates a service with the fields ECS fills, and an IN_PROGRESS primary deployment', async () => {
    // Prepare
    const aws = simulator();
    await aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition()));

    // Act
    const { service } = await aws.ecs.send(
      new CreateServiceCommand(webService({ tags: [{ key: 'driftless:managed-by', value: 'install-1' }] })),
    );

    // Assess
    expect(service).toMatchObject({
      serviceArn: `${ARN}:service/prod/web`,
      clusterArn: `${ARN}:cluster/prod`,
      serviceName: 'web',
      status: 'ACTIVE',
      taskDefinition: `${ARN}:task-definition/web:1`,
      desiredCount: 2,
      runningCount: 0,
      pendingCount: 0,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      platformFamily: 'Linux',
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      deploymentConfiguration: {
        maximumPercent: 200,
        minimumHealthyPercent: 100,
        deploymentCircuitBreaker: { enable: false, rollback: false },
        alarms: { alarmNames: [], enable: false, rollback: false },
      },
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' },
      },
      propagateTags: 'NONE',
      enableECSManagedTags: false,
      enableExecuteCommand: false,
      healthCheckGracePeriodSeconds: 0,
      loadBalancers: [],
      serviceRegistries: [],
      placementConstraints: [],
      placementStrategy: [],
      events: [],
    });
    expect(service?.deployments).toHaveLength(1);
    expect(service?.deployments?.[0]).toMatchObject({
      status: 'PRIMARY',
      rolloutState: 'IN_PROGRESS',
      taskDefinition: `${ARN}:task-definition/web:1`,
      desiredCount: 2,
      runningCount: 0,
      launchType: 'FARGATE',
    });
    expect(service?.deployments?.[0]?.id).toMatch(/^ecs-svc\/\d{19}$/);
    expect(service?.createdAt).toBeInstanceOf(Date);
    expect(service?.createdBy).toContain(ACCOUNT);
  });

  it('leaves the launch type out for a capacity provider strategy, and DAEMON gets 100/0', async () => {
    // Prepare
    const aws = simulator();
    await aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition()));

    // Act
    const spot = await aws.ecs.send(
      new CreateServiceCommand(
        webService({
          serviceName: 'spot',
          launchType: undefined,
          capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        }),
      ),
    );
    const daemon = await aws.ecs.send(
      new CreateServiceCommand(
        webService({ serviceName: 'agent', launchType: 'EC2', schedulingStrategy: 'DAEMON', desiredCount: undefined }),
      ),
    );

    // Assess
    expect(spot.service).not.toHaveProperty('launchType');
    expect(spot.service).toMatchObject({
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }],
      platformVersion: 'LATEST',
      platformFamily: 'Linux',
    });
    expect(daemon.service?.deploymentConfiguration).toMatchObject({ maximumPercent: 100, minimumHealthyPercent: 0 });
    expect(daemon.service).not.toHaveProperty('platformVersion');
  });

  it('refuses a second service of the same name while the first is ACTIVE', async () => {
    // Prepare
    const aws = simulator();
    await aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition()));
    await aws.ecs.send(new CreateServiceCommand(webService()));

    // Act
    const error = await rejection(aws.ecs.send(new CreateServiceCommand(webService())));

    // Assess
    expect(error).toMatchObject({
      name: 'InvalidParameterException',
      message: 'Creation of service was not idempotent.',
    });
  });

  it('goes through update, rollout and deletion as ECS does', async () => {
    // Prepare
    const aws = simulator();
    await aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition()));
    await aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition()));
    await aws.ecs.send(new CreateServiceCommand(webService({ taskDefinition: 'web:1' })));
    aws.advance();

    // Act
    const steady = await aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));
    const updated = await aws.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: 'web:2', desiredCount: 3 }),
    );
    aws.advance();
    const rolledOut = await aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));
    const scaledOnly = await aws.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 1 }),
    );
    const refused = await rejection(aws.ecs.send(new DeleteServiceCommand({ cluster: 'prod', service: 'web' })));
    const draining = await aws.ecs.send(new DeleteServiceCommand({ cluster: 'prod', service: 'web', force: true }));
    aws.advance();
    const gone = await aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));
    const updateGone = await rejection(
      aws.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 1 })),
    );
    const updateMissing = await rejection(
      aws.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'nope', desiredCount: 1 })),
    );

    // Assess
    expect(steady.services?.[0]).toMatchObject({ runningCount: 2 });
    expect(steady.services?.[0]?.deployments).toMatchObject([{ status: 'PRIMARY', rolloutState: 'COMPLETED' }]);

    const deployments = updated.service?.deployments ?? [];
    expect(deployments).toHaveLength(2);
    expect(deployments[0]).toMatchObject({
      status: 'PRIMARY',
      rolloutState: 'IN_PROGRESS',
      taskDefinition: `${ARN}:task-definition/web:2`,
      desiredCount: 3,
    });
    expect(deployments[1]).toMatchObject({ status: 'ACTIVE', taskDefinition: `${ARN}:task-definition/web:1` });
    expect(updated.service?.taskDefinition).toBe(`${ARN}:task-definition/web:2`);

    expect(rolledOut.services?.[0]).toMatchObject({ runningCount: 3, desiredCount: 3 });
    expect(rolledOut.services?.[0]?.deployments).toMatchObject([
      { status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 3, taskDefinition: `${ARN}:task-definition/web:2` },
    ]);
    expect(rolledOut.services?.[0]?.events?.[0]?.message).toContain('deployment completed');

    expect(scaledOnly.service?.deployments).toHaveLength(1);
    expect(refused.name).toBe('InvalidParameterException');
    expect(draining.service?.status).toBe('DRAINING');
    expect(gone.services).toMatchObject([{ serviceName: 'web', status: 'INACTIVE' }]);
    expect(gone.failures).toEqual([]);
    expect(updateGone.name).toBe('ServiceNotActiveException');
    expect(updateMissing.name).toBe('ServiceNotFoundException');
  });

  it('fails a rollout with the circuit breaker and rolls back to the previous task definition when rollback is on', async () => {
    // Prepare
    const aws = simulator();
    await aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition()));
    await aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition()));
    await aws.ecs.send(
      new CreateServiceCommand(
        webService({
          taskDefinition: 'web:1',
          deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
        }),
      ),
    );
    aws.advance();
    const started = await aws.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: 'web:2' }),
    );
    const failedId = started.service?.deployments?.[0]?.id;
    const previousId = started.service?.deployments?.[1]?.id;

    // Act
    aws.failNextRollout('prod', 'web');
    aws.advance();
    const rolledBack = await aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));
    aws.advance();
    const after = await aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));

    // Assess
    const service = rolledBack.services?.[0];
    expect(service?.taskDefinition).toBe(`${ARN}:task-definition/web:1`);
    expect(service?.deployments).toMatchObject([
      {
        status: 'PRIMARY',
        rolloutState: 'COMPLETED',
        rolloutStateReason: `ECS deployment circuit breaker: rolling back to deploymentId ${previousId}.`,
        taskDefinition: `${ARN}:task-definition/web:1`,
      },
    ]);
    expect(service?.deployments?.[0]?.id).not.toBe(failedId);
    expect(service?.events?.map((event) => event.message)).toContain(
      `(service web) (deployment ${failedId}) deployment failed: rolling back to deployment ${previousId}.`,
    );
    expect(after.services?.[0]?.taskDefinition).toBe(`${ARN}:task-definition/web:1`);
  });

  it('leaves a failed rollout FAILED, on the new task definition, when the circuit breaker does not roll back', async () => {
    // Prepare
    const aws = simulator();
    await aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition()));
    await aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition()));
    await aws.ecs.send(new CreateServiceCommand(webService({ taskDefinition: 'web:1' })));
    aws.advance();
    await aws.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: 'web:2' }));

    // Act
    aws.failNextRollout('prod', 'web');
    aws.advance();
    const failed = await aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));

    // Assess
    expect(failed.services?.[0]?.taskDefinition).toBe(`${ARN}:task-definition/web:2`);
    expect(failed.services?.[0]?.deployments?.[0]).toMatchObject({
      status: 'PRIMARY',
      rolloutState: 'FAILED',
      rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
    });
  });

  it('starts a new deployment on forceNewDeployment and not for a desired count alone', async () => {
    // Prepare
    const aws = simulator();
    aws.seedService({ ...webService(), serviceName: 'web', taskDefinition: webTaskDefinition() });

    // Act
    const scaled = await aws.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 4 }));
    const forced = await aws.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'web', forceNewDeployment: true }),
    );

    // Assess
    expect(scaled.service?.deployments).toHaveLength(1);
    expect(scaled.service?.deployments?.[0]?.desiredCount).toBe(4);
    expect(forced.service?.deployments?.map((deployment) => deployment.status)).toEqual(['PRIMARY', 'ACTIVE']);
  });

  it('answers MISSING for unknown services, refuses more than 10, and knows missing clusters', async () => {
    // Prepare
    const aws = simulator({ missingClusters: ['gone'] });
    aws.seedService({ ...webService(), serviceName: 'web', taskDefinition: webTaskDefinition() });
    const eleven = Array.from({ length: 11 }, (_, index) => `svc-${index}`);

    // Act
    const mixed = await aws.ecs.send(
      new DescribeServicesCommand({ cluster: 'prod', services: ['web', 'ghost', `${ARN}:service/prod/web`] }),
    );
    const tooMany = await rejection(aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: eleven })));
    const noCluster = await rejection(
      aws.ecs.send(new DescribeServicesCommand({ cluster: 'gone', services: ['web'] })),
    );

    // Assess
    expect(mixed.services?.map((service) => service.serviceName)).toEqual(['web', 'web']);
    expect(mixed.services?.[0]).not.toHaveProperty('tags');
    expect(mixed.failures).toEqual([{ arn: `${ARN}:service/prod/ghost`, reason: 'MISSING' }]);
    expect(tooMany.name).toBe('InvalidParameterException');
    expect(noCluster.name).toBe('ClusterNotFoundException');
    expect(noCluster.$metadata?.httpStatusCode).toBe(400);
  });

  it('pages ListServices by maxResults (default 10) with nextToken', async () => {
    // Prepare
    const aws = simulator();
    const taskDefinition = aws.seedTaskDefinition(webTaskDefinition()).taskDefinition.taskDefinitionArn as string;
    for (let index = 0; index < 25; index++) {
      aws.seedService({ ...webService(), serviceName: `svc-${String(index).padStart(2, '0')}`, taskDefinition });
    }
    aws.seedService({ ...webService(), cluster: 'other', serviceName: 'elsewhere', taskDefinition });

    // Act
    const defaultPage = await aws.ecs.send(new ListServicesCommand({ cluster: 'prod' }));
    const arns: string[] = [];
    const pages: number[] = [];
    let nextToken: string | undefined;
    do {
      const page = await aws.ecs.send(new ListServicesCommand({ cluster: 'prod', maxResults: 10, nextToken }));
      arns.push(...(page.serviceArns ?? []));
      pages.push(page.serviceArns?.length ?? 0);
      nextToken = page.nextToken;
    } while (nextToken);
    const tooBig = await rejection(aws.ecs.send(new ListServicesCommand({ cluster: 'prod', maxResults: 101 })));

    // Assess
    expect(defaultPage.serviceArns).toHaveLength(10);
    expect(defaultPage.nextToken).toBeDefined();
    expect(pages).toEqual([10, 10, 5]);
    expect(new Set(arns).size).toBe(25);
    expect(arns).not.toContain(`${ARN}:service/other/elsewhere`);
    expect(tooBig.name).toBe('InvalidParameterException');
  });

  it('tags and untags services and task definitions', async () => {
    // Prepare
    const aws = simulator();
    const service = aws.seedService({ ...webService(), serviceName: 'web', taskDefinition: webTaskDefinition() });
    const serviceArn = service.serviceArn as string;
    const taskDefinitionArn = service.taskDefinition as string;

    // Act
    await aws.ecs.send(new TagResourceCommand({ resourceArn: serviceArn, tags: [{ key: 'a', value: '1' }] }));
    await aws.ecs.send(new TagResourceCommand({ resourceArn: serviceArn, tags: [{ key: 'b', value: '2' }] }));
    await aws.ecs.send(new UntagResourceCommand({ resourceArn: serviceArn, tagKeys: ['a'] }));
    await aws.ecs.send(new TagResourceCommand({ resourceArn: taskDefinitionArn, tags: [{ key: 'c', value: '3' }] }));
    const serviceTags = await aws.ecs.send(new ListTagsForResourceCommand({ resourceArn: serviceArn }));
    const described = await aws.ecs.send(
      new DescribeServicesCommand({ cluster: 'prod', services: ['web'], include: ['TAGS'] }),
    );
    const taskDefinitionTags = await aws.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn, include: ['TAGS'] }),
    );

    // Assess
    expect(serviceTags.tags).toEqual([{ key: 'b', value: '2' }]);
    expect(described.services?.[0]?.tags).toEqual([{ key: 'b', value: '2' }]);
    expect(taskDefinitionTags.tags).toEqual([{ key: 'c', value: '3' }]);
  });
});

// ================================================================================================ CloudFormation

async function createStack(
  aws: AwsSimulator,
  name: string,
  body: string,
  parameters = [{ ParameterKey: 'Env', ParameterValue: 'prod' }],
) {
  await aws.cloudFormation.send(
    new CreateChangeSetCommand({
      StackName: name,
      ChangeSetName: 'create-1',
      ChangeSetType: 'CREATE',
      TemplateBody: body,
      Parameters: parameters,
      Tags: [{ Key: 'team', Value: 'core' }],
    }),
  );
  await aws.cloudFormation.send(new DescribeChangeSetCommand({ StackName: name, ChangeSetName: 'create-1' }));
  await aws.cloudFormation.send(new ExecuteChangeSetCommand({ StackName: name, ChangeSetName: 'create-1' }));
  aws.advance();
}

describe('CloudFormation change sets', () => {
  it('creates a stack: REVIEW_IN_PROGRESS, change set, execute, CREATE_COMPLETE', async () => {
    // Prepare
    const aws = simulator();

    // Act
    const created = await aws.cloudFormation.send(
      new CreateChangeSetCommand({
        StackName: 'network',
        ChangeSetName: 'create-1',
        ChangeSetType: 'CREATE',
        TemplateBody: TEMPLATE_YAML,
        Parameters: [{ ParameterKey: 'Env', ParameterValue: 'prod' }],
        Tags: [{ Key: 'team', Value: 'core' }],
      }),
    );
    const reviewing = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    const changeSet = await aws.cloudFormation.send(
      new DescribeChangeSetCommand({ StackName: 'network', ChangeSetName: 'create-1' }),
    );
    await aws.cloudFormation.send(new ExecuteChangeSetCommand({ ChangeSetName: created.Id }));
    const creating = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    aws.advance();
    const complete = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    const template = await aws.cloudFormation.send(new GetTemplateCommand({ StackName: 'network' }));

    // Assess
    expect(created.StackId).toMatch(
      /^arn:aws:cloudformation:us-east-1:123456789012:stack\/network\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(created.Id).toMatch(/:changeSet\/create-1\//);
    expect(reviewing.Stacks?.[0]?.StackStatus).toBe('REVIEW_IN_PROGRESS');
    expect(changeSet).toMatchObject({
      Status: 'CREATE_COMPLETE',
      ExecutionStatus: 'AVAILABLE',
      StackId: created.StackId,
    });
    expect(changeSet.Changes?.map((change) => change.ResourceChange)).toEqual([
      expect.objectContaining({ Action: 'Add', LogicalResourceId: 'Vpc', ResourceType: 'AWS::EC2::VPC' }),
      expect.objectContaining({ Action: 'Add', LogicalResourceId: 'Bucket', ResourceType: 'AWS::S3::Bucket' }),
    ]);
    expect(creating.Stacks?.[0]?.StackStatus).toBe('CREATE_IN_PROGRESS');
    const stack = complete.Stacks?.[0];
    expect(stack).toMatchObject({
      StackId: created.StackId,
      StackName: 'network',
      StackStatus: 'CREATE_COMPLETE',
      Description: 'network',
      Tags: [{ Key: 'team', Value: 'core' }],
      EnableTerminationProtection: false,
      DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
      Parameters: [
        { ParameterKey: 'Env', ParameterValue: 'prod' },
        { ParameterKey: 'CidrBlock', ParameterValue: '10.0.0.0/16' },
        { ParameterKey: 'Secret', ParameterValue: '****' },
      ],
    });
    expect(stack?.CreationTime).toBeInstanceOf(Date);
    expect(stack?.LastUpdatedTime).toBeInstanceOf(Date);
    const outputs = Object.fromEntries((stack?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]));
    expect(outputs.EnvName).toBe('prod');
    expect(outputs.Literal).toBe('fixed');
    expect(outputs.VpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(template.TemplateBody).toBe(TEMPLATE_YAML);
    expect(template.StagesAvailable).toEqual(['Original', 'Processed']);
  });

  it('updates a stack: Add, Modify and Remove, then UPDATE_COMPLETE with the new template', async () => {
    // Prepare
    const aws = simulator();
    await createStack(aws, 'network', TEMPLATE_YAML);
    const next = TEMPLATE_YAML.replace(
      '  Bucket:\n    Type: AWS::S3::Bucket\n',
      '  Queue:\n    Type: AWS::SQS::Queue\n',
    );

    // Act
    await aws.cloudFormation.send(
      new CreateChangeSetCommand({
        StackName: 'network',
        ChangeSetName: 'update-1',
        ChangeSetType: 'UPDATE',
        TemplateBody: next,
        Parameters: [
          { ParameterKey: 'Env', UsePreviousValue: true },
          { ParameterKey: 'CidrBlock', ParameterValue: '10.1.0.0/16' },
        ],
      }),
    );
    const changeSet = await aws.cloudFormation.send(
      new DescribeChangeSetCommand({ StackName: 'network', ChangeSetName: 'update-1' }),
    );
    await aws.cloudFormation.send(new ExecuteChangeSetCommand({ StackName: 'network', ChangeSetName: 'update-1' }));
    const updating = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    aws.advance();
    const updated = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    const template = await aws.cloudFormation.send(new GetTemplateCommand({ StackName: 'network' }));

    // Assess
    const actions = Object.fromEntries(
      (changeSet.Changes ?? []).map((change) => [
        change.ResourceChange?.LogicalResourceId,
        change.ResourceChange?.Action,
      ]),
    );
    expect(actions).toEqual({ Vpc: 'Modify', Queue: 'Add', Bucket: 'Remove' });
    expect(updating.Stacks?.[0]?.StackStatus).toBe('UPDATE_IN_PROGRESS');
    expect(updated.Stacks?.[0]).toMatchObject({
      StackStatus: 'UPDATE_COMPLETE',
      Tags: [{ Key: 'team', Value: 'core' }],
      Parameters: expect.arrayContaining([
        { ParameterKey: 'Env', ParameterValue: 'prod' },
        { ParameterKey: 'CidrBlock', ParameterValue: '10.1.0.0/16' },
      ]),
    });
    expect(template.TemplateBody).toBe(next);
  });

  it('answers FAILED "didn\'t contain changes" when the same template comes as JSON instead of YAML', async () => {
    // Prepare
    const aws = simulator();
    await createStack(aws, 'network', TEMPLATE_YAML);

    // Act
    await aws.cloudFormation.send(
      new CreateChangeSetCommand({
        StackName: 'network',
        ChangeSetName: 'same',
        TemplateBody: TEMPLATE_JSON,
        Parameters: [{ ParameterKey: 'Env', ParameterValue: 'prod' }],
        Tags: [{ Key: 'team', Value: 'core' }],
      }),
    );
    const changeSet = await aws.cloudFormation.send(
      new DescribeChangeSetCommand({ StackName: 'network', ChangeSetName: 'same' }),
    );
    const execute = await rejection(
      aws.cloudFormation.send(new ExecuteChangeSetCommand({ StackName: 'network', ChangeSetName: 'same' })),
    );
    await aws.cloudFormation.send(new DeleteChangeSetCommand({ StackName: 'network', ChangeSetName: 'same' }));
    const deleted = await rejection(
      aws.cloudFormation.send(new DescribeChangeSetCommand({ StackName: 'network', ChangeSetName: 'same' })),
    );

    // Assess
    expect(changeSet).toMatchObject({
      Status: 'FAILED',
      StatusReason:
        "The submitted information didn't contain changes. Submit different information to create a change set.",
      ExecutionStatus: 'UNAVAILABLE',
    });
    expect(execute.name).toBe('InvalidChangeSetStatusException');
    expect(deleted.name).toBe('ChangeSetNotFoundException');
  });

  it('counts a tag change as a change', async () => {
    // Prepare
    const aws = simulator();
    await createStack(aws, 'network', TEMPLATE_YAML);

    // Act
    await aws.cloudFormation.send(
      new CreateChangeSetCommand({
        StackName: 'network',
        ChangeSetName: 'tags',
        TemplateBody: TEMPLATE_YAML,
        Parameters: [{ ParameterKey: 'Env', UsePreviousValue: true }],
        Tags: [{ Key: 'team', Value: 'platform' }],
      }),
    );
    const changeSet = await aws.cloudFormation.send(
      new DescribeChangeSetCommand({ StackName: 'network', ChangeSetName: 'tags' }),
    );

    // Assess
    expect(changeSet.Status).toBe('CREATE_COMPLETE');
    expect(changeSet.Changes?.[0]?.ResourceChange?.Scope).toEqual(['Tags']);
  });

  it('refuses CREATE on an existing stack and UPDATE on a missing one', async () => {
    // Prepare
    const aws = simulator();
    aws.seedStack({ stackName: 'network', templateBody: TEMPLATE_YAML, parameters: { Env: 'prod' } });

    // Act
    const create = await rejection(
      aws.cloudFormation.send(
        new CreateChangeSetCommand({
          StackName: 'network',
          ChangeSetName: 'again',
          ChangeSetType: 'CREATE',
          TemplateBody: TEMPLATE_YAML,
        }),
      ),
    );
    const update = await rejection(
      aws.cloudFormation.send(
        new CreateChangeSetCommand({ StackName: 'ghost', ChangeSetName: 'u', TemplateBody: TEMPLATE_YAML }),
      ),
    );
    const missingParameter = await rejection(
      aws.cloudFormation.send(
        new CreateChangeSetCommand({
          StackName: 'fresh',
          ChangeSetName: 'c',
          ChangeSetType: 'CREATE',
          TemplateBody: TEMPLATE_YAML,
        }),
      ),
    );

    // Assess
    expect(create.name).toBe('AlreadyExistsException');
    expect(update).toMatchObject({ name: 'ValidationError', message: 'Stack [ghost] does not exist' });
    expect(update.$metadata?.httpStatusCode).toBe(400);
    expect(missingParameter).toMatchObject({ name: 'ValidationError', message: 'Parameters: [Env] must have values' });
  });

  it('rolls an update back when a resource says SimulateFailure, keeping the previous template', async () => {
    // Prepare
    const aws = simulator();
    await createStack(aws, 'network', TEMPLATE_YAML);
    const failing = TEMPLATE_YAML.replace(
      '  Bucket:\n    Type: AWS::S3::Bucket\n',
      '  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      SimulateFailure: true\n',
    );

    // Act
    await aws.cloudFormation.send(
      new CreateChangeSetCommand({
        StackName: 'network',
        ChangeSetName: 'bad',
        TemplateBody: failing,
        Parameters: [{ ParameterKey: 'Env', ParameterValue: 'staging' }],
      }),
    );
    await aws.cloudFormation.send(new DescribeChangeSetCommand({ StackName: 'network', ChangeSetName: 'bad' }));
    await aws.cloudFormation.send(new ExecuteChangeSetCommand({ StackName: 'network', ChangeSetName: 'bad' }));
    aws.advance();
    const stack = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    const template = await aws.cloudFormation.send(new GetTemplateCommand({ StackName: 'network' }));

    // Assess
    expect(stack.Stacks?.[0]?.StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(stack.Stacks?.[0]?.StackStatusReason).toContain('Bucket');
    expect(stack.Stacks?.[0]?.Parameters).toContainEqual({ ParameterKey: 'Env', ParameterValue: 'prod' });
    expect(template.TemplateBody).toBe(TEMPLATE_YAML);
  });

  it('ends a failed create in ROLLBACK_COMPLETE', async () => {
    // Prepare
    const aws = simulator();
    const failing = TEMPLATE_YAML.replace(
      '  Bucket:\n    Type: AWS::S3::Bucket\n',
      '  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      SimulateFailure: true\n',
    );

    // Act
    await createStack(aws, 'network', failing);
    const stack = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));

    // Assess
    expect(stack.Stacks?.[0]?.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(stack.Stacks?.[0]?.Outputs).toBeUndefined();
  });
});

describe('CloudFormation stacks', () => {
  it('masks NoEcho parameters in DescribeStacks and DescribeChangeSet', async () => {
    // Prepare
    const aws = simulator();
    aws.seedStack({ stackName: 'network', templateBody: TEMPLATE_YAML, parameters: { Env: 'prod', Secret: 's3cr3t' } });

    // Act
    const described = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    await aws.cloudFormation.send(
      new CreateChangeSetCommand({
        StackName: 'network',
        ChangeSetName: 'rotate',
        TemplateBody: TEMPLATE_YAML,
        Parameters: [
          { ParameterKey: 'Env', UsePreviousValue: true },
          { ParameterKey: 'Secret', ParameterValue: 'n3w' },
        ],
      }),
    );
    const changeSet = await aws.cloudFormation.send(
      new DescribeChangeSetCommand({ StackName: 'network', ChangeSetName: 'rotate' }),
    );

    // Assess
    expect(described.Stacks?.[0]?.Parameters).toContainEqual({ ParameterKey: 'Secret', ParameterValue: '****' });
    expect(changeSet.Parameters).toContainEqual({ ParameterKey: 'Secret', ParameterValue: '****' });
    expect(changeSet.Status).toBe('CREATE_COMPLETE');
    expect(aws.stacks()[0]?.parameters.Secret).toBe('s3cr3t');
  });

  it('answers ValidationError for a missing stack and deletes through DELETE_IN_PROGRESS', async () => {
    // Prepare
    const aws = simulator();
    const seeded = aws.seedStack({ stackName: 'network', templateBody: TEMPLATE_YAML, parameters: { Env: 'prod' } });

    // Act
    const missing = await rejection(aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'ghost' })));
    await aws.cloudFormation.send(new DeleteStackCommand({ StackName: 'network' }));
    const deleting = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    aws.advance();
    const byName = await rejection(aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' })));
    const byId = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: seeded.stackId }));

    // Assess
    expect(missing).toMatchObject({ name: 'ValidationError', message: 'Stack with id ghost does not exist' });
    expect(deleting.Stacks?.[0]?.StackStatus).toBe('DELETE_IN_PROGRESS');
    expect(byName.name).toBe('ValidationError');
    expect(byId.Stacks?.[0]?.StackStatus).toBe('DELETE_COMPLETE');
  });

  it('pages DescribeStacks of all stacks by 100', async () => {
    // Prepare
    const aws = simulator();
    for (let index = 0; index < 150; index++) {
      aws.seedStack({ stackName: `stack-${index}`, templateBody: TEMPLATE_YAML, parameters: { Env: 'prod' } });
    }

    // Act
    const first = await aws.cloudFormation.send(new DescribeStacksCommand({}));
    const second = await aws.cloudFormation.send(new DescribeStacksCommand({ NextToken: first.NextToken }));

    // Assess
    expect(first.Stacks).toHaveLength(100);
    expect(second.Stacks).toHaveLength(50);
    expect(second.NextToken).toBeUndefined();
  });
});

// ================================================================================================ simulation

describe('faults, limits and drift', () => {
  it('throttles n times, then succeeds; every attempt is counted', async () => {
    // Prepare
    const aws = simulator();
    aws.seedService({ ...webService(), serviceName: 'web', taskDefinition: webTaskDefinition() });
    aws.injectFault('ECS.DescribeServices', 'throttle', 2);
    const describe = () => aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));

    // Act
    const first = await rejection(describe());
    const second = await rejection(describe());
    const third = await describe();

    // Assess
    expect(first).toMatchObject({ name: 'ThrottlingException', $fault: 'client' });
    expect(first.$metadata?.httpStatusCode).toBe(400);
    expect(second.name).toBe('ThrottlingException');
    expect(third.services).toHaveLength(1);
    expect(aws.calls['ECS.DescribeServices']).toBe(3);
  });

  it('raises the server errors, timeouts and throttling names of each service', async () => {
    // Prepare
    const aws = simulator();
    aws.injectFault('ECS.*', 'server-error');
    aws.injectFault('CloudFormation.DescribeStacks', 'throttle');
    aws.injectFault('CloudFormation.DescribeStacks', 'server-error');
    aws.injectFault('*', 'timeout');

    // Act
    const ecsServer = await rejection(aws.ecs.send(new ListServicesCommand({ cluster: 'prod' })));
    const cfnThrottle = await rejection(aws.cloudFormation.send(new DescribeStacksCommand({})));
    const cfnServer = await rejection(aws.cloudFormation.send(new DescribeStacksCommand({})));
    const timeout = await rejection(aws.cloudFormation.send(new DescribeStacksCommand({})));
    const fine = await aws.cloudFormation.send(new DescribeStacksCommand({}));

    // Assess
    expect(ecsServer).toMatchObject({ name: 'ServerException', $fault: 'server' });
    expect(ecsServer.$metadata?.httpStatusCode).toBe(500);
    expect(cfnThrottle.name).toBe('Throttling');
    expect(cfnThrottle.$metadata?.httpStatusCode).toBe(400);
    expect(cfnServer.name).toBe('InternalFailure');
    expect(cfnServer.$metadata?.httpStatusCode).toBe(500);
    expect(timeout.name).toBe('TimeoutError');
    expect(fine.Stacks).toEqual([]);
  });

  it('applies a call whose response is lost with timeout-after-apply', async () => {
    // Prepare
    const aws = simulator();
    aws.seedTaskDefinition(webTaskDefinition());
    aws.injectFault('ECS.CreateService', 'timeout-after-apply');

    // Act
    const lost = await rejection(aws.ecs.send(new CreateServiceCommand(webService())));
    const retried = await rejection(aws.ecs.send(new CreateServiceCommand(webService())));

    // Assess
    expect(lost.name).toBe('TimeoutError');
    expect(retried.message).toBe('Creation of service was not idempotent.');
    expect(aws.services()).toHaveLength(1);
  });

  it('waits the configured latency per call, plus injected latency, through the injected sleep', async () => {
    // Prepare
    const slept: number[] = [];
    const aws = simulator({ latencyMs: 40, sleep: async (milliseconds) => void slept.push(milliseconds) });
    aws.injectFault('CloudFormation.DescribeStacks', { latencyMs: 500 });

    // Act
    await aws.cloudFormation.send(new DescribeStacksCommand({}));
    await aws.cloudFormation.send(new DescribeStacksCommand({}));

    // Assess
    expect(slept).toEqual([40, 500, 40]);
  });

  it('enforces the DescribeServices burst of 100 on a virtual clock, then refills at 20 per second', async () => {
    // Prepare
    let clock = 0;
    const aws = createAwsSimulator({ enforceRateLimits: true, now: () => clock });
    aws.seedService({ ...webService(), serviceName: 'web', taskDefinition: webTaskDefinition() });
    const describe = () => aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));

    // Act
    const burst = await Promise.allSettled(Array.from({ length: 101 }, describe));
    clock += 100; // two tokens back at 20 per second
    const refilled = await Promise.allSettled([describe(), describe(), describe()]);

    // Assess
    const throttled = burst.filter((result) => result.status === 'rejected');
    expect(throttled).toHaveLength(1);
    expect((throttled[0] as PromiseRejectedResult).reason).toMatchObject({ name: 'ThrottlingException' });
    expect(refilled.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(aws.calls['ECS.DescribeServices']).toBe(104);
  });

  it('shares one bucket among the service writes and leaves state alone when throttling', async () => {
    // Prepare
    const aws = createAwsSimulator({ enforceRateLimits: true, now: () => 0 });
    aws.seedTaskDefinition(webTaskDefinition());
    for (let index = 0; index < 50; index++) {
      await aws.ecs.send(new CreateServiceCommand(webService({ serviceName: `svc-${index}` })));
    }

    // Act
    const error = await rejection(
      aws.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'svc-0', desiredCount: 9 })),
    );

    // Assess
    expect(error.name).toBe('ThrottlingException');
    expect(aws.services().find((service) => service.serviceName === 'svc-0')?.desiredCount).toBe(2);
  });

  it('shows a manual change to a service in DescribeServices', async () => {
    // Prepare
    const aws = simulator();
    aws.seedService({ ...webService(), serviceName: 'web', taskDefinition: webTaskDefinition() });

    // Act
    aws.driftService('prod', 'web', (service) => {
      service.desiredCount = 7;
      service.enableExecuteCommand = true;
      service.tags = [{ key: 'owner', value: 'someone' }];
    });
    const described = await aws.ecs.send(
      new DescribeServicesCommand({ cluster: 'prod', services: ['web'], include: ['TAGS'] }),
    );

    // Assess
    expect(described.services?.[0]).toMatchObject({
      desiredCount: 7,
      enableExecuteCommand: true,
      tags: [{ key: 'owner', value: 'someone' }],
    });
  });

  it('shows a manual change to a stack in DescribeStacks and GetTemplate', async () => {
    // Prepare
    const aws = simulator();
    aws.seedStack({
      stackName: 'network',
      templateBody: TEMPLATE_YAML,
      parameters: { Env: 'prod' },
      tags: { team: 'core' },
    });
    const edited = TEMPLATE_YAML.replace('Literal:\n    Value: fixed', 'Literal:\n    Value: edited');

    // Act
    aws.driftStack('network', (stack) => {
      stack.templateBody = edited;
      stack.parameters.Env = 'hotfix';
      stack.tags = { team: 'core', extra: 'yes' };
    });
    const described = await aws.cloudFormation.send(new DescribeStacksCommand({ StackName: 'network' }));
    const template = await aws.cloudFormation.send(new GetTemplateCommand({ StackName: 'network' }));

    // Assess
    expect(described.Stacks?.[0]?.Parameters).toContainEqual({ ParameterKey: 'Env', ParameterValue: 'hotfix' });
    expect(described.Stacks?.[0]?.Tags).toEqual([
      { Key: 'team', Value: 'core' },
      { Key: 'extra', Value: 'yes' },
    ]);
    expect(described.Stacks?.[0]?.Outputs).toContainEqual({ OutputKey: 'Literal', OutputValue: 'edited' });
    expect(template.TemplateBody).toBe(edited);
  });

  it('answers with copies: changing a response or an input changes nothing in the simulator', async () => {
    // Prepare
    const aws = simulator();
    const input = webTaskDefinition();
    await aws.ecs.send(new RegisterTaskDefinitionCommand(input));
    const described = await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));

    // Act
    (input.containerDefinitions ?? [])[0]!.image = 'changed-input';
    described.taskDefinition!.containerDefinitions![0]!.image = 'changed-output';
    const again = await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));

    // Assess
    expect(again.taskDefinition?.containerDefinitions?.[0]?.image).toBe(
      `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/web:1`,
    );
  });

  it('counts calls per API and resets the counts', async () => {
    // Prepare
    const aws = simulator();

    // Act
    await aws.cloudFormation.send(new DescribeStacksCommand({}));
    await aws.cloudFormation.send(new DescribeStacksCommand({}));
    await aws.ecs.send(new ListServicesCommand({ cluster: 'prod' }));
    const counted = { ...aws.calls };
    aws.resetCalls();

    // Assess
    expect(counted).toEqual({ 'CloudFormation.DescribeStacks': 2, 'ECS.ListServices': 1 });
    expect(aws.calls).toEqual({});
    expect(aws.stubs.ecs).toHaveReceivedCommandTimes(ListServicesCommand, 1);
  });

  it('fails loudly on a command it does not simulate', async () => {
    // Prepare
    const aws = simulator();

    // Act
    const error = await rejection(aws.cloudFormation.send(new ListStacksCommand({})));

    // Assess
    expect(error.message).toBe('The AWS simulator does not implement CloudFormation ListStacksCommand');
  });
});
