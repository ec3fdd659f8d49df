import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { FileTooLargeError, GitReadError, RefNotFoundError } from '../../../shared/errors.ts';
import { MAX_FILE_BYTES } from '../../../shared/source/git-source.ts';
import { LocalGitSource } from '../../../shared/source/local-git.ts';
import { makeRepo, makeTempDir, type TestRepo } from '../../support/git-repo.ts';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function repoWith(files?: Parameters<typeof makeRepo>[0]): Promise<{ repo: TestRepo; source: LocalGitSource }> {
  const repo = await makeRepo(files);
  cleanups.push(() => repo.cleanup());
  return { repo, source: new LocalGitSource({ repoDir: repo.dir }) };
}

async function emptyDir(): Promise<string> {
  const dir = await makeTempDir();
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

describe('LocalGitSource.resolveRef', () => {
  it('resolves a branch, a second branch, a tag, an annotated tag, HEAD and a sha prefix', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'a.txt': 'one' });
    const first = (await repo.git('rev-parse', 'HEAD')).trim();
    await repo.git('tag', 'v1');
    await repo.git('tag', '-a', 'v1-annotated', '-m', 'release');
    await repo.branch('feature');
    await repo.checkout('feature');
    const onFeature = await repo.commit({ 'b.txt': 'two' }, 'on feature');
    await repo.checkout('main');

    // Act
    const resolved = await Promise.all(
      ['main', 'feature', 'v1', 'v1-annotated', 'HEAD', first.slice(0, 10), first].map((ref) => source.resolveRef(ref)),
    );

    // Assess
    expect(resolved).toEqual([first, onFeature, first, first, first, first, first]);
  });

  it('throws RefNotFoundError for an unknown ref', async () => {
    // Prepare
    const { source } = await repoWith({ 'a.txt': 'one' });

    // Act
    const result = source.resolveRef('no-such-branch');

    // Assess
    await expect(result).rejects.toBeInstanceOf(RefNotFoundError);
  });

  it('refuses a ref that git would take as an option', async () => {
    // Prepare
    const { source } = await repoWith({ 'a.txt': 'one' });

    // Act
    const result = source.resolveRef('--output=/tmp/x');

    // Assess
    await expect(result).rejects.toBeInstanceOf(GitReadError);
  });

  it('throws GitReadError, not RefNotFoundError, for a folder that is not a repository', async () => {
    // Prepare
    const source = new LocalGitSource({ repoDir: await emptyDir() });

    // Act
    const error = await source.resolveRef('main').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(GitReadError);
    expect(error).not.toBeInstanceOf(RefNotFoundError);
    expect((error as GitReadError).message).toMatch(/not a git repository/i);
    expect((error as GitReadError).cause).toBeDefined();
  });

  it('does not read the enclosing repository when given one of its subfolders', async () => {
    // Prepare
    const { repo } = await repoWith({ 'sub/a.txt': 'one' });
    const source = new LocalGitSource({ repoDir: `${repo.dir}/sub` });

    // Act
    const result = source.resolveRef('main');

    // Assess
    await expect(result).rejects.toThrow(/not a git repository/i);
  });

  it('throws GitReadError for a folder that does not exist', async () => {
    // Prepare
    const missing = `${await emptyDir()}/nope`;
    const source = new LocalGitSource({ repoDir: missing });

    // Act
    const result = source.resolveRef('main');

    // Assess
    await expect(result).rejects.toThrow(GitReadError);
    await expect(result).rejects.toThrow(missing);
  });
});

