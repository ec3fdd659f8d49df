/** The fanned-out sweep, end to end: the sweep plans the shards of the branch head and sends them to SQS (mocked with
 * aws-sdk-client-mock), and the sweep-shard worker, given those very messages as SQS records, reconciles each shard
 * against the simulator, DynamoDB Local and a local git repository. */
import { randomUUID } from 'node:crypto';
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SendMessageBatchResult,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScheduledEvent } from '../../functions/events.ts';
import { createSweepHandler, type ShardMessage } from '../../functions/sweep.ts';
import { createSweepShardHandler, parseShardMessage, type SQSRecord } from '../../functions/sweep-shard.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { createHarness, eventFixture, type Harness, REGION, writeCount } from './support.ts';

const SCHEDULED = eventFixture<ScheduledEvent>('scheduled-event');
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/driftless-sweep-shards';

interface FanOutHarness extends Harness {
  readonly sqs: ReturnType<typeof mockClient>;
  /** Every SendMessageBatch call's entries, in order. */
  batches(): SendMessageBatchRequestEntry[][];
  /** The bodies of every message sent, parsed. */
  sent(): ShardMessage[];
  /** The messages sent, as the SQS event source delivers them. */
  records(): SQSRecord[];
  sweep(): ReturnType<ReturnType<typeof createSweepHandler>>;
  /** The worker, one invocation per record (batch size 1) unless told otherwise. */
  work(records: readonly SQSRecord[]): ReturnType<ReturnType<typeof createSweepShardHandler>>;
  /** Statuses of the reconcile runs the functions finished, in order. */
  statuses(): unknown[];
  /** Forgets the messages sent so far and the log lines. */
  forget(): void;
}

/** Accepts every entry unless `failures` says otherwise (entry ids to fail, per call). */
async function fanOutHarness(
  options: {
    prune?: boolean;
    shardSize?: number;
    failures?: (entries: SendMessageBatchRequestEntry[]) => string[];
  } = {},
): Promise<FanOutHarness> {
  const client = new SQSClient({ region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const sqs = mockClient(client);
  /** Per SendMessageBatch call, the entries SQS took. */
  const taken: SendMessageBatchRequestEntry[][] = [];
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries?: SendMessageBatchRequestEntry[] }) => {
    const entries = input.Entries ?? [];
    const failed = new Set(options.failures?.(entries) ?? []);
    taken.push(entries.filter((entry) => !failed.has(entry.Id ?? '')));
    return {
      Successful: entries
        .filter((entry) => !failed.has(entry.Id ?? ''))
        .map((entry) => ({ Id: entry.Id, MessageId: randomUUID(), MD5OfMessageBody: 'md5' })),
      Failed: [...failed].map((id) => ({ Id: id, SenderFault: false, Code: 'InternalError', Message: 'try again' })),
    } satisfies SendMessageBatchResult;
  });
  const harness = await createHarness({
    environment: {
      prune: options.prune ?? false,
      sweepShardSize: options.shardSize ?? 1,
      shardQueueUrl: QUEUE_URL,
    },
    deps: { sqs: client },
  });
  const batches = () =>
    sqs.commandCalls(SendMessageBatchCommand).map((call) => {
      expect(call.args[0].input.QueueUrl).toBe(QUEUE_URL);
      return call.args[0].input.Entries ?? [];
    });
  const delivered = () => taken.flat();
  return {
    ...harness,
    sqs,
    batches,
    sent: () => delivered().map((entry) => JSON.parse(entry.MessageBody ?? '') as ShardMessage),
    records: () =>
      delivered().map((entry) => ({
        messageId: randomUUID(),
        receiptHandle: randomUUID(),
        body: entry.MessageBody ?? '',
        attributes: { ApproximateReceiveCount: '1' },
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:driftless-sweep-shards',
        awsRegion: REGION,
      })),
    sweep: () => createSweepHandler(harness.deps)(SCHEDULED),
    work: (records) => createSweepShardHandler(harness.deps)({ Records: records }),
    statuses: () =>
      harness.logger.lines
        .filter((line) => line.message.startsWith('reconcile finished'))
        .map((line) => line.attributes.status),
    forget: () => {
      sqs.resetHistory();
      taken.length = 0;
      harness.logger.lines.length = 0;
    },
    cleanup: async () => {
      sqs.restore();
      await harness.cleanup();
    },
  };
}

