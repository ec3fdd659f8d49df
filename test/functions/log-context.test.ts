/** Every log line a function writes carries the invocation's request id: the handler gives the shared Powertools
 * logger the Lambda context, and the ledger's one line per entry goes through that same logger. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lazyHandler } from '../../functions/dependencies.ts';
import type { RepositoryStateChangeEvent } from '../../functions/events.ts';
import { createPushHandler } from '../../functions/push.ts';
import { DynamoDbLedger } from '../../shared/audit/dynamodb.ts';
import { driftlessLogger, LEDGER_LOG_MESSAGE } from '../../shared/audit/log.ts';
import { localDynamoDb } from '../support/dynamodb.ts';
import { ACCOUNT, createHarness, eventFixture, type Harness, REGION } from './support.ts';

const FUNCTION_NAME = 'driftless-push';
const invocation = (awsRequestId: string) => ({
  awsRequestId,
  functionName: FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION_NAME}`,
  memoryLimitInMB: '512',
});

/** The JSON lines written to stdout while `act` runs. */
async function linesWrittenBy(act: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(chunk.toString());
    return true;
  });
  try {
    await act();
  } finally {
    spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('log lines and the Lambda context', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it("carry each invocation's request id on the handler's lines and on every ledger line", async () => {
    // Prepare: production logging (the shared logger, a ledger that writes its line through it).
    harness = await createHarness();
    const before = await harness.bootstrap();
    const ledger = new DynamoDbLedger({
      tableName: harness.deps.environment.ledgerTable,
      client: localDynamoDb({ region: REGION }),
    });
    const deps = { ...harness.deps, ledger, logger: driftlessLogger };
    const handler = lazyHandler(createPushHandler, () => deps);
    const pushed = await harness.bumpImage('1.4.3');
    const event = eventFixture<RepositoryStateChangeEvent>('codecommit-reference-updated', {
      commitId: pushed,
      oldCommitId: before,
    });
    const otherBranch = eventFixture<RepositoryStateChangeEvent>('codecommit-reference-updated', {
      referenceName: 'feature',
    });

    // Act: two invocations of one warm function.
    const first = await linesWrittenBy(() => handler(event, invocation('request-1')));
    const second = await linesWrittenBy(() => handler(otherBranch, invocation('request-2')));

    // Assess
    const ledgerLines = first.filter((line) => line.message === LEDGER_LOG_MESSAGE);
    expect(ledgerLines.length).toBeGreaterThanOrEqual(3);
    for (const line of first) {
      expect(line).toMatchObject({ function_request_id: 'request-1', function_name: FUNCTION_NAME });
    }
    expect(first[0]).toHaveProperty('cold_start');
    expect(second.map((line) => line.message)).toEqual(['push ignored']);
    expect(second[0]).toMatchObject({ function_request_id: 'request-2', cold_start: false });
  });
});
