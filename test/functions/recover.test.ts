/** Every intent gets its outcome, end to end through the push and sweep functions on the simulator and DynamoDB
 * Local: an outcome lost after the write, an intent whose write never happened, and a run whose lease was taken. */
import { afterEach, describe, expect, it } from 'vitest';
import type { FunctionDependencies } from '../../functions/dependencies.ts';
import type { RepositoryStateChangeEvent, ScheduledEvent } from '../../functions/events.ts';
import { createPushHandler } from '../../functions/push.ts';
import { createSweepHandler } from '../../functions/sweep.ts';
import { type FenceableLedger, fencedLedger, type LedgerFence } from '../../shared/audit/fence.ts';
import { IN_FLIGHT_MS } from '../../shared/audit/intents.ts';
import type { AuditLedger, LedgerEntry } from '../../shared/audit/ledger.ts';
import { LedgerDecorator } from '../../shared/audit/ledger-decorator.ts';
import { LedgerWriteError } from '../../shared/errors.ts';
import { LeaseLock } from '../../shared/lock/lease.ts';
import { localDynamoDb } from '../support/dynamodb.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { createHarness, eventFixture, type Harness, REGION, REPOSITORY, writeCount } from './support.ts';

const SCHEDULED = eventFixture<ScheduledEvent>('scheduled-event');
const WEB = 'EcsService:prod/web';
const NETWORK = 'CloudFormationStack:platform-network';

/** What happens to an entry on its way into the ledger: `store` puts it there. */
type AppendHook = (entry: LedgerEntry, store: () => Promise<void>) => Promise<void>;

/** A ledger that passes every entry through `hook`, fenced like the one beneath it (so the run's fence holds). */
class HookedLedger extends LedgerDecorator implements FenceableLedger {
  constructor(
    inner: AuditLedger,
    private readonly hook: AppendHook,
  ) {
    super(inner);
  }

  append(entry: LedgerEntry): Promise<void> {
    return this.hook(entry, () => this.inner.append(entry));
  }

  fencedBy(fence: LedgerFence): AuditLedger {
    return new HookedLedger(fencedLedger(this.inner, fence), this.hook);
  }
}

function isWrite(entry: LedgerEntry, kind: 'intent' | 'outcome', action: LedgerEntry['action']): boolean {
  return entry.kind === kind && entry.action === action;
}

/** The functions' clock, which the tests move past the in-flight window. */
function testClock() {
  const clock = { t: Date.now(), now: () => clock.t };
  return clock;
}

/** A lock on the harness's lock table whose clock the test moves. */
function takeoverLock(harness: Harness, now: () => number): LeaseLock {
  const client = localDynamoDb({ region: REGION });
  return new LeaseLock({ tableName: harness.deps.environment.lockTable, client, now, leaseMs: 60_000 });
}

/** Every intent of the commits and its outcomes: exactly one each, by action id. */
async function outcomesPerIntent(harness: Harness, commitId: string): Promise<Map<string, LedgerEntry[]>> {
  const history = await harness.ledger.commitHistory(commitId);
  const answers = new Map<string, LedgerEntry[]>();
  for (const intent of history.filter((entry) => entry.kind === 'intent')) answers.set(intent.actionId ?? '', []);
  for (const outcome of history.filter((entry) => entry.kind === 'outcome')) {
    answers.get(outcome.actionId ?? '')?.push(outcome);
  }
  return answers;
}

