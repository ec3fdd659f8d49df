/** One EventBridge rule invoking one driftless function, with a retry policy and a dead-letter queue (and its alarm)
 * on the target, so an event EventBridge cannot deliver is kept and announced rather than dropped. The rules of an
 * installation share one such queue (each message's RULE_ARN attribute names its rule): one alarm, not one per rule. */
import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.ts';

export interface TriggerRuleProps {
  readonly description: string;
  /** Which events start the function; exactly one of eventPattern and schedule. */
  readonly eventPattern?: events.EventPattern;
  /** When the function runs; exactly one of eventPattern and schedule. */
  readonly schedule?: events.Schedule;
  readonly target: lambda.IFunction;
  /**
   * Delivery attempts EventBridge makes again when invoking the function fails (0 to 185).
   * @default 8
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps trying to deliver an event (60 seconds to 24 hours).
   * @default Duration.hours(2)
   */
  readonly maxEventAge?: Duration;
  /**
   * Notified when the dead-letter queue alarm fires.
   * @default no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
  /**
   * Where undeliverable events go, shared with other rules.
   * @default a queue (and alarm) of the rule's own
   */
  readonly deadLetterQueue?: DeadLetterQueue;
}

export class TriggerRule extends Construct {
  readonly rule: events.Rule;
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: TriggerRuleProps) {
    super(scope, id);
    if ((props.eventPattern === undefined) === (props.schedule === undefined)) {
      throw new Error(`${this.node.path}: give exactly one of eventPattern and schedule`);
    }
    this.deadLetterQueue =
      props.deadLetterQueue ??
      new DeadLetterQueue(this, 'DeadLetters', {
        purpose: `the dead-letter queue of the rule "${props.description}"`,
        ...(props.alarmAction ? { alarmAction: props.alarmAction } : {}),
      });
    this.rule = new events.Rule(this, 'Rule', {
      description: `driftless: ${props.description}`,
      ...(props.eventPattern ? { eventPattern: props.eventPattern } : {}),
      ...(props.schedule ? { schedule: props.schedule } : {}),
    });
    this.rule.addTarget(
      new targets.LambdaFunction(props.target, {
        deadLetterQueue: this.deadLetterQueue.queue,
        retryAttempts: props.retryAttempts ?? 8,
        maxEventAge: props.maxEventAge ?? Duration.hours(2),
      }),
    );
  }
}
