/** Git stays the truth under ordinary event sequences, end to end through the real handlers on the simulator and
 * DynamoDB Local: a Git change is never mistaken for drift (three-way), and no commit is left behind (a skipped or
 * lost push is applied by the run holding the lock, by the next push, or by the next sweep, whatever the drift
 * policy). */
import { CodeCommitClient } from '@aws-sdk/client-codecommit';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { RepositoryStateChangeEvent, ScheduledEvent } from '../../functions/events.ts';
import { createPushHandler } from '../../functions/push.ts';
import { createSweepHandler } from '../../functions/sweep.ts';
import { renderPlan } from '../../shared/plan/render.ts';
import { HIDDEN_DRIFT_REASON } from '../../shared/reconcile/hidden-drift.ts';
import { reconcile } from '../../shared/reconcile/run.ts';
import type { AwsSimulator } from '../../shared/sim/index.ts';
import { CodeCommitProposer } from '../../shared/writeback/codecommit-proposer.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';
import { createHarness, eventFixture, type Harness, REGION, REPOSITORY, writeCount } from './support.ts';

const SCHEDULED = eventFixture<ScheduledEvent>('scheduled-event');
const WEB_ID = 'EcsService:prod/web';

function pushEvent(commitId: string, oldCommitId: string): RepositoryStateChangeEvent {
  return eventFixture<RepositoryStateChangeEvent>('codecommit-reference-updated', { commitId, oldCommitId });
}

async function exampleFile(path: string): Promise<string> {
  return (await readTree(EXAMPLE_REPO_DIR))[path]!.toString();
}

async function imageOf(simulator: AwsSimulator, name: string): Promise<string | undefined> {
  const service = simulator.services().find((candidate) => candidate.serviceName === name)!;
  const described = await simulator.ecs.send(
    new (await import('@aws-sdk/client-ecs')).DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }),
  );
  return described.taskDefinition?.containerDefinitions?.[0]?.image;
}

function desiredCountOf(simulator: AwsSimulator, name: string): number | undefined {
  return simulator.services().find((candidate) => candidate.serviceName === name)?.desiredCount;
}

