/**
 * The webhook receiver's logic, behind a Lambda function URL (functions/webhook.ts): refuse what is too large, prove
 * the delivery comes from the host before reading a byte of it as JSON, read what it asks, remember it so a repeat is
 * not queued twice, and hand it to the queue. It never reconciles or plans inline: the host waits 10 s at most.
 *
 * Answers: 413 too large, 405 not a POST, 401 unsigned or badly signed (nothing else is done), 400 not JSON or no
 * event name, 200 a ping or a repeated delivery, 202 queued or ignored (with the reason), 503 when the delivery could
 * not be remembered or queued (the host may deliver it again).
 */
import { createHash } from 'node:crypto';
import type { DeliveryLog } from './webhook-deliveries.ts';
import {
  DELIVERY_ID,
  readGitHubEvent,
  readGitLabEvent,
  type TrackedBranch,
  type WebhookHost,
  type WebhookMessage,
  type WebhookReading,
} from './webhook-events.ts';
import { isGitHubSignatureValid, isGitLabTokenValid } from './webhook-signature.ts';

/**
 * The largest body read. GitHub caps a payload at 25 MB, but a function URL hands Lambda at most 6 MB of request (and a
 * body that is not text arrives base64-encoded, a third larger), so nothing above about 4.5 MB arrives whole anyway;
 * 4 MiB still holds a push of thousands of commits. Larger is refused before it is decoded or hashed.
 */
export const MAX_WEBHOOK_BODY_BYTES = 4 * 1024 * 1024;

/** A function URL request (payload format 2.0), the parts read: headers arrive lower-cased. */
export interface WebhookRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

export interface WebhookResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The shared secret: read once per warm function; `reread` may fetch it again after a rotation (rate-limited). */
export interface WebhookSecret {
  read(): Promise<string>;
  reread?(): Promise<boolean>;
}

export interface WebhookLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

export interface WebhookReceiverOptions {
  readonly host: WebhookHost;
  readonly tracked: TrackedBranch;
  readonly secret: WebhookSecret;
  readonly deliveries: DeliveryLog;
  /** Sends the message to the worker's queue. */
  readonly enqueue: (message: WebhookMessage) => Promise<void>;
  readonly logger: WebhookLogger;
  readonly maxBodyBytes?: number;
}

const HEADERS = {
  github: { proof: 'x-hub-signature-256', event: 'x-github-event', delivery: ['x-github-delivery'] },
  // Idempotency-Key stays the same across GitLab's retries of one event (GitLab 17.4+); the event UUID before that.
  gitlab: { proof: 'x-gitlab-token', event: 'x-gitlab-event', delivery: ['idempotency-key', 'x-gitlab-event-uuid'] },
} as const;

