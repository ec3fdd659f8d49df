/** The table of IAM authorizations (test/support/iam/commands.ts) covers every AWS SDK command the shipped code
 * sends, so no new call can escape the IAM proof; and what it says about the calls whose authorization is not
 * obvious (a write that passes a role, tags on create, a change set named by its ARN). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../infra/bundling.ts';
import { authorizationsOf, type CallSite, IAM_AUTHORIZATION, SDK_PACKAGES } from '../support/iam/commands.ts';

const SHIPPED = ['shared', 'functions', 'cli'];
/** The simulator answers commands; it never sends one to AWS. The demo runs against the simulator (and DynamoDB
 * Local) only: a command it builds itself seeds that world, as the import scene's RegisterScalableTarget does. */
const NOT_SENDING = ['shared/sim/', 'cli/demo.ts', 'cli/demo/'];

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every `new …Command(` of a file, with the service its package names (a named import, or else the one package the
 * file loads dynamically). */
function commandsSent(path: string): { command: string; service: string | undefined; file: string }[] {
  const text = readFileSync(path, 'utf8');
  const file = relative(REPOSITORY_ROOT, path);
  const importedFrom = new Map<string, string>();
  for (const match of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g)) {
    for (const name of (match[1] ?? '').split(',')) {
      const imported = name
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop();
      if (imported) importedFrom.set(imported, match[2] ?? '');
    }
  }
  // A package named in a string but imported by no `from`: the file loads it with import(), as cli/identity.ts does.
  const statically = new Set([...text.matchAll(/from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g)].map((match) => match[1]));
  const mentioned = [
    ...new Set([...text.matchAll(/'(@aws-sdk\/client-[a-z0-9-]+)'/g)].map((match) => match[1] ?? '')),
  ].filter((name) => !statically.has(name));
  return [...text.matchAll(/new\s+(?:\w+\.)?([A-Z]\w*)Command\s*\(/g)].map((match) => {
    const command = match[1] ?? '';
    const pkg = importedFrom.get(`${command}Command`) ?? (mentioned.length === 1 ? mentioned[0] : undefined);
    return { command, service: pkg === undefined ? undefined : SDK_PACKAGES[pkg], file };
  });
}

const SITE: CallSite = {
  partition: 'aws',
  region: 'us-east-1',
  account: '123456789012',
  repository: 'platform-config',
  stackOfChangeSet: (arn) =>
    arn.includes('changeSet/driftless-1/')
      ? 'arn:aws:cloudformation:us-east-1:123456789012:stack/platform-network/1'
      : undefined,
  partitionKeyOf: () => 'pk',
};

