import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RetryableError, TerminalError } from '../../../shared/errors.ts';
import { type GitLabServer, startGitLabServer } from '../../../shared/sim/gitlab-server.ts';
import { GitLabProposer } from '../../../shared/writeback/gitlab-proposer.ts';
import type { Proposal } from '../../../shared/writeback/proposals.ts';

const PROJECT = 'platform/infra/config';
const BRANCH = 'driftless/rollback/web-1a2b3c4d5e6f';

let server: GitLabServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function gitLab() {
  server = await startGitLabServer({ pathPrefix: '/gitlab' });
  const token = randomBytes(16).toString('hex');
  server.state.addToken(token, 'project_42_bot');
  const project = server.state.addProject(PROJECT);
  const base = project.commit({
    branch: 'main',
    files: { 'services/web.yaml': 'image: web:2\n', 'services/old.yaml': 'old\n', 'driftless.yaml': 'settings\n' },
  });
  const proposer = new GitLabProposer({ project: PROJECT, baseUrl: server.url, token: async () => token });
  const proposal: Proposal = {
    branch: BRANCH,
    baseCommitId: base,
    targetBranch: 'main',
    files: [
      { path: 'services/web.yaml', content: 'image: web:1\n' },
      { path: 'services/canary.yaml', content: 'canary\n' },
      { path: 'services/old.yaml', content: null },
    ],
    commitMessage: 'Revert web to 1a2b3c4d5e6f: deployment rolled back',
    title: 'Revert web to 1a2b3c4d5e6f: deployment rolled back',
    description: 'The ECS deployment circuit breaker rolled back commit X.',
  };
  return { server, project, base, proposer, proposal };
}

const writes = (fake: GitLabServer, from = 0) =>
  fake.state.requests
    .slice(from)
    .filter((request) => request.method !== 'GET' && request.method !== 'HEAD')
    .map((request) => `${request.method} ${request.path.replace(/^.*\/projects\/[^/]+\//, '')} ${request.status}`);

describe('GitLabProposer', () => {
  it('makes the branch and one driftless commit in one call, then the merge request into the target', async () => {
    // Arrange
    const { server: fake, project, base, proposer, proposal } = await gitLab();

    // Act
    const result = await proposer.propose(proposal);

    // Assess
    const commitId = project.branches.get(BRANCH) ?? '';
    expect(result).toEqual({ status: 'opened', branch: BRANCH, commitId, pullRequestId: '1' });
    expect(writes(fake)).toEqual(['POST repository/commits 201', 'POST merge_requests 201']);
    const commitRequest = fake.state.requests.find((request) => request.method === 'POST')?.body;
    expect(commitRequest).toEqual({
      branch: BRANCH,
      start_sha: base,
      commit_message: proposal.commitMessage,
      actions: [
        { action: 'update', file_path: 'services/web.yaml', content: 'image: web:1\n' },
        { action: 'create', file_path: 'services/canary.yaml', content: 'canary\n' },
        { action: 'delete', file_path: 'services/old.yaml' },
      ],
      author_name: 'driftless',
      author_email: 'driftless@localhost',
    });
    const commit = project.commits.get(commitId);
    expect(commit?.parentIds).toEqual([base]);
    expect(commit?.authorName).toBe('driftless');
    expect([...(commit?.tree.keys() ?? [])].sort()).toEqual([
      'driftless.yaml',
      'services/canary.yaml',
      'services/web.yaml',
    ]);
    expect(project.mergeRequests[0]).toMatchObject({
      sourceBranch: BRANCH,
      targetBranch: 'main',
      title: proposal.title,
      description: proposal.description,
      state: 'opened',
    });
    expect(project.branches.get('main')).toBe(base);
  });

  it('answers exists and writes nothing when the proposal was made before (a repeated sweep or event)', async () => {
    // Arrange
    const { server: fake, proposer, proposal } = await gitLab();
    await proposer.propose(proposal);
    const before = fake.state.requests.length;

    // Act
    const again = await proposer.propose(proposal);

    // Assess
    expect(again).toEqual({ status: 'exists', branch: BRANCH });
    expect(writes(fake, before)).toEqual(['POST repository/commits 400', 'POST merge_requests 409']);
  });

  it('finishes a proposal cut short after its commit: the merge request is opened, no second commit is made', async () => {
    // Arrange
    const { server: fake, project, proposer, proposal } = await gitLab();
    fake.state.throttle(1, 'retry-after', 3600, { method: 'POST', path: '/merge_requests' });
    // The first attempt's commit lands; its merge request is refused by a long rate limit and the attempt fails.
    const first = await proposer.propose(proposal).catch((error: unknown) => error);

    // Act
    const retried = await proposer.propose(proposal);

    // Assess
    expect(first).toBeInstanceOf(RetryableError);
    expect(writes(fake)).toEqual([
      'POST repository/commits 201',
      'POST merge_requests 429',
      'POST repository/commits 400',
      'POST merge_requests 201',
    ]);
    const commits = [...project.commits.values()].filter((commit) => commit.authorName === 'driftless');
    expect(commits.length).toBe(1);
    expect(retried).toMatchObject({ status: 'opened', branch: BRANCH, pullRequestId: '1' });
    expect(project.mergeRequests.length).toBe(1);
  });

  it('opens the merge request for a branch that holds driftless’s commit but has none (the crash came between)', async () => {
    // Arrange
    const { server: fake, project, base, proposer, proposal } = await gitLab();
    const ours = project.commit({
      branch: BRANCH,
      parent: base,
      files: { 'services/web.yaml': 'image: web:1\n' },
      author: { name: 'driftless', email: 'driftless@localhost' },
    });

    // Act
    const result = await proposer.propose(proposal);

    // Assess
    expect(result).toEqual({ status: 'opened', branch: BRANCH, commitId: ours, pullRequestId: '1' });
    expect(writes(fake)).toEqual(['POST repository/commits 400', 'POST merge_requests 201']);
  });

  it('commits onto a branch that is still at the base, without start_sha', async () => {
    // Arrange
    const { server: fake, project, base, proposer, proposal } = await gitLab();
    project.branches.set(BRANCH, base);

    // Act
    const result = await proposer.propose(proposal);

    // Assess
    expect(result).toMatchObject({ status: 'opened', branch: BRANCH, pullRequestId: '1' });
    expect(project.commits.get(project.branches.get(BRANCH) ?? '')?.parentIds).toEqual([base]);
    const commitBodies = fake.state.requests
      .filter((request) => request.path.endsWith('/repository/commits') && request.method === 'POST')
      .map((request) => (request.body as { start_sha?: string }).start_sha);
    expect(commitBodies).toEqual([base, undefined]);
  });

  it('answers exists and writes nothing over someone else’s work on the branch', async () => {
    // Arrange
    const { server: fake, project, proposer, proposal } = await gitLab();
    project.commit({ branch: BRANCH, files: { 'services/web.yaml': 'image: web:3\n' } });

    // Act
    const result = await proposer.propose(proposal);

    // Assess
    expect(result).toEqual({ status: 'exists', branch: BRANCH });
    expect(writes(fake)).toEqual(['POST repository/commits 400']);
    expect(project.mergeRequests).toEqual([]);
  });

  it('refuses a proposal that changes nothing as terminal, writing nothing', async () => {
    // Arrange
    const { server: fake, proposer, proposal } = await gitLab();

    // Act
    const error = await proposer
      .propose({ ...proposal, files: [{ path: 'services/web.yaml', content: 'image: web:2\n' }] })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(TerminalError);
    expect((error as Error).message).toMatch(/nothing to propose/);
    expect(writes(fake)).toEqual([]);
  });
});
