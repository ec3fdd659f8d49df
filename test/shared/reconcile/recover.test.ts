/** Recovery on the simulator with the in-memory ledger (the benchmarks' engine): which runs recover, when, and that
 * each unpaired intent is answered once. */
import { describe, expect, it } from 'vitest';
import { fleetDependencies, fleetFiles, MemoryGitSource, seedFleet, serviceYaml } from '../../../bench/support.ts';
import { IN_FLIGHT_MS, RECOVERY_WINDOW_MS } from '../../../shared/audit/intents.ts';
import { LedgerWriteError } from '../../../shared/errors.ts';
import { reconcile } from '../../../shared/reconcile/run.ts';
import type { ReconcileRequest } from '../../../shared/reconcile/types.ts';
import { createAwsSimulator, writeCount } from '../../../shared/sim/index.ts';
import { MemoryLedger } from '../../../shared/sim/memory-ledger.ts';
import { loadRepository } from '../../../shared/spec/repository.ts';

const REQUEST: ReconcileRequest = {
  repository: 'bench',
  branch: 'main',
  installationId: 'bench',
  trigger: 'schedule',
  applyOptions: { baseDelayMs: 1 },
};

/** Three services in sync, then a commit changing svc-1's image whose UpdateService outcome is lost. */
async function lostOutcome() {
  const source = new MemoryGitSource(fleetFiles(3), 0);
  const simulator = createAwsSimulator({ seed: 5 });
  seedFleet(simulator, await loadRepository(source, { ref: 'main' }), 'bench');
  const clock = { t: Date.parse('2027-03-01T09:00:00.000Z') };
  const ledger = new MemoryLedger();
  const deps = { ...fleetDependencies(simulator, source), ledger, now: () => clock.t };
  const files = new Map(source.head().files);
  files.set('services/svc-1.yaml', serviceYaml(1, 'family-0', '1.0.1'));
  source.commit(files);
  ledger.failWhen((entry) => entry.kind === 'outcome' && entry.action === 'UpdateService');
  const failure = await reconcile({ ...REQUEST, trigger: 'push' }, deps).catch((error: unknown) => error);
  ledger.failWhen(() => false);
  simulator.advance();
  return { simulator, clock, ledger, deps, failure };
}

describe('recovering unpaired intents', () => {
  it('answers the lost outcome once, from the first run after the in-flight window, as succeeded', async () => {
    // Prepare
    const { simulator, clock, ledger, deps, failure } = await lostOutcome();

    // Act
    clock.t += IN_FLIGHT_MS - 1;
    await reconcile(REQUEST, deps);
    const beforeWindow = ledger.outcomes().filter((outcome) => outcome.recovered).length;
    clock.t += 2;
    await reconcile(REQUEST, deps);
    await reconcile(REQUEST, deps);

    // Assess
    expect(failure).toBeInstanceOf(LedgerWriteError);
    expect(writeCount(simulator.calls, 'ECS.UpdateService')).toBe(1);
    expect(beforeWindow).toBe(0);
    const answered = ledger.intents().filter((intent) => intent.result === undefined);
    for (const intent of answered) {
      expect(ledger.outcomes().filter((outcome) => outcome.actionId === intent.actionId)).toHaveLength(1);
    }
    expect(ledger.outcomes().filter((outcome) => outcome.recovered)).toEqual([
      expect.objectContaining({ action: 'UpdateService', resourceId: 'EcsService:prod/svc-1', result: 'succeeded' }),
    ]);
  });

  it.each([
    ['a dry run', { dryRun: true }],
    ['a shard of a fanned-out sweep', { shard: { group: 'prod', index: 0, count: 1 } }],
  ])('leaves them to the branch runs: %s recovers nothing', async (_what, request) => {
    // Prepare
    const { clock, ledger, deps } = await lostOutcome();
    clock.t += IN_FLIGHT_MS + 1;

    // Act
    await reconcile({ ...REQUEST, ...request }, deps);

    // Assess
    expect(ledger.outcomes().filter((outcome) => outcome.recovered)).toEqual([]);
  });

  it('looks no further back than the recovery window', async () => {
    // Prepare
    const { clock, ledger, deps } = await lostOutcome();
    clock.t += RECOVERY_WINDOW_MS + 1;

    // Act
    await reconcile(REQUEST, deps);

    // Assess
    expect(ledger.outcomes().filter((outcome) => outcome.recovered)).toEqual([]);
    expect(await ledger.unpairedIntents('bench', 'main', { since: '2027-03-01T00:00:00.000Z' })).toHaveLength(1);
  });
});
