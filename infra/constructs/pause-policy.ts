/**
 * "Who may pause is an IAM permission the stack defines": a managed policy, named `<stackName>-pause`, for the
 * people and roles that may break glass. It allows what `driftless pause`, `resume` and `status` need and no more:
 * - PutItem on the ledger, only for items whose partition key is a resource's (`RESOURCE#…`, dynamodb:LeadingKeys)
 *   and whose attributes are exactly those a pause or resume entry or its chain link has, always with a chain hash
 *   (dynamodb:Attributes; an unchained entry, from a driftless older than the chain, is refused): it can add entries
 *   of that shape, never update, delete, or write a run or an outcome (those carry summary, result, changes…);
 * - Query on the ledger and its indexes (status and the active pauses), never Scan;
 * - the reads `status` makes of the declared services (their rollouts included) and stacks, and of the stacks their
 *   references read.
 * DynamoDB condition keys cannot compare attribute values, so the kind (`pause`/`resume`) itself is not enforced
 * by IAM; every entry is attributed (changedBy) and append-only.
 */
import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { CHAIN } from '../../shared/audit/chain.ts';
import { breakGlassAttributes } from '../../shared/audit/dynamodb.ts';

export interface PausePolicyProps {
  readonly managedPolicyName: string;
  readonly ledgerTable: dynamodb.ITable;
  /** The services `status` may describe: service/<cluster>/* of each allowed cluster. */
  readonly serviceArns: readonly string[];
  /** Their rollouts `status` may describe: service-deployment/<cluster>/* of each allowed cluster. */
  readonly serviceDeploymentArns: readonly string[];
  /** The stacks `status` may describe: the prefixed ones and those readStacks lists. */
  readonly readableStackArns: readonly string[];
  /** The prefixed stacks, whose templates `status` reads. */
  readonly stackArn: string;
}

export class PausePolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: PausePolicyProps) {
    super(scope, id);
    const table = props.ledgerTable;
    // "Default": the policy keeps the logical id it had before this construct held it (no replacement on update).
    this.policy = new iam.ManagedPolicy(this, 'Default', {
      managedPolicyName: props.managedPolicyName,
      description:
        'driftless break-glass: pause and resume reconciliation of one resource (driftless pause/resume/status)',
      statements: [
        new iam.PolicyStatement({
          sid: 'AppendPauseEntries',
          actions: ['dynamodb:PutItem'],
          resources: [table.tableArn],
          conditions: {
            'ForAllValues:StringEquals': { 'dynamodb:Attributes': breakGlassAttributes() },
            'ForAnyValue:StringEquals': { 'dynamodb:Attributes': [CHAIN.hash] },
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RESOURCE#*'] },
            // ForAllValues holds for an empty set: the keys must be there for the two conditions to mean anything.
            Null: { 'dynamodb:Attributes': 'false', 'dynamodb:LeadingKeys': 'false' },
          },
        }),
        new iam.PolicyStatement({
          sid: 'QueryLedger',
          actions: ['dynamodb:Query'],
          resources: [table.tableArn, `${table.tableArn}/index/*`],
        }),
        new iam.PolicyStatement({
          sid: 'ReadTargetsForStatus',
          actions: ['ecs:DescribeServices'],
          resources: [...props.serviceArns],
        }),
        new iam.PolicyStatement({
          // Each service's current rollout: its newest service deployment, then that deployment.
          sid: 'ReadRolloutsForStatus',
          actions: ['ecs:ListServiceDeployments'],
          resources: [...props.serviceArns],
        }),
        new iam.PolicyStatement({
          sid: 'DescribeRolloutsForStatus',
          actions: ['ecs:DescribeServiceDeployments'],
          resources: [...props.serviceDeploymentArns],
        }),
        new iam.PolicyStatement({
          // No resource type in the service authorization reference: "*" is the only resource it accepts.
          sid: 'ReadTaskDefinitionsForStatus',
          actions: ['ecs:DescribeTaskDefinition'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'ReadStacksForStatus',
          actions: ['cloudformation:DescribeStacks'],
          resources: [...props.readableStackArns],
        }),
        new iam.PolicyStatement({
          sid: 'ReadTemplatesForStatus',
          actions: ['cloudformation:GetTemplate'],
          resources: [props.stackArn],
        }),
      ],
    });
    NagSuppressions.addResourceSuppressions(this.policy, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Wildcards are the scope itself: the ledger indexes (index/*), services in the allowed clusters (service/' +
          '<cluster>/*) and their deployments (service-deployment/<cluster>/*), stacks with the prefix (stack/<prefix>*/*) or named in readStacks (stack/<name>/*, the id ' +
          'CloudFormation appends), and "*" only for ecs:DescribeTaskDefinition, which defines no resource type ' +
          `(${Stack.of(this).stackName}).`,
      },
    ]);
  }
}
