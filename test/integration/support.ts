/** Table lifecycle for the integration tests: every table they create is theirs alone and deleted at the end. */
import {
  DeleteTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';

/** Deletes `tableName` and waits until it is gone; a table that was never created is fine. */
export async function deleteTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return;
    throw error;
  }
  await waitUntilTableNotExists({ client, maxWaitTime: 240 }, { TableName: tableName });
}
