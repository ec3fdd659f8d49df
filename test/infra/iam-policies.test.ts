/** The synthesized policies say what issue 19 fixed: DescribeStacks only by name (the prefix and readStacks), listings
 * only for a deployment that prunes, PutEvents only with driftless as every entry's source, stack roles passable to
 * CloudFormation, branches only under driftless/*, the lock table closed to all but the lease holders, and no cdk-nag
 * suppression without its line in infra/README.md. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_ITEM_ACTIONS } from '../../infra/constructs/audit-tables.ts';
import { createApp } from '../../infra/create-app.ts';
import {
  ACCOUNT,
  BREAK_GLASS,
  deployInstallation,
  type Installation,
  PARTITION,
  REGION,
} from '../support/iam/deployment.ts';
import { decide } from '../support/iam/simulate.ts';
import { asArray, type Json, REQUIRED_CONTEXT, type Statement } from './synth.ts';

const PRUNING = { ...REQUIRED_CONTEXT, prune: 'true', readStacks: 'shared-dns,legacy-network' };
const NOT_PRUNING = { ...REQUIRED_CONTEXT, prune: 'false' };

interface Synthesized {
  readonly resources: Record<string, Json>;
  /** Every statement of every function role's policy and of the pause policy, with the policy's logical id. */
  readonly statements: { policy: string; statement: Statement }[];
}

const outdirs: string[] = [];

function synthesize(context: Readonly<Record<string, string>>): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'driftless-iam-policies-'));
  outdirs.push(outdir);
  const { stack } = createApp({ ...context, 'aws:cdk:bundling-stacks': [] }, { outdir });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
  const statements = Object.entries(resources)
    .filter(
      ([id, resource]) =>
        /^AWS::IAM::(Managed)?Policy$/.test(String(resource.Type)) && !id.startsWith('CloudFormationRole'),
    )
    .flatMap(([policy, resource]) =>
      (((resource.Properties as Json).PolicyDocument as Json).Statement as Statement[]).map((statement) => ({
        policy,
        statement,
      })),
    );
  return { resources, statements };
}

const withAction = (synthesized: Synthesized, action: string) =>
  synthesized.statements.filter(
    ({ statement }) => statement.Effect === 'Allow' && asArray(statement.Action).includes(action),
  );

