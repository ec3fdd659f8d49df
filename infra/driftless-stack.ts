/** One driftless installation: the ledger and lock tables, the four functions with their triggers, least-privilege
 * roles, the CloudFormation service role, saved queries, dashboard and alarms; with `sweepShardSize` above 0, also
 * the shard queue and the sweep-shard worker a fanned-out sweep uses. Everything is derived from the validated
 * context (infra/context.ts); nothing is looked up in the account, so `cdk synth` works offline. */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { ENVIRONMENT } from '../functions/environment.ts';
import {
  AWS_API_CALL_VIA_CLOUDTRAIL,
  ECS_MANUAL_CHANGE_CALLS,
  STACK_MANUAL_CHANGE_CALLS,
} from '../shared/triggers/manual-change.ts';
import type { FunctionName } from './bundling.ts';
import { AuditTables } from './constructs/audit-tables.ts';
import { CloudFormationServiceRole } from './constructs/cloudformation-role.ts';
import { DeadLetterQueue } from './constructs/dead-letter-queue.ts';
import { LedgerQueries } from './constructs/ledger-queries.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { DriftlessPermissions } from './constructs/permissions.ts';
import { ReconcilerFunction } from './constructs/reconciler-function.ts';
import { ShardQueue } from './constructs/shard-queue.ts';
import { TriggerRule } from './constructs/trigger-rule.ts';
import type { DriftlessContext } from './context.ts';

export interface DriftlessStackProps extends StackProps {
  /** The installation's validated settings. */
  readonly settings: DriftlessContext;
}

type Grant =
  | 'readTargets'
  | 'describeServices'
  | 'writeTargets'
  | 'readRepository'
  | 'comment'
  | 'proposeChanges'
  | 'ledger'
  | 'lease'
  | 'publishEvents'
  | 'queryLedger';

interface FunctionPlan {
  readonly description: string;
  readonly timeout: Duration;
  /** Serialize runs of this function (see the constructor). */
  readonly serialize: boolean;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
  /** Whether events Lambda gives up on go to the failed-invocations queue. */
  readonly keepFailedEvents: boolean;
  readonly grants: readonly Grant[];
  /** Created only when the sweep fans out (sweepShardSize above 0). */
  readonly fanOutOnly?: boolean;
}

/** The functions every installation has; the sweep-shard worker exists only with fan-out. */
type AlwaysDeployed = Exclude<FunctionName, 'sweep-shard'>;
export type DriftlessFunctions = Record<AlwaysDeployed, ReconcilerFunction> &
  Partial<Record<'sweep-shard', ReconcilerFunction>>;

