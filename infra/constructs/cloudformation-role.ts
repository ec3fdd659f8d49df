/**
 * The CloudFormation service role the managed stacks run with, when the deployment brings none of its own, with
 * exactly the permissions the deployment's allowed resource types need (infra/iam/ derives them at synth time).
 *
 * What bounds it:
 * - only CloudFormation can assume it, and only driftless passes it, for stacks named with the prefix;
 * - each action is one an allowed type's handlers call, on that type's resources only: names starting with the stack
 *   prefix, ECS services in the allowed clusters, resources known by ID only when tagged driftless:managed-by;
 * - IAM principals only under the deployment's permissions boundary, and only when an AWS::IAM type is allowed;
 *   roles passed only as the role allowlist says;
 * - it is denied any write to driftless's own audit trail and lease: the ledger and lock tables, and the functions'
 *   log groups.
 */
import { Annotations, ArnFormat, Fn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type CloudFormationPermissions, deriveCloudFormationPermissions } from '../iam/cloudformation-permissions.ts';
import { boundaryStatements } from '../iam/iam-grants.ts';
import type { PolicyDocument, Statement } from '../iam/policy-documents.ts';
import { suppressBoundary, suppressDerivedWildcards, suppressRolePatterns } from './cloudformation-role-nag.ts';

export interface CloudFormationServiceRoleProps {
  /** The deployment's allowedResourceTypes: what the role may create, update and delete. */
  readonly allowedResourceTypes: readonly string[];
  readonly stackNamePrefix: string;
  /** ECS clusters a stack's services may live in. */
  readonly allowedClusters: readonly string[];
  /** Value of the driftless:managed-by tag the stacks carry. */
  readonly installationId: string;
  /** Role ARN patterns stack resources (ECS tasks, Lambda functions, rules, state machines) may be given. */
  readonly roleArnPatterns: readonly string[];
  /** DynamoDB tables no stack may write to or delete (the ledger, the lock). */
  readonly protectedTableArns: readonly string[];
  /** Log groups no stack may write to, delete or shorten the retention of. */
  readonly protectedLogGroups: readonly logs.ILogGroup[];
  /**
   * The boundary every IAM principal a stack creates must carry (only used with an AWS::IAM type allowed).
   * @default a managed policy named `boundaryPolicyName` this construct creates
   */
  readonly permissionsBoundaryArn?: string;
  /** Name of the boundary policy created when no `permissionsBoundaryArn` is given. */
  readonly boundaryPolicyName: string;
}

/** Services a role created outside the stack may be handed to by a stack resource. */
export const ROLE_CONSUMERS = [
  'ecs-tasks.amazonaws.com',
  'lambda.amazonaws.com',
  'events.amazonaws.com',
  'states.amazonaws.com',
] as const;

/** Writes to a DynamoDB table that would change or erase what driftless recorded. */
const TABLE_WRITES = [
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
];

/** Writes to a log group that would forge, erase or shorten the functions' logs. */
const LOG_GROUP_WRITES = [
  'logs:DeleteLogGroup',
  'logs:DeleteLogStream',
  'logs:PutRetentionPolicy',
  'logs:DeleteRetentionPolicy',
  'logs:PutLogEvents',
  'logs:DeleteMetricFilter',
  'logs:PutMetricFilter',
  'logs:AssociateKmsKey',
  'logs:DisassociateKmsKey',
];

/** A derived document as CDK statements: ARNs with `${AWS::…}` pseudo parameters become Fn::Sub. */
function toStatements(statements: readonly Statement[]): iam.PolicyStatement[] {
  const sub = (value: string) => (value.includes('${AWS::') ? Fn.sub(value) : value);
  return statements.map((statement) =>
    iam.PolicyStatement.fromJson(
      JSON.parse(JSON.stringify(statement), (_, value) => (typeof value === 'string' ? sub(value) : value)),
    ),
  );
}

