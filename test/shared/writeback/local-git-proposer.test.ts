import { afterEach, describe, expect, it } from 'vitest';
import { TerminalError } from '../../../shared/errors.ts';
import { LocalGitProposer } from '../../../shared/writeback/local-git-proposer.ts';
import type { Proposal } from '../../../shared/writeback/proposals.ts';
import { makeRepo, type TestRepo } from '../../support/git-repo.ts';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function repoWith(files: Parameters<typeof makeRepo>[0]): Promise<TestRepo> {
  const repo = await makeRepo(files);
  cleanups.push(() => repo.cleanup());
  return repo;
}

function proposal(base: string, overrides: Partial<Proposal> = {}): Proposal {
  return {
    branch: 'driftless/rollback/web-1a2b3c4d5e6f',
    baseCommitId: base,
    targetBranch: 'main',
    files: [
      { path: 'services/web.yaml', content: 'image: web:1\n' },
      { path: 'services/web-extra.yaml', content: null },
    ],
    commitMessage: 'Revert web to 1a2b3c4d5e6f: deployment rolled back\n\nbody',
    title: 'Revert web to 1a2b3c4d5e6f: deployment rolled back',
    description: 'body',
    ...overrides,
  };
}

const NOW = Date.parse('2026-01-02T03:04:05Z');

describe('LocalGitProposer', () => {
  it('creates the branch with one driftless commit on the base, leaving HEAD, the index and the working tree alone', async () => {
    // Prepare
    const repo = await repoWith({ 'services/web.yaml': 'image: web:2\n', 'services/web-extra.yaml': 'x: 1\n' });
    const base = (await repo.git('rev-parse', 'HEAD')).trim();
    await repo.write({ 'scratch.txt': 'uncommitted' });
    const statusBefore = await repo.git('status', '--porcelain');

    // Act
    const result = await new LocalGitProposer({ repoDir: repo.dir, now: () => NOW }).propose(proposal(base));

    // Assess
    expect(result).toMatchObject({ status: 'opened', branch: 'driftless/rollback/web-1a2b3c4d5e6f' });
    expect(result).not.toHaveProperty('pullRequestId');
    const commitId = result.status === 'opened' ? result.commitId : '';
    expect((await repo.git('rev-parse', 'refs/heads/driftless/rollback/web-1a2b3c4d5e6f')).trim()).toBe(commitId);
    expect((await repo.git('rev-parse', `${commitId}^`)).trim()).toBe(base);
    expect(await repo.git('show', `${commitId}:services/web.yaml`)).toBe('image: web:1\n');
    expect(await repo.git('ls-tree', '-r', '--name-only', commitId)).toBe('services/web.yaml\n');
    expect((await repo.git('log', '-1', '--format=%an|%ae|%cn|%aI|%B', commitId)).trimEnd()).toBe(
      'driftless|driftless@localhost|driftless|2026-01-02T03:04:05+00:00|Revert web to 1a2b3c4d5e6f: deployment rolled back\n\nbody',
    );
    expect((await repo.git('rev-parse', 'HEAD')).trim()).toBe(base);
    expect((await repo.git('symbolic-ref', 'HEAD')).trim()).toBe('refs/heads/main');
    expect(await repo.git('status', '--porcelain')).toBe(statusBefore);
  });

  it('answers exists and writes nothing when the branch is there already', async () => {
    // Prepare
    const repo = await repoWith({ 'services/web.yaml': 'image: web:2\n' });
    const base = (await repo.git('rev-parse', 'HEAD')).trim();
    const proposer = new LocalGitProposer({ repoDir: repo.dir, now: () => NOW });
    const first = await proposer.propose(proposal(base, { files: [{ path: 'services/web.yaml', content: 'a\n' }] }));

    // Act
    const second = await proposer.propose(proposal(base, { files: [{ path: 'services/web.yaml', content: 'b\n' }] }));

    // Assess
    expect(second).toEqual({ status: 'exists', branch: 'driftless/rollback/web-1a2b3c4d5e6f' });
    const commitId = first.status === 'opened' ? first.commitId : '';
    expect((await repo.git('rev-parse', 'driftless/rollback/web-1a2b3c4d5e6f')).trim()).toBe(commitId);
  });

  it('keeps an executable file executable and adds new files in new folders', async () => {
    // Prepare
    const repo = await repoWith({ 'run.sh': 'echo 1\n' });
    await repo.git('update-index', '--chmod=+x', 'run.sh');
    const base = await repo.commit({}, 'executable');

    // Act
    const result = await new LocalGitProposer({ repoDir: repo.dir }).propose(
      proposal(base, {
        files: [
          { path: 'run.sh', content: 'echo 2\n' },
          { path: 'deep/new/file.yaml', content: 'n: 1\n' },
        ],
      }),
    );

    // Assess
    const commitId = result.status === 'opened' ? result.commitId : '';
    expect(await repo.git('ls-tree', '-r', commitId)).toMatch(
      /^100644 blob \w+\tdeep\/new\/file.yaml\n100755 blob \w+\trun.sh\n$/,
    );
  });

  it('refuses a proposal that changes nothing, and a branch name git does not accept, creating no branch', async () => {
    // Prepare
    const repo = await repoWith({ 'services/web.yaml': 'image: web:2\n' });
    const base = (await repo.git('rev-parse', 'HEAD')).trim();
    const proposer = new LocalGitProposer({ repoDir: repo.dir });

    // Act
    const same = await proposer
      .propose(proposal(base, { files: [{ path: 'services/web.yaml', content: 'image: web:2\n' }] }))
      .catch((error: unknown) => error);
    const badName = await proposer.propose(proposal(base, { branch: 'bad..name' })).catch((error: unknown) => error);

    // Assess
    expect(same).toBeInstanceOf(TerminalError);
    expect((same as Error).message).toMatch(/nothing to propose/);
    expect(badName).toBeInstanceOf(TerminalError);
    expect((badName as Error).message).toMatch(/invalid branch name/);
    expect((await repo.git('branch', '--list')).trim()).toBe('* main');
  });

  it('refuses a base commit that is not in the repository', async () => {
    // Prepare
    const repo = await repoWith({ 'a.txt': 'a' });

    // Act
    const attempt = new LocalGitProposer({ repoDir: repo.dir }).propose(proposal('0'.repeat(40)));

    // Assess
    await expect(attempt).rejects.toThrow(/cannot read base commit/);
  });
});
