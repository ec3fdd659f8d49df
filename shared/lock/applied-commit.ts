/** The newest commit whose changes a run applied in full, per repository and branch: a push scopes its run to the
 * files changed since this commit, not since the event's previous head, so the files of a commit whose push was
 * skipped or dead-lettered are never left behind. Kept in the lock table (which is mutable state, unlike the ledger),
 * written only by a run that holds the branch's lease. */
import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { missingTableMessage } from '../audit/missing-table.ts';
import { isRetryableAwsError } from '../aws/errors.ts';
import { LockTableMissingError, RetryableError, TerminalError } from '../errors.ts';

export interface BranchKey {
  readonly repository: string;
  readonly branch: string;
}

/** Where runs find and leave the branch's last fully applied commit. */
export interface AppliedCommits {
  /** The commit, or undefined when no run has applied the branch in full yet. */
  read(key: BranchKey): Promise<string | undefined>;
  record(key: BranchKey, commitId: string, time: string): Promise<void>;
}

function appliedPk(key: BranchKey): string {
  return `APPLIED#${key.repository}#${key.branch}`;
}

async function storeError(what: string, tableName: string, client: DynamoDBClient, error: unknown): Promise<Error> {
  if (error instanceof ResourceNotFoundException) {
    return new LockTableMissingError(await missingTableMessage(client, 'lock', tableName), { cause: error });
  }
  const message = `applied-commit ${what} in ${tableName} failed: ${error instanceof Error ? error.message : String(error)}`;
  return isRetryableAwsError(error)
    ? new RetryableError(message, { cause: error })
    : new TerminalError(message, { cause: error });
}

export class DynamoDbAppliedCommits implements AppliedCommits {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBClient,
  ) {}

  async read(key: BranchKey): Promise<string | undefined> {
    try {
      const { Item } = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: appliedPk(key) } }, ConsistentRead: true }),
      );
      return Item?.commitId?.S;
    } catch (error) {
      throw await storeError('read', this.tableName, this.client, error);
    }
  }

  async record(key: BranchKey, commitId: string, time: string): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { pk: { S: appliedPk(key) }, commitId: { S: commitId }, appliedAt: { S: time } },
        }),
      );
    } catch (error) {
      throw await storeError('record', this.tableName, this.client, error);
    }
  }
}

/** The same in memory: the CLI against a local repository, the demo, tests. */
export class MemoryAppliedCommits implements AppliedCommits {
  private readonly commits = new Map<string, string>();

  async read(key: BranchKey): Promise<string | undefined> {
    return this.commits.get(appliedPk(key));
  }

  async record(key: BranchKey, commitId: string): Promise<void> {
    this.commits.set(appliedPk(key), commitId);
  }
}
