import { type Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT, readEnvironment } from '../../functions/environment.ts';
import { FUNCTION_NAMES } from '../../infra/bundling.ts';
import { LEDGER_QUERIES } from '../../infra/queries.ts';
import { breakGlassAttributes, ledgerTableDefinition } from '../../shared/audit/dynamodb.ts';
import { lockTableDefinition } from '../../shared/lock/lease.ts';
import {
  asArray,
  type Json,
  type PolicyStatementOf,
  propertiesOf,
  REQUIRED_CONTEXT,
  type Statement,
  type Synthesized,
  synthesize,
} from './synth.ts';

const CONTEXT = REQUIRED_CONTEXT;

/** Write actions by prefix (IAM access levels Write, Tagging and Permissions management of the services used). */
const WRITE_ACTIONS = [
  /^ecs:(Create|Update|Delete|Register|Deregister|Tag|Untag|Put|Run|Start|Stop|Submit)/,
  /^cloudformation:(Create|Execute|Delete|Update|Tag|Untag|Set|Continue|Cancel|Rollback|Signal)/,
  /^dynamodb:(Put|Update|Delete|BatchWrite|PartiQL(Insert|Update|Delete)|Create|Restore)/,
  /^iam:/,
  /^codecommit:(Post|Update|Put|Create|Delete|Merge|Tag|Untag)/,
  /^events:(Put|Delete|Create|Update|Enable|Disable|Remove)/,
  /^sqs:(SendMessage|DeleteMessage|Purge|Set|Create|Delete|Tag|Untag)/,
  /^logs:(Create|Put|Delete)/,
  /^lambda:/,
  /^\w+:\*$/,
  /^\*$/,
];

/**
 * The one documented write on "*": RegisterTaskDefinition has no resource type in the ECS service authorization
 * reference, so it is allowed on "*" only for requests tagged with the installation's managed-by tag.
 */
function isDocumentedWildcardWrite(action: string, statement: Statement): boolean {
  return (
    action === 'ecs:RegisterTaskDefinition' &&
    statement.Condition?.StringEquals?.['aws:RequestTag/driftless:managed-by'] === 'default'
  );
}

let synthesized: Synthesized | undefined;
let template: Template;
let annotations: Annotations;
let resources: Record<string, Json>;
let statements: PolicyStatementOf[];

function resourcesOfType(type: string): [string, Json][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

/** Asset hashes change with every code change; the snapshot is about the infrastructure. */
function withoutAssetHashes(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value)
      .replace(/[0-9a-f]{64}(\.zip)?/g, '[asset-hash]')
      .replace(/cdk-hnb659fds-assets-[^"]*/g, 'cdk-hnb659fds-assets-[account]-[region]'),
  );
}

beforeAll(() => {
  synthesized = synthesize(CONTEXT);
  ({ template, annotations, resources, statements } = synthesized);
}, 180_000);

afterAll(() => synthesized?.cleanup());

describe('DriftlessStack triggers', () => {
  it('gives every EventBridge rule target a retry policy and a dead-letter queue', () => {
    // Prepare
    const rules = resourcesOfType('AWS::Events::Rule');

    // Assess
    expect(rules).toHaveLength(7);
    for (const [, rule] of rules) {
      const targets = propertiesOf(rule).Targets as Json[];
      expect(targets.length).toBeGreaterThan(0);
      for (const target of targets) {
        expect(target.RetryPolicy).toEqual({
          MaximumRetryAttempts: expect.any(Number),
          MaximumEventAgeInSeconds: expect.any(Number),
        });
        expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } });
      }
    }
  });

  it('encrypts every dead-letter queue, refuses plain HTTP to it and alarms on its first message', () => {
    // Prepare
    const queues = resourcesOfType('AWS::SQS::Queue');
    const queueIds = new Set(queues.map(([id]) => id));
    const dlqIds = resourcesOfType('AWS::Events::Rule').flatMap(([, rule]) =>
      (propertiesOf(rule).Targets as Json[]).map(
        (target) => ((target.DeadLetterConfig as Json).Arn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0],
      ),
    );

    // Assess
    for (const id of dlqIds) expect(queueIds.has(id as string)).toBe(true);
    for (const [id, queue] of queues) {
      expect(propertiesOf(queue).SqsManagedSseEnabled).toBe(true);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
    }
  });

  it('starts push only for the tracked branch of the repository', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.codecommit'],
        'detail-type': ['CodeCommit Repository State Change'],
        resources: [Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':platform-config'])] })],
        detail: { referenceType: ['branch'], referenceName: ['main'] },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'detail-type': ['CodeCommit Pull Request State Change'],
        detail: {
          event: ['pullRequestCreated', 'pullRequestSourceBranchUpdated'],
          destinationReference: ['refs/heads/main'],
        },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('hears deployment outcomes only from the allowed clusters and the prefixed stacks', () => {
    // Prepare
    const ecsRule = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['aws.ecs'] } },
    });
    const cfnRule = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['aws.cloudformation'] } },
    });

    // Assess
    const ecsPattern = JSON.stringify(Object.values(ecsRule)[0]);
    expect(ecsPattern).toContain('"detail-type":["ECS Deployment State Change"]');
    expect(ecsPattern).toContain(':service/prod/"');
    expect(ecsPattern).toContain(':service/staging/"');
    expect(ecsPattern.match(/"prefix"/g)).toHaveLength(2);
    const cfnPattern = JSON.stringify(Object.values(cfnRule)[0]);
    expect(cfnPattern).toContain('"detail-type":["CloudFormation Stack Status Change"]');
    expect(cfnPattern).toMatch(/"stack-id":\[\{"prefix":.*:stack\/platform-"/);
  });
});

