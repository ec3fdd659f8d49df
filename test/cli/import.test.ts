/** `driftless import` end to end: live services and stacks in the simulator, imported into a folder, committed to a
 * real git repository, planned through the one planning path (in sync), and reconciled once (only tags written). */
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import type { Plan } from '../../shared/plan/plan.ts';
import { type AwsSimulator, writeCalls } from '../../shared/sim/index.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import { loadRepository } from '../../shared/spec/repository.ts';
import { capture } from '../support/cli.ts';
import { localDynamoDb } from '../support/dynamodb.ts';
import { readTree } from '../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../support/git-repo.ts';
import { type Cleanups, importWorld, registerScalableTargets, seedFolder } from '../support/import-world.ts';
import { seedDeclarations } from '../support/seed.ts';

const CORPUS = new URL('../fixtures/no-false-drift/', import.meta.url).pathname;
const CORPUS_STACKS = ['platform-ledger-db', 'platform-orders-queues'];

describe('driftless import', () => {
  const cleanups: Cleanups = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const world = () => importWorld(cleanups);

  async function seedCorpus(simulator: AwsSimulator) {
    const snapshot = await seedFolder(simulator, CORPUS, cleanups);
    expect(snapshot.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return snapshot;
  }

  async function commitFolder(out: string): Promise<TestRepo> {
    const repo = await makeRepo(await readTree(out));
    cleanups.push(() => repo.cleanup());
    return repo;
  }

  async function planOf(
    repo: TestRepo,
    clients: object,
  ): Promise<{ exitCode: number; plan: Plan & { valid: boolean } }> {
    const io = capture();
    const exitCode = await run(['plan', '--repo', repo.dir, '--json'], io, clients);
    return { exitCode, plan: JSON.parse(io.stdout()) };
  }

  it('imports every service and stack of the no-false-drift corpus, and the committed result plans in sync', async () => {
    // Prepare: the corpus running in the account, and a repository that has its Settings already.
    const { simulator, out, clients } = await world();
    const snapshot = await seedCorpus(simulator);
    await writeFile(join(out, 'driftless.yaml'), await readFile(join(CORPUS, 'driftless.yaml')));
    const io = capture();

    // Act
    const prod = await run(
      [
        'import',
        '--cluster',
        'prod',
        '--all',
        '--stack',
        ...CORPUS_STACKS,
        '--out',
        out,
        '--write-without-secrets',
        '--json',
      ],
      io,
      clients,
    );
    const prodSummary = JSON.parse(io.stdout());
    io.reset();
    const ec2 = await run(['import', '--cluster', 'prod-ec2', '--all', '--out', out, '--json'], io, clients);
    const ec2Summary = JSON.parse(io.stdout());
    // The one decision: a NoEcho parameter CloudFormation never shows. The user answers it with a reference.
    const stackFile = join(out, 'stacks/platform-ledger-db.yaml');
    const stackText = await readFile(stackFile, 'utf8');
    await writeFile(
      stackFile,
      stackText.replace(
        '  parameters:\n',
        '  parameters:\n    DbMasterPassword: "{{resolve:secretsmanager:prod/ledger/db-master:SecretString:password}}"\n',
      ),
    );
    const repo = await commitFolder(out);
    const { exitCode, plan } = await planOf(repo, clients);

    // Assess
    expect(prod).toBe(0);
    expect(ec2).toBe(0);
    expect(prodSummary.decisions).toEqual([
      expect.objectContaining({
        file: 'stacks/platform-ledger-db.yaml',
        kind: 'unreadable',
        field: 'parameters.DbMasterPassword',
      }),
    ]);
    expect(ec2Summary.decisions).toEqual([]);
    expect(prodSummary.settings).toEqual({ written: false, missing: [] });
    expect(ec2Summary.settings).toEqual({ written: false, missing: [] });
    expect(plan.valid).toBe(true);
    expect(plan.actions.map((action) => action.id).sort()).toEqual(snapshot.declarations.map((d) => d.id).sort());
    expect(plan.actions.filter((action) => action.type !== 'in-sync')).toEqual([]);
    expect(exitCode).toBe(0);
  });

  it('writes minimal declarations: no read-only field, no API default, no driftless tag, schema line first', async () => {
    // Prepare
    const { simulator, out, clients } = await world();
    await seedCorpus(simulator);

    // Act
    const exitCode = await run(
      ['import', '--cluster', 'prod', '--service', 'checkout', '--out', out],
      capture(),
      clients,
    );
    const text = await readFile(join(out, 'services/checkout.yaml'), 'utf8');

    // Assess
    expect(exitCode).toBe(0);
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../.schema/driftless.schema.json');
    expect(text).toMatch(
      /^apiVersion: driftless\/v1\nkind: EcsService\nmetadata:\n {2}name: checkout\n {2}cluster: prod\nspec:\n/m,
    );
    for (const absent of [
      'revision',
      'taskDefinitionArn',
      'registeredAt',
      'status',
      'essential',
      'protocol: tcp',
      'hostPort',
      'driftless:',
      'schedulingStrategy',
      'deploymentController',
      'assignPublicIp',
    ]) {
      expect(text).not.toContain(absent);
    }
    // Kept although the normalizer would not miss them: creating the service again needs them.
    expect(text).toContain('launchType: FARGATE');
    expect(text).toContain('networkConfiguration:');
  });

  it('imports services made directly with RegisterTaskDefinition and CreateService with many fields, in sync', async () => {
    // Prepare
    const { simulator, out, clients } = await world();
    await createRichService(simulator);

    // Act
    const importExit = await run(['import', '--cluster', 'prod', '--all', '--out', out], capture(), clients);
    const repo = await commitFolder(out);
    const { exitCode, plan } = await planOf(repo, clients);

    // Assess
    expect(importExit).toBe(0);
    expect(plan.actions.map((action) => [action.id, action.type, action.changes])).toEqual([
      ['EcsService:prod/rich', 'in-sync', []],
    ]);
    expect(exitCode).toBe(0);
    const text = await readFile(join(out, 'services/rich.yaml'), 'utf8');
    expect(text).toContain('propagateTags: SERVICE');
    expect(text).toContain('valueFrom: arn:aws:secretsmanager:us-east-1:123456789012:secret:rich/db');
  });

  it('writes autoscaling with the scalable target instead of a desiredCount, and plans in sync', async () => {
    // Prepare
    const { simulator, out, clients } = await world();
    await seedCorpus(simulator);
    await registerScalableTargets(simulator, [
      { resourceId: 'service/prod/checkout', minCapacity: 2, maxCapacity: 12 },
    ]);

    // Act
    const exitCode = await run(
      ['import', '--cluster', 'prod', '--service', 'checkout', 'frontend', '--out', out],
      capture(),
      clients,
    );
    const checkout = await readFile(join(out, 'services/checkout.yaml'), 'utf8');
    const frontend = await readFile(join(out, 'services/frontend.yaml'), 'utf8');
    const repo = await commitFolder(out);
    const { plan } = await planOf(repo, clients);

    // Assess
    expect(exitCode).toBe(0);
    expect(checkout).toContain('  autoscaling:\n    minCapacity: 2\n    maxCapacity: 12\n');
    expect(checkout).not.toContain('desiredCount');
    expect(frontend).toContain('desiredCount:');
    expect(simulator.stubs.autoScaling.commandCalls(DescribeScalableTargetsCommand)).toHaveLength(1);
    expect(simulator.stubs.autoScaling.commandCalls(DescribeScalableTargetsCommand)[0]?.args[0].input).toEqual({
      ServiceNamespace: 'ecs',
      ScalableDimension: 'ecs:service:DesiredCount',
      ResourceIds: ['service/prod/checkout', 'service/prod/frontend'],
      MaxResults: 50,
    });
    expect(plan.actions.map((action) => action.type)).toEqual(['in-sync', 'in-sync']);
  });

  it('the first reconcile after import only tags the services as managed: no revision, no deployment', async () => {
    // Prepare
    const { simulator, out, clients } = await world();
    await seedCorpus(simulator);
    await writeFile(join(out, 'driftless.yaml'), await readFile(join(CORPUS, 'driftless.yaml')));
    await run(
      ['import', '--cluster', 'prod', '--all', '--stack', 'platform-orders-queues', '--out', out],
      capture(),
      clients,
    );
    await run(['import', '--cluster', 'prod-ec2', '--all', '--out', out], capture(), clients);
    const repo = await commitFolder(out);
    const suffix = randomUUID().slice(0, 8);
    const dynamoDb = localDynamoDb();
    const reconcile = [
      'reconcile',
      '--repo',
      repo.dir,
      '--ledger-table',
      `import-ledger-${suffix}`,
      '--lock-table',
      `import-lock-${suffix}`,
      '--create-tables',
      '--installation',
      'platform',
    ];
    const serviceCount = simulator.services().length;
    simulator.resetCalls();

    // Act
    const first = await run(reconcile, capture(), { ...clients, dynamoDb });
    const writes = writeCalls(simulator.calls);
    simulator.resetCalls();
    const second = await run(reconcile, capture(), { ...clients, dynamoDb });

    // Assess
    expect(first).toBe(0);
    expect(writes).toEqual({ 'ECS.TagResource': serviceCount });
    for (const service of simulator.services()) {
      expect(service.tags).toContainEqual({ key: 'driftless:managed-by', value: 'platform' });
      expect(service.deployments).toHaveLength(1);
    }
    expect(second).toBe(0);
    expect(writeCalls(simulator.calls)).toEqual({});
  });

  it('leaves a service another installation manages to it: no tag written, so the two never take turns', async () => {
    // Prepare
    const { simulator, out, clients } = await world();
    const corpus = await makeRepo(await readTree(CORPUS));
    cleanups.push(() => corpus.cleanup());
    const snapshot = await loadRepository(new LocalGitSource({ repoDir: corpus.dir }), { ref: 'HEAD' });
    const services = snapshot.declarations.filter((d) => d.id.startsWith('EcsService:prod/'));
    await seedDeclarations(simulator, services, (declaration) => ({
      installationId: 'other',
      source: declaration.location.file,
      commitId: 'f'.repeat(40),
    }));
    await writeFile(join(out, 'driftless.yaml'), await readFile(join(CORPUS, 'driftless.yaml')));
    await run(['import', '--cluster', 'prod', '--all', '--out', out], capture(), clients);
    const repo = await commitFolder(out);
    const suffix = randomUUID().slice(0, 8);
    simulator.resetCalls();

    // Act
    const exitCode = await run(
      [
        'reconcile',
        '--repo',
        repo.dir,
        '--ledger-table',
        `other-ledger-${suffix}`,
        '--lock-table',
        `other-lock-${suffix}`,
        '--create-tables',
        '--installation',
        'platform',
      ],
      capture(),
      { ...clients, dynamoDb: localDynamoDb() },
    );

    // Assess
    expect(exitCode).toBe(0);
    expect(writeCalls(simulator.calls)).toEqual({});
    for (const service of simulator.services()) {
      expect(service.tags).toContainEqual({ key: 'driftless:managed-by', value: 'other' });
    }
  });
});

/** A service as someone made it by hand, with most of what a task definition and a service can say. */
async function createRichService(simulator: AwsSimulator) {
  const { RegisterTaskDefinitionCommand, CreateServiceCommand } = await import('@aws-sdk/client-ecs');
  const registered = await simulator.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'rich',
      taskRoleArn: 'arn:aws:iam::123456789012:role/app/rich-task',
      executionRoleArn: 'arn:aws:iam::123456789012:role/app/rich-exec',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['EC2'],
      cpu: '1 vCPU',
      memory: '2 GB',
      volumes: [{ name: 'scratch', host: { sourcePath: '/mnt/scratch' } }],
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ m6i.*' }],
      tags: [{ key: 'team', value: 'rich' }],
      containerDefinitions: [
        {
          name: 'app',
          image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/rich:3.1.0',
          essential: true,
          cpu: 512,
          memory: 1536,
          memoryReservation: 1024,
          portMappings: [{ containerPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' }],
          environment: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'DB_PASSWORD_ARN', value: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rich/db' },
          ],
          secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rich/db' }],
          healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8080/health || exit 1'], interval: 15 },
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': '/ecs/rich', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'app' },
          },
          mountPoints: [{ sourceVolume: 'scratch', containerPath: '/scratch', readOnly: false }],
          ulimits: [{ name: 'nofile', softLimit: 65536, hardLimit: 65536 }],
          linuxParameters: { initProcessEnabled: true, capabilities: { drop: ['NET_RAW', 'MKNOD'] } },
          dockerLabels: { 'com.example.team': 'rich' },
          stopTimeout: 60,
          readonlyRootFilesystem: true,
        },
        {
          name: 'sidecar',
          image: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0',
          essential: false,
          dependsOn: [],
        },
      ],
    }),
  );
  await simulator.ecs.send(
    new CreateServiceCommand({
      cluster: 'prod',
      serviceName: 'rich',
      taskDefinition: registered.taskDefinition?.taskDefinitionArn,
      desiredCount: 3,
      launchType: 'EC2',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-0b', 'subnet-0a'],
          securityGroups: ['sg-01'],
          assignPublicIp: 'DISABLED',
        },
      },
      loadBalancers: [
        {
          targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/rich/0123456789abcdef',
          containerName: 'app',
          containerPort: 8080,
        },
      ],
      serviceRegistries: [{ registryArn: 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-rich' }],
      healthCheckGracePeriodSeconds: 30,
      placementConstraints: [{ type: 'distinctInstance' }],
      placementStrategy: [
        { type: 'spread', field: 'attribute:ecs.availability-zone' },
        { type: 'binpack', field: 'memory' },
      ],
      deploymentConfiguration: {
        maximumPercent: 150,
        minimumHealthyPercent: 50,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        alarms: { alarmNames: ['rich-5xx'], enable: true, rollback: true },
      },
      enableExecuteCommand: true,
      enableECSManagedTags: true,
      propagateTags: 'SERVICE',
      tags: [
        { key: 'team', value: 'rich' },
        { key: 'cost-center', value: '4120' },
      ],
    }),
  );
  simulator.advance();
}
