/** The ledger archive in the synthesized stack (archiveLedger=true): a locked, private, TLS-only bucket that refuses
 * deletes, lock bypass and overwrites; the ledger's stream into a function that may only put objects there; the
 * dead-letter queue and alarms; nothing of it without the flag; and no unsuppressed cdk-nag finding. */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { type Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_BUCKET_VARIABLE, LEDGER_REWRITTEN_MESSAGE } from '../../shared/audit/archive.ts';
import { chainAfter, EMPTY_CHAIN } from '../../shared/audit/chain.ts';
import { ledgerTableDefinition } from '../../shared/audit/dynamodb.ts';
import { toItem } from '../../shared/audit/dynamodb-items.ts';
import { breakGlassEntry } from '../../shared/audit/pauses.ts';
import {
  asArray,
  type Json,
  propertiesOf,
  REQUIRED_CONTEXT,
  type Statement,
  type Synthesized,
  synthesize,
} from './synth.ts';

let archived: Synthesized | undefined;
let plain: Synthesized | undefined;
let template: Template;
let annotations: Annotations;
let resources: Record<string, Json>;

beforeAll(() => {
  archived = synthesize({ ...REQUIRED_CONTEXT, archiveLedger: 'true', archiveRetentionYears: '10' });
  plain = synthesize({ ...REQUIRED_CONTEXT });
  ({ template, annotations, resources } = archived);
}, 240_000);

afterAll(() => {
  archived?.cleanup();
  plain?.cleanup();
});

function idsOf(type: string, within: Record<string, Json> = resources): string[] {
  return Object.entries(within)
    .filter(([, resource]) => resource.Type === type)
    .map(([id]) => id);
}

