import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { dynamoDbClient } from '../../shared/aws/clients.ts';

describe('DynamoDB Local', () => {
  it('answers on the loopback endpoint the global setup provides', async () => {
    const endpoint = inject('dynamoDbEndpoint');
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = dynamoDbClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const tables = await client.send(new ListTablesCommand({}));
    expect(tables.TableNames).toBeInstanceOf(Array);
  });
});
