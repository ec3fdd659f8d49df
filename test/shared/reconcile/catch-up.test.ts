/** No commit left behind, in parts: which runs count as applied in full, and a failing read or write of the branch's
 * bookkeeping never turns a run that succeeded into a failure (shared/reconcile/catch-up.ts). */
import { describe, expect, it } from 'vitest';
import { appliedInFull, headMoved, recordAppliedCommit } from '../../../shared/reconcile/catch-up.ts';
import type { ActiveRun } from '../../../shared/reconcile/context.ts';
import type { ReconcileDependencies, ReconcileRequest, ReconcileResult } from '../../../shared/reconcile/types.ts';

const REQUEST: ReconcileRequest = { repository: 'r', branch: 'main', trigger: 'push', installationId: 'i' };
const HEAD = 'a'.repeat(40);

function result(
  status: ReconcileResult['status'],
  outcomes: [string, string][],
  drift: string[] = [],
): ReconcileResult {
  return {
    runId: 'run',
    status,
    commitId: HEAD,
    diagnostics: [],
    apply: {
      resources: outcomes.map(([id, outcome]) => ({ id, kind: 'EcsService', outcome })),
      counts: {},
    } as unknown as ReconcileResult['apply'],
    driftPolicies: Object.fromEntries(drift.map((id) => [id, 'alert'])),
  } as ReconcileResult;
}

describe('appliedInFull', () => {
  it('counts a run whose every Git change is in AWS, with drift held beside it', () => {
    // Assess
    expect(
      appliedInFull(
        result('applied', [
          ['a', 'applied'],
          ['b', 'in-sync'],
        ]),
      ),
    ).toBe(true);
    expect(appliedInFull(result('held', [['a', 'skipped']], ['a']))).toBe(true);
    expect(
      appliedInFull(
        result(
          'applied',
          [
            ['a', 'applied'],
            ['b', 'skipped'],
          ],
          ['b'],
        ),
      ),
    ).toBe(true);
  });

  it('does not count a run that held, waited for or failed a Git change', () => {
    // Assess
    expect(
      appliedInFull(
        result('applied', [
          ['a', 'applied'],
          ['b', 'skipped'],
        ]),
      ),
    ).toBe(false);
    expect(
      appliedInFull(
        result('applied', [
          ['a', 'applied'],
          ['b', 'waiting'],
        ]),
      ),
    ).toBe(false);
    expect(
      appliedInFull(
        result('partial', [
          ['a', 'applied'],
          ['b', 'failed'],
        ]),
      ),
    ).toBe(false);
    expect(appliedInFull(result('held', [['a', 'skipped']]))).toBe(false);
    expect(appliedInFull(result('dry-run', [['a', 'dry-run']]))).toBe(false);
  });
});

describe('bookkeeping failures', () => {
  it('a failing write of the applied commit leaves the run as it was', async () => {
    // Prepare
    const recorded: string[] = [];
    const run = {
      request: REQUEST,
      deps: {
        appliedCommits: {
          read: async () => undefined,
          record: async (_key: unknown, commitId: string) => {
            recorded.push(commitId);
            throw new Error('DynamoDB is unreachable');
          },
        },
      },
      now: () => '2026-12-06T00:00:00.000Z',
      guard: async () => undefined,
    } as unknown as ActiveRun;

    // Act
    const done = recordAppliedCommit(run, result('applied', [['a', 'applied']]));

    // Assess
    await expect(done).resolves.toBeUndefined();
    expect(recorded).toEqual([HEAD]);
  });

  it('a head that cannot be read is not a moved head', async () => {
    // Prepare
    const deps = {
      source: {
        resolveRef: async () => {
          throw new Error('CodeCommit throttled');
        },
      },
    } as unknown as ReconcileDependencies;

    // Act
    const moved = await headMoved(REQUEST, deps, result('applied', [['a', 'applied']]));

    // Assess
    expect(moved).toBe(false);
  });

  it('a head that moved is seen, and never for a targeted run', async () => {
    // Prepare
    const deps = { source: { resolveRef: async () => 'b'.repeat(40) } } as unknown as ReconcileDependencies;

    // Act
    const full = await headMoved(REQUEST, deps, result('applied', [['a', 'applied']]));
    const targeted = await headMoved({ ...REQUEST, resources: ['EcsService:prod/web'] }, deps, result('applied', []));

    // Assess
    expect(full).toBe(true);
    expect(targeted).toBe(false);
  });
});
