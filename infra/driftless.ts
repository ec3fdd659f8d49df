/** One driftless installation as a construct a team adds to its own CDK stack (infra/driftless-stack.ts wraps it as
 * the ready stack): the ledger and lock tables, the functions with their triggers, least-privilege roles, the
 * CloudFormation service role, saved queries and alarms (with `dashboard`, the dashboard); with `sweepShardSize` above
 * 0, also the shard queue and the sweep-shard worker a fanned-out sweep uses; with `archiveLedger`, the write-once
 * ledger archive (infra/constructs/ledger-archive.ts); with a GitHub or GitLab `source`, the webhook receiver, its
 * queue and the webhook worker (infra/constructs/webhook.ts) instead of CodeCommit's push and pull-request functions
 * and rules. Everything is derived from the validated settings (infra/context.ts: the same keys as the CDK context);
 * nothing is looked up in the account, so synthesis works offline. */
import { CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ENVIRONMENT } from '../functions/environment.ts';
import type { FunctionName } from './bundling.ts';
import { AuditTables } from './constructs/audit-tables.ts';
import { CloudFormationServiceRole } from './constructs/cloudformation-role.ts';
import { DeadLetterQueue } from './constructs/dead-letter-queue.ts';
import { LedgerArchive } from './constructs/ledger-archive.ts';
import { LedgerQueries } from './constructs/ledger-queries.ts';
import { ManualChangeTrail } from './constructs/manual-change-trail.ts';
import { type MonitoredFunction, Monitoring } from './constructs/monitoring.ts';
import { DriftlessPermissions } from './constructs/permissions.ts';
import { ReconcilerFunction } from './constructs/reconciler-function.ts';
import { ShardQueue } from './constructs/shard-queue.ts';
import type { TriggerRule } from './constructs/trigger-rule.ts';
import { DriftlessTriggers, type TriggerName } from './constructs/triggers.ts';
import { grantReadSecrets, hostSecretArns, WebhookReceiver } from './constructs/webhook.ts';
import { type DriftlessContext, type DriftlessContextInput, parseContext } from './context.ts';
import {
  FUNCTION_PLANS,
  failuresQueued,
  functionId,
  type Grant,
  reservation,
  WEBHOOK_WORKERS,
} from './function-plans.ts';

/** The installation's settings: the keys and values of the CDK context (infra/README.md), validated when the
 * construct is created; a bad value throws ContextError naming the key. Lists may be arrays or comma lists. */
export type DriftlessProps = DriftlessContextInput;

/** The functions every installation has; the sweep-shard worker exists only with fan-out, push and pull-request only
 * with CodeCommit, the webhook worker only with GitHub or GitLab. */
type SometimesDeployed = 'sweep-shard' | 'push' | 'pull-request' | 'webhook-worker';
export type DriftlessFunctions = Record<Exclude<FunctionName, SometimesDeployed>, ReconcilerFunction> &
  Partial<Record<SometimesDeployed, ReconcilerFunction>>;

/** The grants that are CodeCommit permissions; with GitHub or GitLab, the host's secret is read instead. */
const REPOSITORY_GRANTS: readonly Grant[] = ['readRepository', 'comment', 'proposeChanges'];

export class Driftless extends Construct {
  /** The validated settings, defaults filled in. */
  readonly settings: DriftlessContext;
  readonly tables: AuditTables;
  readonly functions: DriftlessFunctions;
  /** The queue of a fanned-out sweep's shards; absent without fan-out. */
  readonly shardQueue?: ShardQueue;
  readonly triggers: Partial<Record<TriggerName, TriggerRule>>;
  /** The webhook receiver, its URL and queue; only with a GitHub or GitLab source. */
  readonly webhook?: WebhookReceiver;
  /** The trail that makes CloudTrail deliver API calls to EventBridge; only with createTrail. */
  readonly trail?: cloudtrail.Trail;
  readonly permissions: DriftlessPermissions;
  readonly cloudFormationRoleArn: string;
  /** The CloudFormation service role driftless created; absent when the deployment brings its own. */
  readonly cloudFormationRole?: CloudFormationServiceRole;
  /** The break-glass permission: a managed policy allowing driftless pause, resume and status. */
  readonly pausePolicy: iam.ManagedPolicy;
  /** The write-once copy of the ledger; only with archiveLedger. */
  readonly ledgerArchive?: LedgerArchive;

