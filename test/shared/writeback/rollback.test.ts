/** Rollback write-back on a real git repository: which files, which previous version, when nothing is proposed. */
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../../shared/audit/ledger.ts';
import { MemoryLedger } from '../../../shared/sim/memory-ledger.ts';
import { LocalGitSource } from '../../../shared/source/local-git.ts';
import { LocalGitProposer } from '../../../shared/writeback/local-git-proposer.ts';
import {
  isWriteBackEntry,
  recordWriteBack,
  resourceSlug,
  rollbackBranch,
  writeBackRollback,
} from '../../../shared/writeback/rollback.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../../support/fixtures.ts';
import { makeRepo, type TestRepo } from '../../support/git-repo.ts';

const WEB = 'EcsService:prod/web';
const NETWORK = 'CloudFormationStack:platform-network';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function exampleRepo(): Promise<{ repo: TestRepo; tree: Record<string, string> }> {
  const files = await readTree(EXAMPLE_REPO_DIR);
  const repo = await makeRepo(files);
  cleanups.push(() => repo.cleanup());
  const tree = Object.fromEntries(Object.entries(files).map(([path, content]) => [path, String(content)]));
  return { repo, tree };
}

function outcome(commitId: string, result: LedgerEntry['result'], time: string, extra: Partial<LedgerEntry> = {}) {
  return {
    runId: `run-${time}`,
    trigger: 'push',
    repository: 'platform-config',
    branch: 'main',
    commitId,
    dryRun: false,
    entryId: `${time}-${commitId.slice(0, 6)}`,
    kind: 'outcome',
    time,
    resourceId: WEB,
    action: 'UpdateService',
    result,
    ...extra,
  } as LedgerEntry;
}

function request(repo: TestRepo, overrides: Partial<Parameters<typeof writeBackRollback>[0]> & { commitId: string }) {
  return {
    source: new LocalGitSource({ repoDir: repo.dir }),
    proposer: new LocalGitProposer({ repoDir: repo.dir }),
    resourceId: WEB,
    branch: 'main',
    ...overrides,
  };
}

