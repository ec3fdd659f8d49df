/** The simulated ECS service deployments: what CreateService and UpdateService start, each strategy's stages and
 * traffic weights, bake times on the simulator's clock, failures by circuit breaker and alarm, and the list and
 * describe APIs, all through the real ECSClient. */
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  type DeploymentConfiguration,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  type ServiceDeployment,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { type AwsSimulator, createAwsSimulator } from '../../../shared/sim/index.ts';
import { ARN, NETWORK, rejection, webService, webTaskDefinition } from './support.ts';

const T0 = Date.parse('2025-03-01T12:00:00Z');
const MINUTE = 60_000;
const SERVICE_ARN = `${ARN}:service/prod/web`;

/** A simulator whose clock moves only when the test moves it. */
function world(): { aws: AwsSimulator; tick(ms: number): void } {
  let clock = T0;
  const aws = createAwsSimulator({ now: () => clock });
  return { aws, tick: (ms) => (clock += ms) };
}

/** The blue/green traffic path ECS requires of BLUE_GREEN, LINEAR and CANARY: a target group pair behind a listener rule. */
const TRAFFIC_PATH = {
  targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0f1e2d3c4b5a6978',
  containerName: 'app',
  containerPort: 8080,
  advancedConfiguration: {
    alternateTargetGroupArn:
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/1a2b3c4d5e6f7081',
    productionListenerRule:
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
    roleArn: 'arn:aws:iam::123456789012:role/app/ecs-infrastructure-elb',
  },
};

/** A steady web service (task definition web:1) with this deployment configuration; behind a load balancer with a
 * blue/green traffic path when the strategy shifts traffic. */
function seedWeb(aws: AwsSimulator, deploymentConfiguration: DeploymentConfiguration = {}): void {
  const shiftsTraffic =
    deploymentConfiguration.strategy !== undefined && deploymentConfiguration.strategy !== 'ROLLING';
  aws.seedService({
    ...webService(),
    serviceName: 'web',
    taskDefinition: webTaskDefinition(),
    deploymentConfiguration,
    ...(shiftsTraffic ? { loadBalancers: [TRAFFIC_PATH] } : {}),
  });
}

/** Registers web:2 and points the service at it: a new deployment. */
async function deployVersion2(ecs: ECSClient): Promise<void> {
  await ecs.send(
    new RegisterTaskDefinitionCommand(
      webTaskDefinition({
        containerDefinitions: [{ name: 'app', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:2' }],
      }),
    ),
  );
  await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: 'web:2' }));
}

async function latest(ecs: ECSClient): Promise<ServiceDeployment> {
  const { serviceDeployments } = await ecs.send(
    new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'web', maxResults: 1 }),
  );
  const arn = serviceDeployments?.[0]?.serviceDeploymentArn as string;
  const described = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
  return described.serviceDeployments?.[0] as ServiceDeployment;
}

/** What a test observes of a deployment at one point: status, stage, target production and test traffic. */
function snapshot(deployment: ServiceDeployment): string {
  const target = deployment.targetServiceRevision;
  const stage = deployment.lifecycleStage ?? '-';
  const traffic =
    target?.requestedProductionTrafficWeight === undefined
      ? ''
      : ` prod=${target.requestedProductionTrafficWeight} test=${target.requestedTestTrafficWeight}`;
  return `${deployment.status} ${stage}${traffic}`;
}

/** Steps until the deployment is final, recording a snapshot after each step that moved it. */
async function stepThrough(aws: AwsSimulator): Promise<string[]> {
  const seen = [snapshot(await latest(aws.ecs))];
  for (let steps = 0; steps < 50 && aws.stepRollouts(); steps += 1) seen.push(snapshot(await latest(aws.ecs)));
  return seen;
}

