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
 * time), and waits until it is ACTIVE. */
export async function ensureIndexes(
  client: DynamoDBClient,
  definition: CreateTableCommandInput,
  maxWaitMs = 120_000,
): Promise<void> {
  const TableName = definition.TableName;
  const described = await client.send(new DescribeTableCommand({ TableName }));
  const existing = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const index of definition.GlobalSecondaryIndexes ?? []) {
    if (existing.has(index.IndexName)) continue;
    const keys = new Set((index.KeySchema ?? []).map((key) => key.AttributeName));
    await client.send(
      new UpdateTableCommand({
        TableName,
        AttributeDefinitions: (definition.AttributeDefinitions ?? []).filter((attribute) =>
          keys.has(attribute.AttributeName),
        ),
        GlobalSecondaryIndexUpdates: [
          { Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } },
        ],
      }),
    );
    await waitUntilIndexActive(client, TableName, index.IndexName, maxWaitMs);
  }
}

async function waitUntilIndexActive(
  client: DynamoDBClient,
  tableName: string | undefined,
  indexName: string | undefined,
  maxWaitMs: number,
): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const index = Table?.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === indexName);
    if (index?.IndexStatus === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new TerminalError(`index ${indexName} of ${tableName} is not ACTIVE after ${maxWaitMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
