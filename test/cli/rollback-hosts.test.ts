import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../cli/main.ts';
import { startGitHubServer } from '../../shared/sim/github-server.ts';
import { type GitLabServer, startGitLabServer } from '../../shared/sim/gitlab-server.ts';
import { capture } from '../support/cli.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../support/fixtures.ts';

const WEB = 'EcsService:prod/web';

async function exampleFiles(): Promise<Record<string, string>> {
  const tree = await readTree(EXAMPLE_REPO_DIR);
  return Object.fromEntries(Object.entries(tree).map(([path, content]) => [path, String(content)]));
}

describe('driftless rollback on GitHub and GitLab', () => {
  const closing: Array<() => Promise<void>> = [];
  afterEach(async () => {
    vi.unstubAllEnvs();
    await Promise.all(closing.splice(0).map((close) => close()));
  });

  it('opens a GitHub pull request restoring web.yaml, with the token from GITHUB_TOKEN', async () => {
    // Arrange: 1.4.2 then 1.4.4 (the commit rolled back) on main.
    const token = `ghp_${randomBytes(12).toString('hex')}`;
    const github = await startGitHubServer({ owner: 'acme', repo: 'platform-config', staticTokens: [token] });
    closing.push(() => github.close());
    const files = await exampleFiles();
    const model = github.state.repository;
    const good = model.commit('main', files, 'platform config');
    const web = files['services/web.yaml'] ?? '';
    const bad = model.commit('main', { 'services/web.yaml': web.replace('web:1.4.2', 'web:1.4.4') }, 'web 1.4.4');
    const io = capture();
    const args = ['rollback', WEB, '--github', 'acme/platform-config', '--github-api-url', github.url];
    const options = ['--ref', 'main', '--to', good, '--commit', bad, '--no-ledger'];

    // Act
    vi.stubEnv('GITHUB_TOKEN', token);
    const exitCode = await run([...args, ...options], io, {});

    // Assess
    const branch = `driftless/rollback/prod-web-${bad.slice(0, 12)}`;
    expect(exitCode).toBe(0);
    expect(io.stdout()).toContain(`Opened pull request 1: Revert web to ${good.slice(0, 12)}`);
    const proposed = model.commitOf(model.resolveCommit(branch)?.sha ?? '');
    expect(model.flatten(proposed.tree).get('services/web.yaml')?.sha).toBe(
      model.flatten(model.commitOf(good).tree).get('services/web.yaml')?.sha,
    );
  });

  it('opens a GitLab merge request restoring web.yaml, with the token from GITLAB_TOKEN', async () => {
    // Arrange
    const gitlab: GitLabServer = await startGitLabServer();
    closing.push(() => gitlab.close());
    const token = randomBytes(16).toString('hex');
    gitlab.state.addToken(token, 'project_7_bot');
    const project = gitlab.state.addProject('acme/platform/config');
    const files = await exampleFiles();
    const good = project.commit({ branch: 'main', files, message: 'platform config' });
    const web = files['services/web.yaml'] ?? '';
    const bad = project.commit({
      branch: 'main',
      files: { 'services/web.yaml': web.replace('web:1.4.2', 'web:1.4.4') },
      message: 'web 1.4.4',
    });
    const io = capture();
    const args = ['rollback', WEB, '--gitlab', 'acme/platform/config', '--gitlab-url', gitlab.url];

    // Act
    vi.stubEnv('GITLAB_TOKEN', token);
    const exitCode = await run([...args, '--ref', 'main', '--to', good, '--commit', bad, '--no-ledger'], io, {});

    // Assess
    expect(exitCode).toBe(0);
    expect(io.stdout()).toMatch(/Opened merge request \d+: Revert web to /);
    expect(
      gitlab.state.requests.some((request) => request.method === 'POST' && request.path.endsWith('/merge_requests')),
    ).toBe(true);
  });

  it('says which token to set, and refuses two hosts at once, writing nothing', async () => {
    // Arrange
    const io = capture();

    // Act
    vi.stubEnv('GITHUB_TOKEN', '');
    const missing = await run(
      ['rollback', WEB, '--github', 'acme/platform-config', '--to', 'abc', '--no-ledger'],
      io,
      {},
    );
    const missingOut = io.stderr();
    io.reset();
    vi.stubEnv('GITHUB_TOKEN', 't');
    vi.stubEnv('GITLAB_TOKEN', 't');
    const both = await run(
      ['rollback', WEB, '--github', 'acme/x', '--gitlab', 'acme/y', '--to', 'abc', '--no-ledger'],
      io,
      {},
    );

    // Assess
    expect(missing).toBe(1);
    expect(missingOut).toContain('GITHUB_TOKEN');
    expect(both).toBe(1);
    expect(io.stderr()).toContain('name one host, not --github and --gitlab');
  });
});
