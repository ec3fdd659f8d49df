/** The two DynamoDB tables: the append-only audit ledger and the run lock. Their keys come from the same definitions
 * the demo and the tests create tables with (shared/audit/dynamodb.ts, shared/lock/lease.ts), so the deployed schema
 * cannot drift from the one the code was tested against. */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ledgerTableDefinition } from '../../shared/audit/dynamodb.ts';
import { lockTableDefinition } from '../../shared/lock/lease.ts';

export interface AuditTablesProps {
  /**
   * A customer managed key for both tables.
   * @default the AWS managed key for DynamoDB (aws/dynamodb)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * What happens to the ledger when the stack is deleted. The ledger is the audit record: keep it.
   * @default RemovalPolicy.RETAIN
   */
  readonly ledgerRemovalPolicy?: RemovalPolicy;
  /**
   * Give the ledger a stream of new images, for the archive (LedgerArchive).
   * @default false
   */
  readonly ledgerStream?: boolean;
}

/** The TTL attribute lease items carry (shared/lock/lease.ts writes it; DynamoDB TTL removes stale items). */
export const LOCK_TTL_ATTRIBUTE = 'ttl';

/** Every item read and write DynamoDB authorizes on a table: what the lock table refuses to all but the run leases'
 * holders. Table management (TTL, deletion) stays with whoever deploys the stack. */
export const LOCK_ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:PartiQLSelect',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
] as const;

type KeySchema = readonly { readonly AttributeName?: string; readonly KeyType?: string }[] | undefined;

function keyOf(schema: KeySchema, type: 'HASH' | 'RANGE'): dynamodb.Attribute | undefined {
  const name = schema?.find((key) => key.KeyType === type)?.AttributeName;
  return name === undefined ? undefined : { name, type: dynamodb.AttributeType.STRING };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the shared table definition has no ${what}`);
  return value;
}

export class AuditTables extends Construct {
  /** Append-only audit ledger: the functions may PutItem and Query it, nothing else. */
  readonly ledgerTable: dynamodb.Table;
  /** One lease item per repository and branch (and each branch's last applied commit); once protectLock has named
   * the lease holders, no one else may read or write an item of it. */
  readonly lockTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: AuditTablesProps = {}) {
    super(scope, id);
    const encryption = props.encryptionKey
      ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
      : { encryption: dynamodb.TableEncryption.AWS_MANAGED };

    const ledger = ledgerTableDefinition('ledger');
    this.ledgerTable = new dynamodb.Table(this, 'Ledger', {
      partitionKey: required(keyOf(ledger.KeySchema, 'HASH'), 'ledger partition key'),
      sortKey: keyOf(ledger.KeySchema, 'RANGE'),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: props.ledgerRemovalPolicy ?? RemovalPolicy.RETAIN,
      ...(props.ledgerStream ? { stream: dynamodb.StreamViewType.NEW_IMAGE } : {}),
      ...encryption,
    });
    for (const index of ledger.GlobalSecondaryIndexes ?? []) {
      const projection = index.Projection;
      const include = projection?.ProjectionType === 'INCLUDE' && (projection.NonKeyAttributes?.length ?? 0) > 0;
      if (projection?.ProjectionType !== 'ALL' && !include) {
        throw new Error(`ledger index ${index.IndexName} must project ALL attributes or INCLUDE named ones`);
      }
      this.ledgerTable.addGlobalSecondaryIndex({
        indexName: required(index.IndexName, 'index name'),
        partitionKey: required(keyOf(index.KeySchema, 'HASH'), `${index.IndexName} partition key`),
        sortKey: keyOf(index.KeySchema, 'RANGE'),
        ...(include
          ? { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: projection.NonKeyAttributes }
          : { projectionType: dynamodb.ProjectionType.ALL }),
      });
    }

    const lock = lockTableDefinition('lock');
    this.lockTable = new dynamodb.Table(this, 'Lock', {
      partitionKey: required(keyOf(lock.KeySchema, 'HASH'), 'lock partition key'),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: LOCK_TTL_ATTRIBUTE,
      // Leases live for a minute and are recreated by the next run: nothing in this table is worth keeping.
      removalPolicy: RemovalPolicy.DESTROY,
      ...encryption,
    });
    NagSuppressions.addResourceSuppressions(this.lockTable, [
      {
        id: 'AwsSolutions-DDB3',
        reason:
          'The lock table holds leases that expire within minutes (a restored lease would be stale by design: expiry ' +
          "is checked in every condition) and each branch's last fully applied commit, without which a push simply " +
          'reconciles everything; point-in-time recovery protects nothing.',
      },
    ]);
  }

  /**
   * Denies every item read and write on the lock table to every principal but `holders` (the roles of the functions
   * that take the run lease), in the table's resource policy: an explicit deny no identity policy can outweigh, so
   * neither a stack's CloudFormation role nor an administrator's broad policy can take, forge or release a lease.
   */
  protectLock(holders: readonly iam.IRole[]): void {
    if (holders.length === 0) throw new Error('the lock table needs at least one lease holder');
    this.lockTable.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyLeaseHolders',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...LOCK_ITEM_ACTIONS],
        // "*" is this table (and its indexes): a resource policy cannot name the table it is created with.
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': holders.map((role) => role.roleArn) } },
      }),
    );
  }
}
