import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LedgerEntry } from '../../../shared/audit/ledger.ts';
import { LEDGER_LOG_MESSAGE, ledgerLogFields, powertoolsLogLine } from '../../../shared/audit/log.ts';

const ENTRY: LedgerEntry = {
  entryId: '20240501T120000000Z-00112233445566778899',
  kind: 'outcome',
  time: '2024-05-01T12:00:00.000Z',
  runId: 'run-1',
  trigger: 'push',
  repository: 'config',
  branch: 'main',
  commitId: 'abc123',
  commitAuthor: 'Ada <ada@example.com>',
  dryRun: false,
  actionId: 'action-1',
  resourceId: 'EcsService:prod/web',
  action: 'UpdateService',
  changes: [{ path: '/spec/taskDefinition/cpu', before: '256', after: '512' }],
  result: 'failed',
  errorCode: 'AccessDeniedException',
  references: { serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web' },
  durationMs: 42,
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ledger log line', () => {
  it('carries exactly the entry fields, unset ones left out', () => {
    expect(ledgerLogFields(ENTRY)).toStrictEqual({ ...ENTRY });
    expect(ledgerLogFields({ ...ENTRY, reason: undefined })).not.toHaveProperty('reason');
  });

  it('logs "ledger entry" at info with the entry under ledger, through the logger it is given', () => {
    const calls: unknown[][] = [];
    const logLine = powertoolsLogLine({ info: (...args: unknown[]) => calls.push(args) });
    logLine(ENTRY);
    expect(calls).toStrictEqual([[LEDGER_LOG_MESSAGE, { ledger: { ...ENTRY } }]]);
  });

  it('writes one JSON line through Powertools Logger that CloudWatch Logs Insights can filter on', () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    powertoolsLogLine(new Logger({ serviceName: 'driftless' }))(ENTRY);
    vi.restoreAllMocks();

    const lines = written.join('').trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'INFO', message: 'ledger entry', service: 'driftless', ledger: ENTRY });
    expect(line.ledger).toStrictEqual(JSON.parse(JSON.stringify(ENTRY)));
  });
});
