/** The simulator's deployment settings: the defaults ECS documents for the traffic-shifting strategies, lifecycle
 * hooks and managed EBS volumes, the configurations kept per deployment, and the requests ECS refuses. */
import {
  CreateServiceCommand,
  DescribeServicesCommand,
  type LoadBalancer,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, rejection, simulator, webService, webTaskDefinition } from './support.ts';

const TG = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup`;
const SHIFTING_LB: LoadBalancer = {
  targetGroupArn: `${TG}/blue/1`,
  containerName: 'app',
  containerPort: 8080,
  advancedConfiguration: {
    alternateTargetGroupArn: `${TG}/green/2`,
    productionListenerRule: `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:listener-rule/app/web/1/2/3`,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/app/ecs-elb`,
  },
};

async function withTaskDefinition(volumes = false) {
  const aws = simulator();
  await aws.ecs.send(
    new RegisterTaskDefinitionCommand(
      webTaskDefinition(volumes ? { volumes: [{ name: 'scratch', configuredAtLaunch: true }] } : {}),
    ),
  );
  return aws;
}

async function describe1(aws: Awaited<ReturnType<typeof withTaskDefinition>>) {
  const { services } = await aws.ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));
  return services?.[0];
}

describe('ECS deployment settings', () => {
  it('fills the canary step, linear step and lifecycle hook defaults', async () => {
    // Prepare
    const aws = await withTaskDefinition();

    // Act
    const { service } = await aws.ecs.send(
      new CreateServiceCommand(
        webService({
          loadBalancers: [SHIFTING_LB],
          deploymentConfiguration: {
            strategy: 'CANARY',
            lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'] }],
          },
        }),
      ),
    );
    await aws.ecs.send(
      new UpdateServiceCommand({
        cluster: 'prod',
        service: 'web',
        deploymentConfiguration: { strategy: 'LINEAR', linearConfiguration: { stepPercent: 25 } },
      }),
    );
    const updated = await describe1(aws);

    // Assess
    expect(service?.deploymentConfiguration).toMatchObject({
      strategy: 'CANARY',
      canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: 10 },
      lifecycleHooks: [
        {
          targetType: 'PAUSE',
          lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
          timeoutConfiguration: { timeoutInMinutes: 1440, action: 'ROLLBACK' },
        },
      ],
    });
    expect(updated?.deploymentConfiguration?.linearConfiguration).toEqual({
      stepPercent: 25,
      stepBakeTimeInMinutes: 6,
    });
    expect(updated?.deploymentConfiguration?.canaryConfiguration).toBeUndefined();
  });

  it('keeps volume and VPC Lattice configurations on the deployment, a managed EBS volume filled as gp3 and xfs', async () => {
    // Prepare
    const aws = await withTaskDefinition(true);
    const lattice = [
      {
        roleArn: `arn:aws:iam::${ACCOUNT}:role/app/lattice`,
        targetGroupArn: `arn:aws:vpc-lattice:us-east-1:${ACCOUNT}:targetgroup/tg-1`,
        portName: 'http',
      },
    ];

    // Act
    await aws.ecs.send(
      new CreateServiceCommand(
        webService({
          volumeConfigurations: [
            { name: 'scratch', managedEBSVolume: { roleArn: `arn:aws:iam::${ACCOUNT}:role/app/ebs`, sizeInGiB: 50 } },
          ],
          vpcLatticeConfigurations: lattice,
        }),
      ),
    );
    const created = await describe1(aws);
    await aws.ecs.send(
      new UpdateServiceCommand({
        cluster: 'prod',
        service: 'web',
        volumeConfigurations: [
          { name: 'scratch', managedEBSVolume: { roleArn: `arn:aws:iam::${ACCOUNT}:role/app/ebs`, sizeInGiB: 80 } },
        ],
      }),
    );
    const updated = await describe1(aws);

    // Assess
    expect(created?.deployments?.[0]?.volumeConfigurations).toEqual([
      {
        name: 'scratch',
        managedEBSVolume: {
          roleArn: `arn:aws:iam::${ACCOUNT}:role/app/ebs`,
          sizeInGiB: 50,
          volumeType: 'gp3',
          filesystemType: 'xfs',
          iops: 3000,
          throughput: 125,
        },
      },
    ]);
    expect(created?.deployments?.[0]?.vpcLatticeConfigurations).toEqual(lattice);
    // A new volume size is a new deployment; what the request left out carries over.
    expect(updated?.deployments).toHaveLength(2);
    expect(updated?.deployments?.[0]?.volumeConfigurations?.[0]?.managedEBSVolume?.sizeInGiB).toBe(80);
    expect(updated?.deployments?.[0]?.vpcLatticeConfigurations).toEqual(lattice);
  });

  it('refuses what ECS refuses, and an update it refuses changes nothing', async () => {
    // Prepare
    const aws = await withTaskDefinition();
    await aws.ecs.send(new CreateServiceCommand(webService()));
    const before = await describe1(aws);

    // Act
    const noTrafficPath = await rejection(
      aws.ecs.send(
        new CreateServiceCommand(
          webService({ serviceName: 'canary', deploymentConfiguration: { strategy: 'CANARY' } }),
        ),
      ),
    );
    const wrongController = await rejection(
      aws.ecs.send(
        new CreateServiceCommand(
          webService({
            serviceName: 'linear',
            loadBalancers: [SHIFTING_LB],
            deploymentConfiguration: { strategy: 'LINEAR' },
            deploymentController: { type: 'CODE_DEPLOY' },
          }),
        ),
      ),
    );
    const misplacedConfig = await rejection(
      aws.ecs.send(
        new UpdateServiceCommand({
          cluster: 'prod',
          service: 'web',
          desiredCount: 9,
          deploymentConfiguration: { strategy: 'ROLLING', linearConfiguration: { stepPercent: 10 } },
        }),
      ),
    );
    const notAtLaunch = await rejection(
      aws.ecs.send(
        new UpdateServiceCommand({
          cluster: 'prod',
          service: 'web',
          volumeConfigurations: [
            { name: 'scratch', managedEBSVolume: { roleArn: `arn:aws:iam::${ACCOUNT}:role/app/ebs`, sizeInGiB: 50 } },
          ],
        }),
      ),
    );

    // Assess
    for (const error of [noTrafficPath, wrongController, misplacedConfig, notAtLaunch]) {
      expect(error.name).toBe('InvalidParameterException');
    }
    expect(noTrafficPath.message).toContain('advancedConfiguration or Service Connect');
    expect(wrongController.message).toContain('ECS deployment controller');
    expect(misplacedConfig.message).toContain('LINEAR');
    expect(notAtLaunch.message).toContain('not configured at launch');
    expect(await describe1(aws)).toEqual(before);
  });
});