describe('ECS service deployments', () => {
  it('records a service deployment and revision for CreateService, as ListServiceDeployments and the describes show', async () => {
    // Prepare
    const { aws } = world();
    await aws.ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition()));

    // Act
    await aws.ecs.send(new CreateServiceCommand(webService()));
    const listed = await aws.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'web' }));

    // Assess
    expect(listed.nextToken).toBeUndefined();
    expect(listed.serviceDeployments).toHaveLength(1);
    const brief = listed.serviceDeployments?.[0];
    expect(brief).toEqual({
      serviceDeploymentArn: expect.stringMatching(
        /^arn:aws:ecs:us-east-1:123456789012:service-deployment\/prod\/web\/[\w-]{22}$/,
      ),
      serviceArn: SERVICE_ARN,
      clusterArn: `${ARN}:cluster/prod`,
      createdAt: new Date(T0),
      targetServiceRevisionArn: expect.stringMatching(
        /^arn:aws:ecs:us-east-1:123456789012:service-revision\/prod\/web\/\d{19}$/,
      ),
      status: 'PENDING',
    });
    const described = await aws.ecs.send(
      new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [brief?.serviceDeploymentArn as string] }),
    );
    expect(described.failures).toEqual([]);
    expect(described.serviceDeployments?.[0]).toMatchObject({
      status: 'PENDING',
      sourceServiceRevisions: [],
      targetServiceRevision: {
        arn: brief?.targetServiceRevisionArn,
        requestedTaskCount: 2,
        runningTaskCount: 0,
        pendingTaskCount: 0,
      },
      deploymentConfiguration: { strategy: 'ROLLING', maximumPercent: 200, minimumHealthyPercent: 100 },
      deploymentCircuitBreaker: { status: 'DISABLED', failureCount: 0, threshold: 3 },
      alarms: { status: 'DISABLED' },
    });
    const { serviceRevisions } = await aws.ecs.send(
      new DescribeServiceRevisionsCommand({ serviceRevisionArns: [brief?.targetServiceRevisionArn as string] }),
    );
    expect(serviceRevisions?.[0]).toMatchObject({
      serviceRevisionArn: brief?.targetServiceRevisionArn,
      serviceArn: SERVICE_ARN,
      taskDefinition: `${ARN}:task-definition/web:1`,
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      networkConfiguration: { awsvpcConfiguration: { ...NETWORK.awsvpcConfiguration, assignPublicIp: 'DISABLED' } },
      containerImages: [
        {
          containerName: 'app',
          image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1',
          imageDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        },
      ],
    });

    // Act: advance() finishes it
    aws.advance();

    // Assess
    expect(await latest(aws.ecs)).toMatchObject({ status: 'SUCCESSFUL', finishedAt: new Date(T0) });
  });

  it('steps a rolling deployment PENDING, IN_PROGRESS, SUCCESSFUL, with the DescribeServices view in step', async () => {
    // Prepare
    const { aws } = world();
    seedWeb(aws);
    const seeded = await latest(aws.ecs);
    await deployVersion2(aws.ecs);

    // Act
    const seen = await stepThrough(aws);

    // Assess
    expect(seeded.status).toBe('SUCCESSFUL');
    expect(seen).toEqual(['PENDING -', 'IN_PROGRESS -', 'SUCCESSFUL -']);
    const deployment = await latest(aws.ecs);
    expect(deployment.sourceServiceRevisions).toEqual([
      { arn: seeded.targetServiceRevision?.arn, requestedTaskCount: 0, runningTaskCount: 0, pendingTaskCount: 0 },
    ]);
    expect(deployment.targetServiceRevision).toMatchObject({ requestedTaskCount: 2, runningTaskCount: 2 });
    const { services } = await aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));
    expect(services?.[0]?.deployments).toMatchObject([
      { status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: `${ARN}:task-definition/web:2` },
    ]);
  });

  it('keeps the DescribeServices deployment IN_PROGRESS while its service deployment is under way', async () => {
    // Prepare
    const { aws } = world();
    seedWeb(aws);
    await deployVersion2(aws.ecs);

    // Act
    aws.stepRollouts();

    // Assess
    const { services } = await aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));
    expect(services?.[0]?.deployments?.map((deployment) => deployment.rolloutState)).toEqual([
      'IN_PROGRESS',
      'COMPLETED',
    ]);
  });

  it('takes a blue/green deployment through its lifecycle stages, holding BAKE_TIME for bakeTimeInMinutes', async () => {
    // Prepare
    const { aws, tick } = world();
    seedWeb(aws, { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5 });
    await deployVersion2(aws.ecs);

    // Act: step to BAKE_TIME
    const seen = [snapshot(await latest(aws.ecs))];
    while ((await latest(aws.ecs)).lifecycleStage !== 'BAKE_TIME' && aws.stepRollouts()) {
      seen.push(snapshot(await latest(aws.ecs)));
    }
    tick(4 * MINUTE);
    const movedEarly = aws.stepRollouts();
    tick(MINUTE);
    seen.push(...(await stepThrough(aws)).slice(1));

    // Assess
    expect(movedEarly).toBe(false);
    expect(seen).toEqual([
      'PENDING - prod=0 test=0',
      'IN_PROGRESS PRE_SCALE_UP prod=0 test=0',
      'IN_PROGRESS SCALE_UP prod=0 test=0',
      'IN_PROGRESS POST_SCALE_UP prod=0 test=0',
      'IN_PROGRESS TEST_TRAFFIC_SHIFT prod=0 test=100',
      'IN_PROGRESS POST_TEST_TRAFFIC_SHIFT prod=0 test=100',
      'IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT prod=100 test=100',
      'IN_PROGRESS POST_PRODUCTION_TRAFFIC_SHIFT prod=100 test=100',
      'IN_PROGRESS BAKE_TIME prod=100 test=100',
      'IN_PROGRESS CLEAN_UP prod=100 test=100',
      'SUCCESSFUL CLEAN_UP prod=100 test=100',
    ]);
    const deployment = await latest(aws.ecs);
    expect(deployment.finishedAt).toEqual(new Date(T0 + 5 * MINUTE));
    expect(deployment.sourceServiceRevisions?.[0]).toMatchObject({
      requestedTaskCount: 0,
      requestedProductionTrafficWeight: 0,
      requestedTestTrafficWeight: 0,
    });
  });

  it('shifts a linear deployment by stepPercent every stepBakeTimeInMinutes', async () => {
    // Prepare
    const { aws, tick } = world();
    seedWeb(aws, { strategy: 'LINEAR', linearConfiguration: { stepPercent: 30, stepBakeTimeInMinutes: 2 } });
    await deployVersion2(aws.ecs);
    aws.advanceRollouts();
    const first = snapshot(await latest(aws.ecs));

    // Act
    const weights: (number | undefined)[] = [];
    for (let minutes = 0; minutes < 8; minutes += 2) {
      tick(2 * MINUTE);
      aws.advanceRollouts();
      weights.push((await latest(aws.ecs)).targetServiceRevision?.requestedProductionTrafficWeight);
    }

    // Assess
    expect(first).toBe('IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT prod=30 test=100');
    expect(weights).toEqual([60, 90, 100, 100]);
    expect((await latest(aws.ecs)).status).toBe('SUCCESSFUL');
  });

  it('shifts canaryPercent first, then the rest after canaryBakeTimeInMinutes', async () => {
    // Prepare
    const { aws, tick } = world();
    seedWeb(aws, { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 15 } });
    await deployVersion2(aws.ecs);

    // Act
    aws.advanceRollouts();
    const canary = await latest(aws.ecs);
    tick(15 * MINUTE);
    aws.advanceRollouts();
    const done = await latest(aws.ecs);

    // Assess
    expect(snapshot(canary)).toBe('IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT prod=10 test=100');
    expect(canary.sourceServiceRevisions?.[0]?.requestedProductionTrafficWeight).toBe(90);
    expect(snapshot(done)).toBe('SUCCESSFUL CLEAN_UP prod=100 test=100');
  });

  it('rolls a blue/green deployment back when an alarm goes into ALARM during bake', async () => {
    // Prepare
    const { aws } = world();
    seedWeb(aws, {
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 10,
      alarms: { enable: true, rollback: true, alarmNames: ['web-5xx', 'web-latency'] },
    });
    await deployVersion2(aws.ecs);
    aws.alarmNextRollout('prod', 'web', 'web-latency');

    // Act
    while ((await latest(aws.ecs)).lifecycleStage !== 'BAKE_TIME') aws.stepRollouts();
    const baking = await latest(aws.ecs);
    aws.stepRollouts();
    const rollingBack = await latest(aws.ecs);
    aws.stepRollouts();
    const rolledBack = await latest(aws.ecs);

    // Assess
    expect(snapshot(baking)).toBe('IN_PROGRESS BAKE_TIME prod=100 test=100');
    expect(rollingBack).toMatchObject({
      status: 'ROLLBACK_IN_PROGRESS',
      alarms: { status: 'TRIGGERED', alarmNames: ['web-5xx', 'web-latency'], triggeredAlarmNames: ['web-latency'] },
      rollback: {
        reason: expect.stringContaining('web-latency'),
        startedAt: new Date(T0),
        serviceRevisionArn: baking.sourceServiceRevisions?.[0]?.arn,
      },
      targetServiceRevision: { requestedProductionTrafficWeight: 0, requestedTestTrafficWeight: 0 },
      sourceServiceRevisions: [{ requestedProductionTrafficWeight: 100 }],
    });
    expect(rolledBack.status).toBe('ROLLBACK_SUCCESSFUL');
    const { services } = await aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));
    expect(services?.[0]?.taskDefinition).toBe(`${ARN}:task-definition/web:1`);
    expect(services?.[0]?.deployments).toMatchObject([
      { status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: `${ARN}:task-definition/web:1` },
    ]);
  });

  it('stops a deployment whose alarm fires when alarms do not roll back, and fails its DescribeServices deployment', async () => {
    // Prepare
    const { aws } = world();
    seedWeb(aws, { alarms: { enable: true, rollback: false, alarmNames: ['web-5xx'] } });
    await deployVersion2(aws.ecs);
    aws.alarmNextRollout('prod', 'web');

    // Act
    aws.advance();

    // Assess
    expect(await latest(aws.ecs)).toMatchObject({
      status: 'STOPPED',
      stoppedAt: new Date(T0),
      alarms: { status: 'TRIGGERED', triggeredAlarmNames: ['web-5xx'] },
    });
    const { services } = await aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));
    expect(services?.[0]?.taskDefinition).toBe(`${ARN}:task-definition/web:2`);
    expect(services?.[0]?.deployments?.[0]).toMatchObject({ rolloutState: 'FAILED' });
  });

  it('ignores an alarm the service does not watch', async () => {
    // Prepare
    const { aws } = world();
    seedWeb(aws);
    await deployVersion2(aws.ecs);
    aws.alarmNextRollout('prod', 'web', 'web-5xx');

    // Act
    aws.advance();

    // Assess
    expect(await latest(aws.ecs)).toMatchObject({ status: 'SUCCESSFUL', alarms: { status: 'DISABLED' } });
  });

  it('records a circuit breaker rollback on the service deployment', async () => {
    // Prepare
    const { aws } = world();
    seedWeb(aws, { deploymentCircuitBreaker: { enable: true, rollback: true } });
    const seeded = await latest(aws.ecs);
    await deployVersion2(aws.ecs);
    aws.failNextRollout('prod', 'web');

    // Act
    aws.advance();

    // Assess
    expect(await latest(aws.ecs)).toMatchObject({
      status: 'ROLLBACK_SUCCESSFUL',
      statusReason: 'ECS deployment circuit breaker: tasks failed to start.',
      deploymentCircuitBreaker: { status: 'TRIGGERED', failureCount: 3, threshold: 3 },
      rollback: { serviceRevisionArn: seeded.targetServiceRevision?.arn },
      targetServiceRevision: { runningTaskCount: 0 },
    });
  });

  it('passes through ROLLBACK_IN_PROGRESS when a circuit breaker failure is stepped', async () => {
    // Prepare
    const { aws } = world();
    seedWeb(aws, { deploymentCircuitBreaker: { enable: true, rollback: true } });
    await deployVersion2(aws.ecs);
    aws.stepRollouts();
    aws.failNextRollout('prod', 'web');

    // Act
    const seen = await stepThrough(aws);

    // Assess
    expect(seen).toEqual(['IN_PROGRESS -', 'ROLLBACK_IN_PROGRESS -', 'ROLLBACK_SUCCESSFUL -']);
  });

  it('stops a deployment in progress when a newer one starts; the newer one reconciles both revisions', async () => {
    // Prepare
    const { aws } = world();
    seedWeb(aws, { strategy: 'BLUE_GREEN' });
    await deployVersion2(aws.ecs);
    aws.stepRollouts();
    const first = await latest(aws.ecs);

    // Act
    await aws.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', forceNewDeployment: true }));
    const second = await latest(aws.ecs);
    const stopped = await aws.ecs.send(
      new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [first.serviceDeploymentArn as string] }),
    );
    aws.stepRollouts();

    // Assess
    expect(stopped.serviceDeployments?.[0]).toMatchObject({ status: 'STOPPED', stoppedAt: new Date(T0) });
    expect(second.status).toBe('PENDING');
    expect(second.sourceServiceRevisions?.map((revision) => revision.arn)).toEqual([
      first.sourceServiceRevisions?.[0]?.arn,
      first.targetServiceRevision?.arn,
    ]);
    const reconciling = await latest(aws.ecs);
    expect(reconciling.lifecycleStage).toBe('RECONCILE_SERVICE');
    expect(reconciling.sourceServiceRevisions?.map((revision) => revision.requestedProductionTrafficWeight)).toEqual([
      100, 0,
    ]);
  });

  it('names the current service deployment and the revisions with tasks on the service, as DescribeServices does', async () => {
    // Prepare
    const { aws } = world();
    seedWeb(aws, { strategy: 'BLUE_GREEN' });
    const seeded = await latest(aws.ecs);

    // Act
    const { service: updated } = await aws.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'web', forceNewDeployment: true }),
    );
    const deployment = await latest(aws.ecs);
    while ((await latest(aws.ecs)).lifecycleStage !== 'POST_SCALE_UP') aws.stepRollouts();
    const during = await aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));
    aws.advance();
    const after = await aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));

    // Assess
    expect(updated?.currentServiceDeployment).toBe(deployment.serviceDeploymentArn);
    expect(deployment.serviceDeploymentArn).not.toBe(seeded.serviceDeploymentArn);
    const target = deployment.targetServiceRevision?.arn;
    const source = seeded.targetServiceRevision?.arn;
    expect(during.services?.[0]?.currentServiceRevisions).toEqual([
      { arn: target, requestedTaskCount: 2, runningTaskCount: 2, pendingTaskCount: 0 },
      { arn: source, requestedTaskCount: 2, runningTaskCount: 2, pendingTaskCount: 0 },
    ]);
    expect(after.services?.[0]).toMatchObject({
      currentServiceDeployment: deployment.serviceDeploymentArn,
      currentServiceRevisions: [{ arn: target, requestedTaskCount: 2, runningTaskCount: 2, pendingTaskCount: 0 }],
    });
  });

  it('rolls a rolling deployment back when its alarm fires while IN_PROGRESS', async () => {
    // Prepare
    const { aws } = world();
    seedWeb(aws, { alarms: { enable: true, rollback: true, alarmNames: ['web-5xx'] } });
    await deployVersion2(aws.ecs);
    aws.alarmNextRollout('prod', 'web');

    // Act
    const seen = await stepThrough(aws);

    // Assess
    expect(seen).toEqual(['PENDING -', 'IN_PROGRESS -', 'ROLLBACK_IN_PROGRESS -', 'ROLLBACK_SUCCESSFUL -']);
    expect((await latest(aws.ecs)).alarms).toEqual({
      status: 'TRIGGERED',
      alarmNames: ['web-5xx'],
      triggeredAlarmNames: ['web-5xx'],
    });
    expect(aws.services()[0]?.taskDefinition).toBe(`${ARN}:task-definition/web:1`);
  });

  it('deletes the service deployments with the service, as ECS does', async () => {
    // Prepare
    const { aws } = world();
    seedWeb(aws);
    const deployment = await latest(aws.ecs);
    await aws.ecs.send(new DeleteServiceCommand({ cluster: 'prod', service: 'web', force: true }));

    // Act
    aws.advance();
    const described = await aws.ecs.send(
      new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [deployment.serviceDeploymentArn as string] }),
    );
    const listing = await rejection(
      aws.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'web' })),
    );

    // Assess
    expect(described.failures).toEqual([{ arn: deployment.serviceDeploymentArn, reason: 'MISSING' }]);
    expect(listing.name).toBe('ServiceNotFoundException');
  });

  it('lists newest first, filtered by status and creation time, in pages', async () => {
    // Prepare
    const { aws, tick } = world();
    seedWeb(aws);
    for (let index = 0; index < 4; index += 1) {
      tick(MINUTE);
      await aws.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', forceNewDeployment: true }));
    }
    const list = (input: Partial<ConstructorParameters<typeof ListServiceDeploymentsCommand>[0]>) =>
      aws.ecs.send(
        new ListServiceDeploymentsCommand({ cluster: `${ARN}:cluster/prod`, service: SERVICE_ARN, ...input }),
      );

    // Act
    const all = await list({});
    const firstPage = await list({ maxResults: 2 });
    const secondPage = await list({ maxResults: 2, nextToken: firstPage.nextToken });
    const stopped = await list({ status: ['STOPPED'] });
    const recent = await list({ createdAt: { after: new Date(T0 + 2 * MINUTE) } });
    const older = await list({ createdAt: { before: new Date(T0 + MINUTE) } });

    // Assess
    const created = (page: { serviceDeployments?: { createdAt?: Date }[] }) =>
      page.serviceDeployments?.map((deployment) => (deployment.createdAt?.getTime() ?? 0) - T0);
    expect(created(all)).toEqual([4, 3, 2, 1, 0].map((minutes) => minutes * MINUTE));
    expect(all.serviceDeployments?.map((deployment) => deployment.status)).toEqual([
      'PENDING',
      'STOPPED',
      'STOPPED',
      'STOPPED',
      'SUCCESSFUL',
    ]);
    expect([...(firstPage.serviceDeployments ?? []), ...(secondPage.serviceDeployments ?? [])]).toEqual(
      all.serviceDeployments?.slice(0, 4),
    );
    expect(secondPage.nextToken).toBeDefined();
    expect(created(stopped)).toEqual([3, 2, 1].map((minutes) => minutes * MINUTE));
    expect(created(recent)).toEqual([4, 3].map((minutes) => minutes * MINUTE));
    expect(created(older)).toEqual([0]);
    expect(aws.serviceDeployments().map((deployment) => deployment.serviceDeploymentArn)).toEqual(
      all.serviceDeployments?.map((deployment) => deployment.serviceDeploymentArn).reverse(),
    );
  });

  it('answers unknown ARNs with MISSING failures and refuses bad requests as ECS does', async () => {
    // Prepare
    const { aws } = world();
    seedWeb(aws);
    const known = await latest(aws.ecs);
    const unknown = `${ARN}:service-deployment/prod/web/AAAAAAAAAAAAAAAAAAAAAA`;
    const unknownRevision = `${ARN}:service-revision/prod/web/1`;

    // Act
    const deployments = await aws.ecs.send(
      new DescribeServiceDeploymentsCommand({
        serviceDeploymentArns: [known.serviceDeploymentArn as string, unknown],
      }),
    );
    const revisions = await aws.ecs.send(
      new DescribeServiceRevisionsCommand({ serviceRevisionArns: [unknownRevision] }),
    );
    const tooMany = await rejection(
      aws.ecs.send(
        new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: Array.from({ length: 21 }, () => unknown) }),
      ),
    );
    const noService = await rejection(
      aws.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'api' })),
    );
    const badPage = await rejection(
      aws.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'web', maxResults: 101 })),
    );

    // Assess
    expect(deployments.serviceDeployments?.map((deployment) => deployment.serviceDeploymentArn)).toEqual([
      known.serviceDeploymentArn,
    ]);
    expect(deployments.failures).toEqual([{ arn: unknown, reason: 'MISSING' }]);
    expect(revisions).toMatchObject({ serviceRevisions: [], failures: [{ arn: unknownRevision, reason: 'MISSING' }] });
    expect(tooMany.name).toBe('InvalidParameterException');
    expect(noService.name).toBe('ServiceNotFoundException');
    expect(badPage.name).toBe('InvalidParameterException');
    expect(aws.calls['ECS.DescribeServiceDeployments']).toBe(3);
  });

  it('fails the new reads on injected faults like the other reads', async () => {
    // Prepare
    const { aws } = world();
    seedWeb(aws);
    aws.injectFault('ECS.ListServiceDeployments', 'throttle');

    // Act
    const error = await rejection(aws.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'web' })));

    // Assess
    expect(error.name).toBe('ThrottlingException');
    expect((await latest(aws.ecs)).status).toBe('SUCCESSFUL');
  });
});