describe('writeBackRollback', () => {
  it('names the branch after the resource and the commit', () => {
    expect(rollbackBranch(WEB, 'abcdef0123456789abcdef0123456789abcdef01')).toBe(
      'driftless/rollback/prod-web-abcdef012345',
    );
    expect(resourceSlug(NETWORK)).toBe('platform-network');
    expect(resourceSlug('EcsService:Prod Cluster/Web_1')).toBe('prod-cluster-web_1');
  });

  it("keeps a long service name inside CodeCommit's 150-character title", async () => {
    // Prepare
    const { repo, tree } = await exampleRepo();
    const name = 'w'.repeat(200);
    const web = tree['services/web.yaml']!.replace('name: web\n', `name: ${name}\n`);
    const base = await repo.commit({ 'services/web.yaml': web }, 'long name');
    const bad = await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:9') }, 'bump');

    // Act
    const result = await writeBackRollback(request(repo, { commitId: bad, resourceId: `EcsService:prod/${name}` }));

    // Assess
    const title = result.status === 'opened' ? result.title : '';
    expect(title).toHaveLength(150);
    expect(title).toBe(`Revert ${'w'.repeat(102)}… to ${base.slice(0, 12)}: deployment rolled back`);
  });

  it('restores the newest commit the ledger records as deployed, skipping one whose deployment failed later', async () => {
    // Prepare: 1.4.3 deployed; 1.4.4 written but then failed; 1.4.5 rolled back.
    const { repo, tree } = await exampleRepo();
    const web = tree['services/web.yaml']!;
    const deployed = await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:1.4.3') }, '1.4.3');
    const failed = await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:1.4.4') }, '1.4.4');
    const bad = await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:1.4.5') }, '1.4.5');
    const ledger = new MemoryLedger();
    ledger.seed(outcome(deployed, 'succeeded', '2026-01-01T00:00:01Z'));
    ledger.seed(outcome(failed, 'succeeded', '2026-01-01T00:00:02Z'));
    ledger.seed(outcome(failed, 'failed', '2026-01-01T00:00:03Z', { trigger: 'deployment-event' }));
    ledger.seed(outcome(bad, 'succeeded', '2026-01-01T00:00:04Z'));
    ledger.seed(outcome(bad, 'rolled-back', '2026-01-01T00:00:05Z', { trigger: 'deployment-event' }));

    // Act
    const result = await writeBackRollback(request(repo, { commitId: bad, ledger }));

    // Assess
    expect(result).toMatchObject({
      status: 'opened',
      branch: rollbackBranch(WEB, bad),
      previousCommitId: deployed,
      title: `Revert web to ${deployed.slice(0, 12)}: deployment rolled back`,
      files: [{ path: 'services/web.yaml', content: web.replace('web:1.4.2', 'web:1.4.3') }],
    });
    expect(await repo.git('show', `${rollbackBranch(WEB, bad)}:services/web.yaml`)).toContain('web:1.4.3');
  });

  it('falls back to the parent without a ledger, and restores a stack template (not the unchanged declaration)', async () => {
    // Prepare
    const { repo, tree } = await exampleRepo();
    const template = tree['stacks/network.template.yaml']!;
    const base = (await repo.git('rev-parse', 'HEAD')).trim();
    const bad = await repo.commit(
      { 'stacks/network.template.yaml': template.replace('EnableDnsSupport: true', 'EnableDnsSupport: false') },
      'network: no DNS',
    );

    // Act
    const result = await writeBackRollback(request(repo, { commitId: bad, resourceId: NETWORK }));

    // Assess
    expect(result).toMatchObject({
      status: 'opened',
      previousCommitId: base,
      files: [{ path: 'stacks/network.template.yaml', content: template }],
    });
  });

  it('restores a declaration that moved: the new file is deleted, the old one comes back', async () => {
    // Prepare
    const { repo, tree } = await exampleRepo();
    const base = (await repo.git('rev-parse', 'HEAD')).trim();
    const web = tree['services/web.yaml']!;
    const bad = await repo.commit(
      { 'services/web.yaml': null, 'services/frontend/web.yaml': web.replace('web:1.4.2', 'web:2.0.0') },
      'move web and bump it',
    );

    // Act
    const result = await writeBackRollback(request(repo, { commitId: bad, to: base }));

    // Assess
    expect(result).toMatchObject({
      status: 'opened',
      previousCommitId: base,
      files: [
        { path: 'services/frontend/web.yaml', content: null },
        { path: 'services/web.yaml', content: web },
      ],
    });
    const branch = rollbackBranch(WEB, bad);
    expect((await repo.git('ls-tree', '-r', '--name-only', branch, 'services')).split('\n')).toContain(
      'services/web.yaml',
    );
    expect(await repo.git('ls-tree', '-r', '--name-only', branch, 'services/frontend')).toBe('');
  });

  it('proposes nothing for an undeclared resource, or when the files already read as the previous version', async () => {
    // Prepare
    const { repo } = await exampleRepo();
    const base = (await repo.git('rev-parse', 'HEAD')).trim();
    const unrelated = await repo.commit({ 'README.md': 'notes\n' }, 'notes');

    // Act
    const missing = await writeBackRollback(
      request(repo, { commitId: unrelated, resourceId: 'EcsService:prod/billing' }),
    );
    const same = await writeBackRollback(request(repo, { commitId: unrelated, to: base }));

    // Assess
    expect(missing).toEqual({
      status: 'not-proposed',
      reason: `EcsService:prod/billing is not declared (without errors) at commit ${unrelated.slice(0, 12)}`,
    });
    expect(same).toEqual({
      status: 'not-proposed',
      reason: `services/web.yaml already read as at ${base.slice(0, 12)} on main: nothing to revert`,
    });
    expect((await repo.git('branch', '--list')).trim()).toBe('* main');
  });

  it('answers exists for a proposal made before, and records what it did as a skipped ledger entry, not a failure', async () => {
    // Prepare
    const { repo, tree } = await exampleRepo();
    const bad = await repo.commit(
      { 'services/web.yaml': tree['services/web.yaml']!.replace('web:1.4.2', 'web:3') },
      'x',
    );
    const ledger = new MemoryLedger();
    const rolledBack = outcome(bad, 'rolled-back', '2026-01-01T00:00:05Z', {
      trigger: 'deployment-event',
      references: { deploymentId: 'ecs-svc/1' },
    });
    const first = await writeBackRollback(request(repo, { commitId: bad }));

    // Act
    const second = await writeBackRollback(request(repo, { commitId: bad }));
    const entry = await recordWriteBack(ledger, rolledBack, first, () => Date.parse('2026-01-01T00:00:06Z'));

    // Assess
    expect(second).toMatchObject({ status: 'exists', branch: rollbackBranch(WEB, bad) });
    expect(entry).toMatchObject({
      kind: 'outcome',
      trigger: 'deployment-event',
      result: 'skipped',
      commitId: bad,
      resourceId: WEB,
      runId: rolledBack.runId,
      references: { deploymentId: 'ecs-svc/1' },
      time: '2026-01-01T00:00:06.000Z',
    });
    expect(entry.entryId).not.toBe(rolledBack.entryId);
    expect(isWriteBackEntry(entry)).toBe(true);
    expect(isWriteBackEntry(rolledBack)).toBe(false);
    expect(ledger.entries).toEqual([entry]);
  });
});