/** The ARN as text, its intrinsics left as the `${…}` CloudFormation would fill in. */
function arnText(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(arnText).join(join[0]);
  const ref = (resource as { Ref?: string }).Ref;
  if (ref) return `\${${ref}}`;
  const attribute = (resource as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  return attribute ? `\${${attribute.join('.')}}` : JSON.stringify(resource);
}

let pruning: Synthesized;
let notPruning: Synthesized;
let installation: Installation;

beforeAll(() => {
  pruning = synthesize(PRUNING);
  notPruning = synthesize(NOT_PRUNING);
  installation = deployInstallation(PRUNING);
}, 60_000);

afterAll(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

describe('DescribeStacks and the listings', () => {
  it('describes stacks by name only: those with the prefix and those readStacks lists, never every stack', () => {
    // Prepare
    const describing = withAction(pruning, 'cloudformation:DescribeStacks');
    const stacks = 'arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack';

    // Assess: each function that reads targets, and the pause policy (driftless status).
    expect(describing.map(({ policy }) => policy.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'ManualChangeRoleDefaultPolicy',
      'PermissionsPausePolicy',
      'PullRequestRoleDefaultPolicy',
      'PushRoleDefaultPolicy',
      'SweepRoleDefaultPolicy',
    ]);
    for (const { statement } of describing) {
      expect(asArray(statement.Action)).toEqual(['cloudformation:DescribeStacks']);
      expect(asArray(statement.Resource).map(arnText)).toEqual([
        `${stacks}/platform-*/*`,
        `${stacks}/shared-dns/*`,
        `${stacks}/legacy-network/*`,
      ]);
    }
  });

  it('lists stack names and services only where the deployment prunes, ListServices only in the allowed clusters', () => {
    // Prepare
    const listStacks = withAction(pruning, 'cloudformation:ListStacks');
    const listServices = withAction(pruning, 'ecs:ListServices');

    // Assess
    expect(withAction(notPruning, 'cloudformation:ListStacks')).toEqual([]);
    expect(withAction(notPruning, 'ecs:ListServices')).toEqual([]);
    expect(listStacks.length).toBe(4);
    for (const { statement } of listStacks)
      expect(statement).toMatchObject({ Action: 'cloudformation:ListStacks', Resource: '*' });
    expect(listServices.length).toBe(4);
    for (const { statement } of listServices) {
      expect(statement.Resource).toBe('*');
      expect(asArray(statement.Condition?.ArnEquals?.['ecs:cluster'] as unknown[]).map(arnText)).toEqual([
        'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/prod',
        'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/staging',
      ]);
    }
  });
});

describe('writes the fixes allow', () => {
  it('publishes to the bus only when every entry has the source driftless, and there is a source', () => {
    // Prepare
    const publishing = withAction(pruning, 'events:PutEvents');

    // Assess
    expect(publishing.length).toBe(4);
    for (const { statement } of publishing) {
      expect(statement.Condition).toEqual({
        'ForAllValues:StringEquals': { 'events:source': ['driftless'] },
        Null: { 'events:source': 'false' },
      });
    }
  });

  it('passes to CloudFormation the service role and the stack roles the patterns allow, to nothing else', () => {
    // Prepare
    const toCloudFormation = withAction(pruning, 'iam:PassRole').filter(
      ({ statement }) => statement.Condition?.StringEquals?.['iam:PassedToService'] === 'cloudformation.amazonaws.com',
    );

    // Assess
    expect(toCloudFormation.length).toBe(3);
    for (const { statement } of toCloudFormation) {
      expect(asArray(statement.Resource).map(arnText)).toEqual([
        expect.stringMatching(/^\$\{CloudFormationRole[0-9A-F]{8}\.Arn\}$/),
        REQUIRED_CONTEXT.roleArnPatterns,
      ]);
    }
  });

  it('creates branches and commits only on branches named driftless/*', () => {
    // Prepare
    const branching = [
      ...withAction(pruning, 'codecommit:CreateBranch'),
      ...withAction(pruning, 'codecommit:CreateCommit'),
    ];

    // Assess
    expect(branching.length).toBe(6);
    for (const { statement } of branching) {
      expect(statement).toMatchObject({
        Action: ['codecommit:CreateBranch', 'codecommit:CreateCommit'],
        Condition: { StringLike: { 'codecommit:References': 'refs/heads/driftless/*' } },
      });
    }
  });
});

describe('the lock table', () => {
  const lockArn = () => `arn:${PARTITION}:dynamodb:${REGION}:${ACCOUNT}:table/${installation.lockTable}`;

  it('denies its items, in its resource policy, to every principal but the roles of the functions that take the lease', () => {
    // Prepare
    const [lock] = Object.values(pruning.resources).filter(
      (resource) => resource.Type === 'AWS::DynamoDB::Table' && !(resource.Properties as Json).GlobalSecondaryIndexes,
    );
    const policy = ((lock!.Properties as Json).ResourcePolicy as Json).PolicyDocument as { Statement: Statement[] };

    // Assess
    expect(policy.Statement).toEqual([
      {
        Sid: 'OnlyLeaseHolders',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: [...LOCK_ITEM_ACTIONS],
        Resource: '*',
        Condition: {
          ArnNotEquals: {
            'aws:PrincipalArn': [
              { 'Fn::GetAtt': [expect.stringMatching(/^PushRole/), 'Arn'] },
              { 'Fn::GetAtt': [expect.stringMatching(/^ManualChangeRole/), 'Arn'] },
              { 'Fn::GetAtt': [expect.stringMatching(/^SweepRole/), 'Arn'] },
            ],
          },
        },
      },
    ]);
  });

  it('refuses an administrator allowed everything, and the functions without the lease grant; lets a lease holder', async () => {
    // Prepare
    const administrator = {
      name: 'administrator',
      arn: `arn:${PARTITION}:iam::${ACCOUNT}:role/Administrator`,
      policies: [
        { name: 'AdministratorAccess', policy: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } },
      ],
    };
    const principal = (name: string) => installation.principals.get(name)!;
    const putItem = {
      action: 'dynamodb:PutItem',
      resource: lockArn(),
      context: { 'dynamodb:LeadingKeys': ['LOCK#x'] },
    };

    // Act
    const decisions = await Promise.all(
      [
        administrator,
        principal('pull-request'),
        principal('deployment-outcome'),
        principal(BREAK_GLASS),
        principal('sweep'),
      ].map(async (who) => [who.name, (await decide(installation, who, putItem)).decision]),
    );

    // Assess
    expect(decisions).toEqual([
      ['administrator', 'ExplicitlyDenied'],
      ['pull-request', 'ExplicitlyDenied'],
      ['deployment-outcome', 'ExplicitlyDenied'],
      ['break-glass', 'ExplicitlyDenied'],
      ['sweep', 'Allowed'],
    ]);
  });

  it('is protected from the CloudFormation service role like the ledger', () => {
    // Prepare
    const [, cloudFormationPolicy] = Object.entries(pruning.resources).find(
      ([id, resource]) => id.startsWith('CloudFormationRoleDefaultPolicy') && resource.Type === 'AWS::IAM::Policy',
    )!;
    const statements = ((cloudFormationPolicy.Properties as Json).PolicyDocument as { Statement: Statement[] })
      .Statement;
    const denied = statements
      .filter((statement) => statement.Effect === 'Deny')
      .flatMap((statement) => asArray(statement.Resource));

    // Assess
    expect(denied.map(arnText)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\$\{TablesLock[0-9A-F]{8}\.Arn\}$/),
        expect.stringMatching(/^\$\{TablesLedger[0-9A-F]{8}\.Arn\}$/),
      ]),
    );
  });
});

