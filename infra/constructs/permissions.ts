/**
 * Least-privilege grants for the driftless functions, written by hand so every action and resource is visible here.
 * The deployment's limits are the second confinement of targets (ARCHITECTURE invariant 8): a declaration outside
 * them is refused by the reconciler, and IAM would refuse the write anyway.
 *
 * Wildcard resources appear only where the ECS and CloudFormation service authorization references define no resource
 * type for the action (ListServices, DescribeTaskDefinition, RegisterTaskDefinition, DescribeStacks of every stack),
 * and the one write among them, RegisterTaskDefinition, is conditioned on the installation's managed-by request tag.
 */
import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { CHAIN } from '../../shared/audit/chain.ts';
import { breakGlassAttributes } from '../../shared/audit/dynamodb.ts';
import { EVENT_SOURCE } from '../../shared/notify/events.ts';
import { MANAGED_BY_TAG_KEY } from '../../shared/util.ts';

export interface DriftlessPermissionsProps {
  /** ECS cluster names services may be read and written in. */
  readonly allowedClusters: readonly string[];
  /** Every stack driftless reads or writes is named with this prefix. */
  readonly stackNamePrefix: string;
  /** Role ARN patterns (IAM wildcards) task definitions may name as task or execution role. */
  readonly roleArnPatterns: readonly string[];
  /** The CloudFormation service role stacks are created, updated and deleted with. */
  readonly cloudFormationRoleArn: string;
  /** Value of the managed-by tag driftless puts on what it creates. */
  readonly installationId: string;
  /** The configuration repository. */
  readonly repositoryArn: string;
  readonly ledgerTable: dynamodb.ITable;
  readonly lockTable: dynamodb.ITable;
  /**
   * The event bus notifications go to.
   * @default the account's default bus
   */
  readonly eventBusArn?: string;
}

export class DriftlessPermissions extends Construct {
  /** arn:…:ecs:<region>:<account>:service/<cluster>/* for each allowed cluster. */
  readonly serviceArns: string[];
  /** arn:…:cloudformation:<region>:<account>:stack/<prefix>*\/* */
  readonly stackArn: string;
  private readonly props: DriftlessPermissionsProps;

  constructor(scope: Construct, id: string, props: DriftlessPermissionsProps) {
    super(scope, id);
    this.props = props;
    const stack = Stack.of(this);
    this.serviceArns = props.allowedClusters.map((cluster) =>
      stack.formatArn({ service: 'ecs', resource: 'service', resourceName: `${cluster}/*` }),
    );
    this.stackArn = stack.formatArn({
      service: 'cloudformation',
      resource: 'stack',
      resourceName: `${props.stackNamePrefix}*/*`,
    });
  }

  /** Describe the services in the allowed clusters, task definitions, and the prefixed stacks. */
  grantReadTargets(grantee: iam.IGrantable): void {
    this.grantDescribeServices(grantee);
    add(grantee, {
      // No resource type in the service authorization reference: "*" is the only resource these accept.
      sid: 'ListEcsServicesAndReadTaskDefinitions',
      actions: ['ecs:ListServices', 'ecs:DescribeTaskDefinition'],
      resources: ['*'],
    });
    add(grantee, {
      // Prune lists every stack (DescribeStacks without a name) to find the ones tagged as managed by driftless.
      sid: 'ListCloudFormationStacks',
      actions: ['cloudformation:DescribeStacks'],
      resources: ['*'],
    });
    add(grantee, {
      sid: 'ReadCloudFormationStacks',
      actions: ['cloudformation:GetTemplate', 'cloudformation:DescribeChangeSet'],
      resources: [this.stackArn],
    });
  }

  /** Describe the services in the allowed clusters. */
  grantDescribeServices(grantee: iam.IGrantable): void {
    add(grantee, {
      sid: 'ReadEcsServices',
      actions: ['ecs:DescribeServices'],
      resources: this.serviceArns,
    });
  }

