/** The conversion behind `driftless import`: minimal declarations that the normalizer reads as live, and never a
 * value the secret rules refuse. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonEqual } from '../../../shared/plan/diff.ts';
import type { LiveEcsService, LiveStack } from '../../../shared/plan/live-state.ts';
import {
  normalizeDeclaredService,
  normalizeLiveService,
  PER_DEPLOYMENT_SERVICE_FIELDS,
} from '../../../shared/plan/normalize.ts';
import type { FileEntry, RepositoryReader } from '../../../shared/spec/files.ts';
import { loadRepository } from '../../../shared/spec/repository.ts';
import {
  commonStackPrefix,
  type ImportedResource,
  importService,
  importStack,
  importTargets,
  missingTargets,
  settingsText,
} from '../../../shared/writeback/import.ts';
import { freeKey, freeText } from '../../support/arbitraries.ts';

const SECRET_SHAPED = [
  'AKIAIOSFODNN7EXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'postgres://app:hunter2@db.internal:5432/app',
  'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB',
  '-----BEGIN RSA PRIVATE KEY-----',
  '--password=hunter2',
];
const SECRET_NAMES = ['DB_PASSWORD', 'apiToken', 'SECRET_KEY', 'StripeApiKey'];
const name = fc.oneof(freeKey, fc.constantFrom(...SECRET_NAMES, 'LOG_LEVEL', 'DB_PASSWORD_ARN'));
const value = fc.oneof(freeText, fc.constantFrom(...SECRET_SHAPED, 'info', '$DB_PASSWORD', 'arn:aws:ssm:x'));

function liveService(container: Record<string, unknown>, serviceTags: { key: string; value: string }[] = []) {
  const live: LiveEcsService = {
    kind: 'EcsService',
    id: 'EcsService:prod/web',
    cluster: 'prod',
    name: 'web',
    service: {
      serviceName: 'web',
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
      status: 'ACTIVE',
      desiredCount: 2,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      deploymentConfiguration: {
        maximumPercent: 200,
        minimumHealthyPercent: 100,
        deploymentCircuitBreaker: { enable: false, rollback: false },
      },
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], assignPublicIp: 'DISABLED' } },
      enableExecuteCommand: false,
      enableECSManagedTags: false,
      propagateTags: 'NONE',
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
      tags: [{ key: 'driftless:managed-by', value: 'x' }, ...serviceTags],
    },
    taskDefinition: {
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
      family: 'web',
      revision: 7,
      status: 'ACTIVE',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      compatibilities: ['EC2', 'FARGATE'],
      cpu: '256',
      memory: '512',
      registeredAt: '2026-01-01T00:00:00.000Z',
      containerDefinitions: [{ name: 'web', image: 'nginx:1.27', essential: true, cpu: 0, ...container }],
    },
    taskDefinitionTags: [],
  };
  return live;
}

function memoryReader(files: Record<string, string>): RepositoryReader {
  const encoder = new TextEncoder();
  return {
    resolveRef: async () => '1'.repeat(40),
    listFiles: async (): Promise<FileEntry[]> =>
      Object.keys(files)
        .sort()
        .map((path, index) => ({ path, blobId: index.toString(16).padStart(40, '0'), type: 'file' as const })),
    readFile: async (_commit, path) => encoder.encode(files[path] ?? ''),
  };
}

async function validate(resources: ImportedResource[]) {
  const files: Record<string, string> = { 'driftless.yaml': settingsText(importTargets('prod', resources)) };
  for (const resource of resources) for (const file of resource.files) files[file.path] = file.content;
  return loadRepository(memoryReader(files), { ref: 'main' });
}

describe('importService', () => {
  it('keeps only what the normalizer needs, and the result reads as the live service', async () => {
    // Prepare
    const live = liveService({
      portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }],
      environment: [],
      mountPoints: [],
      volumesFrom: [],
    });

    // Act
    const imported = importService({ live });
    const spec = (imported.document as { spec: Record<string, unknown> }).spec;

    // Assess
    expect(spec).toEqual({
      desiredCount: 2,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
      taskDefinition: {
        family: 'web',
        networkMode: 'awsvpc',
        containerDefinitions: [{ name: 'web', image: 'nginx:1.27', portMappings: [{ containerPort: 80 }] }],
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
      },
    });
    expect(
      jsonEqual(
        normalizeDeclaredService(spec),
        normalizeLiveService(live.service, live.taskDefinition, live.taskDefinitionTags, spec),
      ),
    ).toBe(true);
    expect(imported.decisions).toEqual([]);
    expect((await validate([imported])).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('never writes a value the secret rules refuse, and reports each one it left out', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ name, value }), { maxLength: 4 }),
        fc.dictionary(name, value, { maxKeys: 3, noNullPrototype: true }),
        fc.dictionary(name, value, { maxKeys: 2, noNullPrototype: true }),
        fc.array(fc.record({ key: name.filter((k) => k.length <= 128), value: value.filter((v) => v.length <= 256) }), {
          maxLength: 3,
        }),
        async (environment, dockerLabels, logOptions, tags) => {
          // Prepare: names ECS would accept once each.
          const uniqueEnvironment = [...new Map(environment.map((variable) => [variable.name, variable])).values()];
          const uniqueTags = [...new Map(tags.map((tag) => [tag.key, tag])).values()].filter(
            (tag) => !tag.key.startsWith('aws:') && !tag.key.startsWith('driftless:'),
          );
          const live = liveService(
            {
              environment: uniqueEnvironment,
              dockerLabels,
              logConfiguration: { logDriver: 'awslogs', options: logOptions },
            },
            uniqueTags,
          );

          // Act
          const imported = importService({ live });
          const snapshot = await validate([imported]);

          // Assess
          const secretDiagnostics = snapshot.diagnostics.filter((d) => d.code === 'E_SECRET_VALUE');
          expect(secretDiagnostics).toEqual([]);
          for (const shaped of SECRET_SHAPED) expect(imported.files[0]?.content).not.toContain(shaped);
          const spec = (
            imported.document as {
              spec: { taskDefinition: { containerDefinitions: { environment?: { name: string }[] }[] } };
            }
          ).spec;
          const kept = new Set((spec.taskDefinition.containerDefinitions[0]?.environment ?? []).map((v) => v.name));
          const secretDecisions = imported.decisions.filter((decision) => decision.kind === 'secret');
          for (const variable of uniqueEnvironment.filter((candidate) => !kept.has(candidate.name))) {
            expect(secretDecisions.map((decision) => decision.field)).toContain(
              `containerDefinitions[web].environment ${variable.name}`,
            );
          }
          for (const decision of secretDecisions) {
            expect(decision.file).toBe('services/web.yaml');
            for (const shaped of SECRET_SHAPED) expect(decision.message).not.toContain(shaped);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('says what to do with an environment secret, naming the container and the variable', () => {
    // Prepare
    const live = liveService({
      environment: [
        { name: 'DB_PASSWORD', value: 'hunter2' },
        { name: 'MODE', value: 'a' },
      ],
    });

    // Act
    const imported = importService({ live });

    // Assess
    expect(imported.decisions).toEqual([
      expect.objectContaining({
        kind: 'secret',
        field: 'containerDefinitions[web].environment DB_PASSWORD',
        message: expect.stringContaining('move it to Secrets Manager or SSM'),
      }),
    ]);
    expect(imported.files[0]?.content).not.toContain('hunter2');
    expect(imported.files[0]?.content).toContain('name: MODE');
  });
});

/** What DescribeServices reports per deployment (Deployment members, as the ECS API reference shows them). */
function perDeploymentFields(version: string): Record<(typeof PER_DEPLOYMENT_SERVICE_FIELDS)[number], unknown> {
  return {
    serviceConnectConfiguration: {
      enabled: true,
      namespace: `arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-${version}`,
      services: [{ portName: 'http', discoveryName: `web-${version}`, clientAliases: [{ port: 80 }] }],
    },
    volumeConfigurations: [
      {
        name: 'scratch',
        managedEBSVolume: {
          roleArn: `arn:aws:iam::123456789012:role/app/ebs-${version}`,
          sizeInGiB: 50,
          volumeType: 'io2',
          iops: 4000,
          filesystemType: 'ext4',
          encrypted: true,
        },
      },
    ],
    vpcLatticeConfigurations: [
      {
        roleArn: `arn:aws:iam::123456789012:role/app/lattice-${version}`,
        targetGroupArn: `arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-${version}`,
        portName: 'http',
      },
    ],
  };
}