describe('Git stays the truth', () => {
  let harness: Harness | undefined;
  const codeCommitClient = new CodeCommitClient({
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const codeCommit = mockClient(codeCommitClient);
  afterEach(async () => {
    codeCommit.reset();
    await harness?.cleanup();
    harness = undefined;
  });

  /** Commits web at `version` under `policy` (the harness's own bumpImage would drop the policy). */
  async function commitWeb(created: Harness, policy: string, version: string): Promise<string> {
    const web = await exampleFile('services/web.yaml');
    return created.repo.commit(
      {
        'services/web.yaml': web
          .replace('  wave: 1\n', `  wave: 1\n  drift: ${policy}\n`)
          .replace('web:1.4.2', `web:${version}`),
      },
      `web: image ${version}, drift policy ${policy}`,
    );
  }

  /** The example repository with web under `policy`, applied once by a sweep (which records the applied commit). */
  async function installed(policy: 'revert' | 'alert' | 'adopt'): Promise<{ harness: Harness; base: string }> {
    const created = await createHarness({
      deps: { proposer: new CodeCommitProposer({ repositoryName: REPOSITORY, client: codeCommitClient }) },
    });
    await commitWeb(created, policy, '1.4.2');
    await created.bootstrap();
    const swept = await createSweepHandler(created.deps)(SCHEDULED);
    expect(swept).toMatchObject({ outcome: 'reconciled', status: 'in-sync' });
    created.simulator.advance();
    created.simulator.resetCalls();
    return { harness: created, base: (await created.repo.git('rev-parse', 'HEAD')).toString().trim() };
  }

  describe('a Git change is never mistaken for drift', () => {
    it.each(['alert', 'adopt'] as const)(
      'drift policy %s: a push skipped by a held lock is applied by the next sweep, and nothing is proposed away',
      async (policy) => {
        // Prepare: another run holds the branch's lock while the push arrives.
        ({ harness } = await installed(policy));
        const bump = (version: string) => commitWeb(harness!, policy, version);
        const held = await harness.deps.lock.acquire({ repository: REPOSITORY, branch: 'main' }, 'another-run');
        const before = (await harness.repo.git('rev-parse', 'HEAD')).toString().trim();
        const pushed = await bump('1.4.3');
        const skipped = await createPushHandler(harness.deps)(pushEvent(pushed, before));
        await held!.release();

        // Act
        const swept = await createSweepHandler(harness.deps)(SCHEDULED);

        // Assess: the commit is applied, as a Git change (pending), not held or adopted as drift.
        expect(skipped).toMatchObject({ outcome: 'reconciled', status: 'skipped' });
        expect(swept).toMatchObject({ outcome: 'reconciled', status: 'applied', commitId: pushed, driftHeld: [] });
        expect(await imageOf(harness.simulator, 'web')).toMatch(/web:1\.4\.3$/);
        expect(codeCommit.calls()).toHaveLength(0);
        const history = await harness.ledger.resourceHistory(WEB_ID);
        expect(history.some((entry) => entry.result === 'skipped' && entry.commitId === pushed)).toBe(false);
        expect(harness.announced()).not.toContain('Drift Detected');
      },
    );

    it('drift policy alert: a push whose run never happened (lost or dead-lettered) is applied by the sweep', async () => {
      // Prepare: the commit lands, its event never reaches a run.
      ({ harness } = await installed('alert'));
      const pushed = await commitWeb(harness, 'alert', '1.5.0');

      // Act
      const swept = await createSweepHandler(harness.deps)(SCHEDULED);

      // Assess
      expect(swept).toMatchObject({ status: 'applied', commitId: pushed, driftHeld: [] });
      expect(writeCount(harness.simulator, 'ECS.UpdateService')).toBe(1);
      expect(await imageOf(harness.simulator, 'web')).toMatch(/web:1\.5\.0$/);
    });

    it('drift policy alert: a change made outside Git after the last apply is still drift, held and announced', async () => {
      // Prepare: a pending commit applied by the sweep, then a console change.
      ({ harness } = await installed('alert'));
      await commitWeb(harness, 'alert', '1.5.0');
      await createSweepHandler(harness.deps)(SCHEDULED);
      harness.simulator.advance();
      harness.simulator.driftService('prod', 'web', (service) => {
        service.desiredCount = 7;
      });
      harness.simulator.resetCalls();

      // Act
      const swept = await createSweepHandler(harness.deps)(SCHEDULED);

      // Assess: recorded and held under alert, not reverted.
      expect(swept).toMatchObject({ status: 'held', driftHeld: [WEB_ID] });
      expect(writeCount(harness.simulator)).toBe(0);
      expect(desiredCountOf(harness.simulator, 'web')).toBe(7);
      expect(harness.announced()).toContain('Drift Detected');
    });

    it('the ledger says which writes revert drift, and a Git change applied by a sweep is not one of them', async () => {
      // Prepare: web drifted in the console; worker has a Git change no push applied.
      ({ harness } = await installed('revert'));
      harness.simulator.driftService('prod', 'web', (service) => {
        service.desiredCount = 7;
      });
      const worker = await exampleFile('services/worker.yaml');
      await harness.repo.commit({ 'services/worker.yaml': worker.replace('worker:2.11.0', 'worker:2.12.0') }, 'worker');

      // Act
      const swept = await createSweepHandler(harness.deps)(SCHEDULED);

      // Assess
      expect(swept).toMatchObject({ status: 'applied' });
      expect(desiredCountOf(harness.simulator, 'web')).toBe(3);
      const intents = async (id: string) =>
        (await harness!.ledger.resourceHistory(id)).filter(
          (entry) => entry.kind === 'intent' && entry.trigger === 'schedule',
        );
      const webUpdate = (await intents(WEB_ID)).find((entry) => entry.action === 'UpdateService');
      expect(webUpdate?.reason).toBe('drift reverted to Git');
      const workerWrites = await intents('EcsService:prod/worker');
      expect(workerWrites.map((entry) => entry.action)).toContain('UpdateService');
      expect(workerWrites.every((entry) => !entry.reason?.startsWith('drift'))).toBe(true);
    });

    it('a Git change over live drift: Git wins, and the run says so and records the drift it overwrites', async () => {
      // Prepare: web under alert drifts in the console, then a commit changes it in Git.
      ({ harness } = await installed('alert'));
      harness.simulator.driftService('prod', 'web', (service) => {
        service.desiredCount = 7;
      });
      await commitWeb(harness, 'alert', '1.9.0');
      const planned = await reconcile(
        { repository: REPOSITORY, branch: 'main', trigger: 'schedule', installationId: 'test', dryRun: true },
        harness.deps,
      );

      // Act
      const swept = await createSweepHandler(harness.deps)(SCHEDULED);

      // Assess: the plan said both; Git was applied; the overwritten drift is in the ledger.
      const update = planned.plan?.actions.find((action) => action.id === WEB_ID && action.type === 'update');
      expect(update).toMatchObject({
        origin: 'pending',
        hiddenDrift: [{ path: '/spec/desiredCount', before: 7, after: 3 }],
      });
      expect(renderPlan(planned.plan!)).toContain(
        'live also drifted (/spec/desiredCount): Git wins, the drift is recorded',
      );
      expect(swept).toMatchObject({ status: 'applied', driftHeld: [] });
      expect(await imageOf(harness.simulator, 'web')).toMatch(/web:1\.9\.0$/);
      expect(desiredCountOf(harness.simulator, 'web')).toBe(3);
      const recorded = (await harness.ledger.resourceHistory(WEB_ID)).filter(
        (entry) => entry.reason === HIDDEN_DRIFT_REASON,
      );
      expect(recorded).toEqual([
        expect.objectContaining({
          trigger: 'schedule',
          changes: [{ path: '/spec/desiredCount', before: 7, after: 3 }],
        }),
      ]);
    });

    it('plans say which differences are Git changes and which are drift', async () => {
      // Prepare: worker has a Git change not applied yet, web drifted in the console.
      ({ harness } = await installed('alert'));
      const worker = await exampleFile('services/worker.yaml');
      await harness.repo.commit({ 'services/worker.yaml': worker.replace('worker:2.11.0', 'worker:2.12.0') }, 'worker');
      harness.simulator.driftService('prod', 'web', (service) => {
        service.desiredCount = 9;
      });

      // Act: the plan a dry-run sweep makes (the same plan `driftless plan` shows).
      const planned = await reconcile(
        { repository: REPOSITORY, branch: 'main', trigger: 'schedule', installationId: 'test', dryRun: true },
        harness.deps,
      );

      // Assess
      const origins = Object.fromEntries(
        (planned.plan?.actions ?? [])
          .filter((action) => action.origin !== undefined)
          .map((action) => [`${action.id} ${action.type}`, action.origin]),
      );
      expect(origins).toEqual({
        'EcsService:prod/web update': 'drift',
        'EcsService:prod/worker register-task-definition': 'pending',
        'EcsService:prod/worker update': 'pending',
      });
    });
  });

  describe('no commit is left behind', () => {
    it('a push scopes from the last applied commit, so an earlier commit whose run was lost is applied with it', async () => {
      // Prepare: commit 1 (web image) is never applied; commit 2 changes only the worker.
      ({ harness } = await installed('revert'));
      const lost = await commitWeb(harness, 'revert', '1.7.0');
      const worker = await exampleFile('services/worker.yaml');
      const second = await harness.repo.commit(
        { 'services/worker.yaml': worker.replace('worker:2.11.0', 'worker:2.12.0') },
        'worker: image 2.12.0',
      );

      // Act: the push event for commit 2 names commit 1 as the previous head.
      const result = await createPushHandler(harness.deps)(pushEvent(second, lost));

      // Assess: both commits' files were reconciled.
      expect(result).toMatchObject({ outcome: 'reconciled', status: 'applied', commitId: second });
      expect(await imageOf(harness.simulator, 'web')).toMatch(/web:1\.7\.0$/);
      expect(await imageOf(harness.simulator, 'worker')).toMatch(/worker:2\.12\.0$/);
    });

    it('the run holding the lock applies a commit pushed while it ran, before it lets go', async () => {
      // Prepare: while a sweep runs, a commit lands and its push finds the lock held.
      ({ harness } = await installed('revert'));
      const base = (await harness.repo.git('rev-parse', 'HEAD')).toString().trim();
      const ledger = harness.deps.ledger;
      let pushed: string | undefined;
      let skipped: unknown;
      const current = harness;
      const deps = {
        ...harness.deps,
        ledger: Object.assign(Object.create(ledger), {
          activePauses: async (...args: Parameters<typeof ledger.activePauses>) => {
            if (!pushed) {
              pushed = await commitWeb(current, 'revert', '1.8.0');
              skipped = await createPushHandler(current.deps)(pushEvent(pushed, base));
            }
            return ledger.activePauses(...args);
          },
        }),
      };

      // Act
      const swept = await createSweepHandler(deps)(SCHEDULED);

      // Assess
      expect(skipped).toMatchObject({ status: 'skipped' });
      expect(swept).toMatchObject({ outcome: 'reconciled', status: 'applied', commitId: pushed });
      expect(await imageOf(harness.simulator, 'web')).toMatch(/web:1\.8\.0$/);
      const runs = (await harness.ledger.commitHistory(pushed!)).filter((entry) => entry.kind === 'run');
      expect(runs.map((entry) => [entry.trigger, entry.result]).sort()).toEqual([
        ['push', 'skipped'],
        ['schedule', 'succeeded'],
      ]);
    });
  });
});