function only(type: string, prefix: string): [string, Json] {
  const ids = idsOf(type).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}`).toHaveLength(1);
  return [ids[0] as string, resources[ids[0] as string] as Json];
}

const ledgerId = () =>
  Object.keys(
    template.findResources('AWS::DynamoDB::Table', { Properties: { KeySchema: ledgerTableDefinition('x').KeySchema } }),
  )[0] as string;

describe('the ledger archive', () => {
  it('locks every object in compliance mode for archiveRetentionYears, versioned, encrypted, private', () => {
    // Prepare
    const [, bucket] = only('AWS::S3::Bucket', 'LedgerArchive');

    // Assess
    expect(propertiesOf(bucket)).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Years: 10 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  it('refuses plain HTTP, deletes, lock bypass and puts that could overwrite, to every principal', () => {
    // Prepare
    const [bucketId] = only('AWS::S3::Bucket', 'LedgerArchive');
    const [, policy] = only('AWS::S3::BucketPolicy', 'LedgerArchive');
    const statements = (propertiesOf(policy).PolicyDocument as { Statement: (Statement & { Principal: unknown })[] })
      .Statement;
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] };

    // Assess
    expect(propertiesOf(policy).Bucket).toEqual({ Ref: bucketId });
    expect(policy.DeletionPolicy).toBe('Retain');
    expect(
      statements.every((statement) => statement.Effect === 'Deny' && (statement.Principal as Json).AWS === '*'),
    ).toBe(true);
    expect(statements.find((statement) => statement.Condition?.Bool)?.Condition).toEqual({
      Bool: { 'aws:SecureTransport': 'false' },
    });
    expect(statements.find((statement) => statement.Sid === 'RefuseDeletesAndLockBypass')).toMatchObject({
      Action: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention'],
      Resource: objects,
    });
    expect(statements.find((statement) => statement.Sid === 'RefuseOverwrites')).toMatchObject({
      Action: 's3:PutObject',
      Resource: objects,
      Condition: { Null: { 's3:if-none-match': 'true' } },
    });
  });

  it('streams new images of the ledger to the archive function, with partial batch retries and a dead-letter queue', () => {
    // Prepare
    const [functionId, fn] = only('AWS::Lambda::Function', 'LedgerArchive');
    const [, mapping] = only('AWS::Lambda::EventSourceMapping', 'LedgerArchive');
    const [queueId] = only('AWS::SQS::Queue', 'LedgerArchive');
    const [bucketId] = only('AWS::S3::Bucket', 'LedgerArchive');

    // Assess
    expect(propertiesOf(resources[ledgerId()]).StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(propertiesOf(mapping)).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [ledgerId(), 'StreamArn'] },
      FunctionName: { Ref: functionId },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 43_200,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    expect(propertiesOf(fn)).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: { Variables: { [ARCHIVE_BUCKET_VARIABLE]: { Ref: bucketId } } },
    });
  });

  it('lets the function put objects in the archive and nothing else there; no principal may delete or bypass', () => {
    // Prepare
    const [bucketId] = only('AWS::S3::Bucket', 'LedgerArchive');
    const [roleId] = only('AWS::IAM::Role', 'LedgerArchive');
    const archiverStatements = (archived?.statements ?? [])
      .filter(({ policy }) => (propertiesOf(resources[policy]).Roles as Json[]).some((role) => role.Ref === roleId))
      .map(({ statement }) => statement);
    const allows = (archived?.statements ?? []).filter(({ statement }) => statement.Effect === 'Allow');
    const touchesBucket = (statement: Statement) => JSON.stringify(statement.Resource).includes(bucketId);

    // Assess
    const s3Statements = archiverStatements.filter((statement) =>
      asArray(statement.Action).some((a) => a.startsWith('s3:')),
    );
    expect(s3Statements).toEqual([
      {
        Sid: 'ArchiveLedgerItems',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
      },
    ]);
    expect(
      archiverStatements
        .flatMap((statement) => asArray(statement.Action))
        .filter((a) => a.startsWith('dynamodb:'))
        .sort(),
    ).toEqual(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']);
    expect(allows.filter(({ statement }) => touchesBucket(statement)).map(({ statement }) => statement.Sid)).toEqual([
      'ArchiveLedgerItems',
    ]);
    for (const { statement } of allows) {
      const actions = asArray(statement.Action);
      expect(
        actions.filter((a) => /^s3:(Delete|BypassGovernance|PutObjectRetention|PutBucketObjectLock|\*)/.test(a)),
      ).toEqual([]);
    }
  });

  it('counts ledger items modified or removed and alarms on the first, and on failures, lag and the queue', () => {
    // Prepare
    const [logGroupId] = only('AWS::Logs::LogGroup', 'LedgerArchive');
    const [functionId] = only('AWS::Lambda::Function', 'LedgerArchive');
    const [queueId] = only('AWS::SQS::Queue', 'LedgerArchive');

    // Assess
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logGroupId },
      FilterPattern: `{ $.message = "${LEDGER_REWRITTEN_MESSAGE}" }`,
      MetricTransformations: [
        { MetricName: 'LedgerRewritten', MetricNamespace: 'Driftless/default', MetricValue: '1' },
      ],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'LedgerRewritten',
      Namespace: 'Driftless/default',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    for (const metricName of ['Errors', 'IteratorAge']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
    });
    template.hasOutput('LedgerArchiveBucketName', Match.objectLike({ Value: Match.anyValue() }));
  });

  it('exists only with the flag: without it the ledger has no stream and there is no bucket or archive function', () => {
    // Prepare
    const without = plain?.resources ?? {};
    const ledger = Object.values(without).find(
      (resource) =>
        resource.Type === 'AWS::DynamoDB::Table' &&
        JSON.stringify(propertiesOf(resource).KeySchema) === JSON.stringify(ledgerTableDefinition('x').KeySchema),
    );

    // Assess
    expect(propertiesOf(ledger)).not.toHaveProperty('StreamSpecification');
    expect(Object.keys(without).filter((id) => id.startsWith('LedgerArchive'))).toEqual([]);
    expect(idsOf('AWS::S3::Bucket', without)).toEqual([]);
  });

  it('has no unsuppressed cdk-nag AwsSolutions error or warning', () => {
    // Assess
    const findings = [
      ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ];
    expect(findings.map((finding) => `${finding.id}: ${String(finding.entry.data)}`)).toEqual([]);
  });
});

/** The template's values with the archive bucket's and the ledger table's logical ids replaced by concrete ARNs. */
function resolved(value: unknown, arns: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => resolved(item, arns));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Json;
  if ('Fn::GetAtt' in object) return arns[(object['Fn::GetAtt'] as string[])[0] as string] ?? 'arn:unresolved';
  if ('Ref' in object) return arns[object.Ref as string] ?? 'unresolved';
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolved(part, arns)).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, resolved(item, arns)]));
}

describe('the write paths to the ledger and its archive, simulated offline (iam-simulate)', () => {
  const ACCOUNT = '123456789012';
  const BUCKET_ARN = 'arn:aws:s3:::driftless-ledgerarchivebucket';
  const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/driftless-ledger`;
  const ADMIN = {
    name: 'admin',
    policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
  };

  async function decide(
    action: string,
    resource: string,
    identityPolicies: { name: string; policy: unknown }[],
    contextVariables: Record<string, string | string[]> = {},
    resourcePolicy?: unknown,
  ): Promise<string> {
    const result = await runSimulation(
      {
        request: {
          principal: `arn:aws:iam::${ACCOUNT}:role/someone`,
          action,
          resource: { resource, accountId: ACCOUNT },
          contextVariables: { 'aws:SecureTransport': 'true', ...contextVariables },
        },
        identityPolicies,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(resourcePolicy === undefined ? {} : { resourcePolicy }),
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
    return result.overallResult;
  }

  function arns(): Record<string, string> {
    const [bucketId] = only('AWS::S3::Bucket', 'LedgerArchive');
    return { [bucketId]: BUCKET_ARN, [ledgerId()]: TABLE_ARN };
  }

  it('lets the archiver put with If-None-Match, and refuses deletes, lock bypass and blind overwrites even to an administrator', async () => {
    // Prepare
    const [roleId] = only('AWS::IAM::Role', 'LedgerArchive');
    const [, bucketPolicy] = only('AWS::S3::BucketPolicy', 'LedgerArchive');
    const bucketDocument = resolved(propertiesOf(bucketPolicy).PolicyDocument, arns());
    const archiver = Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy')
      .filter(([, resource]) => (propertiesOf(resource).Roles as Json[]).some((role) => role.Ref === roleId))
      .map(([name, resource]) => ({ name, policy: resolved(propertiesOf(resource).PolicyDocument, arns()) }));
    const object = `${BUCKET_ARN}/entries/RESOURCE%23EcsService%3Aprod%2Fweb/x/1.json`;
    const conditional = { 's3:if-none-match': '*' };

    // Act
    const decisions = {
      archiverPut: await decide('s3:PutObject', object, archiver, conditional, bucketDocument),
      archiverBlindPut: await decide('s3:PutObject', object, archiver, {}, bucketDocument),
      archiverDelete: await decide('s3:DeleteObject', object, archiver, {}, bucketDocument),
      archiverRead: await decide('s3:GetObject', object, archiver, {}, bucketDocument),
      adminDelete: await decide('s3:DeleteObject', object, [ADMIN], {}, bucketDocument),
      adminDeleteVersion: await decide('s3:DeleteObjectVersion', object, [ADMIN], {}, bucketDocument),
      adminBypass: await decide('s3:BypassGovernanceRetention', object, [ADMIN], {}, bucketDocument),
      adminBlindPut: await decide('s3:PutObject', object, [ADMIN], {}, bucketDocument),
    };

    // Assess
    expect(decisions).toEqual({
      archiverPut: 'Allowed',
      archiverBlindPut: 'ExplicitlyDenied',
      archiverDelete: 'ExplicitlyDenied',
      archiverRead: 'ImplicitlyDenied',
      adminDelete: 'ExplicitlyDenied',
      adminDeleteVersion: 'ExplicitlyDenied',
      adminBypass: 'ExplicitlyDenied',
      adminBlindPut: 'ExplicitlyDenied',
    });
  });

  it("lets the break-glass policy put a chained pause and its link, never an unchained entry nor a run's outcome", async () => {
    // Prepare
    const [, managed] = Object.entries(resources).find(
      ([id, resource]) => resource.Type === 'AWS::IAM::ManagedPolicy' && id.includes('PausePolicy'),
    ) as [string, Json];
    const pausePolicy = [{ name: 'pause', policy: resolved(propertiesOf(managed).PolicyDocument, arns()) }];
    const pause = breakGlassEntry({
      kind: 'pause',
      entryId: '20260301T100000000Z-00112233445566778899',
      repository: 'platform-config',
      branch: 'main',
      commitId: 'c1',
      resourceId: 'EcsService:prod/web',
      by: 'arn:aws:sts::123456789012:assumed-role/OnCall/ana',
      reason: 'INC-7',
      now: Date.parse('2026-03-01T10:00:00.000Z'),
      durationMs: 3_600_000,
    });
    const unchained = toItem(pause, pause.time);
    const { entry, link } = chainAfter(unchained, EMPTY_CHAIN);
    const outcome = chainAfter({ ...unchained, result: { S: 'succeeded' } }, EMPTY_CHAIN).entry;
    const put = (item: Record<string, unknown>) =>
      decide('dynamodb:PutItem', TABLE_ARN, pausePolicy, {
        'dynamodb:Attributes': Object.keys(item),
        'dynamodb:LeadingKeys': ['RESOURCE#EcsService:prod/web'],
      });

    // Act
    const decisions = {
      chainedPause: await put(entry),
      itsLink: await put(link),
      unchainedPause: await put(unchained),
      chainedOutcome: await put(outcome),
    };

    // Assess
    expect(decisions).toEqual({
      chainedPause: 'Allowed',
      itsLink: 'Allowed',
      unchainedPause: 'ImplicitlyDenied',
      chainedOutcome: 'ImplicitlyDenied',
    });
  });
});