  /** Create, update, tag and delete services in the allowed clusters and stacks with the prefix; register task
   * definitions tagged as this installation's; pass only the allowed roles, each only to the service it is for. */
  grantWriteTargets(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    add(grantee, {
      sid: 'WriteEcsServices',
      actions: ['ecs:CreateService', 'ecs:UpdateService', 'ecs:DeleteService', 'ecs:TagResource', 'ecs:UntagResource'],
      resources: this.serviceArns,
    });
    add(grantee, {
      // RegisterTaskDefinition defines no resource type, so "*" is required; the request must carry the
      // installation's managed-by tag, which driftless always sends (shared/apply/requests.ts provenanceTags).
      sid: 'RegisterManagedTaskDefinitions',
      actions: ['ecs:RegisterTaskDefinition'],
      resources: ['*'],
      conditions: { StringEquals: { [`aws:RequestTag/${MANAGED_BY_TAG_KEY}`]: this.props.installationId } },
    });
    add(grantee, {
      // Tags sent with RegisterTaskDefinition are authorized as ecs:TagResource on the new revision.
      sid: 'TagTaskDefinitionsOnRegister',
      actions: ['ecs:TagResource'],
      resources: [stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: '*' })],
      conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
    });
    if (this.props.roleArnPatterns.length > 0) {
      add(grantee, {
        sid: 'PassTaskRoles',
        actions: ['iam:PassRole'],
        resources: [...this.props.roleArnPatterns],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      });
    }
    add(grantee, {
      sid: 'WriteCloudFormationStacks',
      actions: [
        'cloudformation:CreateChangeSet',
        'cloudformation:ExecuteChangeSet',
        'cloudformation:DeleteChangeSet',
        'cloudformation:DeleteStack',
        'cloudformation:UpdateTerminationProtection',
        // Stack tags sent with CreateChangeSet are authorized as tagging the stack.
        'cloudformation:TagResource',
        'cloudformation:UntagResource',
      ],
      resources: [this.stackArn],
    });
    add(grantee, {
      // A template with a Transform (AWS::Serverless, AWS::Include) is authorized against the transform as well.
      sid: 'UseAwsTransforms',
      actions: ['cloudformation:CreateChangeSet'],
      resources: [
        stack.formatArn({ service: 'cloudformation', account: 'aws', resource: 'transform', resourceName: '*' }),
      ],
    });
    add(grantee, {
      sid: 'PassCloudFormationRole',
      actions: ['iam:PassRole'],
      resources: [this.props.cloudFormationRoleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    });
  }

  /** Read the configuration repository at any commit. */
  grantReadRepository(grantee: iam.IGrantable): void {
    add(grantee, {
      sid: 'ReadConfigurationRepository',
      actions: [
        'codecommit:GetBranch',
        'codecommit:GetCommit',
        'codecommit:GetFolder',
        'codecommit:GetFile',
        'codecommit:GetBlob',
        'codecommit:GetDifferences',
      ],
      resources: [this.props.repositoryArn],
    });
  }

  /** Read the comments of the configuration repository's pull requests and post or update driftless's plan comment. */
  grantCommentOnPullRequests(grantee: iam.IGrantable): void {
    add(grantee, {
      sid: 'CommentOnPullRequests',
      actions: [
        'codecommit:GetCommentsForPullRequest',
        'codecommit:PostCommentForPullRequest',
        'codecommit:UpdateComment',
      ],
      resources: [this.props.repositoryArn],
    });
  }

  /** Propose changes to the configuration repository as pull requests (drift adoption, rollback write-back): a new
   * branch, one commit on it, and a pull request, on this one repository only. Never merge, never push to the
   * tracked branch: CreateCommit is allowed on branches named driftless/* only. */
  grantProposeChanges(grantee: iam.IGrantable): void {
    add(grantee, {
      sid: 'ProposePullRequests',
      actions: ['codecommit:CreateBranch', 'codecommit:CreatePullRequest', 'codecommit:GetBranch'],
      resources: [this.props.repositoryArn],
    });
    add(grantee, {
      sid: 'CommitToProposalBranches',
      actions: ['codecommit:CreateCommit'],
      resources: [this.props.repositoryArn],
      conditions: { StringLike: { 'codecommit:References': ['refs/heads/driftless/*'] } },
    });
  }

  /** Append to the ledger and query it: PutItem and Query, nothing else (no update, no delete, no scan). */
  grantAppendLedger(grantee: iam.IGrantable): void {
    const table = this.props.ledgerTable;
    add(grantee, {
      sid: 'AppendAndQueryLedger',
      actions: ['dynamodb:PutItem', 'dynamodb:Query'],
      resources: [table.tableArn, `${table.tableArn}/index/*`],
    });
  }

  /** Query the ledger only (the pull-request function reads the active pauses for its comment). */
  grantQueryLedger(grantee: iam.IGrantable): void {
    const table = this.props.ledgerTable;
    add(grantee, {
      sid: 'QueryLedger',
      actions: ['dynamodb:Query'],
      resources: [table.tableArn, `${table.tableArn}/index/*`],
    });
  }

  /**
   * "Who may pause is an IAM permission the stack defines": a managed policy, named `<stackName>-pause`, for the
   * people and roles that may break glass. It allows what `driftless pause`, `resume` and `status` need and no more:
   * - PutItem on the ledger, only for items whose partition key is a resource's (`RESOURCE#…`, dynamodb:LeadingKeys)
   *   and whose attributes are exactly those a pause or resume entry or its chain link has (dynamodb:Attributes),
   *   always with a chain hash (so an unchained entry, from a driftless older than the chain, is refused): it can
   *   add entries of that shape, never update, delete, or write a run or an outcome (those carry summary, result…);
   * - Query on the ledger and its indexes (status and the active pauses), never Scan;
   * - the reads `status` makes of the declared services and stacks.
   * DynamoDB condition keys cannot compare attribute values, so the kind (`pause`/`resume`) itself is not enforced
   * by IAM; every entry is attributed (changedBy) and append-only.
   */
  createPausePolicy(managedPolicyName: string): iam.ManagedPolicy {
    const table = this.props.ledgerTable;
    const stack = Stack.of(this);
    const policy = new iam.ManagedPolicy(this, 'PausePolicy', {
      managedPolicyName,
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
          resources: this.serviceArns,
        }),
        new iam.PolicyStatement({
          // No resource type in the service authorization reference: "*" is the only resource it accepts.
          sid: 'ReadTaskDefinitionsForStatus',
          actions: ['ecs:DescribeTaskDefinition'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'ReadStacksForStatus',
          actions: ['cloudformation:DescribeStacks', 'cloudformation:GetTemplate'],
          resources: [this.stackArn],
        }),
      ],
    });
    NagSuppressions.addResourceSuppressions(policy, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Wildcards are the scope itself: the ledger indexes (index/*), services in the allowed clusters, stacks with ' +
          `the prefix, and "*" only for ecs:DescribeTaskDefinition, which defines no resource type (${stack.stackName}).`,
      },
    ]);
    return policy;
  }

  /** Take, renew, check and release the run lease, and fence the run's ledger appends on it (ConditionCheckItem, in
   * the TransactWriteItems of each append). */
  grantLease(grantee: iam.IGrantable): void {
    add(grantee, {
      sid: 'HoldRunLease',
      actions: [
        'dynamodb:PutItem',
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:ConditionCheckItem',
      ],
      resources: [this.props.lockTable.tableArn],
    });
  }

  /** Send the shards of a fanned-out sweep to the shard queue (SendMessageBatch is authorized as SendMessage). */
  grantSendSweepShards(grantee: iam.IGrantable, queue: sqs.IQueue): void {
    add(grantee, {
      sid: 'SendSweepShards',
      actions: ['sqs:SendMessage'],
      resources: [queue.queueArn],
    });
  }

  /** Publish driftless's own notifications (source `driftless`) to the bus. */
  grantPublishEvents(grantee: iam.IGrantable): void {
    const bus =
      this.props.eventBusArn ??
      Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
    add(grantee, {
      sid: 'PublishNotifications',
      actions: ['events:PutEvents'],
      resources: [bus],
      conditions: { StringEquals: { 'events:source': EVENT_SOURCE } },
    });
  }
}

function add(grantee: iam.IGrantable, statement: iam.PolicyStatementProps): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement(statement));
}