describe('importService, fields ECS reports per deployment', () => {
  it('declares each from the PRIMARY deployment, as the planner reads it, and passes its roles to Settings', async () => {
    // Prepare: the service rolling from an ACTIVE deployment to the PRIMARY one; the service itself carries neither.
    const live = liveService({ portMappings: [{ containerPort: 80, name: 'http' }], mountPoints: [] });
    live.taskDefinition.volumes = [{ name: 'scratch', configuredAtLaunch: true }];
    live.service.deployments = [
      { id: 'ecs-svc/2', status: 'PRIMARY', ...perDeploymentFields('new') },
      { id: 'ecs-svc/1', status: 'ACTIVE', ...perDeploymentFields('old') },
    ];

    // Act
    const imported = importService({ live });
    const spec = (imported.document as { spec: Record<string, unknown> }).spec;

    // Assess
    const primary = perDeploymentFields('new');
    for (const field of PER_DEPLOYMENT_SERVICE_FIELDS) expect(spec[field]).toEqual(primary[field]);
    expect(imported.decisions).toEqual([]);
    expect(
      jsonEqual(
        normalizeDeclaredService(spec),
        normalizeLiveService(live.service, live.taskDefinition, live.taskDefinitionTags, spec),
      ),
    ).toBe(true);
    expect(imported.roleArns).toEqual(
      expect.arrayContaining([
        'arn:aws:iam::123456789012:role/app/ebs-new',
        'arn:aws:iam::123456789012:role/app/lattice-new',
      ]),
    );
    expect(imported.roleArns.join()).not.toContain('-old');
    expect((await validate([imported])).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('declares none of them when the PRIMARY deployment has none, whatever an older deployment had', () => {
    // Prepare
    const live = liveService({ portMappings: [{ containerPort: 80, name: 'http' }] });
    live.service.deployments = [
      { id: 'ecs-svc/2', status: 'PRIMARY' },
      { id: 'ecs-svc/1', status: 'ACTIVE', ...perDeploymentFields('old') },
    ];

    // Act
    const imported = importService({ live });
    const spec = (imported.document as { spec: Record<string, unknown> }).spec;

    // Assess
    for (const field of PER_DEPLOYMENT_SERVICE_FIELDS) expect(spec).not.toHaveProperty(field);
    expect(imported.decisions).toEqual([]);
  });
});

describe('importService, fields compared only when declared', () => {
  it('keeps a live bake time, so a recreated service bakes as long and the planner keeps comparing it', () => {
    // Prepare
    const live = liveService({ portMappings: [{ containerPort: 80 }] });
    live.service.deploymentConfiguration = {
      ...(live.service.deploymentConfiguration as Record<string, unknown>),
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 15,
    };

    // Act
    const spec = (importService({ live }).document as { spec: Record<string, unknown> }).spec;

    // Assess
    expect(spec.deploymentConfiguration).toEqual({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 15 });
    const drifted = structuredClone(live.service);
    (drifted.deploymentConfiguration as Record<string, unknown>).bakeTimeInMinutes = 0;
    expect(
      jsonEqual(
        normalizeDeclaredService(spec),
        normalizeLiveService(drifted, live.taskDefinition, live.taskDefinitionTags, spec),
      ),
    ).toBe(false);
  });
});

describe('importStack', () => {
  const template = JSON.stringify({
    Parameters: {
      Env: { Type: 'String' },
      Size: { Type: 'Number', Default: 10 },
      AdminPassword: { Type: 'String', NoEcho: true },
      ApiToken: { Type: 'String' },
    },
    Resources: { Queue: { Type: 'AWS::SQS::Queue' }, Topic: { Type: 'AWS::SNS::Topic' } },
  });
  const live: LiveStack = {
    kind: 'CloudFormationStack',
    id: 'CloudFormationStack:platform-queues',
    name: 'platform-queues',
    templateBody: template,
    stack: {
      StackName: 'platform-queues',
      StackStatus: 'CREATE_COMPLETE',
      Parameters: [
        { ParameterKey: 'Env', ParameterValue: 'prod' },
        { ParameterKey: 'Size', ParameterValue: '10' },
        { ParameterKey: 'AdminPassword', ParameterValue: '****' },
        { ParameterKey: 'ApiToken', ParameterValue: 'tok-123456' },
      ],
      Tags: [
        { Key: 'team', Value: 'platform' },
        { Key: 'driftless:managed-by', Value: 'x' },
        { Key: 'aws:cloudformation:stack-name', Value: 'platform-queues' },
      ],
      Capabilities: ['CAPABILITY_IAM'],
      RoleARN: 'arn:aws:iam::123456789012:role/cloudformation/deployer',
      EnableTerminationProtection: true,
    },
  };

  it('writes parameters that differ from the defaults, user tags, capabilities, role and protection', async () => {
    // Act
    const imported = importStack({ live });

    // Assess
    expect((imported.document as { spec: unknown }).spec).toEqual({
      template: 'platform-queues.template.json',
      parameters: { Env: 'prod' },
      tags: { team: 'platform' },
      capabilities: ['CAPABILITY_IAM'],
      roleArn: 'arn:aws:iam::123456789012:role/cloudformation/deployer',
      terminationProtection: true,
    });
    expect(imported.files.map((file) => file.path)).toEqual([
      'stacks/platform-queues.yaml',
      'stacks/platform-queues.template.json',
    ]);
    expect(imported.files[1]?.content).toBe(`${template}\n`);
    expect(imported.decisions.map((decision) => [decision.field, decision.kind])).toEqual([
      ['parameters.AdminPassword', 'unreadable'],
      ['parameters.ApiToken', 'secret'],
    ]);
    expect(imported.resourceTypes).toEqual(['AWS::SNS::Topic', 'AWS::SQS::Queue']);
    const snapshot = await validate([imported]);
    expect(snapshot.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(snapshot.declarations.map((d) => d.id)).toEqual(['CloudFormationStack:platform-queues']);
  });
});

describe('settings for imported declarations', () => {
  it('finds the stack prefix the stacks share', () => {
    expect(commonStackPrefix(['platform-network', 'platform-db'])).toBe('platform-');
    expect(commonStackPrefix(['platform-network'])).toBe('platform-');
    expect(commonStackPrefix(['network', 'db'])).toBe('');
    expect(commonStackPrefix([])).toBe('');
  });

  it('tells what an existing driftless.yaml lacks', () => {
    // Prepare
    const targets = {
      clusters: ['prod'],
      stackNamePrefix: 'platform-',
      roleArns: ['arn:aws:iam::1:role/app/web', 'arn:aws:iam::1:role/other'],
      resourceTypes: ['AWS::SQS::Queue', 'AWS::SNS::Topic'],
    };
    const settings = {
      apiVersion: 'driftless/v1',
      kind: 'Settings',
      spec: {
        targets: {
          clusters: ['staging'],
          stackNamePrefix: 'platform-',
          roleArnPatterns: ['arn:aws:iam::1:role/app/*'],
          resourceTypes: ['AWS::SQS::*'],
          readStacks: [],
        },
        sync: {
          selfHeal: true,
          prune: false,
          maxPruneFraction: 0.2,
          ignore: { EcsService: [], CloudFormationStack: [] },
        },
      },
    } as const;

    // Act
    const missing = missingTargets(settings as never, targets);

    // Assess
    expect(missing).toEqual([
      'spec.targets.clusters: add prod',
      'spec.targets.roleArnPatterns: add arn:aws:iam::1:role/other',
      'spec.targets.resourceTypes: add AWS::SNS::Topic',
    ]);
  });
});