const FUNCTION_PLANS: Record<FunctionName, FunctionPlan> = {
  push: {
    description: 'driftless: reconciles the tracked branch after a push',
    timeout: Duration.minutes(5),
    serialize: true,
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
    keepFailedEvents: true,
    grants: ['readTargets', 'writeTargets', 'readRepository', 'ledger', 'lease', 'publishEvents'],
  },
  'manual-change': {
    description: 'driftless: reconciles a managed resource seconds after a manual change (CloudTrail write calls)',
    timeout: Duration.minutes(5),
    // One at a time: a burst of changes to one resource is taken in order and answered by one run (the others are
    // coalesced), and the write token buckets stay per process.
    serialize: true,
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
    keepFailedEvents: true,
    // What a sweep does, for the changed resource; proposes a pull request when its drift policy is adopt.
    grants: ['readTargets', 'writeTargets', 'readRepository', 'ledger', 'lease', 'publishEvents', 'proposeChanges'],
  },
  sweep: {
    description: 'driftless: scheduled full reconcile (drift sweep and self-heal)',
    timeout: Duration.minutes(5),
    serialize: true,
    // The next scheduled sweep is the retry; a sweep left waiting longer than a few intervals is obsolete.
    retryAttempts: 0,
    maxEventAge: Duration.minutes(15),
    keepFailedEvents: false,
    // proposeChanges: drift policy adopt opens a pull request with the live values.
    grants: ['readTargets', 'writeTargets', 'readRepository', 'ledger', 'lease', 'publishEvents', 'proposeChanges'],
  },
  'pull-request': {
    description: 'driftless: plans a pull request and comments the plan on it',
    timeout: Duration.minutes(2),
    serialize: false,
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
    keepFailedEvents: true,
    // Plans only: reads the source commit and live state, writes nothing but its comment (no lease, and of the
    // ledger only Query: the comment shows the active pauses of the resources in the plan).
    grants: ['readTargets', 'readRepository', 'comment', 'queryLedger'],
  },
  'deployment-outcome': {
    description: 'driftless: records the final result of ECS deployments and CloudFormation stack operations',
    // Two minutes: a rollback's write-back reads the repository at two commits before it opens the pull request.
    timeout: Duration.minutes(2),
    serialize: false,
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
    keepFailedEvents: true,
    // Reads the service's rollback configuration, finds the deployment's origin in the ledger and records its end; a
    // rollback is written back to Git as a pull request (reads the repository, proposes, never merges).
    grants: ['describeServices', 'readRepository', 'proposeChanges', 'ledger', 'publishEvents'],
  },
  'sweep-shard': {
    description: 'driftless: reconciles one shard of a fanned-out drift sweep (from the shard queue)',
    // Lambda's longest: a shard is sized (sweepShardSize) to fit in it.
    timeout: Duration.minutes(15),
    // Bounded by sweepWorkers instead (see the constructor).
    serialize: false,
    // Invoked by the SQS event source, never asynchronously: SQS delivers a failed shard again, then dead-letters it.
    retryAttempts: 0,
    maxEventAge: Duration.minutes(15),
    keepFailedEvents: false,
    // What the sweep does, for its shard.
    grants: ['readTargets', 'writeTargets', 'readRepository', 'ledger', 'lease', 'publishEvents', 'proposeChanges'],
    fanOutOnly: true,
  },
};

