/** Break-glass pauses: which are active (newest entry per resource, until after now), read with ONE Query of the
 * sparse pauses index over the last seven days, and the entries pause and resume write. */
import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbLedger, ensureLedgerTable, LEDGER_INDEX } from '../../../shared/audit/dynamodb.ts';
import { newEntryId } from '../../../shared/audit/ids.ts';
import { silentLogLine } from '../../../shared/audit/log.ts';
import {
  activePausesFrom,
  breakGlassEntry,
  MAX_PAUSE_MS,
  PAUSE_API_CALL,
  parseDuration,
} from '../../../shared/audit/pauses.ts';
import { localDynamoDb } from '../../support/dynamodb.ts';

const NOW = Date.parse('2026-11-27T12:00:00.000Z');
const HOUR = 3_600_000;
const WEB = 'EcsService:prod/web';
const API = 'EcsService:prod/api';

function entry(
  kind: 'pause' | 'resume',
  at: number,
  options: { resourceId?: string; durationMs?: number; branch?: string } = {},
) {
  return breakGlassEntry({
    kind,
    entryId: newEntryId(new Date(at)),
    repository: 'platform-config',
    branch: options.branch ?? 'main',
    commitId: 'c'.repeat(40),
    resourceId: options.resourceId ?? WEB,
    by: 'arn:aws:iam::123456789012:user/oncall',
    reason: `${kind} at ${new Date(at).toISOString()}`,
    now: at,
    ...(kind === 'pause' ? { durationMs: options.durationMs ?? 2 * HOUR } : {}),
  });
}

describe('parseDuration', () => {
  it.each([
    ['30m', 30 * 60_000],
    ['2h', 2 * HOUR],
    ['1d', 24 * HOUR],
    ['90s', 90_000],
    ['1.5h', 1.5 * HOUR],
    [' 7D ', 7 * 24 * HOUR],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '2', 'h', '2w', '-1h', '0m', 'two hours'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('breakGlassEntry', () => {
  it('writes a pause with its end, the caller and the call', () => {
    expect(entry('pause', NOW)).toMatchObject({
      kind: 'pause',
      time: '2026-11-27T12:00:00.000Z',
      until: '2026-11-27T14:00:00.000Z',
      changedBy: 'arn:aws:iam::123456789012:user/oncall',
      apiCall: PAUSE_API_CALL,
      trigger: 'manual',
      resourceId: WEB,
    });
    expect(entry('resume', NOW)).not.toHaveProperty('until');
  });

  it('refuses a pause longer than seven days', () => {
    expect(() => entry('pause', NOW, { durationMs: MAX_PAUSE_MS + 1 })).toThrow(/at most 7 days/);
    expect(entry('pause', NOW, { durationMs: MAX_PAUSE_MS }).until).toBe('2026-12-04T12:00:00.000Z');
  });
});

describe('activePausesFrom', () => {
  it('keeps a pause while until is after now; the newest entry per resource wins', () => {
    // Prepare
    const entries = [
      entry('pause', NOW - HOUR, { durationMs: 2 * HOUR }),
      entry('pause', NOW - 3 * HOUR, { resourceId: API, durationMs: 2 * HOUR }),
      entry('pause', NOW - 2 * HOUR, { resourceId: 'EcsService:prod/worker', durationMs: 4 * HOUR }),
      entry('resume', NOW - 60_000, { resourceId: 'EcsService:prod/worker' }),
    ];

    // Act
    const active = activePausesFrom(entries.reverse(), NOW);

    // Assess
    expect(active).toEqual([
      {
        resourceId: WEB,
        until: '2026-11-27T13:00:00.000Z',
        by: 'arn:aws:iam::123456789012:user/oncall',
        reason: 'pause at 2026-11-27T11:00:00.000Z',
        since: '2026-11-27T11:00:00.000Z',
        entryId: expect.any(String),
      },
    ]);
    expect(activePausesFrom(entries, NOW + HOUR)).toEqual([]);
  });

  it('lets a newer pause replace an older one', () => {
    const entries = [
      entry('pause', NOW - HOUR, { durationMs: 5 * HOUR }),
      entry('pause', NOW - 60_000, { durationMs: HOUR }),
    ];
    expect(activePausesFrom(entries, NOW).map((pause) => pause.until)).toEqual(['2026-11-27T12:59:00.000Z']);
  });
});

describe('DynamoDbLedger.activePauses', () => {
  it('answers with one Query of the pauses index, for its branch only, over the last seven days', async () => {
    // Prepare
    const client = localDynamoDb();
    const tableName = `pauses-${randomUUID().slice(0, 8)}`;
    await ensureLedgerTable(client, tableName);
    const ledger = new DynamoDbLedger({ tableName, client, logger: silentLogLine });
    await ledger.append(entry('pause', NOW - HOUR));
    await ledger.append(entry('pause', NOW - HOUR, { resourceId: API, branch: 'staging' }));
    // Older than seven days: outside the query, and over by now anyway.
    await ledger.append(
      entry('pause', NOW - 8 * 24 * HOUR, { resourceId: 'EcsService:prod/old', durationMs: MAX_PAUSE_MS }),
    );
    const sent: unknown[] = [];
    const send = client.send.bind(client);
    client.send = ((command: unknown) => {
      sent.push(command);
      return send(command as never);
    }) as typeof client.send;

    // Act
    const active = await ledger.activePauses('platform-config', 'main', NOW);

    // Assess
    expect(active.map((pause) => pause.resourceId)).toEqual([WEB]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(QueryCommand);
    expect((sent[0] as QueryCommand).input).toMatchObject({
      IndexName: LEDGER_INDEX.pauses,
      KeyConditionExpression: 'pausePk = :pk AND sk >= :since',
      ExpressionAttributeValues: {
        ':pk': { S: 'PAUSE#platform-config#main' },
        ':since': { S: '2026-11-20T12:00:00.000Z' },
      },
    });
    expect(await ledger.activePauses('platform-config', 'staging', NOW)).toHaveLength(1);
  });
});
