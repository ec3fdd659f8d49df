/** The receiver function's wiring: a function URL event (payload format 2.0) through the real receiver, DynamoDB Local
 * for the delivery items and the SQS mock for the queue; its environment checked at the first invocation; and the
 * secrets read once per warm function from Secrets Manager, never shown in an error. */
import { randomUUID } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT } from '../../functions/environment.ts';
import { CachedSecret } from '../../functions/secrets.ts';
import { createWebhookHandler, productionReceiverOptions, webhookRequestOf } from '../../functions/webhook.ts';
import { ConfigurationError, RetryableError } from '../../shared/errors.ts';
import { ensureLockTable } from '../../shared/lock/lease.ts';
import { DynamoDbDeliveryLog } from '../../shared/triggers/webhook-deliveries.ts';
import { parseWebhookMessage } from '../../shared/triggers/webhook-events.ts';
import { githubSignature } from '../../shared/triggers/webhook-signature.ts';
import { githubPush } from '../shared/triggers/webhook-payloads.ts';
import { localDynamoDb } from '../support/dynamodb.ts';
import { CapturingLogger } from './support.ts';

const TABLE = `fn-webhook-${randomUUID().slice(0, 8)}`;
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:driftless/webhook-AbCdEf';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/driftless-webhook';
const SECRET = `test-secret-${randomUUID()}`;
const dynamo = localDynamoDb({ maxAttempts: 1 });

beforeAll(async () => {
  await ensureLockTable(dynamo, TABLE);
});

const ENV = {
  [ENVIRONMENT.repository]: 'acme/platform-config',
  [ENVIRONMENT.branch]: 'main',
  [ENVIRONMENT.installationId]: 'default',
  [ENVIRONMENT.ledgerTable]: 'driftless-ledger',
  [ENVIRONMENT.lockTable]: TABLE,
  [ENVIRONMENT.allowedClusters]: 'prod',
  [ENVIRONMENT.source]: 'github',
  [ENVIRONMENT.githubAppId]: '123456',
  [ENVIRONMENT.githubPrivateKeySecretArn]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:driftless/key-GhIjKl',
  [ENVIRONMENT.webhookSecretArn]: SECRET_ARN,
  [ENVIRONMENT.webhookQueueUrl]: QUEUE_URL,
};

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
let mocks: { restore(): void }[] = [];
afterEach(() => {
  for (const mock of mocks) mock.restore();
  mocks = [];
});

function secretsWith(answer: () => unknown) {
  const client = new SecretsManagerClient({ region: 'us-east-1', credentials });
  const mock = mockClient(client);
  mock.on(GetSecretValueCommand).callsFake(answer);
  mocks.push(mock);
  return { client, calls: () => mock.commandCalls(GetSecretValueCommand).length };
}

describe('the webhook function', () => {
  it('turns a function URL event into a checked, queued delivery', async () => {
    // Prepare
    const sqs = new SQSClient({ region: 'us-east-1', credentials });
    const sqsMock = mockClient(sqs);
    sqsMock.on(SendMessageCommand).resolves({ MessageId: randomUUID() });
    mocks.push(sqsMock);
    const secrets = secretsWith(() => ({ ARN: SECRET_ARN, Name: 'driftless/webhook', SecretString: SECRET }));
    const handle = createWebhookHandler({
      host: 'github',
      tracked: { repository: 'acme/platform-config', branch: 'main' },
      secret: new CachedSecret(SECRET_ARN, secrets.client),
      deliveries: new DynamoDbDeliveryLog({ tableName: TABLE, client: dynamo }),
      enqueue: async (message) => {
        await sqs.send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: JSON.stringify(message) }));
      },
      logger: new CapturingLogger(),
    });
    const body = JSON.stringify(githubPush());
    const event = {
      version: '2.0',
      rawPath: '/',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': githubSignature(Buffer.from(body), SECRET),
      },
      requestContext: { http: { method: 'POST', path: '/' } },
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    };

    // Act
    const first = await handle(event);
    const repeat = await handle(event);

    // Assess
    expect([first.statusCode, repeat.statusCode]).toEqual([202, 200]);
    const sent = sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.QueueUrl).toBe(QUEUE_URL);
    expect(parseWebhookMessage(sent[0]?.MessageBody ?? '')).toMatchObject({ ok: true, message: { kind: 'push' } });
    expect(secrets.calls()).toBe(1);
  });

  it('lower-cases header names and takes the method from the request context', () => {
    // Act
    const request = webhookRequestOf({
      headers: { 'X-GitHub-Event': 'push' },
      requestContext: { http: { method: 'GET' } },
    });

    // Assess
    expect(request).toEqual({ method: 'GET', headers: { 'x-github-event': 'push' }, isBase64Encoded: false });
  });

  it('refuses to start for CodeCommit or without its secret and queue', () => {
    // Act
    const codeCommit = () => productionReceiverOptions({ ...ENV, [ENVIRONMENT.source]: 'codecommit' });
    const { [ENVIRONMENT.webhookQueueUrl]: _queue, ...withoutQueue } = ENV;
    const unqueued = () => productionReceiverOptions(withoutQueue);
    const github = productionReceiverOptions({ ...ENV, AWS_REGION: 'us-east-1' });

    // Assess
    expect(codeCommit).toThrow(ConfigurationError);
    expect(unqueued).toThrow(/secret ARN and queue URL/);
    expect(github).toMatchObject({
      host: 'github',
      tracked: { repository: 'acme/platform-config', branch: 'main', appId: 123456 },
    });
  });
});

describe('secrets', () => {
  it('are read once per warm function, and again after a rotation only when the value held is old', async () => {
    // Prepare
    let value = 'first';
    const secrets = secretsWith(() => ({ SecretString: value }));
    const clock = { t: 1_700_000_000_000 };
    const secret = new CachedSecret(SECRET_ARN, secrets.client, () => clock.t);

    // Act
    const reads = [await secret.read(), await secret.read()];
    const tooSoon = await secret.reread();
    value = 'rotated';
    clock.t += 5 * 60_000;
    const later = await secret.reread();
    const after = await secret.read();

    // Assess
    expect(reads).toEqual(['first', 'first']);
    expect([tooSoon, later]).toEqual([false, true]);
    expect(after).toBe('rotated');
    expect(secrets.calls()).toBe(2);
  });

  it('fail without the value in the message, retryably when Secrets Manager throttles, and are not cached', async () => {
    // Prepare
    let attempt = 0;
    const secrets = secretsWith(() => {
      attempt += 1;
      if (attempt === 1) {
        throw Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        });
      }
      if (attempt === 2) {
        throw Object.assign(new Error('User is not authorized to perform: secretsmanager:GetSecretValue'), {
          name: 'AccessDeniedException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return { SecretString: SECRET };
    });
    const secret = new CachedSecret(SECRET_ARN, secrets.client);

    // Act
    const throttled = await secret.read().catch((error: unknown) => error);
    const denied = await secret.read().catch((error: unknown) => error);
    const third = await secret.read();

    // Assess
    expect(throttled).toBeInstanceOf(RetryableError);
    expect(denied).toBeInstanceOf(ConfigurationError);
    expect(String((denied as Error).message)).toContain(SECRET_ARN);
    expect(third).toBe(SECRET);
  });

  it('refuse an empty secret', async () => {
    // Prepare
    const secrets = secretsWith(() => ({ SecretString: '' }));

    // Act
    const read = new CachedSecret(SECRET_ARN, secrets.client).read();

    // Assess
    await expect(read).rejects.toThrow(/holds no value/);
  });
});
