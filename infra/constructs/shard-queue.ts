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

export interface WorkQueueProps extends ShardQueueProps {
  /** What the dead-letter queue holds, for its description and alarm. */
  readonly purpose: string;
  readonly maxReceiveCount: number;
}

/** A worker's queue and its alarmed dead-letter queue, made in `scope` as 'Queue' and 'DeadLetters'. Messages live a
 * day: a day-old sweep shard is many sweeps old and a day-old webhook delivery long applied by the sweep, and a day
 * still leaves room for every receive before the dead-letter queue. */
export function workQueue(
  scope: Construct,
  props: WorkQueueProps,
): { readonly queue: sqs.Queue; readonly deadLetterQueue: DeadLetterQueue } {
  const deadLetterQueue = new DeadLetterQueue(scope, 'DeadLetters', {
    purpose: props.purpose,
    ...(props.alarmAction ? { alarmAction: props.alarmAction } : {}),
  });
  const queue = new sqs.Queue(scope, 'Queue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: Duration.seconds(props.workerTimeout.toSeconds() * 6),
    retentionPeriod: Duration.days(1),
    deadLetterQueue: { queue: deadLetterQueue.queue, maxReceiveCount: props.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}

export class ShardQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: ShardQueueProps) {
    super(scope, id);
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workQueue(this, {
      ...props,
      purpose: `the dead-letter queue of sweep shards the worker failed on ${SHARD_MAX_RECEIVE_COUNT} receives`,
      maxReceiveCount: SHARD_MAX_RECEIVE_COUNT,
    }));
  }
}
