/** The webhook deliveries already handed over, so a repeated delivery (a host's retry, a redelivery by hand, a replayed
 * request) is acknowledged and not queued twice. One item per delivery in the lock table, `DELIVERY#<host>#<id>`,
 * removed by the table's TTL after a week; written with PutItem only, so the receiver's role needs nothing else.
 *
 * A delivery is claimed (conditional PutItem) before its message is sent and marked sent after. A claim whose send
 * failed can be taken again by the host's retry once it is a minute old, so a failed hand-over is not remembered as a
 * done one; a delivery claimed by a request still running is not queued twice. */
import { ConditionalCheckFailedException, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { isRetryableAwsError } from '../aws/errors.ts';
import { RetryableError, TerminalError } from '../errors.ts';
import type { WebhookHost } from './webhook-events.ts';

/** The partition key prefix of delivery items: the receiver's role may write no other item of the lock table. */
export const DELIVERY_KEY_PREFIX = 'DELIVERY#';
/** How long a delivery is remembered: past the hosts' retries and GitHub's redelivery window (3 days). */
export const DELIVERY_TTL_SECONDS = 7 * 24 * 3600;
/** A claim older than this whose message was not sent is taken to have failed (the receiver answers in seconds). */
export const STALE_CLAIM_MS = 60_000;

export interface DeliveryLog {
  /** 'new' when this request may hand the delivery over; 'seen' when it was handed over (or is being) already. */
  claim(host: WebhookHost, deliveryId: string): Promise<'new' | 'seen'>;
  /** Records that the delivery's message was sent. */
  markSent(host: WebhookHost, deliveryId: string): Promise<void>;
}

export function deliveryKey(host: WebhookHost, deliveryId: string): string {
  return `${DELIVERY_KEY_PREFIX}${host}#${deliveryId}`;
}

export interface DynamoDbDeliveryLogOptions {
  readonly tableName: string;
  readonly client: DynamoDBClient;
  readonly now?: () => number;
}

export class DynamoDbDeliveryLog implements DeliveryLog {
  private readonly now: () => number;

  constructor(private readonly options: DynamoDbDeliveryLogOptions) {
    this.now = options.now ?? Date.now;
  }

  async claim(host: WebhookHost, deliveryId: string): Promise<'new' | 'seen'> {
    const now = this.now();
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: this.item(host, deliveryId, 'claimed', now),
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :claimed AND claimedAt < :stale)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':claimed': { S: 'claimed' }, ':stale': { N: String(now - STALE_CLAIM_MS) } },
        }),
      );
      return 'new';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'seen';
      throw failure('claiming', deliveryId, error);
    }
  }

  async markSent(host: WebhookHost, deliveryId: string): Promise<void> {
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: this.item(host, deliveryId, 'sent', this.now()),
        }),
      );
    } catch (error) {
      throw failure('marking sent', deliveryId, error);
    }
  }

  private item(host: WebhookHost, deliveryId: string, state: 'claimed' | 'sent', now: number) {
    return {
      pk: { S: deliveryKey(host, deliveryId) },
      state: { S: state },
      claimedAt: { N: String(now) },
      ttl: { N: String(Math.floor(now / 1000) + DELIVERY_TTL_SECONDS) },
    };
  }
}

function failure(what: string, deliveryId: string, error: unknown): Error {
  const message = `${what} webhook delivery ${deliveryId} failed: ${error instanceof Error ? error.message : String(error)}`;
  return isRetryableAwsError(error)
    ? new RetryableError(message, { cause: error })
    : new TerminalError(message, { cause: error });
}