export class CloudFormationServiceRole extends Construct {
  readonly role: iam.Role;
  /** What was derived, and from which data. */
  readonly permissions: CloudFormationPermissions;
  /** The customer managed policies holding the derived Allow statements. */
  readonly policies: readonly iam.ManagedPolicy[];
  /** The boundary this construct created; absent when no IAM type is allowed or the deployment brought one. */
  readonly boundaryPolicy?: iam.ManagedPolicy;
  /** The boundary IAM writes are conditioned on; absent when no IAM type is allowed. */
  readonly permissionsBoundaryArn?: string;

  constructor(scope: Construct, id: string, props: CloudFormationServiceRoleProps) {
    super(scope, id);
    const createsPrincipals = props.allowedResourceTypes.some((type) => type.startsWith('AWS::IAM::'));
    const boundaryArn = createsPrincipals
      ? (props.permissionsBoundaryArn ??
        `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:policy/${props.boundaryPolicyName}`)
      : undefined;
    this.permissions = deriveCloudFormationPermissions({
      allowedResourceTypes: props.allowedResourceTypes,
      scope: {
        stackNamePrefix: props.stackNamePrefix,
        allowedClusters: props.allowedClusters,
        installationId: props.installationId,
      },
      ...(boundaryArn ? { permissionsBoundaryArn: boundaryArn } : {}),
    });
    for (const type of this.permissions.withoutWrites) {
      Annotations.of(this).addWarningV2(
        `driftless:${type}`,
        `${type}: the IAM service authorization data names no write action for it, so CloudFormation cannot create ` +
          'it with this role; pass cloudFormationRoleArn for stacks that declare it',
      );
    }
    if (boundaryArn) this.permissionsBoundaryArn = boundaryArn.includes('${AWS::') ? Fn.sub(boundaryArn) : boundaryArn;

    this.policies = this.permissions.documents.map(
      (document: PolicyDocument, index) =>
        new iam.ManagedPolicy(this, `Permissions${index + 1}`, {
          description: `driftless: what CloudFormation may do for the allowed resource types (part ${index + 1})`,
          document: new iam.PolicyDocument({ statements: toStatements(document.Statement) }),
        }),
    );
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      description: 'driftless: CloudFormation service role for the stacks driftless manages',
      managedPolicies: [...this.policies],
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
    for (const statement of toStatements(this.permissions.denies)) this.role.addToPolicy(statement);
    const protections = this.protections(props);
    for (const statement of protections) this.role.addToPolicy(statement);

    suppressDerivedWildcards(this.policies, this.permissions.documents, props.stackNamePrefix);
    suppressRolePatterns(this.role, props.roleArnPatterns);

    if (createsPrincipals && !props.permissionsBoundaryArn) {
      const boundary = boundaryStatements(this.permissions.services, props.roleArnPatterns, [...ROLE_CONSUMERS]);
      this.boundaryPolicy = new iam.ManagedPolicy(this, 'StackRolesBoundary', {
        managedPolicyName: props.boundaryPolicyName,
        description:
          'driftless: the permissions boundary every IAM role or user a managed stack creates must carry ' +
          '(at most the allowed types’ services; no IAM writes; nothing on driftless’s tables and logs)',
        document: new iam.PolicyDocument({
          statements: [...toStatements(boundary), ...protections],
        }),
      });
      suppressBoundary(this.boundaryPolicy, boundary);
    }
  }

  /** Denies on the ledger and lock tables and the functions' log groups, for the role and the boundary alike. */
  private protections(props: CloudFormationServiceRoleProps): iam.PolicyStatement[] {
    const stack = Stack.of(this);
    return [
      new iam.PolicyStatement({
        sid: 'ProtectLedgerAndLock',
        effect: iam.Effect.DENY,
        actions: TABLE_WRITES,
        resources: props.protectedTableArns.flatMap((arn) => [arn, `${arn}/*`]),
      }),
      new iam.PolicyStatement({
        sid: 'ProtectFunctionLogs',
        effect: iam.Effect.DENY,
        actions: LOG_GROUP_WRITES,
        // The group's own ARN, and the `:*` form that also covers its streams.
        resources: props.protectedLogGroups.flatMap((group) => [
          stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: group.logGroupName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
          group.logGroupArn,
        ]),
      }),
    ];
  }
}
