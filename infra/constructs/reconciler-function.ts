/** One driftless Lambda function: the handler in functions/<name>.ts bundled with the shared esbuild options, its own
 * role (no managed policy: it may write to its own log group and nothing else until granted more), an explicit log
 * group with retention, and an async invocation config whose discarded events land in a queue. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as lambdaNodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ENVIRONMENT, type SourceHost } from '../../functions/environment.ts';
import { type BundledFunctionName, functionEntry, nodejsBundling, REPOSITORY_ROOT } from '../bundling.ts';

export interface ReconcilerFunctionProps {
  /** Which handler: functions/<name>.ts, exporting `handler`. */
  readonly name: BundledFunctionName;
  readonly description: string;
  /** The longest a run may take; the lease and the token buckets assume it is bounded. */
  readonly timeout: Duration;
  /**
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * At most this many concurrent executions; throttled asynchronous events wait in Lambda's queue.
   * @default no reservation (the account's unreserved pool)
   */
  readonly reservedConcurrentExecutions?: number;
  /** Environment variables: the contract in functions/environment.ts plus Powertools settings. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * The Git host the code is bundled for: the other hosts' adapters and SDK clients are left out.
   * @default the environment's source (ENVIRONMENT.source), else codecommit
   */
  readonly host?: SourceHost;
  /**
   * Log retention.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Attempts Lambda makes again after a failed asynchronous invocation (0 to 2).
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * How long Lambda keeps an asynchronous event (including while throttled) before discarding it.
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
  /**
   * Where events Lambda gives up on are sent (with the request and the error), so none is lost silently.
   * @default none
   */
  readonly failedInvocationQueue?: sqs.IQueue;
}

export class ReconcilerFunction extends Construct {
  readonly function: lambdaNodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ReconcilerFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      // The log lines are the searchable copy of the ledger: they outlive the stack like the ledger does.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `driftless ${props.name} function`,
    });
    // The log group exists (above), so the function needs no logs:CreateLogGroup and no managed policy.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new lambdaNodejs.NodejsFunction(this, 'Function', {
      entry: functionEntry(props.name),
      handler: 'handler',
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: `${REPOSITORY_ROOT}/package-lock.json`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...props.environment },
      bundling: nodejsBundling(props.name, props.host ?? hostOf(props.environment)),
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
      ...(props.failedInvocationQueue
        ? { onFailure: new destinations.SqsDestination(props.failedInvocationQueue) }
        : {}),
    });
    NagSuppressions.addResourceSuppressions(this.function, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'nodejs22.x is chosen on purpose: it is the Node major the code is built, bundled (target node22) and ' +
          'tested for (engines >=20.19; vitest 4 and the lockfile pin Node-20/22-compatible majors), and Lambda ' +
          'supports it until 2027. Moving to nodejs24.x is a deliberate upgrade with its own test run.',
      },
    ]);
  }
}

function hostOf(environment: Readonly<Record<string, string>>): SourceHost {
  const source = environment[ENVIRONMENT.source];
  return source === 'github' || source === 'gitlab' ? source : 'codecommit';
}
