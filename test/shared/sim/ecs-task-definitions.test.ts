/** The simulated ECS task definitions: the defaults ECS fills on register, revisions, lookups and refusals. */
import {
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionRequest,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, ARN, rejection, simulator, webTaskDefinition } from './support.ts';

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
