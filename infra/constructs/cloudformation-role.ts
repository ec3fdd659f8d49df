/**
 * The CloudFormation service role the managed stacks run with, when the deployment brings none of its own.
 *
 * CloudFormation, not driftless, creates the stacks' resources, and a stack may declare almost anything, so this role
 * is necessarily broad. What bounds it:
 * - only CloudFormation can assume it, and only driftless may pass it (iam:PassRole conditioned on
 *   iam:PassedToService = cloudformation.amazonaws.com), and driftless uses it only for stacks named with the prefix;
 * - it starts from the AWS managed PowerUserAccess policy: no IAM users, roles or policies (so a stack cannot raise
 *   its own privileges); roles a stack needs must already exist and match the allowed role ARN patterns;
 * - it is denied any write to driftless's own audit trail: the ledger table and the functions' log groups.
 * Installations that need IAM resources in their stacks, or a narrower role, pass `cloudFormationRoleArn` instead.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface CloudFormationServiceRoleProps {
  /** Role ARN patterns stack resources (ECS tasks, Lambda functions, rules, state machines) may be given. */
  readonly roleArnPatterns: readonly string[];
  /** DynamoDB tables no stack may write to or delete (the ledger, the lock). */
  readonly protectedTableArns: readonly string[];
  /** Log groups no stack may write to, delete or shorten the retention of. */
  readonly protectedLogGroups: readonly logs.ILogGroup[];
  /**
   * The permissions stacks are created with.
   * @default the AWS managed policy PowerUserAccess
   */
  readonly managedPolicies?: readonly iam.IManagedPolicy[];
}

/** Services a role created outside the stack may be handed to by a stack resource. */
const ROLE_CONSUMERS = [
  'ecs-tasks.amazonaws.com',
  'lambda.amazonaws.com',
  'events.amazonaws.com',
  'states.amazonaws.com',
] as const;

export class CloudFormationServiceRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: CloudFormationServiceRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      description: 'driftless: CloudFormation service role for the stacks driftless manages',
      managedPolicies: [...(props.managedPolicies ?? [iam.ManagedPolicy.fromAwsManagedPolicyName('PowerUserAccess')])],
    });
    if (props.roleArnPatterns.length > 0) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'PassAllowedRolesToStackResources',
          actions: ['iam:PassRole'],
          resources: [...props.roleArnPatterns],
          conditions: { StringEquals: { 'iam:PassedToService': [...ROLE_CONSUMERS] } },
        }),
      );
    }
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ProtectLedger',
        effect: iam.Effect.DENY,
        actions: [
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:PartiQLInsert',
          'dynamodb:PartiQLUpdate',
          'dynamodb:PartiQLDelete',
          'dynamodb:DeleteTable',
          'dynamodb:UpdateTable',
          'dynamodb:UpdateTimeToLive',
          'dynamodb:UpdateContinuousBackups',
          'dynamodb:DeleteBackup',
          'dynamodb:PutResourcePolicy',
          'dynamodb:DeleteResourcePolicy',
        ],
        resources: props.protectedTableArns.flatMap((arn) => [arn, `${arn}/*`]),
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ProtectFunctionLogs',
        effect: iam.Effect.DENY,
        actions: [
          'logs:DeleteLogGroup',
          'logs:DeleteLogStream',
          'logs:PutRetentionPolicy',
          'logs:DeleteRetentionPolicy',
          'logs:PutLogEvents',
          'logs:DeleteMetricFilter',
          'logs:PutMetricFilter',
          'logs:AssociateKmsKey',
          'logs:DisassociateKmsKey',
        ],
        // The group's own ARN, and the `:*` form that also covers its streams.
        resources: props.protectedLogGroups.flatMap((group) => [
          Stack.of(this).formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: group.logGroupName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
          group.logGroupArn,
        ]),
      }),
    );
    NagSuppressions.addResourceSuppressions(
      this.role,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'CloudFormation creates whatever resources the managed stacks declare, so the role is broad by nature; ' +
            'PowerUserAccess excludes IAM administration, driftless alone may pass the role, only for stacks with the ' +
            'configured prefix, and cloudFormationRoleArn replaces it with a narrower role.',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/PowerUserAccess'],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Role ARN patterns are the deployment-configured allowlist (each passable only to the listed services); ' +
            'the Deny statements cover the ledger indexes and the functions’ log streams.',
        },
      ],
      true,
    );
  }
}
