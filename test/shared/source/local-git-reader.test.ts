import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { GitReadError, GitUnavailableError } from '../../../shared/errors.ts';
import { LocalGitSource } from '../../../shared/source/local-git.ts';
import { makeRepo, makeTempDir, type TestRepo } from '../../support/git-repo.ts';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function repoWith(
  files: Parameters<typeof makeRepo>[0],
  idleMs?: number,
): Promise<{ repo: TestRepo; source: LocalGitSource; head: string }> {
  const repo = await makeRepo(files);
  const source = new LocalGitSource({ repoDir: repo.dir, ...(idleMs === undefined ? {} : { idleMs }) });
  cleanups.push(async () => {
    await source.close();
    await repo.cleanup();
  });
  return { repo, source, head: (await repo.git('rev-parse', 'HEAD')).trim() };
}

/** The `git cat-file --batch` processes this test process started for `repoDir`, read from /proc (Linux). */
async function catFileProcesses(repoDir: string): Promise<{ pid: number; state: string }[]> {
  const found: { pid: number; state: string }[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = await readFile(`/proc/${name}/status`, 'utf8');
      const parent = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      if (parent !== process.pid) continue;
      const command = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0');
      if (!command.includes('cat-file') || !command.includes(repoDir)) continue;
      found.push({ pid: Number(name), state: /^State:\s+(\S)/m.exec(status)?.[1] ?? '?' });
    } catch {
      // The process ended between listing and reading: it is not running.
    }
  }
  return found;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const PIPE = 64 * 1024;

