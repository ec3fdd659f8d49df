/** What a missing driftless table is called, where, and how to get it: the one message the ledger and the lock give
 * instead of the SDK's "Requested resource not found". */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The tables the ledger and the lock live in, as the stack's outputs name them. */
export type DriftlessTable = 'ledger' | 'lock';

const STACK_OUTPUT: Record<DriftlessTable, string> = { ledger: 'LedgerTableName', lock: 'LockTableName' };
const TABLE_OPTION: Record<DriftlessTable, string> = { ledger: '--ledger-table', lock: '--lock-table' };

/** The table, its region (when the client knows it), and the two ways to get it. */
export async function missingTableMessage(
  client: DynamoDBClient,
  table: DriftlessTable,
  tableName: string,
): Promise<string> {
  const region = await client.config.region().catch(() => undefined);
  return (
    `the ${table} table ${tableName} does not exist${region ? ` in ${region}` : ''}: ` +
    `deploy the driftless stack (and pass its ${STACK_OUTPUT[table]} output as ${TABLE_OPTION[table]}), ` +
    'or create the tables with driftless reconcile --create-tables'
  );
}