describe('the table of IAM authorizations', () => {
  it('maps every command the shipped code sends, each to its service', () => {
    // Prepare
    const sent = SHIPPED.flatMap((folder) => sourceFiles(join(REPOSITORY_ROOT, folder)))
      .filter((path) => !NOT_SENDING.some((skipped) => relative(REPOSITORY_ROOT, path).startsWith(skipped)))
      .flatMap(commandsSent);

    // Act
    const unmapped = sent.filter(({ command, service }) => !IAM_AUTHORIZATION[`${service}.${command}`]);

    // Assess
    expect(sent.length).toBeGreaterThan(40);
    expect(new Set(sent.map(({ service }) => service))).toEqual(new Set(Object.values(SDK_PACKAGES)));
    expect(
      unmapped.map(({ file, command, service }) => `${file}: ${service ?? '(unknown service)'}.${command}`),
    ).toEqual([]);
  });

  it('refuses to guess for a command it does not know', () => {
    // Act
    const guess = () => authorizationsOf('ECS', 'RunTask', { cluster: 'prod', taskDefinition: 'web:1' }, SITE);

    // Assess
    expect(guess).toThrow('no IAM authorization is known for ECS.RunTask');
  });

  it('authorizes a task definition registration as the write, the tags on create, and each role it passes', () => {
    // Act
    const requests = authorizationsOf(
      'ECS',
      'RegisterTaskDefinition',
      {
        family: 'web',
        taskRoleArn: 'arn:aws:iam::123456789012:role/app/web-task',
        executionRoleArn: 'arn:aws:iam::123456789012:role/app/web-execution',
        tags: [{ key: 'driftless:managed-by', value: 'default' }],
      },
      SITE,
    );

    // Assess
    const revision = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1';
    const tags = { 'aws:RequestTag/driftless:managed-by': 'default', 'aws:TagKeys': ['driftless:managed-by'] };
    expect(requests).toEqual([
      { action: 'ecs:RegisterTaskDefinition', resource: revision, context: tags },
      {
        action: 'ecs:TagResource',
        resource: revision,
        context: { ...tags, 'ecs:CreateAction': 'RegisterTaskDefinition' },
      },
      {
        action: 'iam:PassRole',
        resource: 'arn:aws:iam::123456789012:role/app/web-task',
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      },
      {
        action: 'iam:PassRole',
        resource: 'arn:aws:iam::123456789012:role/app/web-execution',
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      },
    ]);
  });

  it('authorizes a service create and update with each infrastructure role they hand to ECS passed to ECS', () => {
    // Prepare
    const roles = {
      balancer: 'arn:aws:iam::123456789012:role/app/ecs-infrastructure-elb',
      hook: 'arn:aws:iam::123456789012:role/app/ecs-hooks',
      volume: 'arn:aws:iam::123456789012:role/app/ecs-ebs',
    };
    const service = {
      cluster: 'prod',
      loadBalancers: [{ targetGroupArn: 'tg', advancedConfiguration: { roleArn: roles.balancer } }],
      deploymentConfiguration: { strategy: 'CANARY', lifecycleHooks: [{ roleArn: roles.hook }] },
      volumeConfigurations: [{ name: 'data', managedEBSVolume: { roleArn: roles.volume } }],
    };

    // Act
    const created = authorizationsOf('ECS', 'CreateService', { ...service, serviceName: 'api' }, SITE);
    const updated = authorizationsOf('ECS', 'UpdateService', { ...service, service: 'api' }, SITE);

    // Assess
    const toEcs = { 'iam:PassedToService': 'ecs.amazonaws.com' };
    const passed = Object.values(roles).map((role) => ({ action: 'iam:PassRole', resource: role, context: toEcs }));
    expect(created[0]).toMatchObject({
      action: 'ecs:CreateService',
      resource: 'arn:aws:ecs:us-east-1:123456789012:service/prod/api',
    });
    expect(created.slice(1)).toEqual(expect.arrayContaining(passed));
    expect(created).toHaveLength(1 + passed.length);
    expect(updated[0]).toMatchObject({ action: 'ecs:UpdateService' });
    expect(updated.slice(1)).toEqual(expect.arrayContaining(passed));
    expect(updated).toHaveLength(1 + passed.length);
  });

  it("authorizes a change set with the stack's role passed to CloudFormation, and its types and tags", () => {
    // Act
    const requests = authorizationsOf(
      'CloudFormation',
      'CreateChangeSet',
      {
        StackName: 'platform-network',
        ChangeSetName: 'driftless-1',
        RoleARN: 'arn:aws:iam::123456789012:role/cloudformation/platform-deployer',
        TemplateBody: 'Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n  Queue:\n    Type: AWS::SQS::Queue\n',
        Tags: [{ Key: 'team', Value: 'platform' }],
      },
      SITE,
    );

    // Assess
    expect(requests.map((request) => [request.action, request.resource])).toEqual([
      ['cloudformation:CreateChangeSet', expect.stringMatching(/:stack\/platform-network\//)],
      ['cloudformation:TagResource', expect.stringMatching(/:stack\/platform-network\//)],
      ['iam:PassRole', 'arn:aws:iam::123456789012:role/cloudformation/platform-deployer'],
    ]);
    expect(requests[0]?.context).toMatchObject({
      'cloudformation:ResourceTypes': ['AWS::EC2::VPC', 'AWS::SQS::Queue'],
      'cloudformation:RoleArn': 'arn:aws:iam::123456789012:role/cloudformation/platform-deployer',
      'aws:RequestTag/team': 'platform',
    });
    expect(requests[2]?.context).toEqual({ 'iam:PassedToService': 'cloudformation.amazonaws.com' });
  });

  it('authorizes a change set named only by its ARN on the stack it was created for', () => {
    // Act
    const known = authorizationsOf(
      'CloudFormation',
      'ExecuteChangeSet',
      { ChangeSetName: 'arn:aws:cloudformation:us-east-1:123456789012:changeSet/driftless-1/abc' },
      SITE,
    );
    const unknown = () =>
      authorizationsOf(
        'CloudFormation',
        'ExecuteChangeSet',
        { ChangeSetName: 'arn:aws:cloudformation:us-east-1:123456789012:changeSet/other/abc' },
        SITE,
      );

    // Assess
    expect(known).toEqual([
      {
        action: 'cloudformation:ExecuteChangeSet',
        resource: 'arn:aws:cloudformation:us-east-1:123456789012:stack/platform-network/1',
        context: {},
      },
    ]);
    expect(unknown).toThrow('is not known');
  });

  it('authorizes PutEvents once per bus, with every source and detail type of its entries', () => {
    // Act
    const requests = authorizationsOf(
      'EventBridge',
      'PutEvents',
      {
        Entries: [
          { Source: 'driftless', DetailType: 'Drift Detected', Detail: '{}', EventBusName: 'default' },
          { Source: 'driftless', DetailType: 'Drift Reverted', Detail: '{}', EventBusName: 'default' },
        ],
      },
      SITE,
    );

    // Assess
    expect(requests).toEqual([
      {
        action: 'events:PutEvents',
        resource: 'arn:aws:events:us-east-1:123456789012:event-bus/default',
        context: { 'events:source': ['driftless'], 'events:detail-type': ['Drift Detected', 'Drift Reverted'] },
      },
    ]);
  });
});