  constructor(scope: Construct, id: string, props: DriftlessProps) {
    super(scope, id);
    const settings = parseContext(props);
    this.settings = settings;
    const fanOut = settings.sweepShardSize > 0;
    const codeCommit = settings.source === 'codecommit';
    const alarmAction: cloudwatch.IAlarmAction | undefined = settings.alarmTopicArn
      ? new cloudwatchActions.SnsAction(sns.Topic.fromTopicArn(this, 'AlarmTopic', settings.alarmTopicArn))
      : undefined;

    let repositoryArn = Stack.of(this).formatArn({ service: 'codecommit', resource: settings.repository });
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

    this.tables = new AuditTables(this, 'Tables', { ledgerStream: settings.archiveLedger });
    if (settings.archiveLedger) {
      this.ledgerArchive = new LedgerArchive(this, 'LedgerArchive', {
        ledgerTable: this.tables.ledgerTable,
        retentionYears: settings.archiveRetentionYears,
        metricNamespace: `Driftless/${settings.installationId}`,
        logRetention: settings.logRetentionDays as logs.RetentionDays,
        ...(alarmAction ? { alarmAction } : {}),
      });
      new CfnOutput(this, 'LedgerArchiveBucketName', {
        description: `Every ledger item, locked in compliance mode for ${settings.archiveRetentionYears} years`,
        value: this.ledgerArchive.bucket.bucketName,
      });
    }

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
      // Unset reads as an empty list: stacks may declare no type, references may read no stack outside the prefix.
      ...listVariable(ENVIRONMENT.allowedResourceTypes, settings.allowedResourceTypes),
      ...listVariable(ENVIRONMENT.readStacks, settings.readStacks),
      [ENVIRONMENT.selfHeal]: String(settings.selfHeal),
      [ENVIRONMENT.prune]: String(settings.prune),
      ...hostVariables(settings),
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
        .filter(([, plan]) => plan.sources === undefined || plan.sources.includes(settings.source))
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

    const webhookWorker = this.functions['webhook-worker'];
    if (webhookWorker && settings.webhookSecretArn) {
      this.webhook = new WebhookReceiver(this, 'Webhook', {
        environment,
        webhookSecretArn: settings.webhookSecretArn,
        lockTable: this.tables.lockTable,
        worker: webhookWorker.function,
        workerTimeout: FUNCTION_PLANS['webhook-worker'].timeout,
        workers: WEBHOOK_WORKERS,
        hostName: settings.source === 'github' ? 'GitHub App webhook' : 'GitLab project hook',
        logRetention: settings.logRetentionDays as logs.RetentionDays,
        reserveConcurrency: settings.reserveConcurrency,
        ...(alarmAction ? { alarmAction } : {}),
      });
    }

    if (settings.cloudFormationRoleArn) {
      this.cloudFormationRoleArn = settings.cloudFormationRoleArn;
    } else {
      this.cloudFormationRole = new CloudFormationServiceRole(this, 'CloudFormationRole', {
        allowedResourceTypes: settings.allowedResourceTypes,
        stackNamePrefix: settings.stackNamePrefix,
        allowedClusters: settings.allowedClusters,
        installationId: settings.installationId,
        roleArnPatterns: settings.roleArnPatterns,
        protectedTableArns: [this.tables.ledgerTable.tableArn, this.tables.lockTable.tableArn],
        protectedLogGroups: [
          ...allFunctions.map(([, fn]) => fn.logGroup),
          ...(this.webhook ? [this.webhook.receiver.logGroup] : []),
        ],
        ...(settings.permissionsBoundaryArn ? { permissionsBoundaryArn: settings.permissionsBoundaryArn } : {}),
        boundaryPolicyName: `${settings.stackName}-stack-roles-boundary`,
      });
      this.cloudFormationRoleArn = this.cloudFormationRole.role.roleArn;
      const boundary = this.cloudFormationRole.permissionsBoundaryArn;
      if (boundary) {
        new CfnOutput(this, 'StackRolesBoundaryArn', {
          description: 'The permissions boundary every IAM role or user a managed stack creates must carry',
          value: boundary,
        });
      }
    }

    // Stacks whose declaration names no service role are deployed with this one, never with the functions' own.
    for (const [, fn] of allFunctions) {
      fn.function.addEnvironment(ENVIRONMENT.cloudFormationRoleArn, this.cloudFormationRoleArn);
    }

    this.permissions = new DriftlessPermissions(this, 'Permissions', {
      allowedClusters: settings.allowedClusters,
      stackNamePrefix: settings.stackNamePrefix,
      readStacks: settings.readStacks,
      prune: settings.prune,
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
    for (const [name, fn] of allFunctions)
      grantPlan(this.permissions, fn.function, FUNCTION_PLANS[name].grants, settings);
    // The functions that take the run lease are the only principals that may touch the lock table's items.
    // The webhook receiver writes delivery items only (its own policy's dynamodb:LeadingKeys).
    this.tables.protectLock([
      ...allFunctions.filter(([name]) => FUNCTION_PLANS[name].grants.includes('lease')).map(([, fn]) => fn.role),
      ...(this.webhook ? [this.webhook.receiver.role] : []),
    ]);

    // The manual-change function ignores calls made by driftless itself: its functions' roles and the CloudFormation
    // service role it deploys stacks with. Without this list it would answer its own writes (it refuses to start).
    this.functions['manual-change'].function.addEnvironment(
      ENVIRONMENT.ownRoleArns,
      [...allFunctions.map(([, fn]) => fn.role.roleArn), this.cloudFormationRoleArn].join(','),
    );

    this.triggers = new DriftlessTriggers(this, 'Triggers', {
      repository: settings.repository,
      repositoryArn,
      branch: settings.branch,
      sweepRate: settings.sweepRate,
      allowedClusters: settings.allowedClusters,
      stackNamePrefix: settings.stackNamePrefix,
      targets: {
        ...(this.functions.push ? { push: this.functions.push.function } : {}),
        ...(this.functions['pull-request'] ? { pullRequest: this.functions['pull-request'].function } : {}),
        sweep: this.functions.sweep.function,
        deploymentOutcome: this.functions['deployment-outcome'].function,
        manualChange: this.functions['manual-change'].function,
      },
      ...(alarmAction ? { alarmAction } : {}),
    }).rules;
    if (settings.createTrail) {
      this.trail = new ManualChangeTrail(this, 'Trail', { retentionDays: settings.trailRetentionDays }).trail;
    }

    const logGroups = allFunctions.map(([, fn]) => fn.logGroup);
    new LedgerQueries(this, 'Queries', {
      logGroups,
      namePrefix: settings.installationId === 'default' ? 'driftless/' : `driftless/${settings.installationId}/`,
    });
    new Monitoring(this, 'Monitoring', {
      functions: [
        ...allFunctions.map(([name, fn]) => monitored(name, fn)),
        ...(this.webhook
          ? [{ name: 'webhook', function: this.webhook.receiver.function, logGroup: this.webhook.receiver.logGroup }]
          : []),
      ],
      deadLetterQueues: [
        ...[...new Set(Object.values(this.triggers).map((trigger) => trigger?.deadLetterQueue.queue))].flatMap(
          (queue) => (queue ? [{ name: 'undelivered events', queue }] : []),
        ),
        { name: 'failed invocations', queue: failedInvocations.queue },
        ...(this.shardQueue ? [{ name: 'sweep shards', queue: this.shardQueue.deadLetterQueue.queue }] : []),
        ...(this.webhook ? [{ name: 'webhook deliveries', queue: this.webhook.deadLetterQueue.queue }] : []),
        ...(this.ledgerArchive ? [{ name: 'ledger archive', queue: this.ledgerArchive.deadLetterQueue.queue }] : []),
      ],
      metricNamespace: `Driftless/${settings.installationId}`,
      dashboardName: settings.stackName,
      dashboard: settings.dashboard,
      ...(alarmAction ? { alarmAction } : {}),
    });

    new CfnOutput(this, 'LedgerTableName', { value: this.tables.ledgerTable.tableName });
    new CfnOutput(this, 'LockTableName', { value: this.tables.lockTable.tableName });
    new CfnOutput(this, 'CloudFormationRoleArn', {
      description:
        'The CloudFormation service role stacks are deployed with (unless a declaration names its own spec.roleArn)',
      value: this.cloudFormationRoleArn,
    });
    if (codeCommit) new CfnOutput(this, 'RepositoryArn', { value: repositoryArn });
    this.pausePolicy = this.permissions.createPausePolicy(`${settings.stackName}-pause`);
    new CfnOutput(this, 'PausePolicyArn', {
      description:
        'Who may break glass: attach this managed policy to the people or roles allowed to run driftless pause/resume',
      value: this.pausePolicy.managedPolicyArn,
    });

    this.suppressFunctionFindings(allFunctions.map(([, fn]) => fn));
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
              'Wildcards are the scope itself, each documented in infra/constructs/permissions.ts and each call ' +
              'proven against them offline (test/infra/iam-proof.test.ts): services in the allowed clusters ' +
              '(service/<cluster>/*), stacks with the prefix (stack/<prefix>*/*) or named in readStacks ' +
              '(stack/<name>/*), the ledger indexes, new task definition revisions, the configured role ARN patterns, ' +
              'branches named driftless/*, and "*" only for actions that define no resource type ' +
              '(DescribeTaskDefinition; with pruning on, ListServices conditioned on ecs:cluster and ListStacks) and ' +
              'RegisterTaskDefinition conditioned on the managed-by request tag; the log group ARN ends in :*.',
          },
        ],
        true,
      );
    }
  }
}

