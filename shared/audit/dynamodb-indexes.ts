/** Brings an existing table's indexes up to its definition: a ledger table created by an older driftless (`driftless
 * reconcile --create-tables`, the demo, the tests) gets the indexes added since, instead of failing every Query on
 * them. Deployed installations get the same indexes from the CDK stack. */
import {
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { TerminalError } from '../errors.ts';

const POLL_MS = 250;

/** Creates each index of `definition` the table lacks, one UpdateTable at a time (DynamoDB builds one index at a
 * time), and waits until each is ACTIVE. */
export async function ensureIndexes(
  client: DynamoDBClient,
  definition: CreateTableCommandInput,
  maxWaitMs = 120_000,
): Promise<void> {
  const described = await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
  const existing = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const index of definition.GlobalSecondaryIndexes ?? []) {
    if (existing.has(index.IndexName)) continue;
    await addIndex(client, definition, index.IndexName);
    await waitUntilIndexActive(client, definition.TableName, index.IndexName, maxWaitMs);
  }
}

/** Asks DynamoDB to build one index of `definition` on the existing table (UpdateTable); it starts CREATING. */
export async function addIndex(
  client: DynamoDBClient,
  definition: CreateTableCommandInput,
  indexName: string | undefined,
): Promise<void> {
  const index = definition.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === indexName);
  if (!index) throw new TerminalError(`${definition.TableName} defines no index ${indexName}`);
  const keys = new Set((index.KeySchema ?? []).map((key) => key.AttributeName));
  await client.send(
    new UpdateTableCommand({
      TableName: definition.TableName,
      AttributeDefinitions: (definition.AttributeDefinitions ?? []).filter((attribute) =>
        keys.has(attribute.AttributeName),
      ),
      GlobalSecondaryIndexUpdates: [
        { Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } },
      ],
    }),
  );
}

/** Polls DescribeTable until the index is ACTIVE; TerminalError after `maxWaitMs`. */
export async function waitUntilIndexActive(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string | undefined,
  indexName: string | undefined,
  maxWaitMs: number,
  pollMs = POLL_MS,
): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const index = Table?.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === indexName);
    if (index?.IndexStatus === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new TerminalError(`index ${indexName} of ${tableName} is not ACTIVE after ${maxWaitMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