describe('DriftlessStack IAM', () => {
  it('allows no write action on "*" (RegisterTaskDefinition only with the managed-by request tag)', () => {
    // Prepare
    const offending = statements.flatMap(({ policy, statement }) => {
      if (statement.Effect !== 'Allow' || !asArray(statement.Resource).includes('*')) return [];
      return asArray(statement.Action)
        .filter((action) => WRITE_ACTIONS.some((pattern) => pattern.test(action)))
        .filter((action) => !isDocumentedWildcardWrite(action, statement))
        .map((action) => `${policy}: ${action}`);
    });

    // Assess
    expect(offending).toEqual([]);
    expect(statements.length).toBeGreaterThan(20);
  });

  it('passes roles only with iam:PassedToService, each role to the one service it is for', () => {
    // Prepare
    const passRoles = statements.filter(
      ({ statement }) => statement.Effect === 'Allow' && asArray(statement.Action).includes('iam:PassRole'),
    );

    // Assess
    expect(passRoles.length).toBeGreaterThan(0);
    for (const { statement } of passRoles) {
      expect(asArray(statement.Action)).toEqual(['iam:PassRole']);
      expect(statement.Condition?.StringEquals?.['iam:PassedToService']).toBeDefined();
      expect(asArray(statement.Resource)).not.toContain('*');
    }
    const toEcsTasks = passRoles.filter(
      ({ statement }) => statement.Condition?.StringEquals?.['iam:PassedToService'] === 'ecs-tasks.amazonaws.com',
    );
    expect(toEcsTasks.map(({ statement }) => statement.Resource)).toEqual([
      'arn:aws:iam::123456789012:role/app/*',
      'arn:aws:iam::123456789012:role/app/*',
      'arn:aws:iam::123456789012:role/app/*',
    ]);
    const toEcs = passRoles.filter(
      ({ statement }) => statement.Condition?.StringEquals?.['iam:PassedToService'] === 'ecs.amazonaws.com',
    );
    // A service's infrastructure roles (a canary's load balancer role, say), from the same allowed patterns.
    expect(toEcs.map(({ statement }) => statement.Resource)).toEqual(
      toEcsTasks.map(({ statement }) => statement.Resource),
    );
    const toCloudFormation = passRoles.filter(
      ({ statement }) => statement.Condition?.StringEquals?.['iam:PassedToService'] === 'cloudformation.amazonaws.com',
    );
    // The installation's service role, and a stack's own spec.roleArn from the allowed patterns.
    for (const { statement } of toCloudFormation) {
      expect(statement.Resource).toEqual([
        { 'Fn::GetAtt': [expect.stringMatching(/^CloudFormationRole/), 'Arn'] },
        'arn:aws:iam::123456789012:role/app/*',
      ]);
    }
    expect(toCloudFormation).toHaveLength(3);
  });

  it('lets the functions PutItem and Query the ledger, nothing else', () => {
    // Prepare
    const [ledgerId] = Object.keys(
      template.findResources('AWS::DynamoDB::Table', {
        Properties: { KeySchema: ledgerTableDefinition('ledger').KeySchema },
      }),
    );
    const onLedger = statements.filter(
      ({ statement }) => statement.Effect === 'Allow' && JSON.stringify(statement.Resource).includes(`"${ledgerId}"`),
    );

    // Assess: the pull-request function only queries (the active pauses for its comment)
    expect(onLedger.map(({ policy }) => policy).sort()).toEqual([
      expect.stringMatching(/^DeploymentOutcomeRole/),
      expect.stringMatching(/^ManualChangeRole/),
      expect.stringMatching(/^PullRequestRole/),
      expect.stringMatching(/^PushRole/),
      expect.stringMatching(/^SweepRole/),
    ]);
    for (const { policy, statement } of onLedger) {
      expect(statement.Action).toEqual(
        policy.startsWith('PullRequestRole') ? 'dynamodb:Query' : ['dynamodb:PutItem', 'dynamodb:Query'],
      );
      expect(statement.Resource).toEqual([
        { 'Fn::GetAtt': [ledgerId, 'Arn'] },
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ledgerId, 'Arn'] }, '/index/*']] },
      ]);
    }
  });

  it('confines ECS writes to the allowed clusters and CloudFormation writes to the stack prefix', () => {
    // Prepare
    const writes = statements.filter(
      ({ statement }) =>
        statement.Effect === 'Allow' &&
        asArray(statement.Action).some((action) => /^(ecs|cloudformation):/.test(action)) &&
        asArray(statement.Action).some((action) => WRITE_ACTIONS.some((pattern) => pattern.test(action))),
    );

    // Assess
    expect(writes.length).toBeGreaterThan(0);
    for (const { statement } of writes) {
      for (const resource of asArray(statement.Resource)) {
        const arn = JSON.stringify(resource);
        const allowed =
          /:service\/(prod|staging)\/\*"/.test(arn) ||
          /:stack\/platform-\*\/\*"/.test(arn) ||
          /:task-definition\/\*"/.test(arn) ||
          /:aws:transform\/\*"/.test(arn) ||
          (resource === '*' && isDocumentedWildcardWrite('ecs:RegisterTaskDefinition', statement));
        expect(allowed, `${statement.Sid}: ${arn}`).toBe(true);
      }
    }
  });

  it('lets only the functions that propose (rollback write-back, drift adoption) branch, commit and open pull requests, on the one repository', () => {
    // Prepare
    const proposing = ['codecommit:CreateBranch', 'codecommit:CreateCommit', 'codecommit:CreatePullRequest'];
    const grants = statements.filter(
      ({ statement }) =>
        statement.Effect === 'Allow' && asArray(statement.Action).some((action) => proposing.includes(action)),
    );
    const repositoryArn = statements.find(({ statement }) => statement.Sid === 'ReadConfigurationRepository')?.statement
      .Resource;
    const merges = statements.filter(({ statement }) =>
      asArray(statement.Action).some((action) =>
        /^codecommit:(Merge|Put|Update(Pull|Default|Repository))/.test(action),
      ),
    );

    // Assess
    expect(JSON.stringify(repositoryArn)).toContain(':codecommit:');
    expect(JSON.stringify(repositoryArn)).toContain(':platform-config');
    // Push and pull-request never propose: push applies Git, pull-request only comments.
    expect([...new Set(grants.map(({ policy }) => policy.replace(/DefaultPolicy[0-9A-F]{8}$/, '')))].sort()).toEqual([
      'DeploymentOutcomeRole',
      'ManualChangeRole',
      'SweepRole',
    ]);
    expect(grants).toHaveLength(6);
    for (const { statement } of grants) {
      if (statement.Sid === 'ProposePullRequests') {
        expect(statement).toMatchObject({
          Action: ['codecommit:CreatePullRequest', 'codecommit:GetBranch'],
          Resource: repositoryArn,
        });
      } else {
        expect(statement).toMatchObject({
          Sid: 'BranchAndCommitProposals',
          Action: ['codecommit:CreateBranch', 'codecommit:CreateCommit'],
          Resource: repositoryArn,
          Condition: { StringLike: { 'codecommit:References': 'refs/heads/driftless/*' } },
        });
      }
    }
    expect(merges).toEqual([]);
    const outcomeReads = statements.filter(
      ({ policy, statement }) =>
        /^DeploymentOutcomeRole/.test(policy) && statement.Sid === 'ReadConfigurationRepository',
    );
    expect(outcomeReads).toHaveLength(1);
  });

  it('gives the functions only their own roles, without managed policies', () => {
    // Assess
    for (const [id, role] of resourcesOfType('AWS::IAM::Role')) {
      if (id.startsWith('CloudFormationRole')) continue;
      expect(propertiesOf(role).ManagedPolicyArns, id).toBeUndefined();
    }
  });
});