describe('LocalGitSource file reader (one git cat-file --batch process)', () => {
  it('reads many files of every size around the pipe buffer, binary and empty, byte for byte, with one process', async () => {
    // Prepare
    const files: Record<string, Uint8Array> = {};
    for (const size of [0, 1, 2, PIPE - 1, PIPE, PIPE + 1, 2 * PIPE - 1, 2 * PIPE + 1, 1024 * 1024 + 7]) {
      files[`sized/${size}.bin`] = randomBytes(size);
    }
    // Lines, NULs and bytes that look like a cat-file header inside content must not confuse the parser.
    files['sized/header-like.bin'] = Buffer.from('0123 blob 5\nabcde\nx missing\n\0\n');
    for (let index = 0; index < 300; index++) files[`many/file-${index}.yaml`] = Buffer.from(`index: ${index}\n`);
    const { repo, source, head } = await repoWith(files);

    // Act
    const entries = await source.listFiles(head, '');
    const contents = await Promise.all(entries.map((entry) => source.readFile(head, entry.path)));
    const processes = await catFileProcesses(repo.dir);

    // Assess
    expect(entries).toHaveLength(Object.keys(files).length);
    entries.forEach((entry, index) => {
      expect(Buffer.from(contents[index]!).equals(Buffer.from(files[entry.path]!)), entry.path).toBe(true);
    });
    expect(processes).toHaveLength(1);
  });

  it('answers interleaved reads of present, missing and folder paths each with its own result', async () => {
    // Prepare
    const { repo, source, head } = await repoWith({
      'a.txt': 'alpha',
      'dir/b.txt': 'beta',
      'big.bin': randomBytes(PIPE * 3),
    });
    const asks = ['a.txt', 'missing.txt', 'dir/b.txt', 'dir', 'big.bin', 'a.txt', 'dir/missing', 'dir/b.txt'];

    // Act
    const results = await Promise.allSettled(asks.map((path) => source.readFile(head, path)));
    const processes = await catFileProcesses(repo.dir);

    // Assess
    const summary = results.map((result) =>
      result.status === 'fulfilled' ? Buffer.from(result.value).subarray(0, 5).toString('latin1') : 'error',
    );
    const big = results[4]?.status === 'fulfilled' ? results[4].value.byteLength : 0;
    expect(summary.map((s, i) => (i === 4 ? 'big' : s))).toEqual([
      'alpha',
      'error',
      'beta',
      'error',
      'big',
      'alpha',
      'error',
      'beta',
    ]);
    expect(big).toBe(PIPE * 3);
    for (const index of [1, 3, 6]) {
      const rejected = results[index] as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(GitReadError);
      expect(rejected.reason).not.toBeInstanceOf(GitUnavailableError);
    }
    expect((results[1] as PromiseRejectedResult).reason.message).toMatch(/missing\.txt/);
    expect(processes).toHaveLength(1);
  });

  it('reads a listed file by its blob id and an unlisted path by name, at older and newer commits', async () => {
    // Prepare
    const { repo, source, head: older } = await repoWith({ 'services/a.yaml': 'v1', 'other.txt': 'o1' });
    const newer = await repo.commit({ 'services/a.yaml': 'v2', 'other.txt': 'o2' }, 'update');
    await source.listFiles(newer, 'services');

    // Act
    const read = await Promise.all([
      source.readFile(newer, 'services/a.yaml'),
      source.readFile(newer, 'other.txt'),
      source.readFile(older, 'services/a.yaml'),
      source.readFile('main', 'other.txt'),
    ]);

    // Assess
    expect(read.map((bytes) => Buffer.from(bytes).toString('utf8'))).toEqual(['v2', 'o2', 'v1', 'o2']);
  });

  it('reads names with spaces, non-ASCII characters and a newline', async () => {
    // Prepare
    const { source, head } = await repoWith({ 'with space.yaml': 's', 'naïve/é.yaml': 'e', 'two\nlines.yaml': 'n' });

    // Act
    const entries = await source.listFiles(head, '');
    const read = await Promise.all(entries.map((entry) => source.readFile(head, entry.path)));

    // Assess
    expect(entries.map((entry) => entry.path)).toEqual(['naïve/é.yaml', 'two\nlines.yaml', 'with space.yaml']);
    expect(read.map((bytes) => Buffer.from(bytes).toString('utf8'))).toEqual(['e', 'n', 's']);
  });

  it('fails the pending reads with a retryable error when git is killed mid-use, and starts a new process after', async () => {
    // Prepare
    const content = randomBytes(2 * 1024 * 1024);
    const { repo, source, head } = await repoWith({ 'big.bin': content, 'small.txt': 'small' });
    // A first read starts the process, so the kill below can follow the first big answer without a pause.
    await source.readFile(head, 'small.txt');
    const [victim] = await catFileProcesses(repo.dir);
    const reads = Array.from({ length: 60 }, () =>
      source.readFile(head, 'big.bin').then(
        (bytes) => ({ ok: Buffer.from(bytes).equals(content) }),
        (error: unknown) => ({ error }),
      ),
    );

    // Act
    await reads[0];
    process.kill(victim!.pid, 'SIGKILL');
    const outcomes = await Promise.all(reads);
    const after = await source.readFile(head, 'small.txt');
    const running = await catFileProcesses(repo.dir);

    // Assess
    const failed = outcomes.filter((outcome) => 'error' in outcome);
    expect(failed.length).toBeGreaterThan(0);
    for (const outcome of failed) {
      const error = (outcome as { error: unknown }).error;
      expect(error).toBeInstanceOf(GitUnavailableError);
      expect((error as Error).message).toMatch(/SIGKILL/);
    }
    // Every read that did finish has the whole, right content: nothing from a dying stream leaks into an answer.
    expect(outcomes.filter((outcome) => 'ok' in outcome).every((outcome) => 'ok' in outcome && outcome.ok)).toBe(true);
    expect(Buffer.from(after).toString('utf8')).toBe('small');
    expect(running.map((p) => p.pid)).not.toContain(victim!.pid);
    expect(running).toHaveLength(1);
  });

  it('ends its process on close, leaving no zombie, and refuses reads after', async () => {
    // Prepare
    const { repo, source, head } = await repoWith({ 'a.txt': 'alpha' });
    await source.readFile(head, 'a.txt');
    const [running] = await catFileProcesses(repo.dir);

    // Act
    await source.close();
    const afterClose = await source.readFile(head, 'a.txt').catch((error: unknown) => error);
    const left = await catFileProcesses(repo.dir);

    // Assess
    expect(running?.state).not.toBe('Z');
    expect(left).toEqual([]);
    expect(afterClose).toBeInstanceOf(GitReadError);
    expect(afterClose).not.toBeInstanceOf(GitUnavailableError);
  });

  it('lets reads pending at close finish, then ends the process', async () => {
    // Prepare
    const content = randomBytes(1024 * 1024);
    const { repo, source, head } = await repoWith({ 'big.bin': content });
    const reads = Array.from({ length: 20 }, () => source.readFile(head, 'big.bin'));

    // Act
    await source.close();
    const left = await catFileProcesses(repo.dir);
    const outcomes = await Promise.all(reads);

    // Assess
    expect(left).toEqual([]);
    expect(outcomes.every((bytes) => Buffer.from(bytes).equals(content))).toBe(true);
  });

  it('ends an idle process by itself and starts a new one for the next read', async () => {
    // Prepare
    const { repo, source, head } = await repoWith({ 'a.txt': 'alpha' }, 500);
    await source.readFile(head, 'a.txt');
    const [first] = await catFileProcesses(repo.dir);

    // Act
    const gone = await waitFor(async () => ((await catFileProcesses(repo.dir)).length === 0 ? true : undefined));
    const again = await source.readFile(head, 'a.txt');
    const [second] = await catFileProcesses(repo.dir);

    // Assess
    expect(first).toBeDefined();
    expect(gone).toBe(true);
    expect(Buffer.from(again).toString('utf8')).toBe('alpha');
    expect(second?.pid).not.toBe(first?.pid);
  });

  it('fails a read from a folder that is not a repository with a terminal GitReadError naming git', async () => {
    // Prepare
    const dir = await makeTempDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const source = new LocalGitSource({ repoDir: dir });

    // Act
    const error = await source.readFile('0'.repeat(40), 'a.txt').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(GitReadError);
    expect(error).not.toBeInstanceOf(GitUnavailableError);
    expect((error as Error).message).toMatch(/not a git repository/);
  });

  it('never keeps Node running: a script that reads and never closes exits at once', async () => {
    // Prepare
    const repo = await makeRepo({ 'a.txt': 'alpha' });
    cleanups.push(() => repo.cleanup());
    const module = fileURLToPath(new URL('../../../shared/source/local-git.ts', import.meta.url));
    const script = `
      const { LocalGitSource } = await import(${JSON.stringify(module)});
      const source = new LocalGitSource({ repoDir: ${JSON.stringify(repo.dir)}, idleMs: 600000 });
      const bytes = await source.readFile('HEAD', 'a.txt');
      console.log(Buffer.from(bytes).toString('utf8'));`;

    // Act
    const started = Date.now();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { timeout: 30_000 },
    );
    const elapsedMs = Date.now() - started;

    // Assess
    expect(stdout.trim()).toBe('alpha');
    // Far below the ten-minute idle time: the exit did not wait for the reader to go idle.
    expect(elapsedMs).toBeLessThan(20_000);
  });
});