describe('LocalGitSource.listFiles', () => {
  it('lists the files of an older commit and of a newer one, sorted, with blob ids and sizes', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'b.txt': 'bee', 'a/x.txt': 'ex' });
    const older = (await repo.git('rev-parse', 'HEAD')).trim();
    const newer = await repo.commit({ 'c.txt': 'sea', 'b.txt': null }, 'second');
    const blobA = (await repo.git('rev-parse', `${older}:a/x.txt`)).trim();

    // Act
    const atOlder = await source.listFiles(older, '');
    const atNewer = await source.listFiles(newer, '');

    // Assess
    expect(atOlder).toEqual([
      { path: 'a/x.txt', blobId: blobA, type: 'file', sizeBytes: 2 },
      expect.objectContaining({ path: 'b.txt', type: 'file', sizeBytes: 3 }),
    ]);
    expect(atNewer.map((entry) => entry.path)).toEqual(['a/x.txt', 'c.txt']);
  });

  it('keeps only files under the prefix folder, not a sibling sharing the start of its name', async () => {
    // Prepare
    const { repo, source } = await repoWith({
      'services/api/service.yaml': 'api',
      'services/web.yaml': 'web',
      'services-old/legacy.yaml': 'old',
      'services.yaml': 'top',
      'other/services/x.yaml': 'nested',
    });
    const head = (await repo.git('rev-parse', 'HEAD')).trim();

    // Act
    const plain = await source.listFiles(head, 'services');
    const slashed = await source.listFiles(head, '/services/');
    const nested = await source.listFiles(head, 'services/api');

    // Assess
    expect(plain.map((entry) => entry.path)).toEqual(['services/api/service.yaml', 'services/web.yaml']);
    expect(slashed).toEqual(plain);
    expect(nested.map((entry) => entry.path)).toEqual(['services/api/service.yaml']);
  });

  it('answers an empty list for a prefix folder that does not exist', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'a.txt': 'one' });
    const head = (await repo.git('rev-parse', 'HEAD')).trim();

    // Act
    const files = await source.listFiles(head, 'missing');

    // Assess
    expect(files).toEqual([]);
  });

  it('does not take a file at the prefix path for the folder', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'services/a/b': 'a file, not a folder', 'services/a/bc/d': 'd' });
    const head = (await repo.git('rev-parse', 'HEAD')).trim();

    // Act
    const files = await source.listFiles(head, 'services/a/b');

    // Assess
    expect(files).toEqual([]);
  });

  it('lists a symlink as a symlink and an executable as a file', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'target.txt': 't', 'run.sh': '#!/bin/sh\n' });
    await repo.git('update-index', '--chmod=+x', 'run.sh');
    await repo.symlink('link.txt', 'target.txt');
    const head = await repo.commit({}, 'link');

    // Act
    const files = await source.listFiles(head, '');
    const linkContent = await source.readFile(head, 'link.txt');

    // Assess
    expect(files.map(({ path, type }) => ({ path, type }))).toEqual([
      { path: 'link.txt', type: 'symlink' },
      { path: 'run.sh', type: 'file' },
      { path: 'target.txt', type: 'file' },
    ]);
    expect(text(linkContent)).toBe('target.txt');
  });

  it('skips submodules', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'a.txt': 'one' });
    const head = (await repo.git('rev-parse', 'HEAD')).trim();
    await repo.git('update-index', '--add', '--cacheinfo', `160000,${head},vendor/lib`);
    const withSubmodule = await repo.commit({}, 'submodule');

    // Act
    const files = await source.listFiles(withSubmodule, '');

    // Assess
    expect(files.map((entry) => entry.path)).toEqual(['a.txt']);
  });

  it('never shows uncommitted or staged changes', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'a.txt': 'committed', 'b.txt': 'committed' });
    await repo.write({ 'a.txt': 'edited in the working tree', 'untracked.txt': 'new' });
    await repo.git('add', 'untracked.txt');
    await repo.write({ 'b.txt': 'staged' });
    await repo.git('add', 'b.txt');

    // Act
    const head = await source.resolveRef('HEAD');
    const files = await source.listFiles(head, '');
    const a = await source.readFile(head, 'a.txt');
    const b = await source.readFile(head, 'b.txt');

    // Assess
    expect(files.map((entry) => entry.path)).toEqual(['a.txt', 'b.txt']);
    expect(text(a)).toBe('committed');
    expect(text(b)).toBe('committed');
  });

  it('throws GitReadError for an unknown commit', async () => {
    // Prepare
    const { source } = await repoWith({ 'a.txt': 'one' });

    // Act
    const result = source.listFiles('0123456789abcdef0123456789abcdef01234567', '');

    // Assess
    await expect(result).rejects.toBeInstanceOf(GitReadError);
  });
});