/** A function's grants; with GitHub or GitLab, the host's secret instead of the CodeCommit permissions. */
function grantPlan(
  permissions: DriftlessPermissions,
  grantee: iam.IGrantable,
  grants: readonly Grant[],
  settings: DriftlessContext,
): void {
  const codeCommit = settings.source === 'codecommit';
  if (!codeCommit && grants.some((grant) => REPOSITORY_GRANTS.includes(grant))) {
    grantReadSecrets(grantee, hostSecretArns(settings), 'ReadRepositoryHostSecret');
  }
  for (const grant of grants) {
    if (!codeCommit && REPOSITORY_GRANTS.includes(grant)) continue;
    if (grant === 'readTargets') permissions.grantReadTargets(grantee);
    else if (grant === 'describeServices') permissions.grantDescribeServices(grantee);
    else if (grant === 'readRollouts') permissions.grantReadRollouts(grantee);
    else if (grant === 'writeTargets') permissions.grantWriteTargets(grantee);
    else if (grant === 'readRepository') permissions.grantReadRepository(grantee);
    else if (grant === 'comment') permissions.grantCommentOnPullRequests(grantee);
    else if (grant === 'proposeChanges') permissions.grantProposeChanges(grantee);
    else if (grant === 'ledger') permissions.grantAppendLedger(grantee);
    else if (grant === 'lease') permissions.grantLease(grantee);
    else if (grant === 'queryLedger') permissions.grantQueryLedger(grantee);
    else permissions.grantPublishEvents(grantee);
  }
}

