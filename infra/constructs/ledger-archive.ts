/**
 * The ledger archive (deployment flag archiveLedger): an S3 bucket with Object Lock in compliance mode for
 * `retentionYears`, and the function that copies every item of the ledger table's stream into it
 * (functions/ledger-archive.ts), with the dead-letter queue and alarms the other triggers have, plus one for a ledger
 * item modified or removed (which driftless never does). Compliance mode cannot be shortened or lifted by anyone,
 * the account's root user included, until each object's retention ends: turning the flag on is a commitment.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ARCHIVE_BUCKET_VARIABLE, LEDGER_REWRITTEN_MESSAGE } from '../../shared/audit/archive.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { ReconcilerFunction } from './reconciler-function.ts';

export interface LedgerArchiveProps {
  /** The ledger table; it must have a stream with view type NEW_IMAGE (AuditTables with ledgerStream). */
  readonly ledgerTable: dynamodb.ITable;
  /** Years each archived item is locked for, in compliance mode. */
  readonly retentionYears: number;
  /** CloudWatch namespace of the LedgerRewritten metric. */
  readonly metricNamespace: string;
  /**
   * Log retention of the function.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Notified when an alarm fires.
   * @default no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

/** Actions refused on the archive's objects to every principal: deleting (a delete marker hides an entry from
 * listings even while its version is locked) and bypassing a lock (compliance mode ignores it; governance would not). */
export const REFUSED_ARCHIVE_ACTIONS = ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention'];

/** Stream records are kept 24 hours: a record older than this goes to the dead-letter queue while it can still be
 * read from the stream by the position the queue message names. */
const MAX_RECORD_AGE = Duration.hours(12);

export class LedgerArchive extends Construct {
  readonly bucket: s3.Bucket;
  readonly function: ReconcilerFunction;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: LedgerArchiveProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      versioned: true,
      objectLockEnabled: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // In years, not days: "7 years" stays 7 years across leap days.
    (this.bucket.node.defaultChild as s3.CfnBucket).objectLockConfiguration = {
      objectLockEnabled: 'Enabled',
      rule: { defaultRetention: { mode: 'COMPLIANCE', years: props.retentionYears } },
    };
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'RefuseDeletesAndLockBypass',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: REFUSED_ARCHIVE_ACTIONS,
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        // Every put must say If-None-Match: an archived object is never followed by a second version.
        sid: 'RefuseOverwrites',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );
    // The refusals outlive the flag: turning archiveLedger off keeps the bucket, and its policy with it.
    this.bucket.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);
    NagSuppressions.addResourceSuppressions(this.bucket, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'The archive is written by one function, whose invocations and failures are logged and alarmed; deletes ' +
          'are refused to everyone and every object is locked in compliance mode. Server access logs would need a ' +
          'second bucket; object-level access can be recorded with CloudTrail data events where an audit requires it.',
      },
    ]);

    this.deadLetterQueue = new DeadLetterQueue(this, 'FailedRecords', {
      purpose: 'the queue of ledger stream batches the archive gave up on (each message names the stream position)',
      ...(props.alarmAction ? { alarmAction: props.alarmAction } : {}),
    });
    this.function = new ReconcilerFunction(this, 'Archiver', {
      name: 'ledger-archive',
      description: 'driftless: copies every ledger item from the table stream to the write-once archive bucket',
      timeout: Duration.minutes(1),
      memorySize: 256,
      environment: {
        [ARCHIVE_BUCKET_VARIABLE]: this.bucket.bucketName,
        POWERTOOLS_SERVICE_NAME: 'driftless',
        LOG_LEVEL: 'INFO',
      },
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      // Invoked by the stream's event source mapping, never asynchronously.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
    });
    this.function.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ArchiveLedgerItems',
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    this.function.function.addEventSource(
      new lambdaEventSources.DynamoEventSource(props.ledgerTable, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: MAX_RECORD_AGE,
        reportBatchItemFailures: true,
        onFailure: new lambdaEventSources.SqsDlq(this.deadLetterQueue.queue),
      }),
    );
    NagSuppressions.addResourceSuppressions(
      this.function.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'The objects of the archive bucket (<bucket>/*, PutObject only: object keys are derived from ledger keys), ' +
            'dynamodb:ListStreams on "*" (it defines no resource type), and the log group ARN ending in :*.',
        },
      ],
      true,
    );

    this.alarmOn(
      'Rewritten',
      new logs.MetricFilter(this, 'RewrittenFilter', {
        logGroup: this.function.logGroup,
        metricNamespace: props.metricNamespace,
        metricName: 'LedgerRewritten',
        filterPattern: logs.FilterPattern.stringValue('$.message', '=', LEDGER_REWRITTEN_MESSAGE),
        metricValue: '1',
        unit: cloudwatch.Unit.COUNT,
      }).metric({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
      1,
      'driftless: a ledger item was modified or removed, which driftless never does. The change is archived under ' +
        `rewrites/ in ${this.bucket.bucketName}; run driftless audit --verify and find who called DynamoDB.`,
      props.alarmAction,
    );
    this.alarmOn(
      'Errors',
      this.function.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      1,
      'driftless: the ledger archive function failed; its records are retried from the stream, then dead-lettered.',
      props.alarmAction,
    );
    this.alarmOn(
      'Behind',
      this.function.function.metric('IteratorAge', {
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      Duration.hours(1).toMilliseconds(),
      `driftless: the ledger archive is over an hour behind the table (${stack.stackName}); the stream keeps records 24 hours.`,
      props.alarmAction,
    );
  }

  private alarmOn(
    id: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    alarmDescription: string,
    action: cloudwatch.IAlarmAction | undefined,
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription,
      metric,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (action) alarm.addAlarmAction(action);
    this.alarms.push(alarm);
  }
}
