/**
 * Least-privilege grants for the driftless functions, written by hand so every action and resource is visible here.
 * The deployment's limits are the second confinement of targets (ARCHITECTURE invariant 8): a declaration outside
 * them is refused by the reconciler, and IAM would refuse the write anyway.
 *
 * Wildcard resources appear only where the service authorization references define no resource type for the action
 * (ecs:ListServices, ecs:DescribeTaskDefinition, cloudformation:ListStacks) or where the resource does not exist yet
 * (RegisterTaskDefinition, conditioned on the installation's managed-by request tag); the listings are granted only
 * to a deployment that prunes, ListServices only for the allowed clusters (ecs:cluster). Every statement is checked
 * offline against the calls the code makes (test/infra/iam-proof.test.ts).
 */
import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../../shared/notify/events.ts';
import { MANAGED_BY_TAG_KEY } from '../../shared/util.ts';
import { PausePolicy } from './pause-policy.ts';

/** The branches driftless proposes on (shared/writeback: driftless/adopt/…, driftless/rollback/…), as Git refs. */
const PROPOSAL_BRANCHES = 'refs/heads/driftless/*';

export interface DriftlessPermissionsProps {
  /** ECS cluster names services may be read and written in. */
  readonly allowedClusters: readonly string[];
  /** Every stack driftless reads or writes is named with this prefix. */
  readonly stackNamePrefix: string;
  /**
   * Stacks outside the prefix whose outputs `${stack:…}` references may read (DescribeStacks only).
   * @default none
   */
  readonly readStacks?: readonly string[];
  /**
   * Whether the deployment prunes: only then does driftless list services and stacks to find what it manages.
   * @default false
   */
  readonly prune?: boolean;
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
  /** arn:…:ecs:<region>:<account>:service-deployment/<cluster>/* for each allowed cluster. */
  readonly serviceDeploymentArns: string[];
  /** The stacks DescribeStacks may read: the prefixed ones and each of readStacks. */
  readonly readableStackArns: string[];
  private readonly clusterArns: string[];
  private readonly props: DriftlessPermissionsProps;