describe('LocalGitSource.readFile', () => {
  it('reads a file as committed at the given commit', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'a.txt': 'version 1' });
    const older = (await repo.git('rev-parse', 'HEAD')).trim();
    const newer = await repo.commit({ 'a.txt': 'version 2' }, 'update');

    // Act
    const atOlder = await source.readFile(older, 'a.txt');
    const atNewer = await source.readFile(newer, 'a.txt');

    // Assess
    expect(text(atOlder)).toBe('version 1');
    expect(text(atNewer)).toBe('version 2');
  });

  it('round-trips a binary file byte for byte', async () => {
    // Prepare
    const bytes = new Uint8Array([0x00, 0xff, 0x0d, 0x0a, 0x00, 0x80, 0xfe, 0x0a, 0x1b, 0xff, 0x00]);
    const { repo, source } = await repoWith({ 'bin/blob.dat': bytes });
    const head = (await repo.git('rev-parse', 'HEAD')).trim();

    // Act
    const content = await source.readFile(head, 'bin/blob.dat');

    // Assess
    expect(content).toBeInstanceOf(Uint8Array);
    expect(Array.from(content)).toEqual(Array.from(bytes));
  });

  it('throws GitReadError naming the path and commit for a missing file', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'a.txt': 'one' });
    const head = (await repo.git('rev-parse', 'HEAD')).trim();

    // Act
    const result = source.readFile(head, 'missing/file.yaml');

    // Assess
    await expect(result).rejects.toBeInstanceOf(GitReadError);
    await expect(result).rejects.toThrow(/missing\/file\.yaml/);
    await expect(result).rejects.toThrow(head);
  });

  it('throws GitReadError for a folder', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'dir/a.txt': 'one' });
    const head = (await repo.git('rev-parse', 'HEAD')).trim();

    // Act
    const result = source.readFile(head, 'dir');

    // Assess
    await expect(result).rejects.toBeInstanceOf(GitReadError);
  });

  it('reads a file of exactly MAX_FILE_BYTES and refuses one byte more with FileTooLargeError', async () => {
    // Prepare
    const { repo, source } = await repoWith({
      'at-limit.bin': new Uint8Array(MAX_FILE_BYTES),
      'over-limit.bin': new Uint8Array(MAX_FILE_BYTES + 1),
    });
    const head = (await repo.git('rev-parse', 'HEAD')).trim();

    // Act
    const atLimit = await source.readFile(head, 'at-limit.bin');
    const error = await source.readFile(head, 'over-limit.bin').catch((e: unknown) => e);

    // Assess
    expect(atLimit.byteLength).toBe(MAX_FILE_BYTES);
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect(error).toMatchObject({ path: 'over-limit.bin', sizeBytes: MAX_FILE_BYTES + 1, limitBytes: MAX_FILE_BYTES });
  });
});

