/** The run result vocabulary: which word a run's resource outcomes make, what its reason says, and what its ledger
 * run entry records — so the CLI, the functions, the events and the ledger say the same thing. */
import { describe, expect, it } from 'vitest';
import { type ApplyResult, RESOURCE_OUTCOMES, type ResourceOutcome } from '../../../shared/apply/executor.ts';
import { entryResultOf, reasonOf, statusOf } from '../../../shared/reconcile/record.ts';
import type { HeldChange } from '../../../shared/reconcile/types.ts';
import type { Diagnostic } from '../../../shared/spec/diagnostics.ts';

/** An apply result with one EcsService per outcome given, `svc-<n>`. */
function applied(outcomes: readonly ResourceOutcome[], dryRun = false, reasons: Record<number, string> = {}) {
  const resources = outcomes.map((outcome, n) => ({
    id: `EcsService:prod/svc-${n}`,
    kind: 'EcsService' as const,
    outcome,
    ...(reasons[n] ? { reason: reasons[n] } : {}),
    ...(outcome === 'failed'
      ? { error: { name: 'ThrottlingException', message: 'Rate exceeded', retryable: true } }
      : {}),
  }));
  const counts = Object.fromEntries(
    RESOURCE_OUTCOMES.map((o) => [o, outcomes.filter((x) => x === o).length]),
  ) as Record<ResourceOutcome, number>;
  const result: ApplyResult = { commitId: 'c'.repeat(40), dryRun, resources, counts };
  return result;
}

const ERROR: Diagnostic = {
  code: 'E_SCHEMA',
  severity: 'error',
  file: 'services/web.yaml',
  line: 2,
  column: 7,
  message: 'unknown kind',
};

describe('statusOf', () => {
  it.each([
    [[], false, false, 'in-sync'],
    [['in-sync', 'in-sync'], false, false, 'in-sync'],
    [['in-sync', 'applied'], false, false, 'applied'],
    [['applied', 'skipped'], false, false, 'applied'],
    [['in-sync', 'skipped'], false, false, 'held'],
    [['in-sync', 'waiting'], false, false, 'held'],
    [['dry-run', 'in-sync'], true, false, 'dry-run'],
    [['in-sync'], true, false, 'dry-run'],
    [['dry-run', 'skipped'], true, false, 'dry-run'],
    [['dry-run', 'refused'], true, false, 'failed'],
    [['applied', 'failed'], false, false, 'partial'],
    [['applied', 'refused'], false, false, 'partial'],
    [['applied'], false, true, 'partial'],
    [['failed', 'skipped'], false, false, 'failed'],
    [['refused', 'in-sync'], false, false, 'failed'],
    [['in-sync'], false, true, 'failed'],
  ] as const)('%j (dry run %s, declaration errors %s) is %s', (outcomes, dryRun, blocked, expected) => {
    expect(statusOf(applied(outcomes, dryRun), blocked)).toBe(expected);
  });
});

describe('reasonOf', () => {
  it('says nothing for a run that applied everything or found nothing to do', () => {
    expect(reasonOf('applied', applied(['applied', 'in-sync']), [], [])).toBeUndefined();
    expect(reasonOf('in-sync', applied(['in-sync']), [], [])).toBeUndefined();
  });

  it('names declaration errors, failures, refusals and holds, in that order', () => {
    // Prepare
    const apply = applied(['failed', 'refused', 'skipped', 'applied'], false, {
      1: 'maxPruneFraction 0.2 exceeded',
      2: 'paused until 2026-11-27T14:00:00.000Z by ana: INC-7',
    });
    const held: HeldChange[] = [
      { resourceId: 'EcsService:prod/svc-2', reason: 'paused until 2026-11-27T14:00:00.000Z by ana: INC-7' },
    ];

    // Act
    const reason = reasonOf('partial', apply, [ERROR], held);

    // Assess
    expect(reason).toBe(
      '1 declaration error: nothing applied from services/web.yaml; pruning blocked; ' +
        '1 failed: EcsService:prod/svc-0 — ThrottlingException: Rate exceeded; ' +
        '1 refused: EcsService:prod/svc-1 — maxPruneFraction 0.2 exceeded; ' +
        '1 held: EcsService:prod/svc-2 — paused until 2026-11-27T14:00:00.000Z by ana: INC-7',
    );
  });

  it('says what a dry run would apply, three by name and the rest counted', () => {
    const apply = applied(['dry-run', 'dry-run', 'in-sync', 'dry-run', 'dry-run', 'dry-run'], true);
    expect(reasonOf('dry-run', apply, [], [])).toBe(
      'would apply 5: EcsService:prod/svc-0; EcsService:prod/svc-1; EcsService:prod/svc-3; and 2 more',
    );
    expect(reasonOf('dry-run', applied(['in-sync'], true), [], [])).toBe('would apply nothing');
  });
});

describe('entryResultOf', () => {
  it('keeps the ledger to its own words, so the saved queries and metrics read runs as before', () => {
    expect(
      (['applied', 'in-sync', 'held', 'dry-run', 'partial', 'failed', 'skipped'] as const).map(entryResultOf),
    ).toEqual(['succeeded', 'succeeded', 'skipped', 'dry-run', 'failed', 'failed', 'skipped']);
  });
});