  constructor(scope: Construct, id: string, props: DriftlessPermissionsProps) {
    super(scope, id);
    this.props = props;
    const stack = Stack.of(this);
    this.serviceArns = props.allowedClusters.map((cluster) =>
      stack.formatArn({ service: 'ecs', resource: 'service', resourceName: `${cluster}/*` }),
    );
    this.serviceDeploymentArns = props.allowedClusters.map((cluster) =>
      stack.formatArn({ service: 'ecs', resource: 'service-deployment', resourceName: `${cluster}/*` }),
    );
    this.clusterArns = props.allowedClusters.map((cluster) =>
      stack.formatArn({ service: 'ecs', resource: 'cluster', resourceName: cluster }),
    );
    const stackNamed = (pattern: string) =>
      stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${pattern}/*` });
    this.stackArn = stackNamed(`${props.stackNamePrefix}*`);
    this.readableStackArns = [this.stackArn, ...(props.readStacks ?? []).map(stackNamed)];
  }

  /** Describe the services in the allowed clusters, task definitions, the prefixed stacks and the listed external
   * ones; with pruning on, list the services of the allowed clusters and every stack's name. */
  grantReadTargets(grantee: iam.IGrantable): void {
    this.grantDescribeServices(grantee);
    add(grantee, {
      // No resource type in the service authorization reference: "*" is the only resource it accepts.
      sid: 'ReadTaskDefinitions',
      actions: ['ecs:DescribeTaskDefinition'],
      resources: ['*'],
    });
    add(grantee, {
      // By name only (shared/live/cloudformation.ts): no DescribeStacks of every stack, whose answer would carry the
      // outputs, parameters and tags of stacks driftless has no business reading.
      sid: 'ReadCloudFormationStacks',
      actions: ['cloudformation:DescribeStacks'],
      resources: this.readableStackArns,
    });
    add(grantee, {
      sid: 'ReadCloudFormationTemplates',
      actions: ['cloudformation:GetTemplate', 'cloudformation:DescribeChangeSet'],
      resources: [this.stackArn],
    });
    if (!this.props.prune) return;
    add(grantee, {
      // Prune looks for the services it manages in each allowed cluster; "*" is the only resource ListServices
      // accepts, ecs:cluster is what confines it.
      sid: 'ListServicesOfAllowedClusters',
      actions: ['ecs:ListServices'],
      resources: ['*'],
      conditions: { ArnEquals: { 'ecs:cluster': this.clusterArns } },
    });
    add(grantee, {
      // Prune looks for the stacks it manages: ListStacks (names and statuses, no outputs or tags) accepts only "*";
      // each prefixed name is then described under ReadCloudFormationStacks.
      sid: 'ListStackNames',
      actions: ['cloudformation:ListStacks'],
      resources: ['*'],
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

  /** Read the service deployments (rollouts) of the services in the allowed clusters: the deployment-outcome function
   * takes a rollout's final result from them. */
  grantReadRollouts(grantee: iam.IGrantable): void {
    add(grantee, {
      sid: 'ReadEcsServiceDeployments',
      actions: ['ecs:DescribeServiceDeployments'],
      resources: this.serviceDeploymentArns,
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
      // After CreateService or UpdateService the writer looks up the rollout it started, for the ledger to reference.
      sid: 'FindStartedRollouts',
      actions: ['ecs:ListServiceDeployments'],
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
      add(grantee, {
        // A service hands ECS its own infrastructure roles (load balancer advancedConfiguration, lifecycle hooks,
        // managed EBS volumes, VPC Lattice, Service Connect TLS): CreateService and UpdateService pass them to ECS.
        sid: 'PassServiceInfrastructureRoles',
        actions: ['iam:PassRole'],
        resources: [...this.props.roleArnPatterns],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' } },
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
      // A stack runs with the installation's service role, or with its own spec.roleArn, which driftless.yaml and
      // the deployment allow only from roleArnPatterns; either is handed to CloudFormation and nothing else.
      sid: 'PassStackRoles',
      actions: ['iam:PassRole'],
      resources: [this.props.cloudFormationRoleArn, ...this.props.roleArnPatterns],
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
   * tracked branch: CreateBranch and CreateCommit are allowed on branches named driftless/* only. */
  grantProposeChanges(grantee: iam.IGrantable): void {
    add(grantee, {
      sid: 'ProposePullRequests',
      actions: ['codecommit:CreatePullRequest', 'codecommit:GetBranch'],
      resources: [this.props.repositoryArn],
    });
    add(grantee, {
      // CreateBranch and CreateCommit both carry the branch as codecommit:References (refs/heads/<name>).
      sid: 'BranchAndCommitProposals',
      actions: ['codecommit:CreateBranch', 'codecommit:CreateCommit'],
      resources: [this.props.repositoryArn],
      conditions: { StringLike: { 'codecommit:References': PROPOSAL_BRANCHES } },
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

  /** The break-glass permission (`driftless pause`, `resume`, `status`) as a managed policy: see PausePolicy. */
  createPausePolicy(managedPolicyName: string): iam.ManagedPolicy {
    return new PausePolicy(this, 'PausePolicy', {
      managedPolicyName,
      ledgerTable: this.props.ledgerTable,
      serviceArns: this.serviceArns,
      serviceDeploymentArns: this.serviceDeploymentArns,
      readableStackArns: this.readableStackArns,
      stackArn: this.stackArn,
    }).policy;
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
      // events:source is multivalued (one source per entry): every entry must say `driftless`, and there must be one.
      sid: 'PublishNotifications',
      actions: ['events:PutEvents'],
      resources: [bus],
      conditions: {
        'ForAllValues:StringEquals': { 'events:source': [EVENT_SOURCE] },
        Null: { 'events:source': 'false' },
      },
    });
  }
}

function add(grantee: iam.IGrantable, statement: iam.PolicyStatementProps): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement(statement));
}