describe('DriftlessStack pause permission', () => {
  function pausePolicy(): [string, Json] {
    const policies = resourcesOfType('AWS::IAM::ManagedPolicy');
    expect(policies).toHaveLength(1);
    return policies[0]!;
  }

  it('defines who may pause as a managed policy named <stackName>-pause, exported as an output', () => {
    // Prepare
    const [id, policy] = pausePolicy();

    // Assess
    expect(propertiesOf(policy).ManagedPolicyName).toBe('driftless-pause');
    expect(propertiesOf(policy).Roles ?? propertiesOf(policy).Users ?? propertiesOf(policy).Groups).toBeUndefined();
    template.hasOutput('PausePolicyArn', { Value: { Ref: id } });
  });

  it('lets it append only pause-shaped entries to resource partitions, Query the ledger, and read for status', () => {
    // Prepare
    const [, policy] = pausePolicy();
    const [ledgerId] = Object.keys(
      template.findResources('AWS::DynamoDB::Table', {
        Properties: { KeySchema: ledgerTableDefinition('ledger').KeySchema },
      }),
    );
    const document = propertiesOf(policy).PolicyDocument as { Statement: Statement[] };
    const bySid = new Map(document.Statement.map((statement) => [statement.Sid, statement]));

    // Assess
    expect(document.Statement.flatMap((statement) => asArray(statement.Action)).sort()).toEqual([
      'cloudformation:DescribeStacks',
      'cloudformation:GetTemplate',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'ecs:DescribeServiceDeployments',
      'ecs:DescribeServices',
      'ecs:DescribeTaskDefinition',
      'ecs:ListServiceDeployments',
    ]);
    expect(bySid.get('AppendPauseEntries')).toMatchObject({
      Effect: 'Allow',
      Action: 'dynamodb:PutItem',
      Resource: { 'Fn::GetAtt': [ledgerId, 'Arn'] },
      Condition: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': breakGlassAttributes() },
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RESOURCE#*'] },
      },
    });
    expect(breakGlassAttributes()).toEqual(
      expect.arrayContaining(['pk', 'sk', 'pausePk', 'kind', 'until', 'changedBy', 'apiCall', 'reason']),
    );
    for (const field of ['result', 'changes', 'summary', 'action', 'failureDayPk', 'references']) {
      expect(breakGlassAttributes()).not.toContain(field);
    }
    expect(bySid.get('QueryLedger')?.Resource).toEqual([
      { 'Fn::GetAtt': [ledgerId, 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ledgerId, 'Arn'] }, '/index/*']] },
    ]);
  });
});

