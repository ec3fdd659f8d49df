/** The sweep function, end to end: a scheduled event reconciles the branch head, reverting or holding drift. */
import { afterEach, describe, expect, it } from 'vitest';
import type { ScheduledEvent } from '../../functions/events.ts';
import { createSweepHandler } from '../../functions/sweep.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { createHarness, eventFixture, type Harness, writeCount } from './support.ts';

const SCHEDULED = eventFixture<ScheduledEvent>('scheduled-event');

describe('sweep function', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  async function driftedHarness(selfHeal: boolean): Promise<Harness> {
    const created = await createHarness({ environment: { selfHeal } });
    await created.bootstrap();
    created.simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 1;
    });
    return created;
  }

  it('reverts drift and announces Drift Detected and Drift Reverted', async () => {
    // Prepare
    harness = await driftedHarness(true);

    // Act
    const result = await createSweepHandler(harness.deps)(SCHEDULED);

    // Assess
    expect(result).toMatchObject({ outcome: 'reconciled', status: 'applied', driftHeld: [] });
    expect(harness.simulator.services().find((service) => service.serviceName === 'web')?.desiredCount).toBe(3);
    expect(harness.announced()).toEqual(['Drift Detected', 'Drift Reverted', 'Reconcile Succeeded']);
    const [detected] = harness.details('Drift Detected');
    expect(detected).toMatchObject({ trigger: 'schedule', resourceIds: ['EcsService:prod/web'], selfHeal: true });
    const [reverted] = harness.details('Drift Reverted');
    expect(reverted).toMatchObject({
      resourceIds: ['EcsService:prod/web'],
      runId: result.outcome === 'reconciled' ? result.runId : '',
    });
    const history = await harness.ledger.resourceHistory('EcsService:prod/web');
    const outcome = history.find((entry) => entry.kind === 'outcome' && entry.action === 'UpdateService');
    expect(reverted?.entryIds).toContain(outcome?.entryId);
  });

  it('holds drift when self-heal is off: recorded, announced as Drift Detected only, never reverted', async () => {
    // Prepare
    harness = await driftedHarness(false);

    // Act
    const result = await createSweepHandler(harness.deps)(SCHEDULED);

    // Assess
    expect(result).toMatchObject({ outcome: 'reconciled', driftHeld: ['EcsService:prod/web'] });
    expect(writeCount(harness.simulator)).toBe(0);
    expect(harness.simulator.services().find((service) => service.serviceName === 'web')?.desiredCount).toBe(1);
    expect(harness.announced()).toEqual(['Drift Detected']);
    const [detected] = harness.details('Drift Detected');
    expect(detected).toMatchObject({
      resourceIds: ['EcsService:prod/web'],
      heldResourceIds: ['EcsService:prod/web'],
      selfHeal: false,
    });
    const held = (await harness.ledger.resourceHistory('EcsService:prod/web')).find(
      (entry) => entry.result === 'skipped',
    );
    expect(held).toMatchObject({ trigger: 'schedule', changes: [{ path: '/spec/desiredCount', before: 1, after: 3 }] });
    expect(detected?.entryIds).toContain(held?.entryId);
  });

  it('announces Prune Refused when a guard stops the prune of a resource no longer declared', async () => {
    // Prepare: pruning on, and one of three managed resources removed: over maxPruneFraction 0.2.
    harness = await createHarness({ environment: { prune: true } });
    await harness.bootstrap();
    const settings = (await readTree(EXAMPLE_REPO_DIR))['driftless.yaml']!.toString();
    await harness.repo.commit(
      { 'driftless.yaml': settings.replace('prune: false', 'prune: true'), 'services/worker.yaml': null },
      'remove worker',
    );

    // Act
    const result = await createSweepHandler(harness.deps)(SCHEDULED);

    // Assess
    // A refusal needs a person: the run is failed (never in-sync), and says which resource and why.
    expect(result).toMatchObject({
      outcome: 'reconciled',
      status: 'failed',
      counts: { refused: 1 },
      reason: expect.stringMatching(/^1 refused: EcsService:prod\/worker — .*maxPruneFraction/),
      announced: ['Prune Refused', 'Reconcile Failed'],
    });
    expect(harness.details('Reconcile Failed')[0]).toMatchObject({
      status: 'failed',
      resourceIds: [],
      refusedResourceIds: ['EcsService:prod/worker'],
    });
    expect(harness.simulator.services().find((service) => service.serviceName === 'worker')?.status).toBe('ACTIVE');
    const [refused] = harness.details('Prune Refused');
    expect(refused).toMatchObject({
      trigger: 'schedule',
      resourceIds: ['EcsService:prod/worker'],
      refusals: [
        expect.objectContaining({
          resourceId: 'EcsService:prod/worker',
          reason: expect.stringContaining('maxPruneFraction'),
        }),
      ],
    });
    const entry = (await harness.ledger.resourceHistory('EcsService:prod/worker')).find(
      (candidate) => candidate.result === 'refused',
    );
    expect(refused?.entryIds).toEqual([entry?.entryId]);
  });
});