describe('LocalGitSource.changedFiles', () => {
  it('reports added, modified, deleted and renamed files', async () => {
    // Prepare
    const { repo, source } = await repoWith({
      'keep.txt': 'keep',
      'edit.txt': 'before',
      'gone.txt': 'bye',
      'old-name.txt': 'a file long enough that git recognises the rename\n'.repeat(5),
    });
    const from = (await repo.git('rev-parse', 'HEAD')).trim();
    await repo.rename('old-name.txt', 'moved/new-name.txt');
    const to = await repo.commit({ 'edit.txt': 'after', 'gone.txt': null, 'new.txt': 'hello' }, 'changes');

    // Act
    const changes = await source.changedFiles(from, to);

    // Assess
    expect(changes).toEqual(
      expect.arrayContaining([
        { kind: 'modified', path: 'edit.txt' },
        { kind: 'deleted', path: 'gone.txt' },
        { kind: 'added', path: 'new.txt' },
        { kind: 'renamed', path: 'moved/new-name.txt', previousPath: 'old-name.txt' },
      ]),
    );
    expect(changes).toHaveLength(4);
  });

  it('reports a change of file type as modified', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'target.txt': 't', thing: 'regular file' });
    const from = (await repo.git('rev-parse', 'HEAD')).trim();
    await repo.write({ thing: null });
    await repo.symlink('thing', 'target.txt');
    const to = await repo.commit({}, 'now a link');

    // Act
    const changes = await source.changedFiles(from, to);

    // Assess
    expect(changes).toEqual([{ kind: 'modified', path: 'thing' }]);
  });

  it('keeps only changes under the prefix folder, seeing moves across its edge as arrivals and departures', async () => {
    // Prepare
    const long = (name: string) => `${name}: enough content for rename detection to pair the paths\n`.repeat(5);
    const { repo, source } = await repoWith({
      'services/a.yaml': 'a',
      'services/leaving.yaml': long('leaving'),
      'services/inner.yaml': long('inner'),
      'incoming.yaml': long('incoming'),
      'services-old/b.yaml': 'b',
    });
    const from = (await repo.git('rev-parse', 'HEAD')).trim();
    await repo.rename('services/leaving.yaml', 'archive/leaving.yaml');
    await repo.rename('services/inner.yaml', 'services/sub/inner.yaml');
    await repo.rename('incoming.yaml', 'services/incoming.yaml');
    const to = await repo.commit({ 'services/a.yaml': 'a2', 'services-old/b.yaml': 'b2' }, 'changes');

    // Act
    const changes = await source.changedFiles(from, to, 'services/');

    // Assess
    expect(changes).toEqual(
      expect.arrayContaining([
        { kind: 'modified', path: 'services/a.yaml' },
        { kind: 'deleted', path: 'services/leaving.yaml' },
        { kind: 'renamed', path: 'services/sub/inner.yaml', previousPath: 'services/inner.yaml' },
        { kind: 'added', path: 'services/incoming.yaml' },
      ]),
    );
    expect(changes).toHaveLength(4);
  });

  it('answers an empty list between a commit and itself', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'a.txt': 'one' });
    const head = (await repo.git('rev-parse', 'HEAD')).trim();

    // Act
    const changes = await source.changedFiles(head, head);

    // Assess
    expect(changes).toEqual([]);
  });

  it('throws GitReadError for an unknown commit', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'a.txt': 'one' });
    const head = (await repo.git('rev-parse', 'HEAD')).trim();

    // Act
    const result = source.changedFiles('0123456789abcdef0123456789abcdef01234567', head);

    // Assess
    await expect(result).rejects.toBeInstanceOf(GitReadError);
  });
});

describe('LocalGitSource.commitInfo', () => {
  it('answers id, parents, author, committer and message', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'a.txt': 'one' });
    const parent = (await repo.git('rev-parse', 'HEAD')).trim();
    const commit = await repo.commit({ 'a.txt': 'two' }, 'Update a\n\nWith a body line.', {
      author: { name: 'Ada Author', email: 'ada@example.com' },
      committer: { name: 'Cy Committer', email: 'cy@example.com' },
      date: '2024-05-06T07:08:09Z',
    });

    // Act
    const info = await source.commitInfo(commit);

    // Assess
    expect(info).toEqual({
      commitId: commit,
      parents: [parent],
      author: { name: 'Ada Author', email: 'ada@example.com', date: '2024-05-06T07:08:09.000Z' },
      committer: { name: 'Cy Committer', email: 'cy@example.com', date: '2024-05-06T07:08:09.000Z' },
      message: 'Update a\n\nWith a body line.',
    });
  });

  it('answers no parents for a root commit and two for a merge', async () => {
    // Prepare
    const { repo, source } = await repoWith({ 'a.txt': 'one' });
    const root = (await repo.git('rev-parse', 'HEAD')).trim();
    await repo.branch('side');
    const onMain = await repo.commit({ 'main.txt': 'm' }, 'on main');
    await repo.checkout('side');
    const onSide = await repo.commit({ 'side.txt': 's' }, 'on side');
    await repo.checkout('main');
    await repo.git('merge', '--no-ff', '--quiet', '-m', 'merge side', 'side');
    const merge = (await repo.git('rev-parse', 'HEAD')).trim();

    // Act
    const rootInfo = await source.commitInfo(root);
    const mergeInfo = await source.commitInfo(merge);

    // Assess
    expect(rootInfo.parents).toEqual([]);
    expect(rootInfo.message).toBe('initial');
    expect(mergeInfo.parents).toEqual([onMain, onSide]);
  });

  it('throws GitReadError for an unknown commit', async () => {
    // Prepare
    const { source } = await repoWith({ 'a.txt': 'one' });

    // Act
    const result = source.commitInfo('0123456789abcdef0123456789abcdef01234567');

    // Assess
    await expect(result).rejects.toBeInstanceOf(GitReadError);
  });
});