describe('cdk-nag suppressions', () => {
  /** Rule ids suppressed, by the logical id of the resource that carries them. */
  function suppressions(synthesized: Synthesized): { resource: string; id: string; reason: string }[] {
    return Object.entries(synthesized.resources).flatMap(([resource, body]) =>
      (
        (((body.Metadata as Json | undefined)?.cdk_nag as Json | undefined)?.rules_to_suppress as
          | { id: string; reason: string }[]
          | undefined) ?? []
      ).map(({ id, reason }) => ({ resource, id, reason })),
    );
  }

  it('suppresses AwsSolutions-IAM4 (a managed policy) nowhere but on the CloudFormation service role', () => {
    // Act
    const managedPolicies = suppressions(pruning).filter(({ id }) => id === 'AwsSolutions-IAM4');

    // Assess
    for (const { resource } of managedPolicies) expect(resource).toMatch(/^CloudFormationRole/);
  });

  it('gives every other suppression a reason, and lists each rule in infra/README.md', () => {
    // Prepare
    const readme = readFileSync(new URL('../../infra/README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## cdk-nag suppressions'));
    const listed = new Set([...section.matchAll(/AwsSolutions-[A-Z]+\d+/g)].map((match) => match[0]));

    // Act
    const found = suppressions(synthesize({ ...PRUNING, createTrail: 'true', sweepShardSize: '10' })).filter(
      ({ resource }) => !resource.startsWith('CloudFormationRole'),
    );

    // Assess
    expect(found.length).toBeGreaterThan(10);
    for (const { resource, id, reason } of found) {
      expect(reason.length, `${resource} ${id}`).toBeGreaterThan(80);
      expect(listed, `${id} is not in infra/README.md`).toContain(id);
    }
  });
});
