import { describe, expect, it } from 'vitest';
import { RetryableError, TerminalError } from '../../../shared/errors.ts';
import { GitHubGitSource } from '../../../shared/source/github.ts';
import { GitHubProposer } from '../../../shared/writeback/github-proposer.ts';
import type { Proposal } from '../../../shared/writeback/proposals.ts';
import { startTestGitHub, type TestGitHub } from '../../support/github.ts';

const BRANCH = 'driftless/rollback/web-1a2b3c4d5e6f';

function proposalOn(base: string): Proposal {
  return {
    branch: BRANCH,
    baseCommitId: base,
    targetBranch: 'main',
    files: [
      { path: 'services/web.yaml', content: 'image: web:1\n' },
      { path: 'services/old.yaml', content: null },
    ],
    commitMessage: 'Revert web to 1a2b3c4d5e6f: deployment rolled back',
    title: 'Revert web to 1a2b3c4d5e6f: deployment rolled back',
    description: 'The ECS deployment circuit breaker rolled back commit X.',
  };
}

async function repository(): Promise<{ github: TestGitHub; base: string; proposer: GitHubProposer }> {
  const github = await startTestGitHub();
  const base = github.server.state.repository.commit('main', {
    'services/web.yaml': 'image: web:2\n',
    'services/old.yaml': 'old\n',
    'driftless.yaml': 'settings\n',
  });
  return { github, base, proposer: new GitHubProposer(github.options) };
}

