import { describe, expect, it } from 'vitest';
import { FileTooLargeError, GitReadError, GitUnavailableError, RefNotFoundError } from '../../../shared/errors.ts';
import { MAX_FILE_BYTES } from '../../../shared/source/git-source.ts';
import { GitHubGitSource } from '../../../shared/source/github.ts';
import { LocalGitSource } from '../../../shared/source/local-git.ts';
import { loadRepository } from '../../../shared/spec/repository.ts';
import { EXAMPLE_REPO_DIR, readTree } from '../../support/fixtures.ts';
import { makeRepo } from '../../support/git-repo.ts';
import { startTestGitHub } from '../../support/github.ts';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

describe('GitHubGitSource over the fake GitHub', () => {
  it('loads examples/config-repo into the same snapshot as a local git repository, in one tree call and one call per file', async () => {
    // Arrange
    const files = await readTree(EXAMPLE_REPO_DIR);
    const github = await startTestGitHub();
    const head = github.server.state.repository.commit('main', files, 'initial');
    const local = await makeRepo(files);
    const source = new GitHubGitSource(github.options);

    // Act
    const fromGitHub = await loadRepository(source, { ref: 'main' });
    const fromLocal = await loadRepository(new LocalGitSource({ repoDir: local.dir }), { ref: 'main' });
    const firstCalls = github.calls();
    const again = await loadRepository(source, { ref: 'main' });
    await local.cleanup();

    // Assess
    expect(fromGitHub).toEqual({ ...fromLocal, commitId: head });
    expect(fromGitHub.diagnostics).toEqual([]);
    expect(fromGitHub.declarations.length).toBe(4);
    expect(firstCalls).toEqual([
      'GET /git/ref/heads/main',
      `GET /git/trees/${head}`,
      // Each YAML file once; the JSON Schema beside them is not a declaration and is never read.
      ...Array.from({ length: 6 }, () => expect.stringMatching(/^GET \/git\/blobs\/[0-9a-f]{40}$/)),
    ]);
    expect(again).toEqual(fromGitHub);
    expect(github.calls().slice(firstCalls.length)).toEqual(['GET /git/ref/heads/main']);
  });

  it('lists the same files with the same blob ids as git, under a prefix, with sizes and symlinks', async () => {
    // Arrange
    const github = await startTestGitHub();
    const files = { 'config/a.yaml': 'a: 1\n', 'config/deep/b.yaml': 'b: 2\n', 'other/c.yaml': 'c\n', 'top.md': '#\n' };
    const head = github.server.state.repository.commit('main', files);
    const local = await makeRepo(files);
    const source = new GitHubGitSource(github.options);

    // Act
    const listed = await source.listFiles(head, '/config/');
    const localListed = await new LocalGitSource({ repoDir: local.dir }).listFiles('main', 'config');
    await local.cleanup();

    // Assess
    expect(listed).toEqual(localListed);
    expect(listed.map((file) => file.path)).toEqual(['config/a.yaml', 'config/deep/b.yaml']);
    expect(await source.listFiles(head, 'absent')).toEqual([]);
  });

  it('walks a truncated tree folder by folder under the prefix and finds the same files', async () => {
    // Arrange
    const github = await startTestGitHub();
    const files: Record<string, string> = { 'README.md': 'x\n' };
    for (let i = 0; i < 6; i++) files[`services/team-${i % 2}/svc-${i}.yaml`] = `n: ${i}\n`;
    files['elsewhere/big/file.yaml'] = 'z\n';
    const head = github.server.state.repository.commit('main', files);
    const expected = await new GitHubGitSource(github.options).listFiles(head, 'services');
    github.server.state.treeEntryLimit = 3;
    const source = new GitHubGitSource(github.options);
    const before = github.calls().length;

    // Act
    const listed = await source.listFiles(head, 'services');
    const content = await source.readFile(head, 'services/team-1/svc-3.yaml');

    // Assess
    expect(listed).toEqual(expected);
    expect(text(content)).toBe('n: 3\n');
    const walked = github.calls().slice(before);
    // One recursive call that came back truncated, then the root, services/ and its two team folders.
    expect(walked.filter((call) => call.startsWith('GET /git/trees/'))).toHaveLength(5);
    expect(github.server.state.requests.at(-1)?.path).toMatch(/\/git\/blobs\//);
  });

  it('reads a file once per blob, refuses one over the limit from its size without downloading it, and names a missing one', async () => {
    // Arrange
    const github = await startTestGitHub();
    const big = 'x'.repeat(MAX_FILE_BYTES + 1);
    const head = github.server.state.repository.commit('main', {
      'a.yaml': 'one\n',
      'copy.yaml': 'one\n',
      'big.bin': big,
    });
    const source = new GitHubGitSource(github.options);

    // Act
    const a = await source.readFile(head, 'a.yaml');
    const copy = await source.readFile(head, 'copy.yaml');
    const tooLarge = await source.readFile(head, 'big.bin').catch((error: unknown) => error);
    const missing = await source.readFile(head, 'nope.yaml').catch((error: unknown) => error);

    // Assess
    expect(text(a)).toBe('one\n');
    expect(text(copy)).toBe('one\n');
    expect(tooLarge).toBeInstanceOf(FileTooLargeError);
    expect(tooLarge).toMatchObject({ path: 'big.bin', sizeBytes: MAX_FILE_BYTES + 1 });
    expect(missing).toBeInstanceOf(GitReadError);
    expect(missing).not.toBeInstanceOf(RefNotFoundError);
    expect(github.calls().filter((call) => call.startsWith('GET /git/blobs/'))).toHaveLength(1);
  });

  it('resolves a branch and a commit id; a deleted branch or an unknown commit is RefNotFoundError', async () => {
    // Arrange
    const github = await startTestGitHub();
    const model = github.server.state.repository;
    const head = model.commit('main', { 'a.yaml': 'a\n' });
    model.commit('feature/x', { 'b.yaml': 'b\n' });
    const source = new GitHubGitSource(github.options);
    const feature = await source.resolveRef('refs/heads/feature/x');
    model.branches.delete('feature/x');

    // Act
    const deleted = await source.resolveRef('feature/x').catch((error: unknown) => error);
    const unknown = await source.resolveRef('f'.repeat(40)).catch((error: unknown) => error);

    // Assess
    expect(await source.resolveRef('main')).toBe(head);
    expect(await source.resolveRef(head)).toBe(head);
    expect(feature).toMatch(/^[0-9a-f]{40}$/);
    expect(feature).not.toBe(head);
    expect(deleted).toBeInstanceOf(RefNotFoundError);
    expect(unknown).toBeInstanceOf(RefNotFoundError);
  });

  it('reports added, modified, deleted and renamed files from one compare call, filtered by prefix', async () => {
    // Arrange
    const github = await startTestGitHub();
    const model = github.server.state.repository;
    const base = model.commit('main', { 'svc/a.yaml': 'a\n', 'svc/b.yaml': 'b\n', 'svc/c.yaml': 'c\n', 'x.md': '1\n' });
    model.commit('main', { 'svc/a.yaml': 'a2\n', 'svc/b.yaml': null, 'svc/new.yaml': 'n\n' });
    const head = model.commit('main', { 'svc/c.yaml': null, 'svc/moved/c.yaml': 'c\n', 'x.md': '2\n' });
    const source = new GitHubGitSource(github.options);

    // Act
    const changes = await source.changedFiles(base, head, 'svc');

    // Assess
    expect(changes).toEqual([
      { kind: 'modified', path: 'svc/a.yaml' },
      { kind: 'deleted', path: 'svc/b.yaml' },
      { kind: 'renamed', path: 'svc/moved/c.yaml', previousPath: 'svc/c.yaml' },
      { kind: 'added', path: 'svc/new.yaml' },
    ]);
    expect(github.calls()).toEqual([`GET /compare/${base}...${head}`]);
    expect(await source.changedFiles(head, head)).toEqual([]);
  });

  it('after a force-push compares the two trees, not the merge base: what the old head had is undone', async () => {
    // Arrange
    const github = await startTestGitHub();
    const model = github.server.state.repository;
    const root = model.commit('main', { 'a.yaml': 'a\n', 'b.yaml': 'b\n' });
    const oldHead = model.commit('main', { 'a.yaml': 'a-old\n', 'old.yaml': 'o\n' });
    model.branches.set('main', root);
    const newHead = model.commit('main', { 'b.yaml': 'b-new\n' });
    const source = new GitHubGitSource(github.options);

    // Act
    const changes = await source.changedFiles(oldHead, newHead);

    // Assess
    // Against the merge base (root) only b.yaml changed; from the old head, a.yaml reverts and old.yaml is gone too.
    expect(changes).toEqual([
      { kind: 'modified', path: 'a.yaml' },
      { kind: 'modified', path: 'b.yaml' },
      { kind: 'deleted', path: 'old.yaml' },
    ]);
    expect(github.calls()).toEqual([
      `GET /compare/${oldHead}...${newHead}`,
      `GET /git/trees/${oldHead}`,
      `GET /git/trees/${newHead}`,
    ]);
  });

  it('compares trees when a force-push left no common ancestor, and still names a commit that does not exist', async () => {
    // Arrange
    const github = await startTestGitHub();
    const model = github.server.state.repository;
    const oldHead = model.commit('main', { 'a.yaml': 'a\n' });
    model.branches.delete('main');
    const newRoot = model.commit('main', { 'a.yaml': 'a\n', 'b.yaml': 'b\n' });
    const source = new GitHubGitSource(github.options);

    // Act
    const changes = await source.changedFiles(oldHead, newRoot);
    const missing = await source.changedFiles('d'.repeat(40), newRoot).catch((error: unknown) => error);

    // Assess
    expect(changes).toEqual([{ kind: 'added', path: 'b.yaml' }]);
    expect(missing).toBeInstanceOf(RefNotFoundError);
  });

  it('compares trees when the comparison lists as many files as GitHub ever lists (it may be cut short)', async () => {
    // Arrange
    const github = await startTestGitHub();
    const model = github.server.state.repository;
    const base = model.commit('main', { 'keep.yaml': 'k\n' });
    const head = model.commit(
      'main',
      Object.fromEntries(Array.from({ length: 301 }, (_, i) => [`f${String(i).padStart(3, '0')}.yaml`, `${i}\n`])),
    );
    const source = new GitHubGitSource(github.options);

    // Act
    const changes = await source.changedFiles(base, head);

    // Assess
    expect(changes).toHaveLength(301);
    expect(changes.every((change) => change.kind === 'added')).toBe(true);
    expect(github.server.state.requests.map((request) => request.path.split('/')[4])).toEqual([
      'compare',
      'git',
      'git',
    ]);
  });

  it('reads a commit: parents, author, committer and message', async () => {
    // Arrange
    const github = await startTestGitHub();
    const model = github.server.state.repository;
    const first = model.commit('main', { 'a.yaml': 'a\n' });
    const second = model.commit('main', { 'a.yaml': 'b\n' }, 'web: image 1.4.3', {
      name: 'Jane',
      email: 'jane@example.com',
    });
    const source = new GitHubGitSource(github.options);

    // Act
    const info = await source.commitInfo(second);
    await source.commitInfo(second);

    // Assess
    expect(info).toEqual({
      commitId: second,
      parents: [first],
      author: { name: 'Jane', email: 'jane@example.com', date: expect.stringMatching(/^2026-01-01T00:\d\d:00\.000Z$/) },
      committer: { name: 'Jane', email: 'jane@example.com', date: info.author.date },
      message: 'web: image 1.4.3',
    });
    expect(github.calls()).toEqual([`GET /git/commits/${second}`]);
  });

  it('reads a commit once when several readers ask at the same time, and asks again after a failed read', async () => {
    // Arrange
    const github = await startTestGitHub();
    const model = github.server.state.repository;
    const head = model.commit('main', { 'a.yaml': 'a\n' });
    const source = new GitHubGitSource(github.options);
    const missing = 'f'.repeat(40);

    // Act
    const [one, two, three] = await Promise.all([
      source.commitInfo(head),
      source.commitInfo(head),
      source.commitInfo(head),
    ]);
    const failures = await Promise.all([
      source.commitInfo(missing).catch((error: unknown) => error),
      source.commitInfo(missing).catch((error: unknown) => error),
    ]);
    const again = await source.commitInfo(missing).catch((error: unknown) => error);

    // Assess
    expect(two).toBe(one);
    expect(three).toBe(one);
    expect(failures[0]).toBeInstanceOf(Error);
    expect(again).toBeInstanceOf(Error);
    expect(github.calls()).toEqual([
      `GET /git/commits/${head}`,
      `GET /git/commits/${missing}`,
      `GET /git/commits/${missing}`,
    ]);
  });

  it('waits out a primary rate limit (403, x-ratelimit-remaining 0) and a secondary one (429, retry-after)', async () => {
    // Arrange
    const github = await startTestGitHub();
    const head = github.server.state.repository.commit('main', { 'a.yaml': 'a\n' });
    github.server.state.rateLimits.push(
      { kind: 'primary', resetInSeconds: 2 },
      { kind: 'secondary', retryAfterSeconds: 7 },
    );
    const source = new GitHubGitSource(github.options);

    // Act
    const resolved = await source.resolveRef('main');

    // Assess
    expect(resolved).toBe(head);
    expect(github.waits).toHaveLength(2);
    expect(github.waits[0]).toBeGreaterThan(1000);
    expect(github.waits[0]).toBeLessThanOrEqual(3000);
    expect(github.waits[1]).toBe(7000);
    expect(github.calls()).toEqual(Array.from({ length: 3 }, () => 'GET /git/ref/heads/main'));
  });

  it('gives up on a rate limit that outlasts the wait as GitUnavailableError (retryable), never as an empty repository', async () => {
    // Arrange
    const github = await startTestGitHub();
    github.server.state.repository.commit('main', { 'a.yaml': 'a\n' });
    github.server.state.rateLimits.push({ kind: 'secondary', retryAfterSeconds: 3600 });
    const source = new GitHubGitSource(github.options);

    // Act
    const failure = await source.resolveRef('main').catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(GitUnavailableError);
    expect(github.waits).toEqual([]);
  });

  it('refuses a bad token as a terminal GitReadError', async () => {
    // Arrange
    const github = await startTestGitHub();
    const source = new GitHubGitSource({ ...github.options, auth: { token: async () => 'ghp_wrong' } });

    // Act
    const failure = await source.listFiles('a'.repeat(40), '').catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(GitReadError);
    expect(String(failure)).toMatch(/401 Bad credentials/);
  });
});