export function createWebhookReceiver(
  options: WebhookReceiverOptions,
): (request: WebhookRequest) => Promise<WebhookResponse> {
  const { host, logger } = options;
  const maxBytes = options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  const names = HEADERS[host];
  return async (request) => {
    // Cheap checks on the encoded text first: a 30 MB body is refused without being decoded, hashed or parsed.
    const encoded = request.body ?? '';
    if (encodedTooLarge(encoded, request.isBase64Encoded === true, maxBytes)) {
      logger.warn('webhook refused: body too large', { host, limitBytes: maxBytes });
      return answer(413, { error: `the body is larger than ${maxBytes} bytes` });
    }
    if (request.method.toUpperCase() !== 'POST') return answer(405, { error: 'only POST is accepted' });
    const body = Buffer.from(encoded, request.isBase64Encoded ? 'base64' : 'utf8');
    if (body.byteLength > maxBytes) return answer(413, { error: `the body is larger than ${maxBytes} bytes` });

    const proof = request.headers[names.proof];
    if (!proof) {
      logger.warn('webhook refused: unsigned', { host, missing: names.proof });
      return answer(401, { error: 'unauthorized' });
    }
    let valid: boolean;
    try {
      valid = await authentic(options, body, proof);
    } catch (error) {
      logger.error('webhook not checked: the secret cannot be read', { host, error: messageOf(error) });
      return answer(503, { error: 'the delivery cannot be checked now; try again' });
    }
    if (!valid) {
      logger.warn('webhook refused: bad signature', { host });
      return answer(401, { error: 'unauthorized' });
    }

    // Authenticated: only now is the body read.
    const event = request.headers[names.event];
    if (!event) return answer(400, { error: `no ${names.event} header` });
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      logger.warn('webhook refused: the body is not JSON', { host, event });
      return answer(400, { error: 'the body is not JSON' });
    }
    const deliveryId = deliveryIdOf(host, request.headers, body);
    if (!deliveryId) return answer(400, { error: `no valid ${names.delivery.join(' or ')} header` });
    const log = { host, event, deliveryId };

    const reading: WebhookReading =
      host === 'github'
        ? readGitHubEvent(event, payload, options.tracked, deliveryId)
        : readGitLabEvent(event, payload, options.tracked, deliveryId);
    if (reading.kind === 'ping') {
      logger.info('webhook ping', log);
      return answer(200, { ok: true, ping: true });
    }
    if (reading.kind === 'ignored') {
      logger.info('webhook ignored', { ...log, reason: reading.reason });
      return answer(202, { ignored: true, reason: reading.reason });
    }
    return handOver(options, reading.message, log);
  };
}

async function handOver(
  options: WebhookReceiverOptions,
  message: WebhookMessage,
  log: Record<string, unknown>,
): Promise<WebhookResponse> {
  const { host, logger } = options;
  const described = { ...log, kind: message.kind };
  try {
    if ((await options.deliveries.claim(host, message.deliveryId)) === 'seen') {
      logger.info('webhook delivery repeated; acknowledged, not queued again', described);
      return answer(200, { duplicate: true, deliveryId: message.deliveryId });
    }
    await options.enqueue(message);
  } catch (error) {
    logger.error('webhook delivery not queued; the host may deliver it again', {
      ...described,
      error: messageOf(error),
    });
    return answer(503, { error: 'the delivery could not be queued; try again' });
  }
  try {
    await options.deliveries.markSent(host, message.deliveryId);
  } catch (error) {
    // Queued already: at worst a repeat of it, after a minute, is queued again, and a second run changes nothing.
    logger.warn('webhook delivery queued but not marked sent', { ...described, error: messageOf(error) });
  }
  logger.info('webhook delivery queued', described);
  return answer(202, { accepted: true, kind: message.kind, deliveryId: message.deliveryId });
}

/** Checks the signature or token; on a mismatch, reads the secret again once if it may have been rotated. */
async function authentic(options: WebhookReceiverOptions, body: Buffer, proof: string): Promise<boolean> {
  const check = (secret: string) =>
    options.host === 'github' ? isGitHubSignatureValid(body, proof, secret) : isGitLabTokenValid(proof, secret);
  if (check(await options.secret.read())) return true;
  if (!(await options.secret.reread?.())) return false;
  return check(await options.secret.read());
}

function encodedTooLarge(encoded: string, base64: boolean, maxBytes: number): boolean {
  // Base64 carries 3 bytes in 4 characters; UTF-8 text has at least one byte per character.
  return base64 ? Math.floor(encoded.length / 4) * 3 > maxBytes + 3 : encoded.length > maxBytes;
}

/** The host's delivery id; for a GitLab older than the idempotency header and the event UUID, the body's hash (a
 * repeat carries the same body, two events never do). */
function deliveryIdOf(host: WebhookHost, headers: WebhookRequest['headers'], body: Buffer): string | undefined {
  for (const name of HEADERS[host].delivery) {
    const value = headers[name];
    if (value !== undefined) return DELIVERY_ID.test(value) ? value : undefined;
  }
  return host === 'gitlab' ? `sha256-${createHash('sha256').update(body).digest('hex')}` : undefined;
}

function answer(statusCode: number, body: Record<string, unknown>): WebhookResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
