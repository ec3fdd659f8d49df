/** The EventBridge rules that start the driftless functions: a push to the tracked branch, a pull request into it,
 * the sweep schedule, ECS deployment and CloudFormation stack status changes, and manual changes to services and
 * stacks as CloudTrail delivers them; each a TriggerRule with its retry policy and dead-letter queue. */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  AWS_API_CALL_VIA_CLOUDTRAIL,
  ECS_MANUAL_CHANGE_CALLS,
  STACK_MANUAL_CHANGE_CALLS,
} from '../../shared/triggers/manual-change.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { TriggerRule } from './trigger-rule.ts';

export type TriggerName =
  | 'push'
  | 'pullRequest'
  | 'sweep'
  | 'ecsDeployment'
  | 'stackStatus'
  | 'manualChangeEcs'
  | 'manualChangeStacks';

/** The function each kind of event starts. */
export interface TriggerTargets {
  /** CodeCommit pushes; absent for GitHub and GitLab, whose pushes arrive as webhooks. */
  readonly push?: lambda.IFunction;
  /** CodeCommit pull requests; absent for GitHub and GitLab. */
  readonly pullRequest?: lambda.IFunction;
  readonly sweep: lambda.IFunction;
  /** Started by ECS deployment and CloudFormation stack status changes. */
  readonly deploymentOutcome: lambda.IFunction;
  /** Started by manual changes to services and stacks. */
  readonly manualChange: lambda.IFunction;
}

