/** Scene 12 of the demo: a service that was made by hand long ago is brought under management with `driftless import`:
 * the declaration it writes plans in sync, and the first reconcile only tags the service as managed. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import type { ReconcileResult } from '../../shared/reconcile/types.ts';
import { type AwsSimulator, writeCalls } from '../../shared/sim/index.ts';
import type { AwsClients } from '../context.ts';
import { indent, indentedIo, type SceneWorld } from './narration.ts';

export interface ImportSceneWorld extends SceneWorld {
  readonly push: () => Promise<ReconcileResult>;
}

/** The billing service as someone made it in the console years ago: no repository knows it. */
function seedHandMadeBilling(simulator: AwsSimulator): void {
  simulator.seedService({
    cluster: 'prod',
    serviceName: 'billing',
    desiredCount: 2,
    launchType: 'FARGATE',
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b2c3d4e5f6071829'],
        securityGroups: ['sg-0c3d4e5f607182930'],
      },
    },
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    enableExecuteCommand: true,
    taskDefinition: {
      family: 'billing',
      cpu: '512',
      memory: '1024',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      executionRoleArn: 'arn:aws:iam::123456789012:role/app/billing-execution',
      containerDefinitions: [
        {
          name: 'billing',
          image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/billing:3.1.4',
          portMappings: [{ containerPort: 9000 }],
          environment: [{ name: 'CURRENCY', value: 'EUR' }],
          secrets: [
            { name: 'LEDGER_DB_URL', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/billing/ledger-db' },
          ],
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': '/ecs/prod/billing',
              'awslogs-region': 'us-east-1',
              'awslogs-stream-prefix': 'billing',
            },
          },
        },
      ],
    },
  });
}

/** True when the scene went as narrated: import wrote the file, plan found it in sync, the first reconcile only tagged. */
export async function importScene(world: ImportSceneWorld): Promise<boolean> {
  const { say, io, simulator, repoDir, git, runCli } = world;
  const clients: AwsClients = {
    ecs: simulator.ecs,
    cloudFormation: simulator.cloudFormation,
    autoScaling: simulator.autoScaling,
  };
  const indented = indentedIo(io);
  seedHandMadeBilling(simulator);
  await simulator.autoScaling.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: 'ecs',
      ResourceId: 'service/prod/billing',
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: 2,
      MaxCapacity: 8,
    }),
  );
  say('  billing runs in prod (made in the console long ago, autoscaled 2-8); no repository declares it.');
  say(`  $ driftless import --cluster prod --service billing --out ${repoDir}`);
  const imported = await runCli(
    ['import', '--cluster', 'prod', '--service', 'billing', '--out', repoDir],
    indented,
    clients,
  );
  const written = await readFile(join(repoDir, 'services/billing.yaml'), 'utf8').catch(() => '');
  say(indent(`services/billing.yaml:\n${written}`, 4));
  await git('add', '-A');
  await git('commit', '-q', '-m', 'billing: imported with driftless import');
  say('  $ git commit -m "billing: imported" && driftless plan');
  const planned = await runCli(['plan', '--repo', repoDir], indented, clients);
  simulator.resetCalls();
  say('  The next push reconciles; for billing it only adds the management tag (no new revision, no deployment):');
  const first = await world.push();
  const writes = writeCalls(simulator.calls);
  say(`  AWS writes of that run: ${JSON.stringify(writes)}`);
  return (
    imported === 0 &&
    written.includes('minCapacity: 2') &&
    planned === 0 &&
    first.status !== 'failed' &&
    JSON.stringify(writes) === JSON.stringify({ 'ECS.TagResource': 1 })
  );
}
