/** The simulated ECS services: creation, update, rollout, deletion, describe, listing and tags. */
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, ARN, rejection, simulator, webService, webTaskDefinition } from './support.ts';

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