/** The source's variables: none for CodeCommit (the default), the host's settings for GitHub and GitLab. */
function hostVariables(settings: DriftlessContext): Record<string, string> {
  if (settings.source === 'github') {
    return {
      [ENVIRONMENT.source]: 'github',
      [ENVIRONMENT.githubAppId]: settings.githubAppId ?? '',
      [ENVIRONMENT.githubPrivateKeySecretArn]: settings.githubAppPrivateKeySecretArn ?? '',
      ...(settings.githubApiUrl ? { [ENVIRONMENT.githubApiUrl]: settings.githubApiUrl } : {}),
    };
  }
  if (settings.source === 'gitlab') {
    return {
      [ENVIRONMENT.source]: 'gitlab',
      [ENVIRONMENT.gitlabUrl]: settings.gitlabUrl ?? 'https://gitlab.com',
      [ENVIRONMENT.gitlabTokenSecretArn]: settings.gitlabTokenSecretArn ?? '',
    };
  }
  return {};
}

/** A comma-separated list variable, left out when the list is empty (the function reads unset as empty). */
function listVariable(name: string, items: readonly string[]): Record<string, string> {
  return items.length > 0 ? { [name]: items.join(',') } : {};
}

/** A function as the monitoring sees it: an error alarm only when no alarmed queue keeps its failed events. */
function monitored(name: FunctionName, fn: ReconcilerFunction): MonitoredFunction {
  return { name, function: fn.function, logGroup: fn.logGroup, failuresQueued: failuresQueued(FUNCTION_PLANS[name]) };
}
