/** Builds real git repositories in temporary folders, isolated from the user's git configuration, for tests. */
import { execFile } from 'node:child_process';
import { symlink as makeSymlink, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** File contents by repository-relative path; `null` deletes the file. */
export type FileChanges = Record<string, string | Uint8Array | null>;

export interface CommitOptions {
  readonly author?: { readonly name: string; readonly email: string };
  readonly committer?: { readonly name: string; readonly email: string };
  /** ISO-8601 time for both author and committer; by default each commit is one minute after the last. */
  readonly date?: string;
}

export interface TestRepo {
  readonly dir: string;
  /** Runs git in the repository and answers its stdout. */
  git(...args: string[]): Promise<string>;
  /** Writes (or deletes) files in the working tree without staging them. */
  write(files: FileChanges): Promise<void>;
  /** Writes and stages the files, then commits everything staged; answers the new commit id. */
  commit(files: FileChanges, message: string, options?: CommitOptions): Promise<string>;
  /** Stages a move (`git mv`); the next commit records it. */
  rename(from: string, to: string): Promise<void>;
  /** Creates and stages a symbolic link; the next commit records it. */
  symlink(path: string, target: string): Promise<void>;
  /** Creates a branch at HEAD without switching to it. */
  branch(name: string): Promise<void>;
  checkout(name: string): Promise<void>;
  cleanup(): Promise<void>;
}

export const DEFAULT_AUTHOR = { name: 'Test Author', email: 'author@example.com' } as const;

// The user's own configuration (hooks, signing, autocrlf, default branch) and a parent git process's
// variables must not change what a test builds.
function isolatedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('GIT_')) env[name] = value;
  }
  return { ...env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
}

/** A fresh empty folder under the system temp dir. */
export function makeTempDir(label = 'driftless-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), label));
}

/** A repository on branch `main`; when `files` is given they form a first commit "initial". */
export async function makeRepo(files?: FileChanges): Promise<TestRepo> {
  const dir = await makeTempDir('driftless-repo-');
  const env = isolatedEnv();
  // Fixed, increasing times make commit ids reproducible and history order unambiguous.
  let clock = Date.parse('2024-01-01T00:00:00Z');

  const git = async (...args: string[]): Promise<string> => {
    const { stdout } = await execFileAsync('git', args, { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  };

  const write = async (changes: FileChanges): Promise<void> => {
    for (const [path, content] of Object.entries(changes)) {
      const full = join(dir, path);
      if (content === null) {
        await rm(full, { force: true });
      } else {
        await mkdir(dirname(full), { recursive: true });
        await writeFile(full, content);
      }
    }
  };

  const repo: TestRepo = {
    dir,
    git,
    write,
    async commit(changes, message, options = {}) {
      await write(changes);
      const paths = Object.keys(changes);
      if (paths.length > 0) await git('add', '--all', '--', ...paths);
      clock += 60_000;
      const date = options.date ?? new Date(clock).toISOString();
      const author = options.author ?? DEFAULT_AUTHOR;
      const committer = options.committer ?? author;
      await execFileAsync('git', ['commit', '--quiet', '--message', message], {
        cwd: dir,
        env: {
          ...env,
          GIT_AUTHOR_NAME: author.name,
          GIT_AUTHOR_EMAIL: author.email,
          GIT_AUTHOR_DATE: date,
          GIT_COMMITTER_NAME: committer.name,
          GIT_COMMITTER_EMAIL: committer.email,
          GIT_COMMITTER_DATE: date,
        },
      });
      return (await git('rev-parse', 'HEAD')).trim();
    },
    async rename(from, to) {
      await mkdir(dirname(join(dir, to)), { recursive: true });
      await git('mv', from, to);
    },
    async symlink(path, target) {
      const full = join(dir, path);
      await mkdir(dirname(full), { recursive: true });
      await makeSymlink(target, full);
      await git('add', '--', path);
    },
    async branch(name) {
      await git('branch', name);
    },
    async checkout(name) {
      await git('checkout', '--quiet', name);
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };

  await git('init', '--quiet', '--initial-branch=main');
  await git('config', 'user.name', DEFAULT_AUTHOR.name);
  await git('config', 'user.email', DEFAULT_AUTHOR.email);
  await git('config', 'commit.gpgsign', 'false');
  await git('config', 'tag.gpgsign', 'false');
  await git('config', 'core.autocrlf', 'false');
  if (files !== undefined) await repo.commit(files, 'initial');
  return repo;
}
