/** A client of the DynamoDB Local the vitest global setup started (test/support/global-setup.ts). */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { dynamoDbClient } from '../../shared/aws/clients.ts';

/** `maxAttempts: 1` where a test must see the first failure rather than the SDK's retries. */
export function localDynamoDb(
  options: { readonly region?: string; readonly maxAttempts?: number } = {},
): DynamoDBClient {
  return dynamoDbClient({
    endpoint: inject('dynamoDbEndpoint'),
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
}
