/** What the commands that touch AWS share: the clients (real, or the simulator's and DynamoDB Local's in tests and
 * the demo), the ledger, the lock, and the repository they read. */
import { execFile } from 'node:child_process';
import { basename, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CodeCommitClient } from '@aws-sdk/client-codecommit';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { DynamoDbLedger } from '../shared/audit/dynamodb.ts';
import { type LedgerLogLine, silentLogLine } from '../shared/audit/log.ts';
import { cloudFormationClient, dynamoDbClient, ecsClient } from '../shared/aws/clients.ts';
import type { EcsReadRates } from '../shared/live/ecs.ts';
import { LeaseLock } from '../shared/lock/lease.ts';

/** SDK clients to use instead of building them (tests and the local demo pass the simulator's and DynamoDB Local's). */
export interface AwsClients {
  readonly ecs?: ECSClient;
  readonly cloudFormation?: CloudFormationClient;
  /** `driftless import` reads scalable targets with it (tests pass a mocked one). */
  readonly autoScaling?: ApplicationAutoScalingClient;
  readonly dynamoDb?: DynamoDBClient;
  /** `driftless rollback --codecommit`: the repository's client (tests pass a mocked one). */
  readonly codeCommit?: CodeCommitClient;
  /** Where each ledger entry's log line goes; the CLI keeps stdout for people by default. */
  readonly logLine?: LedgerLogLine;
  /** Who is calling (pause, resume); STS GetCallerIdentity, or local:<user> against a local endpoint, by default. */
  readonly callerIdentity?: () => Promise<string>;
  /** The clock (milliseconds) of pause windows and of reconcile --wait; Date.now by default. */
  readonly now?: () => number;
  /** How reconcile --wait waits between polls (tests pass a virtual one); setTimeout by default. */
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /** The pace of `plan`'s ECS reads; ECS_CLIENT_RATES by default. The bench lifts it to time the plan path itself
   * against the simulator, apart from the rate floor it reports beside it. */
  readonly ecsReadRates?: EcsReadRates;
}

export interface AwsOptions {
  readonly region?: string;
  readonly endpoint?: string;
}

export function awsClients(options: AwsOptions, clients: AwsClients) {
  const config = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  return {
    ecs: clients.ecs ?? ecsClient(config),
    cloudFormation: clients.cloudFormation ?? cloudFormationClient(config),
    dynamoDb: clients.dynamoDb ?? dynamoDbClient(config),
  };
}

export function ledgerFor(tableName: string, dynamoDb: DynamoDBClient, clients: AwsClients): DynamoDbLedger {
  return new DynamoDbLedger({ tableName, client: dynamoDb, logger: clients.logLine ?? silentLogLine });
}

export function lockFor(tableName: string, dynamoDb: DynamoDBClient): LeaseLock {
  return new LeaseLock({ tableName, client: dynamoDb });
}

/** The repository's name as the ledger records it, and the branch a ref names (HEAD becomes the checked-out one). */
export async function repositoryIdentity(repo: string, ref: string): Promise<{ repository: string; branch: string }> {
  const repository = basename(resolve(repo));
  if (ref !== 'HEAD') return { repository, branch: ref };
  try {
    const { stdout } = await promisify(execFile)('git', ['-C', repo, 'symbolic-ref', '--short', 'HEAD']);
    return { repository, branch: stdout.trim() || 'HEAD' };
  } catch {
    return { repository, branch: 'HEAD' };
  }
}