describe('GitHubProposer against the fake GitHub', () => {
  it('makes one driftless commit on the base with the files, the branch at it, and a pull request into the target', async () => {
    // Arrange
    const { github, base, proposer } = await repository();

    // Act
    const result = await proposer.propose(proposalOn(base));

    // Assess
    const model = github.server.state.repository;
    const head = model.branches.get(BRANCH) as string;
    expect(result).toEqual({ status: 'opened', branch: BRANCH, commitId: head, pullRequestId: '1' });
    expect(github.calls()).toEqual([
      `GET /git/commits/${base}`,
      'POST /git/trees',
      'POST /git/commits',
      'POST /git/refs',
      'POST /pulls',
    ]);
    const source = new GitHubGitSource(github.options);
    const info = await source.commitInfo(head);
    expect(info.parents).toEqual([base]);
    expect(info.author.name).toBe('driftless');
    expect(info.message).toBe(proposalOn(base).commitMessage);
    expect((await source.listFiles(head, '')).map((file) => file.path)).toEqual([
      'driftless.yaml',
      'services/web.yaml',
    ]);
    expect(Buffer.from(await source.readFile(head, 'services/web.yaml')).toString()).toBe('image: web:1\n');
    expect(model.pulls).toEqual([
      {
        number: 1,
        title: proposalOn(base).title,
        body: proposalOn(base).description,
        head: BRANCH,
        base: 'main',
        state: 'open',
      },
    ]);
    expect(model.branches.get('main')).toBe(base);
  });

  it('answers a repeated proposal with the pull request it opened, opening no second one and leaving the branch', async () => {
    // Arrange
    const { github, base, proposer } = await repository();
    const first = await proposer.propose(proposalOn(base));
    const branchHead = github.server.state.repository.branches.get(BRANCH);

    // Act
    const again = await proposer.propose(proposalOn(base));

    // Assess
    expect(again).toEqual(first);
    expect(github.server.state.repository.pulls).toHaveLength(1);
    expect(github.server.state.repository.branches.get(BRANCH)).toBe(branchHead);
  });

  it('finishes an attempt cut short after the branch: the pull request is opened on the first commit', async () => {
    // Arrange
    const { github, base } = await repository();
    let failPulls = true;
    const flaky = new GitHubProposer({
      ...github.options,
      fetch: async (input, init) => {
        if (failPulls && init?.method === 'POST' && String(input).endsWith('/pulls'))
          throw new TypeError('fetch failed');
        return fetch(input, init);
      },
    });
    const cutShort = await flaky.propose(proposalOn(base)).catch((error: unknown) => error);
    const firstCommit = github.server.state.repository.branches.get(BRANCH);
    failPulls = false;

    // Act
    const retried = await flaky.propose(proposalOn(base));

    // Assess
    expect(cutShort).toBeInstanceOf(RetryableError);
    expect(github.server.state.repository.pulls).toHaveLength(1);
    expect(retried).toEqual({ status: 'opened', branch: BRANCH, commitId: firstCommit, pullRequestId: '1' });
    expect(github.server.state.repository.branches.get(BRANCH)).toBe(firstCommit);
  });

  it('moves a branch still at the base (fast-forward) to the new commit and opens the pull request', async () => {
    // Arrange
    const { github, base, proposer } = await repository();
    github.server.state.repository.branches.set(BRANCH, base);

    // Act
    const result = await proposer.propose(proposalOn(base));

    // Assess
    const head = github.server.state.repository.branches.get(BRANCH);
    expect(head).not.toBe(base);
    expect(result).toEqual({ status: 'opened', branch: BRANCH, commitId: head, pullRequestId: '1' });
    expect(github.server.state.requests.find((request) => request.method === 'PATCH')?.body).toMatchObject({
      force: false,
    });
  });

  it('answers exists and writes nothing over a branch someone pushed to', async () => {
    // Arrange
    const { github, base, proposer } = await repository();
    const model = github.server.state.repository;
    model.branches.set(BRANCH, base);
    const theirs = model.commit(BRANCH, { 'services/web.yaml': 'image: web:9\n' }, 'hotfix', {
      name: 'Jane Doe',
      email: 'jane@example.com',
    });

    // Act
    const result = await proposer.propose(proposalOn(base));

    // Assess
    expect(result).toEqual({ status: 'exists', branch: BRANCH });
    expect(model.branches.get(BRANCH)).toBe(theirs);
    expect(model.pulls).toEqual([]);
  });

  it('answers exists when the pull request from an earlier attempt was closed, without reopening it', async () => {
    // Arrange
    const { github, base, proposer } = await repository();
    await proposer.propose(proposalOn(base));
    const pull = github.server.state.repository.pulls[0];
    if (pull) pull.state = 'closed';

    // Act
    const result = await proposer.propose(proposalOn(base));

    // Assess
    expect(result).toEqual({ status: 'exists', branch: BRANCH });
    expect(github.server.state.repository.pulls).toHaveLength(1);
    expect(github.server.state.repository.pulls[0]?.state).toBe('closed');
  });

  it('refuses a proposal that changes nothing, creating no branch and no pull request', async () => {
    // Arrange
    const { github, base, proposer } = await repository();
    const proposal = { ...proposalOn(base), files: [{ path: 'services/web.yaml', content: 'image: web:2\n' }] };

    // Act
    const failure = await proposer.propose(proposal).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(TerminalError);
    expect(String(failure)).toMatch(/nothing to propose/);
    expect(github.server.state.repository.branches.has(BRANCH)).toBe(false);
    expect(github.server.state.repository.pulls).toEqual([]);
  });

  it('refuses an invalid proposal before any call, and a base that is not in the repository as terminal', async () => {
    // Arrange
    const { github, base, proposer } = await repository();

    // Act
    const invalid = await proposer.propose({ ...proposalOn(base), files: [] }).catch((error: unknown) => error);
    const callsAfterInvalid = github.calls().length;
    const unknownBase = await proposer.propose(proposalOn('e'.repeat(40))).catch((error: unknown) => error);

    // Assess
    expect(invalid).toBeInstanceOf(TerminalError);
    expect(callsAfterInvalid).toBe(0);
    expect(unknownBase).toBeInstanceOf(TerminalError);
    expect(String(unknownBase)).toMatch(/404/);
  });

  it('waits out a rate limit in the middle of a proposal and finishes it', async () => {
    // Arrange
    const { github, base, proposer } = await repository();
    github.server.state.rateLimits.push({ kind: 'secondary', retryAfterSeconds: 2 });

    // Act
    const result = await proposer.propose(proposalOn(base));

    // Assess
    expect(result.status).toBe('opened');
    expect(github.waits).toEqual([2000]);
  });
});
