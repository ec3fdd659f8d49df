/** Task definition descriptions kept across function containers, by ARN, so a new container does not pay the
 * DescribeTaskDefinition rate limit again for revisions it has read before: a revision never changes once registered.
 *
 * Kept in the installation's lock table (mutable state, TTL on, already readable and writable by the functions that
 * reconcile), one item per ARN: `pk` = `TASKDEF#<arn>`, `arn`, `definition` (the JSON of the description and its
 * tags) and `ttl`. An entry is returned only for the ARN it names, so a stale, foreign or corrupt item reads as a
 * miss, and a miss is answered by ECS. */
import { type AttributeValue, type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { liveReadError } from '../aws/errors.ts';
import type { DescribedTaskDefinition, Tag } from '../plan/live-state.ts';

export interface StoredTaskDefinition {
  readonly taskDefinition: DescribedTaskDefinition;
  readonly tags: readonly Tag[];
}

/** Where the ECS reader keeps task definitions between containers. */
export interface TaskDefinitionStore {
  /** The description stored for `arn`, or undefined when none is stored for exactly that ARN. */
  get(arn: string): Promise<StoredTaskDefinition | undefined>;
  put(arn: string, entry: StoredTaskDefinition): Promise<void>;
}

/** How long an entry stays: a revision no service runs any more is forgotten after this, one still in use is read
 * from ECS again once in this long. */
export const TASK_DEFINITION_TTL_SECONDS = 30 * 24 * 3600;

const PK_PREFIX = 'TASKDEF#';

export interface DynamoDbTaskDefinitionStoreOptions {
  /** The lock table (shared/lock/lease.ts): its key is `pk`, its TTL attribute `ttl`. */
  readonly tableName: string;
  readonly client: DynamoDBClient;
  /** Epoch ms; defaults to Date.now. */
  readonly now?: () => number;
}

export class DynamoDbTaskDefinitionStore implements TaskDefinitionStore {
  private readonly now: () => number;

  constructor(private readonly options: DynamoDbTaskDefinitionStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  async get(arn: string): Promise<StoredTaskDefinition | undefined> {
    let item: Record<string, AttributeValue> | undefined;
    try {
      // Eventually consistent: half the read cost, and an entry is never changed once written.
      const response = await this.options.client.send(
        new GetItemCommand({ TableName: this.options.tableName, Key: { pk: { S: `${PK_PREFIX}${arn}` } } }),
      );
      item = response.Item;
    } catch (error) {
      throw liveReadError('DynamoDB', `GetItem of the cached task definition ${arn}`, error);
    }
    return item ? parseEntry(arn, item.arn?.S, item.definition?.S) : undefined;
  }

  async put(arn: string, entry: StoredTaskDefinition): Promise<void> {
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            pk: { S: `${PK_PREFIX}${arn}` },
            arn: { S: arn },
            definition: { S: JSON.stringify(entry) },
            ttl: { N: String(Math.floor(this.now() / 1000) + TASK_DEFINITION_TTL_SECONDS) },
          },
        }),
      );
    } catch (error) {
      throw liveReadError('DynamoDB', `PutItem of the cached task definition ${arn}`, error);
    }
  }
}

/** The same in memory, as JSON text like the table holds: the bench's new containers, tests. `latencyMs` stands for
 * a DynamoDB round trip. */
export class MemoryTaskDefinitionStore implements TaskDefinitionStore {
  readonly items = new Map<string, { readonly arn: string; readonly definition: string }>();
  calls = { get: 0, put: 0 };

  constructor(private readonly latencyMs = 0) {}

  async get(arn: string): Promise<StoredTaskDefinition | undefined> {
    this.calls.get += 1;
    await this.wait();
    const item = this.items.get(`${PK_PREFIX}${arn}`);
    return item ? parseEntry(arn, item.arn, item.definition) : undefined;
  }

  async put(arn: string, entry: StoredTaskDefinition): Promise<void> {
    this.calls.put += 1;
    await this.wait();
    this.items.set(`${PK_PREFIX}${arn}`, { arn, definition: JSON.stringify(entry) });
  }

  private async wait(): Promise<void> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }
}

/** The stored entry when it is whole and describes `arn` itself; anything else is a miss. */
function parseEntry(
  arn: string,
  storedArn: string | undefined,
  definition: string | undefined,
): StoredTaskDefinition | undefined {
  if (storedArn !== arn || definition === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { taskDefinition, tags } = parsed as Partial<StoredTaskDefinition>;
  if (typeof taskDefinition !== 'object' || taskDefinition === null || !Array.isArray(tags)) return undefined;
  if (taskDefinition.taskDefinitionArn !== arn) return undefined;
  return { taskDefinition, tags };
}