export class DriftlessStack extends Stack {
  readonly tables: AuditTables;
  readonly functions: DriftlessFunctions;
  /** The queue of a fanned-out sweep's shards; absent without fan-out. */
  readonly shardQueue?: ShardQueue;
  readonly triggers: Record<
    'push' | 'pullRequest' | 'sweep' | 'ecsDeployment' | 'stackStatus' | 'manualChangeEcs' | 'manualChangeStacks',
    TriggerRule
  >;
  /** The trail that makes CloudTrail deliver API calls to EventBridge; only with createTrail. */
  readonly trail?: cloudtrail.Trail;
  readonly permissions: DriftlessPermissions;
  readonly cloudFormationRoleArn: string;
  /** The break-glass permission: a managed policy allowing driftless pause, resume and status. */
  readonly pausePolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: DriftlessStackProps) {
    super(scope, id, props);
    const settings = props.settings;
    const fanOut = settings.sweepShardSize > 0;
    const alarmAction: cloudwatch.IAlarmAction | undefined = settings.alarmTopicArn
      ? new cloudwatchActions.SnsAction(sns.Topic.fromTopicArn(this, 'AlarmTopic', settings.alarmTopicArn))
      : undefined;

    let repositoryArn = this.formatArn({ service: 'codecommit', resource: settings.repository });
    if (settings.createRepository) {
      const repository = new codecommit.Repository(this, 'ConfigurationRepository', {
        repositoryName: settings.repository,
        description: 'driftless: the declarations of ECS services and CloudFormation stacks (GitOps source)',
      });
      // The repository is the source of truth; deleting the stack must not delete it.
      repository.applyRemovalPolicy(RemovalPolicy.RETAIN);
      repositoryArn = repository.repositoryArn;
      new CfnOutput(this, 'RepositoryCloneUrlHttp', { value: repository.repositoryCloneUrlHttp });
    }

    this.tables = new AuditTables(this, 'Tables');

    const failedInvocations = new DeadLetterQueue(this, 'FailedInvocations', {
      purpose: 'the queue of events the push, pull-request and deployment-outcome functions gave up on',
      ...(alarmAction ? { alarmAction } : {}),
    });

    const environment: Record<string, string> = {
      [ENVIRONMENT.repository]: settings.repository,
      [ENVIRONMENT.branch]: settings.branch,
      ...(settings.pathPrefix === '' ? {} : { [ENVIRONMENT.pathPrefix]: settings.pathPrefix }),
      [ENVIRONMENT.installationId]: settings.installationId,
      [ENVIRONMENT.ledgerTable]: this.tables.ledgerTable.tableName,
      [ENVIRONMENT.lockTable]: this.tables.lockTable.tableName,
      [ENVIRONMENT.eventBus]: 'default',
      [ENVIRONMENT.allowedClusters]: settings.allowedClusters.join(','),
      [ENVIRONMENT.stackNamePrefix]: settings.stackNamePrefix,
      [ENVIRONMENT.selfHeal]: String(settings.selfHeal),
      [ENVIRONMENT.prune]: String(settings.prune),
      POWERTOOLS_SERVICE_NAME: 'driftless',
      LOG_LEVEL: 'INFO',
    };

    // Push and sweep run one at a time (reserved concurrency 1). The lease already makes overlapping runs safe, but
    // only serialization makes them cheap: a sweep slower than its interval would otherwise start sweeps that all
    // read every service and stack only to lose the lease race, and the write token buckets are per process, so one
    // process per function is what keeps driftless under the published ECS rate limits. Queued events wait in
    // Lambda's async queue; each run reconciles to the branch HEAD it reads, so the queue converges on the newest
    // commit. Disable with -c reserveConcurrency=false in accounts too small to reserve any concurrency.
    //
    // The sweep-shard worker instead runs up to sweepWorkers shards side by side, bounded twice: by the SQS event
    // source's maximum concurrency (so the poller never invokes more workers than may run, which would throttle
    // messages towards the dead-letter queue) and by a reservation of as many (unless reserveConcurrency=false).
    // More workers do not read faster: the ECS rate limits are per account and shared by every worker.
    this.functions = Object.fromEntries(
      Object.entries(FUNCTION_PLANS)
        .filter(([, plan]) => fanOut || !plan.fanOutOnly)
        .map(([name, plan]) => [
          name,
          new ReconcilerFunction(this, functionId(name as FunctionName), {
            name: name as FunctionName,
            description: plan.description,
            timeout: plan.timeout,
            environment,
            logRetention: settings.logRetentionDays as logs.RetentionDays,
            retryAttempts: plan.retryAttempts,
            maxEventAge: plan.maxEventAge,
            ...(settings.reserveConcurrency ? reservation(name as FunctionName, plan, settings.sweepWorkers) : {}),
            ...(plan.keepFailedEvents ? { failedInvocationQueue: failedInvocations.queue } : {}),
          }),
        ]),
    ) as DriftlessFunctions;
    const allFunctions = Object.entries(this.functions) as [FunctionName, ReconcilerFunction][];

    if (settings.cloudFormationRoleArn) {
      this.cloudFormationRoleArn = settings.cloudFormationRoleArn;
    } else {
      this.cloudFormationRoleArn = new CloudFormationServiceRole(this, 'CloudFormationRole', {
        roleArnPatterns: settings.roleArnPatterns,
        protectedTableArns: [this.tables.ledgerTable.tableArn],
        protectedLogGroups: allFunctions.map(([, fn]) => fn.logGroup),
      }).role.roleArn;
    }

    // Stacks whose declaration names no service role are deployed with this one, never with the functions' own.
    for (const [, fn] of allFunctions) {
      fn.function.addEnvironment(ENVIRONMENT.cloudFormationRoleArn, this.cloudFormationRoleArn);
    }

    this.permissions = new DriftlessPermissions(this, 'Permissions', {
      allowedClusters: settings.allowedClusters,
      stackNamePrefix: settings.stackNamePrefix,
      roleArnPatterns: settings.roleArnPatterns,
      cloudFormationRoleArn: this.cloudFormationRoleArn,
      installationId: settings.installationId,
      repositoryArn,
      ledgerTable: this.tables.ledgerTable,
      lockTable: this.tables.lockTable,
    });
    const worker = this.functions['sweep-shard'];
    if (worker) {
      // The sweep sends one message per shard (and one for the prune pass); the worker reconciles them.
      this.shardQueue = new ShardQueue(this, 'SweepShards', {
        workerTimeout: FUNCTION_PLANS['sweep-shard'].timeout,
        ...(alarmAction ? { alarmAction } : {}),
      });
      const sweep = this.functions.sweep.function;
      sweep.addEnvironment(ENVIRONMENT.sweepShardSize, String(settings.sweepShardSize));
      sweep.addEnvironment(ENVIRONMENT.shardQueueUrl, this.shardQueue.queue.queueUrl);
      this.permissions.grantSendSweepShards(sweep, this.shardQueue.queue);
      // The workers run side by side against one account-wide ECS read rate: each reads at its share.
      worker.function.addEnvironment(ENVIRONMENT.readShare, String(settings.sweepWorkers));
      worker.function.addEventSource(
        new lambdaEventSources.SqsEventSource(this.shardQueue.queue, {
          batchSize: 1,
          reportBatchItemFailures: true,
          maxConcurrency: settings.sweepWorkers,
        }),
      );
    }
    for (const [name, fn] of allFunctions) {
      const grantee = fn.function;
      for (const grant of FUNCTION_PLANS[name].grants) {
        if (grant === 'readTargets') this.permissions.grantReadTargets(grantee);
        else if (grant === 'describeServices') this.permissions.grantDescribeServices(grantee);
        else if (grant === 'writeTargets') this.permissions.grantWriteTargets(grantee);
        else if (grant === 'readRepository') this.permissions.grantReadRepository(grantee);
        else if (grant === 'comment') this.permissions.grantCommentOnPullRequests(grantee);
        else if (grant === 'proposeChanges') this.permissions.grantProposeChanges(grantee);
        else if (grant === 'ledger') this.permissions.grantAppendLedger(grantee);
        else if (grant === 'lease') this.permissions.grantLease(grantee);
        else if (grant === 'queryLedger') this.permissions.grantQueryLedger(grantee);
        else this.permissions.grantPublishEvents(grantee);
      }
    }

    // The manual-change function ignores calls made by driftless itself: its functions' roles and the CloudFormation
    // service role it deploys stacks with. Without this list it would answer its own writes (it refuses to start).
    this.functions['manual-change'].function.addEnvironment(
      ENVIRONMENT.ownRoleArns,
      [...allFunctions.map(([, fn]) => fn.role.roleArn), this.cloudFormationRoleArn].join(','),
    );

    const ruleAlarm = alarmAction ? { alarmAction } : {};
    this.triggers = {
      push: new TriggerRule(this, 'PushTrigger', {
        description: `push to ${settings.branch} of ${settings.repository}`,
        eventPattern: {
          source: ['aws.codecommit'],
          detailType: ['CodeCommit Repository State Change'],
          resources: [repositoryArn],
          detail: {
            event: ['referenceCreated', 'referenceUpdated'],
            referenceType: ['branch'],
            referenceName: [settings.branch],
          },
        },
        target: this.functions.push.function,
        ...ruleAlarm,
      }),
      pullRequest: new TriggerRule(this, 'PullRequestTrigger', {
        description: `pull request into ${settings.branch} of ${settings.repository} opened or updated`,
        eventPattern: {
          source: ['aws.codecommit'],
          detailType: ['CodeCommit Pull Request State Change'],
          resources: [repositoryArn],
          detail: {
            event: ['pullRequestCreated', 'pullRequestSourceBranchUpdated'],
            destinationReference: [`refs/heads/${settings.branch}`],
          },
        },
        target: this.functions['pull-request'].function,
        ...ruleAlarm,
      }),
      sweep: new TriggerRule(this, 'SweepSchedule', {
        description: `drift sweep ${settings.sweepRate}`,
        schedule: events.Schedule.expression(settings.sweepRate),
        target: this.functions.sweep.function,
        // A sweep that cannot be delivered is superseded by the next one.
        retryAttempts: 2,
        maxEventAge: Duration.minutes(5),
        ...ruleAlarm,
      }),
      ecsDeployment: new TriggerRule(this, 'EcsDeploymentTrigger', {
        description: `ECS deployment state changes of services in ${settings.allowedClusters.join(', ')}`,
        eventPattern: {
          source: ['aws.ecs'],
          detailType: ['ECS Deployment State Change'],
          // Service ARNs in the long format: arn:…:ecs:<region>:<account>:service/<cluster>/<service>.
          resources: events.Match.anyOf(
            ...settings.allowedClusters.map((cluster) =>
              events.Match.prefix(this.formatArn({ service: 'ecs', resource: 'service', resourceName: `${cluster}/` })),
            ),
          ),
        },
        target: this.functions['deployment-outcome'].function,
        ...ruleAlarm,
      }),
      stackStatus: new TriggerRule(this, 'StackStatusTrigger', {
        description: `CloudFormation status changes of stacks named ${settings.stackNamePrefix}*`,
        eventPattern: {
          source: ['aws.cloudformation'],
          detailType: ['CloudFormation Stack Status Change'],
          detail: {
            'stack-id': events.Match.prefix(
              this.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: settings.stackNamePrefix }),
            ),
          },
        },
        target: this.functions['deployment-outcome'].function,
        ...ruleAlarm,
      }),
      // Manual changes: successful write calls on services and stacks, as CloudTrail delivers them (a trail must be
      // logging in the account: createTrail makes one). Which resource, and whether the caller is driftless itself,
      // is decided by the function: a rule cannot match a cluster given by name, by ARN or not at all.
      manualChangeEcs: new TriggerRule(this, 'ManualChangeEcsTrigger', {
        description: `manual changes to ECS services in ${settings.allowedClusters.join(', ')} (CloudTrail)`,
        eventPattern: {
          source: ['aws.ecs'],
          detailType: [AWS_API_CALL_VIA_CLOUDTRAIL],
          detail: {
            eventSource: ['ecs.amazonaws.com'],
            eventName: [...ECS_MANUAL_CHANGE_CALLS],
            errorCode: events.Match.doesNotExist(),
          },
        },
        target: this.functions['manual-change'].function,
        ...ruleAlarm,
      }),
      manualChangeStacks: new TriggerRule(this, 'ManualChangeStacksTrigger', {
        description: `manual changes to CloudFormation stacks named ${settings.stackNamePrefix}* (CloudTrail)`,
        eventPattern: {
          source: ['aws.cloudformation'],
          detailType: [AWS_API_CALL_VIA_CLOUDTRAIL],
          detail: {
            eventSource: ['cloudformation.amazonaws.com'],
            eventName: [...STACK_MANUAL_CHANGE_CALLS],
            errorCode: events.Match.doesNotExist(),
          },
        },
        target: this.functions['manual-change'].function,
        ...ruleAlarm,
      }),
    };
    if (settings.createTrail) this.trail = this.createTrail(settings.trailRetentionDays);

    const logGroups = allFunctions.map(([, fn]) => fn.logGroup);
    new LedgerQueries(this, 'Queries', {
      logGroups,
      namePrefix: settings.installationId === 'default' ? 'driftless/' : `driftless/${settings.installationId}/`,
    });
    new Monitoring(this, 'Monitoring', {
      functions: allFunctions.map(([name, fn]) => ({ name, function: fn.function, logGroup: fn.logGroup })),
      deadLetterQueues: [
        ...Object.entries(this.triggers).map(([name, trigger]) => ({ name, queue: trigger.deadLetterQueue.queue })),
        { name: 'failed invocations', queue: failedInvocations.queue },
        ...(this.shardQueue ? [{ name: 'sweep shards', queue: this.shardQueue.deadLetterQueue.queue }] : []),
      ],
      metricNamespace: `Driftless/${settings.installationId}`,
      dashboardName: settings.stackName,
      ...(alarmAction ? { alarmAction } : {}),
    });

    new CfnOutput(this, 'LedgerTableName', { value: this.tables.ledgerTable.tableName });
    new CfnOutput(this, 'LockTableName', { value: this.tables.lockTable.tableName });
    new CfnOutput(this, 'CloudFormationRoleArn', {
      description:
        'The CloudFormation service role stacks are deployed with (unless a declaration names its own spec.roleArn)',
      value: this.cloudFormationRoleArn,
    });
    new CfnOutput(this, 'RepositoryArn', { value: repositoryArn });
    this.pausePolicy = this.permissions.createPausePolicy(`${settings.stackName}-pause`);
    new CfnOutput(this, 'PausePolicyArn', {
      description:
        'Who may break glass: attach this managed policy to the people or roles allowed to run driftless pause/resume',
      value: this.pausePolicy.managedPolicyArn,
    });

    this.suppressFunctionFindings(allFunctions.map(([, fn]) => fn));
  }

  /**
   * A single-region trail of write management events: what CloudTrail needs before it delivers "AWS API Call via
   * CloudTrail" events to EventBridge. Its log files go to an encrypted, private bucket that refuses plain HTTP and
   * forgets them after `retentionDays`; log file validation is on. An account that already has a trail needs none.
   */
  private createTrail(retentionDays: number): cloudtrail.Trail {
    const bucket = new s3.Bucket(this, 'TrailBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      lifecycleRules: [{ expiration: Duration.days(retentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    NagSuppressions.addResourceSuppressions(bucket, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'The bucket holds CloudTrail log files only (the trail exists so EventBridge receives API calls); access ' +
          'to it is itself recorded by CloudTrail management events, and server access logs would need a second bucket.',
      },
    ]);
    return new cloudtrail.Trail(this, 'ManualChangeTrail', {
      bucket,
      isMultiRegionTrail: false,
      includeGlobalServiceEvents: false,
      managementEvents: cloudtrail.ReadWriteType.WRITE_ONLY,
      enableFileValidation: true,
    });
  }

  /** Findings on the function roles that are deliberate; every other finding fails `cdk synth`. */
  private suppressFunctionFindings(functions: readonly ReconcilerFunction[]): void {
    for (const fn of functions) {
      NagSuppressions.addResourceSuppressions(
        fn.role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'Wildcards are the scope itself, each documented in infra/constructs/permissions.ts: services in the ' +
              'allowed clusters (service/<cluster>/*), stacks with the prefix (stack/<prefix>*/*), the ledger ' +
              'indexes, new task definition revisions, the configured role ARN patterns, and "*" only for actions ' +
              'that define no resource type (ListServices, DescribeTaskDefinition, DescribeStacks of all stacks, ' +
              'and RegisterTaskDefinition conditioned on the managed-by request tag); the log group ARN ends in :*.',
          },
        ],
        true,
      );
    }
  }
}

/** Push and sweep one at a time; the sweep-shard worker up to sweepWorkers at a time; the others unreserved. */
function reservation(
  name: FunctionName,
  plan: FunctionPlan,
  sweepWorkers: number,
): { reservedConcurrentExecutions?: number } {
  if (name === 'sweep-shard') return { reservedConcurrentExecutions: sweepWorkers };
  return plan.serialize ? { reservedConcurrentExecutions: 1 } : {};
}

function functionId(name: FunctionName): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
