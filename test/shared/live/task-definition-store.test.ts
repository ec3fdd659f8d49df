import { randomUUID } from 'node:crypto';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeServicesCommand,
  type DescribeServicesCommandInput,
  DescribeTaskDefinitionCommand,
  ECSClient,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LiveReadError } from '../../../shared/errors.ts';
import { EcsLiveReader } from '../../../shared/live/ecs.ts';
import {
  DynamoDbTaskDefinitionStore,
  type StoredTaskDefinition,
  TASK_DEFINITION_TTL_SECONDS,
} from '../../../shared/live/task-definition-store.ts';
import { ensureLockTable } from '../../../shared/lock/lease.ts';
import { localDynamoDb } from '../../support/dynamodb.ts';

const ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
const OTHER_ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8';
const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);

function entry(arn: string): StoredTaskDefinition {
  return {
    taskDefinition: {
      taskDefinitionArn: arn,
      family: 'web',
      revision: Number(arn.split(':').pop()),
      containerDefinitions: [{ name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', essential: true }],
      registeredAt: '2026-02-28T09:15:00.000Z',
    },
    tags: [{ key: 'driftless:managed-by', value: 'inst-1' }],
  };
}

describe('DynamoDbTaskDefinitionStore (DynamoDB Local)', () => {
  const client = localDynamoDb({ maxAttempts: 1 });
  const tableName = `lock-${randomUUID()}`;
  const store = new DynamoDbTaskDefinitionStore({ tableName, client, now: () => NOW });

  beforeAll(async () => {
    await ensureLockTable(client, tableName);
  });

  it('gives back what was put, under the lock table key TASKDEF#<arn>, with a TTL', async () => {
    // Act
    await store.put(ARN, entry(ARN));
    const stored = await store.get(ARN);

    // Assess
    expect(stored).toEqual(entry(ARN));
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: `TASKDEF#${ARN}` } } }),
    );
    expect(Item?.ttl?.N).toBe(String(NOW / 1000 + TASK_DEFINITION_TTL_SECONDS));
  });

  it('reads an ARN never put as a miss', async () => {
    expect(await store.get(`${ARN}0`)).toBeUndefined();
  });

  it('never trusts an entry for another ARN: a mislabelled, mismatched or corrupt item is a miss', async () => {
    // Prepare: items under OTHER_ARN's key that do not describe OTHER_ARN.
    const put = (arn: string, definition: string) =>
      client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { pk: { S: `TASKDEF#${OTHER_ARN}` }, arn: { S: arn }, definition: { S: definition } },
        }),
      );

    // Act and assess
    await put(ARN, JSON.stringify(entry(OTHER_ARN)));
    expect(await store.get(OTHER_ARN)).toBeUndefined();
    await put(OTHER_ARN, JSON.stringify(entry(ARN)));
    expect(await store.get(OTHER_ARN)).toBeUndefined();
    await put(OTHER_ARN, '{"taskDefinition":');
    expect(await store.get(OTHER_ARN)).toBeUndefined();
    await put(OTHER_ARN, JSON.stringify(entry(OTHER_ARN)));
    expect(await store.get(OTHER_ARN)).toEqual(entry(OTHER_ARN));
  });

  it('raises a LiveReadError naming the ARN when the table does not exist', async () => {
    // Prepare
    const missing = new DynamoDbTaskDefinitionStore({ tableName: `missing-${randomUUID()}`, client });

    // Act
    const error = await missing.get(ARN).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(LiveReadError);
    expect((error as Error).message).toContain(ARN);
  });

  describe('behind the ECS reader', () => {
    const ecs = mockClient(ECSClient);
    afterEach(() => ecs.reset());

    it('lets a new reader (a new container) describe no task definition its predecessor described', async () => {
      // Prepare
      const arn = `arn:aws:ecs:us-east-1:123456789012:task-definition/api-${randomUUID()}:3`;
      ecs.on(DescribeServicesCommand).callsFake((input: DescribeServicesCommandInput) => ({
        services: (input.services ?? []).map((name) => ({
          serviceName: name,
          serviceArn: `arn:aws:ecs:us-east-1:123456789012:service/prod/${name}`,
          status: 'ACTIVE',
          taskDefinition: arn,
        })),
        failures: [],
      }));
      ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: entry(arn).taskDefinition as never, tags: [] });
      const ecsClient = new ECSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
      const targets = [{ cluster: 'prod', name: 'api' }];
      const first = await new EcsLiveReader({ client: ecsClient, store }).readServices(targets);
      ecs.resetHistory();

      // Act
      const second = await new EcsLiveReader({ client: ecsClient, store }).readServices(targets);

      // Assess
      expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 0);
      expect(second).toEqual(first);
    });
  });
});