describe('every intent gets its outcome', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  async function pushed(clock: { now: () => number }) {
    harness = await createHarness({ deps: { now: clock.now } });
    const before = await harness.bootstrap();
    const commitId = await harness.bumpImage('1.4.3');
    const event = eventFixture<RepositoryStateChangeEvent>('codecommit-reference-updated', {
      commitId,
      oldCommitId: before,
    });
    return { harness, commitId, event };
  }

  it('records an outcome lost after a successful write as recovered and succeeded, once, after the in-flight window', async () => {
    // Prepare: the push's UpdateService outcome cannot be written (the ledger is unreachable just then).
    const clock = testClock();
    const { harness, commitId, event } = await pushed(clock);
    const losing: FunctionDependencies = {
      ...harness.deps,
      ledger: new HookedLedger(harness.ledger, async (entry, store) => {
        if (isWrite(entry, 'outcome', 'UpdateService')) throw new LedgerWriteError('ledger unreachable');
        await store();
      }),
    };
    await expect(createPushHandler(losing)(event)).rejects.toBeInstanceOf(LedgerWriteError);
    harness.simulator.advance();
    const sweep = createSweepHandler(harness.deps);

    // Act
    clock.t += IN_FLIGHT_MS - 60_000;
    const early = await sweep(SCHEDULED);
    clock.t += 2 * 60_000;
    const recovering = await sweep(SCHEDULED);
    clock.t += 5 * 60_000;
    const later = await sweep(SCHEDULED);

    // Assess
    expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(1);
    expect([early, recovering, later].map((result) => result.outcome)).toEqual([
      'reconciled',
      'reconciled',
      'reconciled',
    ]);
    const answers = await outcomesPerIntent(harness, commitId);
    expect([...answers.values()].map((outcomes) => outcomes.length)).toEqual([...answers.values()].map(() => 1));
    const recovered = [...answers.values()].flat().filter((outcome) => outcome.recovered);
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({
      kind: 'outcome',
      action: 'UpdateService',
      resourceId: WEB,
      result: 'succeeded',
      recovered: true,
      commitId,
      trigger: 'push',
      reason: expect.stringMatching(/^recovered: the service runs the task definition this intent set \(web:2\)/),
    });
    const recoveredAt = Date.parse(recovered[0]?.time ?? '');
    expect(recoveredAt).toBe(clock.t - 5 * 60_000);
    expect(recovered[0]?.reason).toContain(recovering.outcome === 'reconciled' ? recovering.runId : '?');
  });

  it('records an intent whose write never happened as recovered and failed, and the sweep still applies the commit', async () => {
    // Prepare: the UpdateService intent is stored, then the function dies before the call (the caller never hears
    // that the intent was stored, so it makes no write).
    const clock = testClock();
    const { harness, commitId, event } = await pushed(clock);
    const dying: FunctionDependencies = {
      ...harness.deps,
      ledger: new HookedLedger(harness.ledger, async (entry, store) => {
        await store();
        if (isWrite(entry, 'intent', 'UpdateService')) throw new LedgerWriteError('the function died');
      }),
    };
    await expect(createPushHandler(dying)(event)).rejects.toBeInstanceOf(LedgerWriteError);
    const writesBefore = writeCount(harness.simulator, 'ECS.UpdateService');

    // Act
    clock.t += IN_FLIGHT_MS + 1;
    const result = await createSweepHandler(harness.deps)(SCHEDULED);

    // Assess
    expect(writesBefore).toBe(0);
    expect(result).toMatchObject({ outcome: 'reconciled', status: 'applied' });
    expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(1);
    const answers = await outcomesPerIntent(harness, commitId);
    const recovered = [...answers.values()].flat().filter((outcome) => outcome.recovered);
    expect(recovered).toEqual([
      expect.objectContaining({
        action: 'UpdateService',
        result: 'failed',
        recovered: true,
        reason: expect.stringMatching(/^recovered: the service does not run the task definition this intent set/),
      }),
    ]);
    expect([...answers.values()].every((outcomes) => outcomes.length === 1)).toBe(true);
  });

  it('recovers an ExecuteChangeSet whose outcome was lost from the change set the stack last executed', async () => {
    // Prepare: a push changes the stack's Environment parameter; its ExecuteChangeSet outcome is lost.
    const clock = testClock();
    harness = await createHarness({ deps: { now: clock.now } });
    const before = await harness.bootstrap();
    const network = (await readTree(EXAMPLE_REPO_DIR))['stacks/network.yaml']!.toString();
    const commitId = await harness.repo.commit(
      { 'stacks/network.yaml': network.replace('Environment: prod', 'Environment: staging') },
      'network: staging',
    );
    const losing: FunctionDependencies = {
      ...harness.deps,
      ledger: new HookedLedger(harness.ledger, async (entry, store) => {
        if (isWrite(entry, 'outcome', 'ExecuteChangeSet')) throw new LedgerWriteError('ledger unreachable');
        await store();
      }),
    };
    const event = eventFixture<RepositoryStateChangeEvent>('codecommit-reference-updated', {
      commitId,
      oldCommitId: before,
    });
    await expect(createPushHandler(losing)(event)).rejects.toBeInstanceOf(LedgerWriteError);

    // Act: the stack update is still running when the sweep reads it.
    clock.t += IN_FLIGHT_MS + 1;
    await createSweepHandler(harness.deps)(SCHEDULED);

    // Assess
    expect(writeCount(harness.simulator, 'CloudFormation.ExecuteChangeSet')).toBe(1);
    const recovered = (await harness.ledger.resourceHistory(NETWORK)).filter((entry) => entry.recovered);
    expect(recovered).toEqual([
      expect.objectContaining({
        action: 'ExecuteChangeSet',
        result: 'succeeded',
        reason: expect.stringMatching(/^recovered: the stack's last executed change set is the one this intent/),
      }),
    ]);
    const answers = await outcomesPerIntent(harness, commitId);
    expect([...answers.values()].every((outcomes) => outcomes.length === 1)).toBe(true);
  });

  it('refuses the appends of a run whose lease another run took: no intent, no outcome, no AWS write after', async () => {
    // Prepare: the push's lock runs on a clock the test moves; right before the UpdateService intent is stored (the
    // fenced intent is the write's lease check), the lease expires and another run takes it.
    const clock = testClock();
    const { harness, commitId, event } = await pushed(clock);
    const lockClock = { t: Date.now() };
    const lock = takeoverLock(harness, () => lockClock.t);
    const entriesOfPush: LedgerEntry[] = [];
    const takeover = new HookedLedger(harness.ledger, async (entry, store) => {
      if (isWrite(entry, 'intent', 'UpdateService')) {
        lockClock.t += 60_001;
        expect(await lock.acquire({ repository: REPOSITORY, branch: 'main' }, 'run-that-took-over')).toBeDefined();
      }
      await store();
      entriesOfPush.push(entry);
    });

    // Act
    const result = await createPushHandler({ ...harness.deps, ledger: takeover, lock })(event);

    // Assess: the run stops, refused, and is not retried (the run holding the lease reconciles the newest head).
    expect(result).toMatchObject({ outcome: 'failed', error: { name: 'LedgerFencedError', retryable: false } });
    expect(writeCount(harness.simulator, 'ECS.RegisterTaskDefinition')).toBe(1);
    expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(0);
    // The RegisterTaskDefinition outcome comes after the next intent, so it is refused too: its intent is left for
    // the run holding the lease to recover (as the next test shows for an UpdateService).
    expect(entriesOfPush.map((entry) => `${entry.kind} ${entry.action}`)).toEqual(['intent RegisterTaskDefinition']);
    const history = await harness.ledger.commitHistory(commitId);
    expect(history.map((entry) => `${entry.kind} ${entry.action ?? entry.result}`).sort()).toEqual([
      'intent RegisterTaskDefinition',
    ]);
  });

  it('refuses the outcome of a run whose lease was taken after its write, and the next run recovers it once', async () => {
    // Prepare: the takeover happens while UpdateService is in flight, so its outcome is fenced out.
    const clock = testClock();
    const { harness, commitId, event } = await pushed(clock);
    const lockClock = { t: Date.now() };
    const lock = takeoverLock(harness, () => lockClock.t);
    let taker: Awaited<ReturnType<LeaseLock['acquire']>>;
    const takeover = new HookedLedger(harness.ledger, async (entry, store) => {
      if (isWrite(entry, 'outcome', 'UpdateService')) {
        lockClock.t += 60_001;
        taker = await lock.acquire({ repository: REPOSITORY, branch: 'main' }, 'run-that-took-over');
      }
      await store();
    });
    const result = await createPushHandler({ ...harness.deps, ledger: takeover, lock })(event);
    await taker?.release();
    harness.simulator.advance();

    // Act
    clock.t += IN_FLIGHT_MS + 1;
    await createSweepHandler(harness.deps)(SCHEDULED);
    await createSweepHandler(harness.deps)(SCHEDULED);

    // Assess
    expect(result).toMatchObject({ outcome: 'failed', error: { name: 'LedgerFencedError' } });
    expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(1);
    const answers = await outcomesPerIntent(harness, commitId);
    expect([...answers.values()].every((outcomes) => outcomes.length === 1)).toBe(true);
    const update = [...answers.values()].flat().find((outcome) => outcome.action === 'UpdateService');
    expect(update).toMatchObject({ result: 'succeeded', recovered: true });
  });
});
