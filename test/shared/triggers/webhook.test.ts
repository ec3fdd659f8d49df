/** The webhook receiver: GitHub's published signature example, tampered bodies, wrong secrets, missing headers,
 * oversized and malformed bodies, base64 bodies and GitLab's token, each refused with its status and no further work;
 * and repeated deliveries, remembered in DynamoDB Local, acknowledged without being queued again. */
import { randomUUID } from 'node:crypto';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureLockTable } from '../../../shared/lock/lease.ts';
import {
  createWebhookReceiver,
  MAX_WEBHOOK_BODY_BYTES,
  type WebhookRequest,
  type WebhookSecret,
} from '../../../shared/triggers/webhook.ts';
import {
  DELIVERY_TTL_SECONDS,
  DynamoDbDeliveryLog,
  deliveryKey,
  STALE_CLAIM_MS,
} from '../../../shared/triggers/webhook-deliveries.ts';
import type { WebhookHost, WebhookMessage } from '../../../shared/triggers/webhook-events.ts';
import {
  githubSignature,
  isGitHubSignatureValid,
  isGitLabTokenValid,
} from '../../../shared/triggers/webhook-signature.ts';
import { CapturingLogger } from '../../functions/support.ts';
import { localDynamoDb } from '../../support/dynamodb.ts';
import { githubPullRequest, githubPush, gitlabPush, HEAD } from './webhook-payloads.ts';

const TABLE = `webhook-lock-${randomUUID().slice(0, 8)}`;
const client: DynamoDBClient = localDynamoDb({ maxAttempts: 1 });

beforeAll(async () => {
  await ensureLockTable(client, TABLE);
});

/** A secret made for this run: never a real one. */
const SECRET = `test-secret-${randomUUID()}`;

/** The secret as the receiver reads it, counting the reads. */
class CountingSecret implements WebhookSecret {
  reads = 0;
  rereads = 0;
  /** `rotated`: what a reread finds (a rotation happened); absent: a reread is refused (read too recently). */
  constructor(
    private value: string,
    private readonly rotated?: string,
  ) {}
  async read(): Promise<string> {
    this.reads += 1;
    return this.value;
  }
  async reread(): Promise<boolean> {
    this.rereads += 1;
    if (this.rotated === undefined) return false;
    this.value = this.rotated;
    return true;
  }
}

interface Setup {
  readonly host?: WebhookHost;
  readonly secret?: CountingSecret;
  readonly enqueue?: (message: WebhookMessage) => Promise<void>;
  readonly now?: () => number;
}

function receiver(setup: Setup = {}) {
  const host = setup.host ?? 'github';
  const secret = setup.secret ?? new CountingSecret(SECRET);
  const queued: WebhookMessage[] = [];
  const logger = new CapturingLogger();
  const receive = createWebhookReceiver({
    host,
    tracked: {
      repository: host === 'github' ? 'acme/platform-config' : 'platform/team/platform-config',
      branch: 'main',
    },
    secret,
    deliveries: new DynamoDbDeliveryLog({ tableName: TABLE, client, ...(setup.now ? { now: setup.now } : {}) }),
    enqueue:
      setup.enqueue ??
      (async (message) => {
        queued.push(message);
      }),
    logger,
  });
  return { receive, queued, secret, logger };
}

/** A GitHub delivery signed with `secret` (the real signature unless `signature` is given). */
function githubDelivery(
  payload: unknown,
  options: { event?: string; secret?: string; signature?: string | null; delivery?: string; base64?: boolean } = {},
): WebhookRequest {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signature =
    options.signature === undefined ? githubSignature(Buffer.from(body), options.secret ?? SECRET) : options.signature;
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': options.event ?? 'push',
      'x-github-delivery': options.delivery ?? randomUUID(),
      ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
    },
    body: options.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: options.base64 === true,
  };
}

function gitlabDelivery(payload: unknown, token: string | null, headers: Record<string, string> = {}): WebhookRequest {
  return {
    method: 'POST',
    headers: {
      'x-gitlab-event': 'Push Hook',
      'idempotency-key': randomUUID(),
      ...(token === null ? {} : { 'x-gitlab-token': token }),
      ...headers,
    },
    body: JSON.stringify(payload),
    isBase64Encoded: false,
  };
}

