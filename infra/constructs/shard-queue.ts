/** The queue a fanned-out sweep sends its shards to (functions/sweep.ts), read by the sweep-shard worker
 * (functions/sweep-shard.ts): encrypted, TLS-only, a visibility timeout six times the worker's timeout (what Lambda
 * asks of an SQS event source, so a message is not delivered again while a worker still runs it), and a dead-letter
 * queue, with its alarm, for a shard the worker failed on three receives. */
import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.ts';

/** Receives of one shard message before it goes to the dead-letter queue. */
export const SHARD_MAX_RECEIVE_COUNT = 3;

export interface ShardQueueProps {
  /** The worker's timeout: the visibility timeout is six times it. */
  readonly workerTimeout: Duration;
  /**
   * Notified when the dead-letter queue alarm fires.
   * @default no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

export class ShardQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: ShardQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: `the dead-letter queue of sweep shards the worker failed on ${SHARD_MAX_RECEIVE_COUNT} receives`,
      ...(props.alarmAction ? { alarmAction: props.alarmAction } : {}),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.workerTimeout.toSeconds() * 6),
      // A shard message older than a day is many sweeps old (every sweep sends its shards again); a day still
      // leaves room for all its receives (three visibility timeouts) before it reaches the dead-letter queue.
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: this.deadLetterQueue.queue, maxReceiveCount: SHARD_MAX_RECEIVE_COUNT },
    });
  }
}
