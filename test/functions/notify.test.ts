/** Publishing notifications: PutEvents batches of at most 10 entries, failed entries sent again, and a publish that
 * cannot get through never fails the function. */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  batchEntries,
  DETAIL_TYPES,
  type DriftlessEvent,
  EVENT_SOURCE,
  EventPublisher,
  MAX_BYTES_PER_PUT,
} from '../../shared/notify/events.ts';
import { CapturingLogger } from './support.ts';

const client = new EventBridgeClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const eventBridge = mockClient(client);

function events(count: number): DriftlessEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    detailType: DETAIL_TYPES.reconcileSucceeded,
    detail: { runId: `run-${index}`, resourceIds: [`EcsService:prod/web-${index}`] },
  }));
}

describe('event publisher', () => {
  afterEach(() => {
    eventBridge.reset();
  });

  it('sends PutEvents in batches of at most 10 entries, on the configured bus, with source driftless', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, index) => ({ EventId: `id-${index}` })),
    }));
    const publisher = new EventPublisher({ client, eventBusName: 'driftless-bus' });

    // Act
    const report = await publisher.publish(events(23));

    // Assess
    const calls = eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
    expect(calls.map((entries) => entries.length)).toEqual([10, 10, 3]);
    expect(report).toEqual({ calls: 3, published: 23, failed: 0 });
    expect(calls.flat().every((entry) => entry.Source === EVENT_SOURCE && entry.EventBusName === 'driftless-bus')).toBe(
      true,
    );
    expect(JSON.parse(calls[2]?.[2]?.Detail ?? '{}')).toMatchObject({ runId: 'run-22' });
  });

  it('sends again only the entries EventBridge reports as failed', async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }, { EventId: 'c' }],
      })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
    const publisher = new EventPublisher({ client, eventBusName: 'default' });

    // Act
    const report = await publisher.publish(events(3));

    // Assess
    const calls = eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
    expect(calls.map((entries) => entries.map((entry) => JSON.parse(entry.Detail ?? '{}').runId))).toEqual([
      ['run-0', 'run-1', 'run-2'],
      ['run-1'],
    ]);
    expect(report).toEqual({ calls: 2, published: 3, failed: 0 });
  });

  it('logs and never throws when PutEvents keeps failing', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const logger = new CapturingLogger();
    const publisher = new EventPublisher({ client, eventBusName: 'default', logger });

    // Act
    const report = await publisher.publish(events(2));

    // Assess
    expect(report).toEqual({ calls: 1, published: 0, failed: 2 });
    expect(logger.lines).toEqual([expect.objectContaining({ level: 'warn', message: 'notifications not published' })]);
  });

  it('keeps every batch under the PutEvents size limit', () => {
    // Prepare
    const big: PutEventsRequestEntry = {
      Source: 'driftless',
      DetailType: 'Drift Detected',
      Detail: 'x'.repeat(100_000),
    };

    // Act
    const batches = batchEntries([big, big, big, big]);

    // Assess
    expect(batches.map((batch) => batch.length)).toEqual([2, 2]);
    expect(MAX_BYTES_PER_PUT).toBe(256 * 1024);
  });
});
