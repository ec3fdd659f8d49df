/** The DynamoDB calls of a run, counted on DynamoDB Local (deterministic, never timed): recovery costs one Query of
 * the intents index per run, and the fence costs no call at all, since each fenced append is one TransactWriteItems
 * in place of one PutItem; being fenced, a write's intent checks the lease too, so no GetItem of the lease is made
 * before a write. */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbLedger, ensureLedgerTable, LEDGER_INDEX } from '../../shared/audit/dynamodb.ts';
import { silentLogLine } from '../../shared/audit/log.ts';
import { ensureLockTable, LeaseLock } from '../../shared/lock/lease.ts';
import { reconcile } from '../../shared/reconcile/run.ts';
import type { ReconcileRequest } from '../../shared/reconcile/types.ts';
import { type AwsSimulator, createAwsSimulator, writeCount } from '../../shared/sim/index.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import { localDynamoDb } from '../support/dynamodb.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../support/git-repo.ts';

describe('DynamoDB calls per run', () => {
  let repo: TestRepo | undefined;
  let simulator: AwsSimulator | undefined;
  afterEach(async () => {
    simulator?.restore();
    await repo?.cleanup();
  });

  it('a push: one TransactWriteItems per entry, no GetItem of the lease, and one Query more than before (unpaired intents)', async () => {
    // Prepare
    const suffix = randomUUID().slice(0, 8);
    const setup = localDynamoDb();
    await ensureLedgerTable(setup, `calls-ledger-${suffix}`);
    await ensureLockTable(setup, `calls-lock-${suffix}`);
    const counted = localDynamoDb();
    const calls: string[] = [];
    counted.middlewareStack.add(
      (next, context) => (args) => {
        const input = args.input as { IndexName?: string };
        calls.push(`${context.commandName?.replace(/Command$/, '')}${input.IndexName ? ` ${input.IndexName}` : ''}`);
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );
    repo = await makeRepo(await readTree(EXAMPLE_REPO_DIR));
    simulator = createAwsSimulator({ seed: 3 });
    const deps = {
      source: new LocalGitSource({ repoDir: repo.dir }),
      ecs: simulator.ecs,
      cloudFormation: simulator.cloudFormation,
      ledger: new DynamoDbLedger({ tableName: `calls-ledger-${suffix}`, client: counted, logger: silentLogLine }),
      lock: new LeaseLock({ tableName: `calls-lock-${suffix}`, client: counted }),
    };
    const request: ReconcileRequest = {
      repository: 'platform-config',
      branch: 'main',
      trigger: 'push',
      installationId: 'test',
      applyOptions: { changeSetPollMs: 1, baseDelayMs: 1 },
    };
    await reconcile(request, deps);
    simulator.advance();
    const web = (await readTree(EXAMPLE_REPO_DIR))['services/web.yaml']!.toString();
    await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:1.4.3') }, 'web: image 1.4.3');
    simulator.resetCalls();
    calls.length = 0;

    // Act
    const pushed = await reconcile(request, deps);
    const pushCalls = [...calls];
    simulator.advance();
    calls.length = 0;
    const swept = await reconcile({ ...request, trigger: 'schedule' }, deps);
    const sweepCalls = [...calls];

    // Assess
    expect(pushed.status).toBe('applied');
    expect(swept.status).toBe('in-sync');
    const writes = writeCount(simulator.calls);
    const count = (of: readonly string[]) => {
      const counts: Record<string, number> = {};
      for (const call of of) counts[call] = (counts[call] ?? 0) + 1;
      return counts;
    };
    // Each write: a fenced intent (which checks the lease), a fenced outcome; then the run entry. Around them: the
    // lease taken and given back, the active pauses, the changed service's recent history (a rolled-back commit is
    // not applied again) and the unpaired intents: the one call recovery adds.
    expect(count(pushCalls)).toEqual({
      UpdateItem: 1,
      [`Query ${LEDGER_INDEX.intents}`]: 1,
      [`Query ${LEDGER_INDEX.pauses}`]: 1,
      Query: 1,
      TransactWriteItems: 2 * writes + 1,
      DeleteItem: 1,
    });
    expect(writes).toBe(3);
    expect(pushCalls.length).toBe(2 * writes + 6);
    expect(count(sweepCalls)).toEqual({
      UpdateItem: 1,
      [`Query ${LEDGER_INDEX.intents}`]: 1,
      [`Query ${LEDGER_INDEX.pauses}`]: 1,
      TransactWriteItems: 1,
      DeleteItem: 1,
    });
    expect(pushCalls).not.toContain('PutItem');
  });
});