/** The shards of the example repository with one service per shard: of prod's three services, worker hashes to shard
 * 1 of 3 and api and web to shard 2, so shard 0 is empty; the stack is the stacks' only shard. */
function exampleShards(commitId: string): ShardMessage[] {
  return [
    { shard: { group: 'prod', index: 0, count: 3 }, commitId },
    { shard: { group: 'prod', index: 1, count: 3 }, commitId },
    { shard: { group: 'prod', index: 2, count: 3 }, commitId },
    { shard: { group: 'stacks', index: 0, count: 1 }, commitId },
  ];
}

const byBody = (a: ShardMessage, b: ShardMessage) => JSON.stringify(a).localeCompare(JSON.stringify(b));

/** One worker invocation per record, all at once, as workers running side by side would. */
async function workSideBySide(harness: FanOutHarness, records: readonly SQSRecord[]) {
  return Promise.all(records.map((record) => harness.work([record])));
}

describe('sweep with fan-out', () => {
  let harness: FanOutHarness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it('sends one message per shard of the head and reconciles nothing itself', async () => {
    // Prepare
    harness = await fanOutHarness();
    const head = await harness.bootstrap();
    harness.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 1;
    });

    // Act
    const result = await harness.sweep();

    // Assess
    expect(result).toEqual({ outcome: 'fanned-out', shards: 4, prune: false, commitId: head });
    expect([...harness.sent()].sort(byBody)).toEqual(exampleShards(head).sort(byBody));
    expect(harness.batches()).toHaveLength(1);
    expect(harness.simulator.calls).toEqual({});
    expect(harness.simulator.services().find((service) => service.serviceName === 'web')?.desiredCount).toBe(1);
    expect(harness.announced()).toEqual([]);
    expect(harness.logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: 'sweep fanned out',
        attributes: expect.objectContaining({ shards: 4 }),
      }),
    );
  });

  it('sends at most 10 messages per SendMessageBatch, and sends again what SQS did not take', async () => {
    // Prepare: 27 services in prod, one per shard, and the stack; SQS fails the first entry of the first call once.
    let failedOnce = false;
    harness = await fanOutHarness({
      failures: (entries) => {
        if (failedOnce) return [];
        failedOnce = true;
        return [entries[0]?.Id ?? ''];
      },
    });
    const web = (await readTree(EXAMPLE_REPO_DIR))['services/web.yaml']!.toString();
    const more = Object.fromEntries(
      Array.from({ length: 24 }, (_, i) => [
        `services/web-${i}.yaml`,
        web.replace('  name: web\n', `  name: web-${i}\n`).replace('family: web\n', `family: web-${i}\n`),
      ]),
    );
    const head = await harness.repo.commit(more, '24 more web tiers');

    // Act
    const result = await harness.sweep();

    // Assess
    expect(result).toEqual({ outcome: 'fanned-out', shards: 28, prune: false, commitId: head });
    expect(harness.batches().map((entries) => entries.length)).toEqual([10, 1, 10, 8]);
    const bodies = harness.batches().flat();
    const [first, resent] = [bodies[0], bodies[10]];
    expect(resent).toEqual(first);
    const unique = new Set(bodies.map((entry) => entry.MessageBody));
    expect(unique.size).toBe(28);
    const prod = [...unique]
      .map((body) => JSON.parse(body ?? '') as ShardMessage)
      .filter((message) => 'shard' in message && message.shard.group === 'prod');
    expect(prod.map((message) => ('shard' in message ? message.shard.index : -1)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 27 }, (_, i) => i),
    );
    expect(harness.simulator.calls).toEqual({});
  });

  it('fails terminally, announced, when SQS refuses the messages as the sender’s fault', async () => {
    // Prepare
    harness = await fanOutHarness();
    harness.sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: 'message-0', SenderFault: true, Code: 'AccessDenied', Message: 'not allowed' }],
    });

    // Act
    const result = await harness.sweep();

    // Assess
    expect(result).toMatchObject({
      outcome: 'failed',
      error: { name: 'TerminalError', retryable: false },
      announced: ['Reconcile Failed'],
    });
    expect(harness.announced()).toEqual(['Reconcile Failed']);
    expect(harness.simulator.calls).toEqual({});
  });

  it('rethrows for EventBridge to retry when SQS keeps failing messages on its side', async () => {
    // Prepare
    harness = await fanOutHarness({ failures: (entries) => entries.map((entry) => entry.Id ?? '') });

    // Act
    const failure = await harness.sweep().catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ name: 'RetryableError', retryable: true });
    expect(harness.batches()).toHaveLength(3);
    expect(harness.announced()).toEqual(['Reconcile Failed']);
  });
});