const bodyOf = (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;

describe('GitHub signatures', () => {
  it("verifies GitHub's published example from 'Validating webhook deliveries'", () => {
    // Prepare
    const secret = "It's a Secret to Everybody";
    const payload = Buffer.from('Hello, World!');
    const published = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

    // Act
    const signed = githubSignature(payload, secret);
    const valid = isGitHubSignatureValid(payload, published, secret);

    // Assess
    expect(signed).toBe(published);
    expect(valid).toBe(true);
    expect(isGitHubSignatureValid(payload, published.toUpperCase().replace('SHA256=', 'sha256='), secret)).toBe(true);
  });

  it.each([
    ['a tampered body', Buffer.from('Hello, World?'), "It's a Secret to Everybody"],
    ['a wrong secret', Buffer.from('Hello, World!'), "It's a secret to everybody"],
    ['an empty secret', Buffer.from('Hello, World!'), ''],
  ])('refuses %s', (_what, payload, secret) => {
    // Act
    const valid = isGitHubSignatureValid(
      payload,
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      secret,
    );

    // Assess
    expect(valid).toBe(false);
  });

  it.each([
    ['no header', undefined],
    ['the SHA-1 header format', 'sha1=2fd4e1c67a2d28fced849ee1bb76e7391b93eb12'],
    ['a truncated signature', 'sha256=757107ea0eb2509f'],
    ['a signature that is not hex', `sha256=${'z'.repeat(64)}`],
  ])('refuses %s without comparing', (_what, header) => {
    // Act
    const valid = isGitHubSignatureValid(Buffer.from('Hello, World!'), header, "It's a Secret to Everybody");

    // Assess
    expect(valid).toBe(false);
  });

  it('compares GitLab tokens of any length without throwing', () => {
    // Assess
    expect(isGitLabTokenValid(SECRET, SECRET)).toBe(true);
    expect(isGitLabTokenValid(`${SECRET}x`, SECRET)).toBe(false);
    expect(isGitLabTokenValid('x', SECRET)).toBe(false);
    expect(isGitLabTokenValid(undefined, SECRET)).toBe(false);
    expect(isGitLabTokenValid('', '')).toBe(false);
  });
});

describe('the webhook receiver', () => {
  it('queues a signed push to the tracked branch and answers 202', async () => {
    // Prepare
    const { receive, queued } = receiver();
    const request = githubDelivery(githubPush());

    // Act
    const response = await receive(request);

    // Assess
    expect(response.statusCode).toBe(202);
    expect(bodyOf(response)).toMatchObject({ accepted: true, kind: 'push' });
    expect(queued).toEqual([
      expect.objectContaining({ kind: 'push', after: HEAD, deliveryId: request.headers['x-github-delivery'] }),
    ]);
  });

  it('refuses a tampered body, a wrong secret and a missing signature with 401, and queues nothing', async () => {
    // Prepare
    const { receive, queued, logger } = receiver();
    const signed = githubDelivery(githubPush());
    const tampered = { ...signed, body: (signed.body ?? '').replace('refs/heads/main', 'refs/heads/main ') };

    // Act
    const responses = await Promise.all([
      receive(tampered),
      receive(githubDelivery(githubPush(), { secret: 'not-the-secret' })),
      receive(githubDelivery(githubPush(), { signature: null })),
      receive(githubDelivery(githubPush(), { signature: 'sha256=' })),
    ]);

    // Assess
    expect(responses.map((response) => response.statusCode)).toEqual([401, 401, 401, 401]);
    expect(responses.map((response) => bodyOf(response))).toEqual(Array(4).fill({ error: 'unauthorized' }));
    expect(queued).toEqual([]);
    expect(JSON.stringify(logger.lines)).not.toContain(SECRET);
  });

  it('refuses a 30 MB body with 413 before reading the secret, decoding or hashing it', async () => {
    // Prepare
    const { receive, secret } = receiver();
    const huge = 'x'.repeat(30 * 1024 * 1024);

    // Act
    const plain = await receive(githubDelivery(huge, { signature: 'sha256=0' }));
    const base64 = await receive({
      ...githubDelivery('', { signature: 'sha256=0' }),
      body: huge,
      isBase64Encoded: true,
    });

    // Assess
    expect(plain.statusCode).toBe(413);
    expect(base64.statusCode).toBe(413);
    expect(secret.reads).toBe(0);
  });

  it('accepts a body just under the limit and refuses one just over it', async () => {
    // Prepare
    const { receive } = receiver();
    const padding = (size: number) => JSON.stringify({ ...githubPush(), padding: '' }).length - size;
    const sized = (size: number) => JSON.stringify({ ...githubPush(), padding: 'p'.repeat(-padding(size)) });

    // Act
    const under = await receive(githubDelivery(sized(MAX_WEBHOOK_BODY_BYTES)));
    const over = await receive(githubDelivery(sized(MAX_WEBHOOK_BODY_BYTES + 1)));

    // Assess
    expect(under.statusCode).toBe(202);
    expect(over.statusCode).toBe(413);
  });

  it('verifies the decoded bytes of a base64 body', async () => {
    // Prepare
    const { receive, queued } = receiver();

    // Act
    const response = await receive(githubDelivery(githubPush(), { base64: true }));

    // Assess
    expect(response.statusCode).toBe(202);
    expect(queued).toHaveLength(1);
  });

  it('answers 400 to a signed body that is not JSON, and to a delivery without an event name', async () => {
    // Prepare
    const { receive, queued } = receiver();
    const noEvent = githubDelivery(githubPush());
    const { 'x-github-event': _event, ...headers } = noEvent.headers;

    // Act
    const invalid = await receive(githubDelivery('{"ref": "refs/heads/main",'));
    const unnamed = await receive({ ...noEvent, headers });

    // Assess
    expect(invalid.statusCode).toBe(400);
    expect(bodyOf(invalid)).toEqual({ error: 'the body is not JSON' });
    expect(unnamed.statusCode).toBe(400);
    expect(queued).toEqual([]);
  });

  it('answers a ping with 200, ignores other events with 202 and a reason, and refuses a GET with 405', async () => {
    // Prepare
    const { receive, queued } = receiver();

    // Act
    const ping = await receive(githubDelivery({ zen: 'Design for failure.', hook_id: 1 }, { event: 'ping' }));
    const closed = await receive(githubDelivery(githubPullRequest('closed'), { event: 'pull_request' }));
    const get = await receive({ ...githubDelivery(githubPush()), method: 'GET' });

    // Assess
    expect([ping.statusCode, closed.statusCode, get.statusCode]).toEqual([200, 202, 405]);
    expect(bodyOf(closed)).toEqual({ ignored: true, reason: 'action closed does not change what would be merged' });
    expect(queued).toEqual([]);
  });

  it('acknowledges a replayed delivery with 200 and queues it once, remembered in the lock table for a week', async () => {
    // Prepare
    const { receive, queued } = receiver();
    const request = githubDelivery(githubPullRequest('synchronize'), { event: 'pull_request' });
    const deliveryId = request.headers['x-github-delivery'] ?? '';

    // Act
    const first = await receive(request);
    const replays = await Promise.all([receive(request), receive(request)]);

    // Assess
    expect(first.statusCode).toBe(202);
    expect(replays.map((response) => response.statusCode)).toEqual([200, 200]);
    expect(bodyOf(replays[0]!)).toEqual({ duplicate: true, deliveryId });
    expect(queued).toHaveLength(1);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: deliveryKey('github', deliveryId) } } }),
    );
    expect(Item?.state?.S).toBe('sent');
    const ttl = Number(Item?.ttl?.N) - Math.floor(Date.now() / 1000);
    expect(ttl).toBeGreaterThan(DELIVERY_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(DELIVERY_TTL_SECONDS);
  });

  it('answers 503 when the queue refuses, and takes the delivery again once the failed claim is stale', async () => {
    // Prepare
    const clock = { t: Date.now() };
    let failing = true;
    const queued: WebhookMessage[] = [];
    const { receive } = receiver({
      now: () => clock.t,
      enqueue: async (message) => {
        if (failing) throw new Error('SQS is unavailable');
        queued.push(message);
      },
    });
    const request = githubDelivery(githubPush());

    // Act
    const failed = await receive(request);
    failing = false;
    const tooSoon = await receive(request);
    clock.t += STALE_CLAIM_MS + 1;
    const retried = await receive(request);

    // Assess
    expect(failed.statusCode).toBe(503);
    expect(tooSoon.statusCode).toBe(200);
    expect(retried.statusCode).toBe(202);
    expect(queued).toHaveLength(1);
  });

  it('reads a rotated secret again when a signature does not match the one it holds', async () => {
    // Prepare
    const secret = new CountingSecret('the-secret-before-rotation', SECRET);
    const { receive, queued } = receiver({ secret });

    // Act
    const response = await receive(githubDelivery(githubPush()));

    // Assess
    expect(response.statusCode).toBe(202);
    expect(secret.rereads).toBe(1);
    expect(queued).toHaveLength(1);
  });

  it('asks for the secret again at most as the secret allows when signatures keep failing', async () => {
    // Prepare
    const secret = new CountingSecret(SECRET);
    const { receive } = receiver({ secret });

    // Act
    const response = await receive(githubDelivery(githubPush(), { secret: 'forged' }));

    // Assess
    expect(response.statusCode).toBe(401);
    expect(secret.rereads).toBe(1);
    expect(secret.reads).toBe(1);
  });
});

