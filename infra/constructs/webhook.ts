/** What a GitHub or GitLab source adds to an installation: the webhook receiver (a function behind a public function
 * URL: the signature or token it checks is the authentication), the queue it hands deliveries to with its dead-letter
 * queue and alarm, the webhook worker's event source on it, the receiver's three grants (its secret, the lock table's
 * delivery items, the queue) and the `WebhookUrl` output. */
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENVIRONMENT } from '../../functions/environment.ts';
import { DELIVERY_KEY_PREFIX } from '../../shared/triggers/webhook-deliveries.ts';
import type { DeadLetterQueue } from './dead-letter-queue.ts';
import { ReconcilerFunction } from './reconciler-function.ts';
import { workQueue } from './shard-queue.ts';

/** Receives of one webhook message before it goes to the dead-letter queue. */
export const WEBHOOK_MAX_RECEIVE_COUNT = 3;
/** The most receivers running at once: a flood of unsigned requests cannot take the account's concurrency from the
 * functions that reconcile. GitHub and GitLab deliver one event at a time per hook, far below it. */
export const RECEIVER_CONCURRENCY = 10;

export interface WebhookReceiverProps {
  /** The functions' shared environment; the receiver adds its secret and queue. */
  readonly environment: Readonly<Record<string, string>>;
  /** The GitHub webhook secret or GitLab secret token. */
  readonly webhookSecretArn: string;
  /** Where delivery items are recorded (DELIVERY#…). */
  readonly lockTable: dynamodb.ITable;
  /** The webhook worker, which reads the queue. */
  readonly worker: lambda.IFunction;
  /** The worker's timeout: the queue's visibility timeout is six times it. */
  readonly workerTimeout: Duration;
  /** How many workers run at once (the event source's maximum concurrency). */
  readonly workers: number;
  /** What the URL is pasted into, for the output's description. */
  readonly hostName: string;
  readonly logRetention: logs.RetentionDays;
  /** Reserve RECEIVER_CONCURRENCY executions for the receiver. */
  readonly reserveConcurrency: boolean;
  /**
   * Notified when the dead-letter queue alarm fires.
   * @default no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

export class WebhookReceiver extends Construct {
  readonly receiver: ReconcilerFunction;
  readonly url: lambda.FunctionUrl;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: WebhookReceiverProps) {
    super(scope, id);
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workQueue(this, {
      workerTimeout: props.workerTimeout,
      purpose: `the dead-letter queue of webhook deliveries the worker failed on ${WEBHOOK_MAX_RECEIVE_COUNT} receives`,
      maxReceiveCount: WEBHOOK_MAX_RECEIVE_COUNT,
      ...(props.alarmAction ? { alarmAction: props.alarmAction } : {}),
    }));

    this.receiver = new ReconcilerFunction(this, 'Receiver', {
      name: 'webhook',
      description: 'driftless: checks GitHub and GitLab webhook deliveries and queues them for the webhook worker',
      // GitHub waits 10 s for an answer; the receiver only checks, records and queues.
      timeout: Duration.seconds(10),
      environment: {
        ...props.environment,
        [ENVIRONMENT.webhookSecretArn]: props.webhookSecretArn,
        [ENVIRONMENT.webhookQueueUrl]: this.queue.queueUrl,
      },
      logRetention: props.logRetention,
      ...(props.reserveConcurrency ? { reservedConcurrentExecutions: RECEIVER_CONCURRENCY } : {}),
    });
    this.url = this.receiver.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    props.worker.addEventSource(
      new lambdaEventSources.SqsEventSource(this.queue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: props.workers,
      }),
    );
    // At the stack's top level, so the output is named WebhookUrl.
    new CfnOutput(Stack.of(this), 'WebhookUrl', {
      description: `The payload URL of the ${props.hostName}`,
      value: this.url.url,
    });

    const role = this.receiver.role;
    grantReadSecrets(role, [props.webhookSecretArn], 'ReadWebhookSecret');
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // Only delivery items: not a lease, not a branch's applied commit (dynamodb:LeadingKeys is the item's pk).
        sid: 'RecordWebhookDeliveries',
        actions: ['dynamodb:PutItem'],
        resources: [props.lockTable.tableArn],
        // ForAllValues holds for a request without the key: Null makes the key required (the IAM proof checks it).
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${DELIVERY_KEY_PREFIX}*`] },
          Null: { 'dynamodb:LeadingKeys': 'false' },
        },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'QueueWebhookDeliveries',
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
      }),
    );
  }
}

/** GetSecretValue on exactly these secrets (full ARNs: no wildcard), nothing else of Secrets Manager. */
export function grantReadSecrets(grantee: iam.IGrantable, secretArns: readonly string[], sid: string): void {
  if (secretArns.length === 0) return;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid, actions: ['secretsmanager:GetSecretValue'], resources: [...secretArns] }),
  );
}

/** The secrets a host's adapters read: the GitHub App's key or the GitLab token. */
export function hostSecretArns(settings: {
  readonly source: string;
  readonly githubAppPrivateKeySecretArn?: string;
  readonly gitlabTokenSecretArn?: string;
}): string[] {
  if (settings.source === 'github')
    return settings.githubAppPrivateKeySecretArn ? [settings.githubAppPrivateKeySecretArn] : [];
  if (settings.source === 'gitlab') return settings.gitlabTokenSecretArn ? [settings.gitlabTokenSecretArn] : [];
  return [];
}
