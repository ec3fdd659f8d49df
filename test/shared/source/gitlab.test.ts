import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { FileTooLargeError, GitReadError, GitUnavailableError, RefNotFoundError } from '../../../shared/errors.ts';
import { type GitLabServer, startGitLabServer } from '../../../shared/sim/gitlab-server.ts';
import { MAX_FILE_BYTES } from '../../../shared/source/git-source.ts';
import { GitLabGitSource } from '../../../shared/source/gitlab.ts';

const PROJECT = 'platform/infra/config';
const ENCODED = 'platform%2Finfra%2Fconfig';

let server: GitLabServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A fake GitLab with one project and a token generated for this test. */
async function gitLab(options: { pathPrefix?: string; maxPerPage?: number } = {}) {
  server = await startGitLabServer(options);
  const token = randomBytes(16).toString('hex');
  server.state.addToken(token, 'project_42_bot');
  const project = server.state.addProject(PROJECT);
  const source = new GitLabGitSource({ project: PROJECT, baseUrl: server.url, token: async () => token });
  return { server, project, source, token };
}

const requestsTo = (fake: GitLabServer, fragment: string) =>
  fake.state.requests.filter((request) => request.path.includes(fragment));

describe('GitLabGitSource', () => {
  it('resolves a branch through the URL-encoded project path, and a full commit id after checking it exists', async () => {
    // Arrange
    const { server: fake, project, source } = await gitLab();
    const first = project.commit({ branch: 'main', files: { 'driftless.yaml': 'apiVersion: driftless/v1\n' } });
    const head = project.commit({ branch: 'main', files: { 'services/web.yaml': 'kind: EcsService\n' } });

    // Act
    const resolved = await source.resolveRef('main');
    const byId = await source.resolveRef(first);

    // Assess
    expect(resolved).toBe(head);
    expect(byId).toBe(first);
    expect(fake.state.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET /api/v4/projects/${ENCODED}/repository/branches/main`,
      `GET /api/v4/projects/${ENCODED}/repository/commits/${first}`,
    ]);
  });

  it('answers RefNotFoundError for a deleted branch (404) and for a commit GitLab does not have', async () => {
    // Arrange
    const { project, source } = await gitLab();
    project.commit({ branch: 'main', files: { 'a.yaml': 'a: 1\n' } });
    project.commit({ branch: 'driftless/adopt/web-1a2b', files: { 'b.yaml': 'b: 1\n' } });
    project.deleteBranch('driftless/adopt/web-1a2b');

    // Act
    const deleted = await source.resolveRef('driftless/adopt/web-1a2b').catch((error: unknown) => error);
    const unknown = await source.listFiles('f'.repeat(40), '').catch((error: unknown) => error);

    // Assess
    expect(deleted).toBeInstanceOf(RefNotFoundError);
    expect((deleted as Error).message).toMatch(/driftless\/adopt\/web-1a2b in platform\/infra\/config/);
    expect(unknown).toBeInstanceOf(RefNotFoundError);
  });

  it('says the project is missing or unreadable instead of "ref not found", and refuses a wrong token as terminal', async () => {
    // Arrange
    const { server: fake } = await gitLab();
    const elsewhere = new GitLabGitSource({ project: 'platform/other', baseUrl: fake.url, token: async () => 'x' });
    fake.state.addToken('reader-of-nothing', 'someone');
    const wrongProject = new GitLabGitSource({
      project: 'platform/other',
      baseUrl: fake.url,
      token: async () => 'reader-of-nothing',
    });

    // Act
    const unauthorized = await elsewhere.resolveRef('main').catch((error: unknown) => error);
    const missing = await wrongProject.resolveRef('main').catch((error: unknown) => error);

    // Assess
    expect(unauthorized).toBeInstanceOf(GitReadError);
    expect((unauthorized as Error).message).toMatch(/401 Unauthorized/);
    expect(missing).toBeInstanceOf(GitReadError);
    expect(missing).not.toBeInstanceOf(RefNotFoundError);
    expect((missing as Error).message).toMatch(/project platform\/other not found, or the token cannot read it/);
  });

  it('lists a commit recursively across pages (Link header), files and symlinks only, sorted, with git blob ids', async () => {
    // Arrange
    const { server: fake, project, source } = await gitLab({ maxPerPage: 2 });
    const commit = project.commit({
      branch: 'main',
      files: {
        'driftless.yaml': 'apiVersion: driftless/v1\n',
        'services/web.yaml': 'web\n',
        'services/worker.yaml': 'worker\n',
        'stacks/network.yaml': 'network\n',
        'stacks/network.template.yaml': 'Resources: {}\n',
        'services/current.yaml': { symlink: 'web.yaml' },
      },
    });

    // Act
    const all = await source.listFiles(commit, '');
    const services = await source.listFiles(commit, 'services/');
    const absent = await source.listFiles(commit, 'nowhere');

    // Assess
    expect(all.map((entry) => [entry.path, entry.type])).toEqual([
      ['driftless.yaml', 'file'],
      ['services/current.yaml', 'symlink'],
      ['services/web.yaml', 'file'],
      ['services/worker.yaml', 'file'],
      ['stacks/network.template.yaml', 'file'],
      ['stacks/network.yaml', 'file'],
    ]);
    // `printf 'web\n' | git hash-object --stdin`
    expect(services.find((entry) => entry.path === 'services/web.yaml')?.blobId).toBe(
      'c0772185a03123ad998401fa1570972d5899d740',
    );
    expect(absent).toEqual([]);
    const rootPages = requestsTo(fake, '/repository/tree').filter((request) => request.query.path === undefined);
    expect(rootPages.length).toBe(4);
    expect(rootPages.every((request) => request.query.recursive === 'true' && request.query.ref === commit)).toBe(true);
  });

  it('reads a listed file by blob id once, and answers it from the warm cache after', async () => {
    // Arrange
    const { server: fake, project, source } = await gitLab();
    const commit = project.commit({ branch: 'main', files: { 'services/web.yaml': 'image: web:1.4.2\n' } });
    await source.listFiles(commit, '');

    // Act
    const first = await source.readFile(commit, 'services/web.yaml');
    const again = await source.readFile(commit, 'services/web.yaml');
    await source.listFiles(commit, '');

    // Assess
    expect(new TextDecoder().decode(first)).toBe('image: web:1.4.2\n');
    expect(again).toEqual(first);
    expect(fake.state.requests.map((request) => request.path.replace(/^.*\/repository\//, ''))).toEqual([
      'tree',
      `blobs/${project.commits.get(commit)?.tree.get('services/web.yaml')?.blobId}/raw`,
    ]);
  });

  it('reads an unlisted file through repository/files/:path/raw, and a missing one is an error, never empty', async () => {
    // Arrange
    const { server: fake, project, source } = await gitLab();
    const commit = project.commit({ branch: 'main', files: { 'stacks/network.yaml': 'kind: CloudFormationStack\n' } });

    // Act
    const read = await source.readFile(commit, 'stacks/network.yaml');
    const missing = await source.readFile(commit, 'stacks/gone.yaml').catch((error: unknown) => error);

    // Assess
    expect(new TextDecoder().decode(read)).toBe('kind: CloudFormationStack\n');
    expect(requestsTo(fake, 'files/stacks%2Fnetwork.yaml/raw')[0]?.query).toEqual({ ref: commit });
    expect(missing).toBeInstanceOf(GitReadError);
    expect((missing as Error).message).toMatch(/file not found: stacks\/gone.yaml/);
  });

  it('refuses a file over MAX_FILE_BYTES with FileTooLargeError', async () => {
    // Arrange
    const { project, source } = await gitLab();
    const commit = project.commit({ branch: 'main', files: { 'big.yaml': 'x'.repeat(MAX_FILE_BYTES + 10) } });
    await source.listFiles(commit, '');

    // Act
    const error = await source.readFile(commit, 'big.yaml').catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect(error).toMatchObject({ path: 'big.yaml', sizeBytes: MAX_FILE_BYTES + 10, limitBytes: MAX_FILE_BYTES });
  });

  it('lists added, modified, deleted and renamed files between two commits, optionally under a folder', async () => {
    // Arrange
    const { project, source } = await gitLab();
    const before = project.commit({
      branch: 'main',
      files: { 'services/web.yaml': 'web: 1\n', 'services/old.yaml': 'old\n', 'stacks/a.yaml': 'a\n', 'x.yaml': 'x\n' },
    });
    const after = project.commit({
      branch: 'main',
      files: {
        'services/web.yaml': 'web: 2\n',
        'services/old.yaml': null,
        'services/new.yaml': 'new\n',
        'stacks/a.yaml': null,
        'stacks/b.yaml': 'a\n',
      },
    });

    // Act
    const all = await source.changedFiles(before, after);
    const services = await source.changedFiles(before, after, 'services');

    // Assess
    expect(all).toEqual([
      { kind: 'added', path: 'services/new.yaml' },
      { kind: 'deleted', path: 'services/old.yaml' },
      { kind: 'modified', path: 'services/web.yaml' },
      { kind: 'renamed', path: 'stacks/b.yaml', previousPath: 'stacks/a.yaml' },
    ]);
    expect(services.map((change) => change.path)).toEqual([
      'services/new.yaml',
      'services/old.yaml',
      'services/web.yaml',
    ]);
  });

  it('after a force-push, compares the two trees (straight) so what the rewrite removed is a change too', async () => {
    // Arrange
    const { server: fake, project, source } = await gitLab();
    const base = project.commit({ branch: 'main', files: { 'services/web.yaml': 'web: 1\n' } });
    const pushed = project.commit({ branch: 'main', files: { 'services/worker.yaml': 'worker: 1\n' } });
    const rewritten = project.commit({ branch: 'main', parent: base, files: { 'services/web.yaml': 'web: 2\n' } });

    // Act
    const head = await source.resolveRef('main');
    const changes = await source.changedFiles(pushed, head);

    // Assess
    expect(head).toBe(rewritten);
    expect(changes).toEqual([
      { kind: 'modified', path: 'services/web.yaml' },
      { kind: 'deleted', path: 'services/worker.yaml' },
    ]);
    expect(requestsTo(fake, '/repository/compare')[0]?.query).toEqual({
      from: pushed,
      to: rewritten,
      straight: 'true',
    });
  });

  it('answers commit info with ISO dates, and RefNotFoundError when comparing with a commit GitLab lost', async () => {
    // Arrange
    const { project, source } = await gitLab();
    const parent = project.commit({ branch: 'main', files: { 'a.yaml': '1\n' } });
    const commit = project.commit({
      branch: 'main',
      files: { 'a.yaml': '2\n' },
      message: 'web: image 1.4.3\n\nWhy: CVE fix.',
      author: { name: 'Jane Doe', email: 'jane@example.com' },
      committer: { name: 'GitLab', email: 'noreply@gitlab.example.com' },
    });

    // Act
    const info = await source.commitInfo(commit);
    const lost = await source.changedFiles('e'.repeat(40), commit).catch((error: unknown) => error);

    // Assess
    expect(info).toEqual({
      commitId: commit,
      parents: [parent],
      author: { name: 'Jane Doe', email: 'jane@example.com', date: '2026-01-05T09:01:00.000Z' },
      committer: { name: 'GitLab', email: 'noreply@gitlab.example.com', date: '2026-01-05T09:01:00.000Z' },
      message: 'web: image 1.4.3\n\nWhy: CVE fix.',
    });
    expect(lost).toBeInstanceOf(RefNotFoundError);
  });

  it('waits out 429s, with Retry-After or with only GitLab’s RateLimit-Reset, and then reads', async () => {
    // Arrange
    const { server: fake, project, source } = await gitLab();
    project.commit({ branch: 'main', files: { 'a.yaml': '1\n' } });
    fake.state.throttle(1, 'retry-after', 1);
    fake.state.throttle(1, 'ratelimit-reset', 1);

    // Act
    const started = Date.now();
    const head = await source.resolveRef('main');

    // Assess
    expect(head).toBe(project.branches.get('main'));
    expect(fake.state.requests.map((request) => request.status)).toEqual([429, 429, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('is retryable (GitUnavailableError) when the rate limit lasts longer than a function should wait', async () => {
    // Arrange
    const { server: fake, project, source } = await gitLab();
    project.commit({ branch: 'main', files: { 'a.yaml': '1\n' } });
    fake.state.throttle(1, 'retry-after', 3600);

    // Act
    const error = await source.resolveRef('main').catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(GitUnavailableError);
    expect((error as Error).message).toMatch(/429/);
  });

  it('reaches a self-managed instance under a path prefix, sending the token as PRIVATE-TOKEN or Bearer', async () => {
    // Arrange
    const { server: fake, project, token } = await gitLab({ pathPrefix: '/gitlab' });
    project.commit({ branch: 'main', files: { 'a.yaml': '1\n' } });
    const bearer = new GitLabGitSource({
      project: PROJECT,
      baseUrl: `${fake.url}/`,
      token: async () => token,
      tokenHeader: 'bearer',
    });
    const apiUrl = new GitLabGitSource({ project: PROJECT, baseUrl: `${fake.url}/api/v4`, token: async () => token });

    // Act
    const heads = [await bearer.resolveRef('main'), await apiUrl.resolveRef('main')];

    // Assess
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/gitlab$/);
    expect(heads).toEqual([project.branches.get('main'), project.branches.get('main')]);
    expect(fake.state.requests.map((request) => request.path)).toEqual([
      `/gitlab/api/v4/projects/${ENCODED}/repository/branches/main`,
      `/gitlab/api/v4/projects/${ENCODED}/repository/branches/main`,
    ]);
  });
  it('reads a commit once when several readers ask at the same time, and asks again after a failed read', async () => {
    // Arrange
    const { server: fake, project, source } = await gitLab();
    const head = project.commit({ branch: 'main', files: { 'a.yaml': '1\n' } });
    const missing = 'f'.repeat(40);

    // Act
    const [one, two, three] = await Promise.all([
      source.commitInfo(head),
      source.commitInfo(head),
      source.commitInfo(head),
    ]);
    const first = await source.commitInfo(missing).catch((error: unknown) => error);
    const again = await source.commitInfo(missing).catch((error: unknown) => error);

    // Assess
    expect(two).toBe(one);
    expect(three).toBe(one);
    expect(first).toBeInstanceOf(RefNotFoundError);
    expect(again).toBeInstanceOf(RefNotFoundError);
    expect(requestsTo(fake, `/repository/commits/${head}`)).toHaveLength(1);
    expect(requestsTo(fake, `/repository/commits/${missing}`)).toHaveLength(2);
  });
});
