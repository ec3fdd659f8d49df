/** The function alarms and, opt-in, the dashboard: an error alarm for each function whose failures no alarmed queue
 * keeps, and with `dashboard` the ledger metrics counted from the ledger log lines (metric filters), Lambda's own
 * metrics for duration and errors, and the depth of every dead-letter queue. */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FAILURE_RESULTS } from '../../shared/audit/dynamodb.ts';
import { LEDGER_LOG_MESSAGE } from '../../shared/audit/log.ts';

export interface MonitoredFunction {
  /** Short name for widgets and alarms, e.g. `push`. */
  readonly name: string;
  readonly function: lambda.IFunction;
  readonly logGroup: logs.ILogGroup;
  /**
   * Whether the events this function fails on end in a dead-letter queue that has its own alarm (the failed-invocations
   * queue, or the redrive queue of its SQS source): then that alarm already says so, once per event given up on.
   * @default false
   */
  readonly failuresQueued?: boolean;
}

export interface MonitoredQueue {
  readonly name: string;
  readonly queue: sqs.IQueue;
}

export interface MonitoringProps {
  readonly functions: readonly MonitoredFunction[];
  readonly deadLetterQueues: readonly MonitoredQueue[];
  /** CloudWatch namespace of the metrics counted from the ledger lines. */
  readonly metricNamespace: string;
  readonly dashboardName: string;
  /**
   * Create the dashboard and the ledger metrics it graphs. Off by default: the dashboard costs $3/month beyond an
   * account's three free ones, and each ledger metric $0.30/month for the hours it has data; the saved queries answer
   * the same questions at no fixed cost.
   * @default false
   */
  readonly dashboard?: boolean;
  /**
   * Notified when a function alarm fires.
   * @default no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
  /**
   * Aggregation period of the dashboard graphs.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

const ledgerLine = logs.FilterPattern.stringValue('$.message', '=', LEDGER_LOG_MESSAGE);
const completedWrite = [
  ledgerLine,
  logs.FilterPattern.stringValue('$.ledger.kind', '=', 'outcome'),
  logs.FilterPattern.stringValue('$.ledger.result', '=', 'succeeded'),
  logs.FilterPattern.exists('$.ledger.action'),
];

/** Metrics counted from ledger lines: name → the lines that count. */
export const LEDGER_METRICS = {
  Runs: logs.FilterPattern.all(ledgerLine, logs.FilterPattern.stringValue('$.ledger.kind', '=', 'run')),
  FailedRuns: logs.FilterPattern.all(
    ledgerLine,
    logs.FilterPattern.stringValue('$.ledger.kind', '=', 'run'),
    logs.FilterPattern.stringValue('$.ledger.result', '=', 'failed'),
  ),
  Changes: logs.FilterPattern.all(...completedWrite),
  DriftReverted: logs.FilterPattern.all(
    ...completedWrite,
    logs.FilterPattern.any(
      logs.FilterPattern.stringValue('$.ledger.trigger', '=', 'schedule'),
      logs.FilterPattern.stringValue('$.ledger.trigger', '=', 'manual-change'),
    ),
  ),
  Failures: logs.FilterPattern.all(
    ledgerLine,
    logs.FilterPattern.any(
      ...[...FAILURE_RESULTS].sort().map((result) => logs.FilterPattern.stringValue('$.ledger.result', '=', result)),
    ),
  ),
} as const;

export type LedgerMetricName = keyof typeof LEDGER_METRICS;

export class Monitoring extends Construct {
  readonly dashboard?: cloudwatch.Dashboard;
  readonly errorAlarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);

    // An alarm costs $0.10/month: a failure is alarmed once, by the queue that keeps it or else by the function's errors.
    for (const fn of props.functions.filter((monitored) => !monitored.failuresQueued)) {
      const alarm = new cloudwatch.Alarm(this, `${fn.name}-errors`, {
        alarmDescription: `driftless: the ${fn.name} function failed (an error or a timeout). See its log group and the ledger's failures query.`,
        metric: fn.function.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (props.alarmAction) alarm.addAlarmAction(props.alarmAction);
      this.errorAlarms.push(alarm);
    }
    if (!props.dashboard) return;

    // A metric filter belongs to one log group; each function's group feeds the same metrics.
    for (const fn of props.functions) {
      for (const [metricName, filterPattern] of Object.entries(LEDGER_METRICS)) {
        new logs.MetricFilter(this, `${fn.name}-${metricName}`, {
          logGroup: fn.logGroup,
          metricNamespace: props.metricNamespace,
          metricName,
          filterPattern,
          metricValue: '1',
          unit: cloudwatch.Unit.COUNT,
        });
      }
    }
    const ledgerMetric = (metricName: LedgerMetricName, label: string) =>
      new cloudwatch.Metric({
        namespace: props.metricNamespace,
        metricName,
        statistic: cloudwatch.Stats.SUM,
        period,
        label,
      });

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(1),
    });
    const width = 8;
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Runs',
        width,
        left: [ledgerMetric('Runs', 'runs'), ledgerMetric('FailedRuns', 'failed runs')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Changes and drift reverted',
        width,
        left: [ledgerMetric('Changes', 'completed writes'), ledgerMetric('DriftReverted', 'drift reverted')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Failures (failed, refused, rolled back)',
        width,
        left: [ledgerMetric('Failures', 'failures')],
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Duration (max)',
        width,
        left: props.functions.map((fn) =>
          fn.function.metricDuration({ period, statistic: cloudwatch.Stats.MAXIMUM, label: fn.name }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Errors and throttles',
        width,
        left: props.functions.map((fn) =>
          fn.function.metricErrors({ period, statistic: cloudwatch.Stats.SUM, label: `${fn.name} errors` }),
        ),
        right: props.functions.map((fn) =>
          fn.function.metricThrottles({ period, statistic: cloudwatch.Stats.SUM, label: `${fn.name} throttles` }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth',
        width,
        left: props.deadLetterQueues.map((dlq) =>
          dlq.queue.metricApproximateNumberOfMessagesVisible({
            period,
            statistic: cloudwatch.Stats.MAXIMUM,
            label: dlq.name,
          }),
        ),
      }),
    );
    this.dashboard = dashboard;
  }
}