describe('DriftlessStack tables', () => {
  it('keys and indexes the ledger exactly as ledgerTableDefinition does', () => {
    // Prepare
    const definition = ledgerTableDefinition('ledger');
    const bySet = <T>(items: readonly T[] | undefined) => [...(items ?? [])].map((item) => JSON.stringify(item)).sort();

    // Assess
    const ledgers = template.findResources('AWS::DynamoDB::Table', {
      Properties: { KeySchema: definition.KeySchema },
    });
    expect(Object.keys(ledgers)).toHaveLength(1);
    const ledger = Object.values(ledgers)[0] as Json;
    const properties = propertiesOf(ledger);
    expect(bySet(properties.AttributeDefinitions as Json[])).toEqual(bySet(definition.AttributeDefinitions));
    expect(properties.BillingMode).toBe(definition.BillingMode);
    expect(
      bySet(
        (properties.GlobalSecondaryIndexes as Json[]).map(({ IndexName, KeySchema, Projection }) => ({
          IndexName,
          KeySchema,
          Projection,
        })),
      ),
    ).toEqual(bySet(definition.GlobalSecondaryIndexes));
    expect(properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(properties.DeletionProtectionEnabled).toBe(true);
    expect(properties.SSESpecification).toEqual({ SSEEnabled: true });
    expect(ledger.DeletionPolicy).toBe('Retain');
    expect(ledger.UpdateReplacePolicy).toBe('Retain');
  });

  it('keys the lock table like lockTableDefinition, with TTL on ttl', () => {
    // Prepare
    const definition = lockTableDefinition('lock');

    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: definition.KeySchema,
      AttributeDefinitions: definition.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });
});

describe('DriftlessStack functions', () => {
  it('runs five functions on nodejs22.x arm64, push, sweep and manual-change one at a time', () => {
    // Prepare
    const functions = resourcesOfType('AWS::Lambda::Function');

    // Assess
    expect(functions.map(([id]) => id.replace(/Function[0-9A-F]{8}$/, '')).sort()).toEqual([
      'DeploymentOutcome',
      'ManualChange',
      'PullRequest',
      'Push',
      'Sweep',
    ]);
    // The sixth, sweep-shard, exists only when the sweep fans out (test/infra/fan-out.test.ts); the seventh, the
    // webhook worker, only with a GitHub or GitLab source (test/infra/webhook.test.ts).
    expect(FUNCTION_NAMES).toHaveLength(7);
    for (const [id, fn] of functions) {
      const properties = propertiesOf(fn);
      expect(properties.Runtime, id).toBe('nodejs22.x');
      expect(properties.Architectures, id).toEqual(['arm64']);
      expect(properties.Handler, id).toBe('index.handler');
      expect(properties.MemorySize, id).toBe(512);
      expect(properties.LoggingConfig, id).toEqual({ LogGroup: { Ref: expect.stringMatching(/Logs/) } });
      const serialized = id.startsWith('Push') || id.startsWith('Sweep') || id.startsWith('ManualChange');
      expect(properties.ReservedConcurrentExecutions, id).toBe(serialized ? 1 : undefined);
    }
    const timeouts = Object.fromEntries(functions.map(([id, fn]) => [id.slice(0, 4), propertiesOf(fn).Timeout]));
    expect(timeouts).toEqual({ Push: 300, Swee: 300, Pull: 120, Depl: 120, Manu: 300 });
  });

  it('sets the environment readEnvironment parses, and the Powertools settings', () => {
    // Assess
    for (const [id, fn] of resourcesOfType('AWS::Lambda::Function')) {
      const variables = (propertiesOf(fn).Environment as { Variables: Json }).Variables;
      const asStrings = Object.fromEntries(
        // Attributes resolved at deploy time (table names, the role ARN) stand in as ARN-shaped placeholders.
        Object.entries(variables).map(([name, value]) => [
          name,
          typeof value === 'string' ? value : `arn:token:${name}`,
        ]),
      );
      const environment = readEnvironment(asStrings);
      expect(environment, id).toMatchObject({
        repository: 'platform-config',
        branch: 'main',
        pathPrefix: '',
        installationId: 'default',
        eventBus: 'default',
        allowedClusters: ['prod', 'staging'],
        stackNamePrefix: 'platform-',
        // Left unset by the context: stacks may declare no type, references read no stack outside the prefix.
        allowedResourceTypes: [],
        readStacks: [],
        selfHeal: true,
        prune: false,
      });
      expect(variables[ENVIRONMENT.ledgerTable]).toEqual({ Ref: expect.stringMatching(/^TablesLedger/) });
      expect(variables[ENVIRONMENT.lockTable]).toEqual({ Ref: expect.stringMatching(/^TablesLock/) });
      expect(variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'driftless', LOG_LEVEL: 'INFO' });
    }
  });

  it('has no shard queue, sweep-shard worker or event source mapping without sweepShardSize', () => {
    // Prepare
    const sweep = resourcesOfType('AWS::Lambda::Function').find(([id]) => id.startsWith('Sweep'));
    const variables = (propertiesOf(sweep?.[1] ?? {}).Environment as { Variables: Json }).Variables;
    const sqsOfSweep = statements.filter(
      ({ policy, statement }) =>
        policy.startsWith('SweepRole') && asArray(statement.Action).some((action) => action.startsWith('sqs:')),
    );

    // Assess
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    expect(Object.keys(resources).filter((id) => /SweepShard/.test(id))).toEqual([]);
    for (const [id, queue] of resourcesOfType('AWS::SQS::Queue')) {
      expect(propertiesOf(queue).RedrivePolicy, id).toBeUndefined();
    }
    expect(variables[ENVIRONMENT.sweepShardSize]).toBeUndefined();
    expect(variables[ENVIRONMENT.shardQueueUrl]).toBeUndefined();
    expect(sqsOfSweep).toEqual([]);
  });

  it('keeps function logs in explicit log groups with the configured retention', () => {
    // Assess
    const groups = resourcesOfType('AWS::Logs::LogGroup');
    expect(groups).toHaveLength(5);
    for (const [, group] of groups) {
      expect(propertiesOf(group).RetentionInDays).toBe(90);
      expect(group.DeletionPolicy).toBe('Retain');
    }
  });
});

