/** The webhook receiver function, behind a function URL: checks a GitHub or GitLab delivery and queues it for the
 * webhook worker (shared/triggers/webhook.ts); it reads nothing from Git and touches no target. */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { driftlessLogger, type LambdaInvocation, logInvocation } from '../shared/audit/log.ts';
import { dynamoDbClient, secretsManagerClient, sqsClient } from '../shared/aws/clients.ts';
import { ConfigurationError } from '../shared/errors.ts';
import {
  createWebhookReceiver,
  type WebhookReceiverOptions,
  type WebhookRequest,
  type WebhookResponse,
} from '../shared/triggers/webhook.ts';
import { DynamoDbDeliveryLog } from '../shared/triggers/webhook-deliveries.ts';
import { readEnvironment } from './environment.ts';
import { SecretCache } from './secrets.ts';

/** A Lambda function URL event, payload format 2.0 (the fields read). */
export interface FunctionUrlEvent {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: { readonly http?: { readonly method?: string } };
}

/** The function URL event as the receiver reads it (headers are lower-cased by Lambda already; again, to be sure). */
export function webhookRequestOf(event: FunctionUrlEvent): WebhookRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    method: event.requestContext?.http?.method ?? 'POST',
    headers,
    ...(event.body === undefined ? {} : { body: event.body }),
    isBase64Encoded: event.isBase64Encoded === true,
  };
}

/** The receiver's production wiring, from the function's environment: the source's secret, the lock table's
 * delivery items and the worker's queue. */
export function productionReceiverOptions(variables: NodeJS.ProcessEnv = process.env): WebhookReceiverOptions {
  const environment = readEnvironment(variables);
  const host = environment.source;
  if (host !== 'github' && host !== 'gitlab') {
    throw new ConfigurationError(`the webhook receiver serves GitHub or GitLab, not ${host ?? 'codecommit'}`);
  }
  if (!environment.webhook) {
    throw new ConfigurationError('the webhook receiver needs its secret ARN and queue URL in its environment');
  }
  const { secretArn, queueUrl } = environment.webhook;
  const sqs = sqsClient();
  return {
    host,
    tracked: {
      repository: environment.repository,
      branch: environment.branch,
      ...(environment.github ? { appId: environment.github.appId } : {}),
    },
    secret: new SecretCache(secretsManagerClient()).get(secretArn),
    deliveries: new DynamoDbDeliveryLog({ tableName: environment.lockTable, client: dynamoDbClient() }),
    enqueue: async (message) => {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
    },
    logger: driftlessLogger,
  };
}

/** The receiver for a function URL event. */
export function createWebhookHandler(
  options: WebhookReceiverOptions,
): (event: FunctionUrlEvent) => Promise<WebhookResponse> {
  const receive = createWebhookReceiver(options);
  return (event) => receive(webhookRequestOf(event));
}

let handle: ((event: FunctionUrlEvent) => Promise<WebhookResponse>) | undefined;

/** The Lambda handler: wired on the first invocation and kept; a ConfigurationError is thrown on every invocation
 * until the deployment is fixed (the host sees a 502 and shows the delivery failed). */
export async function handler(event: FunctionUrlEvent, context?: LambdaInvocation): Promise<WebhookResponse> {
  logInvocation(context);
  handle ??= createWebhookHandler(productionReceiverOptions());
  return handle(event);
}