export interface DriftlessTriggersProps {
  /** The configuration repository's name, for the rule descriptions. */
  readonly repository: string;
  /** The configuration repository, whose pushes and pull requests are matched. */
  readonly repositoryArn: string;
  /** The tracked branch. */
  readonly branch: string;
  /** When the drift sweep runs: an EventBridge schedule expression. */
  readonly sweepRate: string;
  /** ECS clusters whose services' deployments and manual changes are matched. */
  readonly allowedClusters: readonly string[];
  /** Stacks whose status changes and manual changes are matched are named with this prefix. */
  readonly stackNamePrefix: string;
  readonly targets: TriggerTargets;
  /**
   * Notified when a rule's dead-letter queue alarm fires.
   * @default no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

export class DriftlessTriggers extends Construct {
  readonly rules: Partial<Record<TriggerName, TriggerRule>>;

  constructor(scope: Construct, id: string, props: DriftlessTriggersProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // The rules are created beside this construct, in its scope, not beneath it: their logical IDs stay the ones
    // installations deployed before the construct existed (a new ID would replace each rule and its queue).
    // Every alarm costs $0.10/month, and a rule's queue only fills when EventBridge cannot invoke the function at all.
    const deadLetterQueue = new DeadLetterQueue(scope, 'UndeliveredEvents', {
      purpose:
        "the dead-letter queue of driftless's EventBridge rules (each message's RULE_ARN attribute names its rule)",
      ...(props.alarmAction ? { alarmAction: props.alarmAction } : {}),
    });
    const undelivered = { deadLetterQueue };
    const { push, pullRequest } = props.targets;
    this.rules = {
      ...(push ? { push: codeCommitPushRule(scope, props, push, undelivered) } : {}),
      ...(pullRequest ? { pullRequest: codeCommitPullRequestRule(scope, props, pullRequest, undelivered) } : {}),
      sweep: new TriggerRule(scope, 'SweepSchedule', {
        description: `drift sweep ${props.sweepRate}`,
        schedule: events.Schedule.expression(props.sweepRate),
        target: props.targets.sweep,
        // A sweep that cannot be delivered is superseded by the next one.
        retryAttempts: 2,
        maxEventAge: Duration.minutes(5),
        ...undelivered,
      }),
      ecsDeployment: new TriggerRule(scope, 'EcsDeploymentTrigger', {
        description: `ECS deployment state changes of services in ${props.allowedClusters.join(', ')}`,
        eventPattern: {
          source: ['aws.ecs'],
          detailType: ['ECS Deployment State Change'],
          // Service ARNs in the long format: arn:…:ecs:<region>:<account>:service/<cluster>/<service>.
          resources: events.Match.anyOf(
            ...props.allowedClusters.map((cluster) =>
              events.Match.prefix(
                stack.formatArn({ service: 'ecs', resource: 'service', resourceName: `${cluster}/` }),
              ),
            ),
          ),
        },
        target: props.targets.deploymentOutcome,
        ...undelivered,
      }),
      stackStatus: new TriggerRule(scope, 'StackStatusTrigger', {
        description: `CloudFormation status changes of stacks named ${props.stackNamePrefix}*`,
        eventPattern: {
          source: ['aws.cloudformation'],
          detailType: ['CloudFormation Stack Status Change'],
          detail: {
            'stack-id': events.Match.prefix(
              stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: props.stackNamePrefix }),
            ),
          },
        },
        target: props.targets.deploymentOutcome,
        ...undelivered,
      }),
      // Manual changes: successful write calls on services and stacks, as CloudTrail delivers them (a trail must be
      // logging in the account: createTrail makes one). Which resource, and whether the caller is driftless itself,
      // is decided by the function: a rule cannot match a cluster given by name, by ARN or not at all.
      manualChangeEcs: new TriggerRule(scope, 'ManualChangeEcsTrigger', {
        description: `manual changes to ECS services in ${props.allowedClusters.join(', ')} (CloudTrail)`,
        eventPattern: {
          source: ['aws.ecs'],
          detailType: [AWS_API_CALL_VIA_CLOUDTRAIL],
          detail: {
            eventSource: ['ecs.amazonaws.com'],
            eventName: [...ECS_MANUAL_CHANGE_CALLS],
            errorCode: events.Match.doesNotExist(),
          },
        },
        target: props.targets.manualChange,
        ...undelivered,
      }),
      manualChangeStacks: new TriggerRule(scope, 'ManualChangeStacksTrigger', {
        description: `manual changes to CloudFormation stacks named ${props.stackNamePrefix}* (CloudTrail)`,
        eventPattern: {
          source: ['aws.cloudformation'],
          detailType: [AWS_API_CALL_VIA_CLOUDTRAIL],
          detail: {
            eventSource: ['cloudformation.amazonaws.com'],
            eventName: [...STACK_MANUAL_CHANGE_CALLS],
            errorCode: events.Match.doesNotExist(),
          },
        },
        target: props.targets.manualChange,
        ...undelivered,
      }),
    };
  }
}

/** A CodeCommit push to the tracked branch. */
function codeCommitPushRule(
  scope: Construct,
  props: DriftlessTriggersProps,
  target: lambda.IFunction,
  undelivered: { deadLetterQueue: DeadLetterQueue },
): TriggerRule {
  return new TriggerRule(scope, 'PushTrigger', {
    description: `push to ${props.branch} of ${props.repository}`,
    eventPattern: {
      source: ['aws.codecommit'],
      detailType: ['CodeCommit Repository State Change'],
      resources: [props.repositoryArn],
      detail: {
        event: ['referenceCreated', 'referenceUpdated'],
        referenceType: ['branch'],
        referenceName: [props.branch],
      },
    },
    target,
    ...undelivered,
  });
}

/** A CodeCommit pull request into the tracked branch, opened or updated. */
function codeCommitPullRequestRule(
  scope: Construct,
  props: DriftlessTriggersProps,
  target: lambda.IFunction,
  undelivered: { deadLetterQueue: DeadLetterQueue },
): TriggerRule {
  return new TriggerRule(scope, 'PullRequestTrigger', {
    description: `pull request into ${props.branch} of ${props.repository} opened or updated`,
    eventPattern: {
      source: ['aws.codecommit'],
      detailType: ['CodeCommit Pull Request State Change'],
      resources: [props.repositoryArn],
      detail: {
        event: ['pullRequestCreated', 'pullRequestSourceBranchUpdated'],
        destinationReference: [`refs/heads/${props.branch}`],
      },
    },
    target,
    ...undelivered,
  });
}