describe('sweep-shard worker', () => {
  let harness: FanOutHarness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it('applies every declaration exactly once across the shards, side by side; a second round changes nothing', async () => {
    // Prepare: nothing deployed yet.
    harness = await fanOutHarness();
    await harness.sweep();

    // Act
    const responses = await workSideBySide(harness, harness.records());

    // Assess: each shard under its own lease, none skipped; every resource created once.
    expect(responses).toEqual(Array.from({ length: 4 }, () => ({ batchItemFailures: [] })));
    expect([...harness.statuses()].sort()).toEqual(['applied', 'applied', 'applied', 'in-sync']);
    expect(harness.simulator.calls).toMatchObject({
      'ECS.RegisterTaskDefinition': 3,
      'ECS.CreateService': 3,
      'CloudFormation.CreateChangeSet': 1,
      'CloudFormation.ExecuteChangeSet': 1,
    });
    expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(0);
    expect(
      harness.simulator
        .services()
        .map((service) => service.serviceName)
        .sort(),
    ).toEqual(['api', 'web', 'worker']);
    expect(harness.simulator.stacks().map((stack) => stack.stackName)).toEqual(['platform-network']);

    // Act: the next sweep and its shards.
    harness.simulator.advance();
    harness.simulator.resetCalls();
    harness.forget();
    await harness.sweep();
    const again = await workSideBySide(harness, harness.records());

    // Assess
    expect(again.flatMap((response) => response.batchItemFailures)).toEqual([]);
    expect(harness.statuses()).toEqual(['in-sync', 'in-sync', 'in-sync', 'in-sync']);
    expect(writeCount(harness.simulator)).toBe(0);
  });

  it('reverts drift in the shard that holds the drifted service, and only there', async () => {
    // Prepare
    harness = await fanOutHarness();
    await harness.bootstrap();
    harness.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 1;
    });
    await harness.sweep();

    // Act
    await workSideBySide(harness, harness.records());

    // Assess
    expect(writeCount(harness.simulator)).toBe(1);
    expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(1);
    expect(harness.announced().sort()).toEqual(['Drift Detected', 'Drift Reverted', 'Reconcile Succeeded']);
    expect(harness.details('Drift Reverted')).toEqual([
      expect.objectContaining({ trigger: 'schedule', resourceIds: ['EcsService:prod/web'] }),
    ]);
    expect([...harness.statuses()].sort()).toEqual(['applied', 'in-sync', 'in-sync', 'in-sync']);
    expect(harness.simulator.services().find((service) => service.serviceName === 'web')?.desiredCount).toBe(3);
  });

  it('reports a retryable failure of one message for SQS to deliver again; the others are done', async () => {
    // Prepare: CloudFormation throttles, so the stacks' shard cannot read its stack; ECS answers.
    harness = await fanOutHarness();
    await harness.sweep();
    const records = harness.records();
    const stacks = records.find((record) => record.body.includes('"stacks"'));
    harness.simulator.injectFault('CloudFormation.*', 'throttle', 100);

    // Act
    const response = await harness.work(records);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: stacks?.messageId }] });
    expect(writeCount(harness.simulator, 'ECS.CreateService')).toBe(3);
    expect(writeCount(harness.simulator, 'CloudFormation.CreateChangeSet')).toBe(0);
    expect(harness.logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: expect.stringContaining('SQS delivers it again'),
        attributes: expect.objectContaining({ messageId: stacks?.messageId }),
      }),
    );

    // Act: SQS delivers it again, CloudFormation answering now.
    harness.simulator.clearFaults();
    const redelivered = await harness.work([stacks as SQSRecord]);

    // Assess
    expect(redelivered).toEqual({ batchItemFailures: [] });
    expect(writeCount(harness.simulator, 'CloudFormation.CreateChangeSet')).toBe(1);
    expect(writeCount(harness.simulator, 'ECS.CreateService')).toBe(3);
  });

  it('logs a message it cannot read and does not ask for it again', async () => {
    // Prepare
    harness = await fanOutHarness();
    const record = (body: string): SQSRecord => ({ messageId: randomUUID(), body });

    // Act
    const response = await harness.work([
      record('not json'),
      record(JSON.stringify({ shard: { group: 'prod', index: 2, count: 2 }, commitId: 'a'.repeat(40) })),
      record(JSON.stringify({ prune: false })),
    ]);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(harness.logger.lines.filter((line) => line.message.startsWith('shard message ignored'))).toHaveLength(3);
    expect(harness.simulator.calls).toEqual({});
  });

  it('prunes in the one prune message when the deployment and driftless.yaml both prune; shards never prune', async () => {
    // Prepare: worker removed from the repository, pruning on with room for one of four.
    harness = await fanOutHarness({ prune: true });
    await harness.bootstrap();
    const settings = (await readTree(EXAMPLE_REPO_DIR))['driftless.yaml']!.toString();
    const head = await harness.repo.commit(
      {
        'driftless.yaml': settings
          .replace('prune: false', 'prune: true')
          .replace('maxPruneFraction: 0.2', 'maxPruneFraction: 0.5'),
        'services/worker.yaml': null,
      },
      'remove worker, prune',
    );

    // Act
    const result = await harness.sweep();
    const records = harness.records();
    const shards = records.filter((record) => !record.body.includes('"prune"'));
    const prune = records.filter((record) => record.body.includes('"prune"'));
    await workSideBySide(harness, shards);

    // Assess: the shards leave the worker service alone.
    expect(result).toEqual({ outcome: 'fanned-out', shards: 3, prune: true, commitId: head });
    expect(prune.map((record) => JSON.parse(record.body))).toEqual([{ prune: true, commitId: head }]);
    expect(writeCount(harness.simulator, 'ECS.DeleteService')).toBe(0);

    // Act
    const response = await harness.work(prune);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(writeCount(harness.simulator, 'ECS.DeleteService')).toBe(1);
    expect(harness.simulator.services().find((service) => service.serviceName === 'worker')?.status).not.toBe('ACTIVE');
  });

  it('skips a prune message, touching nothing, when driftless.yaml does not prune (and the sweep sends none)', async () => {
    // Prepare: the deployment allows pruning; the example's driftless.yaml does not prune.
    harness = await fanOutHarness({ prune: true });
    await harness.bootstrap();

    // Act
    const result = await harness.sweep();
    const response = await harness.work([{ messageId: randomUUID(), body: JSON.stringify({ prune: true }) }]);

    // Assess
    expect(result).toMatchObject({ outcome: 'fanned-out', prune: false });
    expect(harness.sent().some((message) => 'prune' in message)).toBe(false);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(harness.simulator.calls).toEqual({});
    expect(harness.logger.lines).toContainEqual(
      expect.objectContaining({ message: 'prune pass skipped: driftless.yaml does not enable pruning' }),
    );
  });
});

describe('parseShardMessage', () => {
  it.each([
    [{ shard: { group: 'prod', index: 0, count: 1 }, commitId: 'abc' }, true],
    [{ prune: true, commitId: 'abc' }, true],
    [{ prune: true }, true],
    [{ shard: { group: 'prod', index: 1, count: 1 }, commitId: 'abc' }, false],
    [{ shard: { group: '', index: 0, count: 1 }, commitId: 'abc' }, false],
    [{ shard: { group: 'prod', index: 0.5, count: 1 }, commitId: 'abc' }, false],
    [{ shard: { group: 'prod', index: 0, count: 1 } }, false],
    [{ prune: 'yes' }, false],
    [[], false],
  ])('%j → %s', (body, ok) => {
    // Assess
    expect(parseShardMessage(JSON.stringify(body)).ok).toBe(ok);
  });
});