describe('the webhook receiver for GitLab', () => {
  it('queues a push hook with the right token, and refuses a wrong or missing one with 401', async () => {
    // Prepare
    const { receive, queued } = receiver({ host: 'gitlab' });

    // Act
    const accepted = await receive(gitlabDelivery(gitlabPush(), SECRET));
    const wrong = await receive(
      gitlabDelivery(gitlabPush(), `${SECRET.slice(0, -1)}${SECRET.endsWith('0') ? '1' : '0'}`),
    );
    const missing = await receive(gitlabDelivery(gitlabPush(), null));
    const githubSigned = await receive({
      ...githubDelivery(gitlabPush()),
      headers: { ...githubDelivery(gitlabPush()).headers, 'x-gitlab-event': 'Push Hook' },
    });

    // Assess
    expect(accepted.statusCode).toBe(202);
    expect([wrong.statusCode, missing.statusCode, githubSigned.statusCode]).toEqual([401, 401, 401]);
    expect(queued).toEqual([expect.objectContaining({ kind: 'push', host: 'gitlab' })]);
  });

  it('remembers a delivery by Idempotency-Key, else by X-Gitlab-Event-UUID, else by the body', async () => {
    // Prepare
    const { receive, queued } = receiver({ host: 'gitlab' });
    const key = randomUUID();
    const byKey = gitlabDelivery(gitlabPush(), SECRET, { 'idempotency-key': key });
    const { 'idempotency-key': _key, ...withoutKey } = gitlabDelivery(gitlabPush(), SECRET).headers;
    const byUuid = { ...byKey, headers: { ...withoutKey, 'x-gitlab-event-uuid': randomUUID() } };
    const byBody = { ...byKey, body: JSON.stringify(gitlabPush({ total_commits_count: 2 })), headers: withoutKey };

    // Act
    const statuses = [];
    for (const request of [byKey, byKey, byUuid, byUuid, byBody, byBody])
      statuses.push((await receive(request)).statusCode);

    // Assess
    expect(statuses).toEqual([202, 200, 202, 200, 202, 200]);
    expect(queued).toHaveLength(3);
    expect(queued[0]?.deliveryId).toBe(key);
    expect(queued[2]?.deliveryId).toMatch(/^sha256-[0-9a-f]{64}$/);
  });

  it('refuses a delivery id that could not be a key', async () => {
    // Prepare
    const { receive, queued } = receiver({ host: 'gitlab' });

    // Act
    const response = await receive(gitlabDelivery(gitlabPush(), SECRET, { 'idempotency-key': 'a#b c' }));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(queued).toEqual([]);
  });
});

describe('delivery items', () => {
  it('are written under DELIVERY#<host>#<id>, the only keys the receiver may write', async () => {
    // Prepare
    const log = new DynamoDbDeliveryLog({ tableName: TABLE, client });
    const id = randomUUID();

    // Act
    const first = await log.claim('gitlab', id);
    const second = await log.claim('gitlab', id);
    const otherHost = await log.claim('github', id);

    // Assess
    expect([first, second, otherHost]).toEqual(['new', 'seen', 'new']);
    expect(deliveryKey('gitlab', id)).toBe(`DELIVERY#gitlab#${id}`);
  });
});