describe('DriftlessStack observability', () => {
  it('saves the ledger queries over every function log group', () => {
    // Prepare
    const logGroupRefs = resourcesOfType('AWS::Logs::LogGroup')
      .map(([id]) => ({ Ref: id }))
      .sort((a, b) => a.Ref.localeCompare(b.Ref));

    // Assess
    const definitions = resourcesOfType('AWS::Logs::QueryDefinition').map(([, resource]) => propertiesOf(resource));
    expect(definitions.map((definition) => definition.Name).sort()).toEqual(Object.keys(LEDGER_QUERIES).sort());
    for (const definition of definitions) {
      expect(definition.QueryString).toBe(LEDGER_QUERIES[definition.Name as keyof typeof LEDGER_QUERIES]);
      expect([...(definition.LogGroupNames as { Ref: string }[])].sort((a, b) => a.Ref.localeCompare(b.Ref))).toEqual(
        logGroupRefs,
      );
    }
  });

  it('alarms once per failure: on the errors of a function no queue keeps failures of, else on the queue', () => {
    // Prepare
    const functions = resourcesOfType('AWS::Lambda::Function');
    const failedInvocationsQueue = (id: string) =>
      (
        propertiesOf(
          resourcesOfType('AWS::Lambda::EventInvokeConfig').find(
            ([, config]) => (propertiesOf(config).FunctionName as { Ref: string }).Ref === id,
          )?.[1],
        ).DestinationConfig as { OnFailure?: { Destination: { 'Fn::GetAtt': string[] } } } | undefined
      )?.OnFailure?.Destination['Fn::GetAtt'][0];
    const errorAlarmed = (id: string) =>
      resourcesOfType('AWS::CloudWatch::Alarm').some(
        ([, alarm]) =>
          propertiesOf(alarm).MetricName === 'Errors' &&
          JSON.stringify(propertiesOf(alarm).Dimensions) ===
            JSON.stringify([{ Name: 'FunctionName', Value: { Ref: id } }]),
      );

    // Assess
    expect(functions).toHaveLength(5);
    for (const [id] of functions) {
      const queue = failedInvocationsQueue(id);
      if (queue === undefined) {
        expect(errorAlarmed(id), id).toBe(true);
      } else {
        expect(errorAlarmed(id), id).toBe(false);
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
        });
      }
    }
    expect(functions.filter(([id]) => errorAlarmed(id)).map(([id]) => id)).toEqual([expect.stringMatching(/^Sweep/)]);
  });

  it('has no dashboard and no ledger metrics unless asked for (-c dashboard=true, test/infra/monitoring.test.ts)', () => {
    // Assess: the sweep's errors, the failed invocations and the rules' one dead-letter queue.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
  });
});

describe('DriftlessStack compliance', () => {
  it('has no unsuppressed cdk-nag AwsSolutions error', () => {
    // Assess
    const errors = annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect(errors.map((error) => `${error.id}: ${String(error.entry.data).slice(0, 120)}`)).toEqual([]);
  });

  it('has no unsuppressed cdk-nag AwsSolutions warning', () => {
    // Assess
    const warnings = annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect(warnings.map((warning) => `${warning.id}: ${String(warning.entry.data).slice(0, 120)}`)).toEqual([]);
  });

  it('matches the snapshot (asset hashes stripped)', () => {
    // Assess
    expect(withoutAssetHashes(template.toJSON())).toMatchSnapshot();
  });
});
