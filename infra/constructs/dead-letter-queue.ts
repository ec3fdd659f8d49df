/** A queue that holds events driftless could not deliver or process, encrypted, TLS-only, with an alarm as soon as
 * one message is in it: an event in a dead-letter queue is a push, sweep or outcome that did not happen. */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  /** What the queue collects, for the alarm description. */
  readonly purpose: string;
  /**
   * How long a message is kept for inspection and redrive.
   * @default Duration.days(14) (the SQS maximum)
   */
  readonly retentionPeriod?: Duration;
  /**
   * Notified when the alarm fires.
   * @default no action (the alarm is on the dashboard)
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

export class DeadLetterQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
    });
    NagSuppressions.addResourceSuppressions(this.queue, [
      {
        id: 'AwsSolutions-SQS3',
        reason: `This queue is itself a dead-letter queue (${props.purpose}); cdk-nag only recognizes queues named in another queue's redrive policy.`,
      },
    ]);
    this.alarm = new cloudwatch.Alarm(this, 'NotEmpty', {
      alarmDescription: `driftless: ${props.purpose} has messages. Each one is an event that was not handled; inspect and redrive it.`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmAction) this.alarm.addAlarmAction(props.alarmAction);
  }
}
