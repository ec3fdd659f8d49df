import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LEDGER_QUERIES, ledgerFieldsIn } from '../../infra/queries.ts';
import { RESOURCE_OUTCOMES } from '../../shared/apply/executor.ts';
import { pairsIntents } from '../../shared/audit/intents.ts';
import type { AwsReferences, LedgerEntry } from '../../shared/audit/ledger.ts';
import { LEDGER_LOG_MESSAGE, ledgerLogFields, powertoolsLogLine } from '../../shared/audit/log.ts';

/** Every LedgerEntry field set (Required: a new field does not compile until it is added here). */
const FULL_ENTRY: Required<LedgerEntry> = {
  entryId: '20240501T120000000Z-00112233445566778899',
  kind: 'outcome',
  time: '2024-05-01T12:00:00.000Z',
  runId: 'run-1',
  trigger: 'schedule',
  repository: 'platform-config',
  branch: 'main',
  commitId: 'c0ffee',
  commitAuthor: 'Ada <ada@example.com>',
  commitCommitter: 'Ada <ada@example.com>',
  pushedBy: 'arn:aws:iam::123456789012:user/ada',
  changedBy: 'arn:aws:sts::123456789012:assumed-role/Admin/bob',
  apiCall: 'ecs:UpdateService',
  until: '2024-05-01T14:00:00.000Z',
  dryRun: false,
  actionId: 'action-1',
  resourceId: 'EcsService:prod/web',
  action: 'UpdateService',
  changes: [{ path: '/spec/desiredCount', before: 2, after: 3 }],
  result: 'succeeded',
  errorCode: 'ThrottlingException',
  errorMessage: 'Rate exceeded',
  references: {
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
    serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
    deploymentId: 'ecs-svc/123',
    serviceDeploymentArn: 'arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/r4nd0m',
    changeSetArn: 'arn:aws:cloudformation:us-east-1:123456789012:changeSet/driftless-c0ffee/1',
    stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/platform-network/1',
    pullRequestId: '42',
    cloudTrailEventId: '6a7e8f9a-0000-4000-8000-000000000001',
  } satisfies Required<AwsReferences>,
  durationMs: 1234,
  summary: Object.fromEntries(RESOURCE_OUTCOMES.map((outcome, index) => [outcome, index])),
  reason: 'drift detected; self-heal is off, so it is recorded and announced, not reverted',
  recovered: true,
};

/** The value at a Logs Insights field path (`changes.0.path`) in a JSON object, or undefined. */
function at(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, segment) => {
    if (Array.isArray(node)) return node[Number(segment)];
    if (node !== null && typeof node === 'object') return (node as Record<string, unknown>)[segment];
    return undefined;
  }, value);
}

/** The JSON line Powertools really prints for the entry (stdout, as Lambda captures it). */
function printedLine(entry: LedgerEntry): Record<string, unknown> {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  powertoolsLogLine(new Logger({ serviceName: 'driftless' }))(entry);
  vi.restoreAllMocks();
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] as string) as Record<string, unknown>;
}

describe('saved Logs Insights queries', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('include the ones the documentation promises', () => {
    // Assess
    expect(Object.keys(LEDGER_QUERIES)).toEqual(
      expect.arrayContaining([
        'driftless/recent-changes',
        'driftless/failures',
        'driftless/drift-reverted',
        'driftless/resource-history',
        'driftless/changes-by-author',
        'driftless/rollouts-rolled-back',
        'driftless/manual-changes',
        'driftless/pauses',
        'driftless/unpaired-intents',
        'driftless/recovered-outcomes',
      ]),
    );
  });

  it('pair intents with the outcomes that answer them by action id, and keep the intents left alone', () => {
    // Prepare
    const queryString = LEDGER_QUERIES['driftless/unpaired-intents'];
    const results = ['succeeded', 'failed', 'refused', 'skipped', 'rolled-back'] as const;

    // Assess: the same entries the intents index pairs (real intents, write outcomes), grouped by action id.
    expect(results.map((result) => pairsIntents({ ...FULL_ENTRY, kind: 'outcome', result }))).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(queryString).toContain('(ledger.kind = "intent" and not ispresent(ledger.result))');
    expect(queryString).toContain('(ledger.kind = "outcome" and ledger.result in ["failed", "succeeded"])');
    expect(queryString).toMatch(
      /\| stats count\(\*\) as entries, earliest\(ledger\.kind\) as first.* by ledger\.actionId,/,
    );
    expect(queryString).toContain('| filter entries = 1 and first = "intent"');
    expect(LEDGER_QUERIES['driftless/recovered-outcomes']).toContain('ispresent(ledger.recovered)');
  });

  it('read the line the ledger prints: message "ledger entry", the entry under "ledger"', () => {
    // Act
    const line = printedLine(FULL_ENTRY);

    // Assess
    expect(line.message).toBe(LEDGER_LOG_MESSAGE);
    expect(line.ledger).toEqual(ledgerLogFields(FULL_ENTRY));
    for (const queryString of Object.values(LEDGER_QUERIES)) {
      expect(queryString).toContain(`filter message = "${LEDGER_LOG_MESSAGE}"`);
    }
  });

  it.each(Object.entries(LEDGER_QUERIES))('%s names only fields the ledger line carries', (_name, queryString) => {
    // Prepare
    const line = printedLine(FULL_ENTRY);
    const fields = ledgerFieldsIn(queryString);

    // Assess
    expect(fields.length).toBeGreaterThan(0);
    const missing = fields.filter((field) => at(line.ledger, field) === undefined);
    expect(missing).toEqual([]);
    const topLevel = new Set(Object.keys(ledgerLogFields(FULL_ENTRY)));
    expect(fields.map((field) => field.split('.')[0]).filter((key) => !topLevel.has(key as string))).toEqual([]);
  });

  it('finds nested and indexed field paths, and nothing else', () => {
    // Assess
    expect(ledgerFieldsIn('fields ledger.changes.0.path, ledger.kind | filter message = "ledger entry"')).toEqual([
      'changes.0.path',
      'kind',
    ]);
  });
});
