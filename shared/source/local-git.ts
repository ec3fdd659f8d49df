/** A GitSource that reads a repository on local disk through the git CLI, at explicit commits only. */
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import {
  FileTooLargeError,
  GitReadError,
  type GitUnavailableError,
  gitReadFailure,
  RefNotFoundError,
} from '../errors.ts';
import { compareStrings } from '../util.ts';
import type { CommitInfo, FileChange, FileEntry, GitSource, Person } from './git-source.ts';
import { MAX_FILE_BYTES } from './git-source.ts';
import { CommitFileReader } from './local-git-files.ts';

export interface LocalGitSourceOptions {
  /** The repository: a working tree's top folder or a bare repository. */
  readonly repoDir: string;
  /** Longest a single git command may run before it is killed; defaults to two minutes. */
  readonly timeoutMs?: number;
  /** How long the file-reading git process waits for the next read before it ends; defaults to one second. */
  readonly idleMs?: number;
}

// Listings of big repositories can exceed a single file; the limit only guards against runaway output, and
// exceeding it fails the call rather than truncating.
const MAX_OUTPUT_BYTES = Math.max(MAX_FILE_BYTES * 4, 64 * 1024 * 1024);
const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_IDLE_MS = 1_000;

// Inherited from a parent git process (e.g. when run from a hook), these would point git at another
// repository than repoDir.
export const REPOSITORY_ENV_VARS = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
];

interface GitFailure {
  readonly exitCode: number | undefined;
  readonly stderr: string;
  readonly cause: unknown;
  readonly timedOut: boolean;
}

type GitResult = { readonly ok: true; readonly stdout: Buffer } | { readonly ok: false; readonly failure: GitFailure };

export class LocalGitSource implements GitSource {
  readonly description: string;
  /** Reads are pipelined into one process, so many in flight cost nothing and hide each answer's round trip. */
  readonly readConcurrency = 64;
  private readonly repoDir: string;
  private readonly timeoutMs: number;
  private readonly env: NodeJS.ProcessEnv;
  /** Every file read goes through one git process, not a process per file. */
  private readonly files: CommitFileReader;

  constructor(options: LocalGitSourceOptions) {
    this.repoDir = resolve(options.repoDir);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.description = `local git repository ${this.repoDir}`;
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of REPOSITORY_ENV_VARS) delete env[name];
    this.env = {
      ...env,
      GIT_TERMINAL_PROMPT: '0',
      LC_ALL: 'C',
      // A folder prefix is a path, never a glob.
      GIT_LITERAL_PATHSPECS: '1',
      // Without a ceiling, a repoDir that is not itself a repository but sits inside one would silently
      // read the enclosing repository.
      GIT_CEILING_DIRECTORIES: dirname(this.repoDir),
      // Reading must not take the index lock a concurrent git command in the same repository may need.
      GIT_OPTIONAL_LOCKS: '0',
    };
    this.files = new CommitFileReader({
      repoDir: this.repoDir,
      env: this.env,
      timeoutMs: this.timeoutMs,
      idleMs: options.idleMs ?? DEFAULT_IDLE_MS,
    });
  }

  /** Ends the file-reading git process; reads after this fail. Unclosed, the process ends itself when idle. */
  close(): Promise<void> {
    return this.files.close();
  }

  async resolveRef(ref: string): Promise<string> {
    if (ref === '' || ref.startsWith('-') || ref.includes('\0')) throw new RefNotFoundError(ref);
    const args = ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`];
    const result = await this.tryGit(args);
    if (!result.ok) {
      // --quiet makes an unknown ref exit 1 with no message; anything else (128: not a repository...) is a
      // real failure that must not be reported as a missing ref.
      if (result.failure.exitCode === 1 && result.failure.stderr.trim() === '') {
        throw new RefNotFoundError(ref, { cause: result.failure.cause });
      }
      throw this.failure(`cannot resolve ref '${ref}'`, args, result.failure);
    }
    const commitId = result.stdout.toString('utf8').trim();
    if (!isObjectId(commitId)) {
      throw new GitReadError(`cannot resolve ref '${ref}' in ${this.repoDir}: unexpected output '${commitId}'`);
    }
    return commitId;
  }

  async listFiles(commitId: string, prefix: string): Promise<FileEntry[]> {
    this.checkCommitId(commitId);
    const folder = normalizePrefix(prefix);
    const args = ['ls-tree', '-r', '-z', '--full-tree', '-l', commitId, ...(folder === '' ? [] : ['--', folder])];
    const stdout = await this.git(args, `cannot list files under '${folder}' at ${commitId}`);
    const entries: FileEntry[] = [];
    for (const record of splitNul(stdout)) {
      const tab = record.indexOf('\t');
      const [mode, type, blobId, size] = tab < 0 ? [] : record.slice(0, tab).split(/ +/);
      const path = record.slice(tab + 1);
      if (mode === undefined || type === undefined || blobId === undefined || size === undefined) {
        throw new GitReadError(`cannot list files at ${commitId} in ${this.repoDir}: unexpected entry '${record}'`);
      }
      // Submodules are commits of another repository: there is no content here to read.
      if (type !== 'blob') continue;
      // ls-tree matches its path argument as a file too; a prefix names a folder.
      if (folder !== '' && !path.startsWith(`${folder}/`)) continue;
      entries.push({
        path,
        blobId,
        type: mode === '120000' ? 'symlink' : 'file',
        sizeBytes: Number(size),
      });
    }
    this.files.remember(commitId, entries);
    return entries.sort((a, b) => compareStrings(a.path, b.path));
  }

  async readFile(commitId: string, path: string): Promise<Uint8Array> {
    this.checkCommitId(commitId);
    if (path.includes('\0')) throw new GitReadError(`cannot read '${path}' at ${commitId}: invalid path`);
    // cat-file --batch takes one name per line; such rare names take the two-command way.
    if (path.includes('\n')) return this.readFileByCommands(commitId, path);
    return this.files.read(commitId, path);
  }

  private async readFileByCommands(commitId: string, path: string): Promise<Uint8Array> {
    const object = `${commitId}:${path}`;
    const what = `cannot read '${path}' at ${commitId}`;
    // Sizing first keeps an oversized blob from ever being loaded into memory.
    const sizeText = (await this.git(['cat-file', '-s', object], what)).toString('utf8').trim();
    const sizeBytes = Number(sizeText);
    if (!Number.isSafeInteger(sizeBytes)) {
      throw new GitReadError(`${what} in ${this.repoDir}: unexpected size '${sizeText}'`);
    }
    if (sizeBytes > MAX_FILE_BYTES) throw new FileTooLargeError(path, sizeBytes, MAX_FILE_BYTES);
    const content = await this.git(['cat-file', 'blob', object], what);
    return new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
  }

  async changedFiles(fromCommitId: string, toCommitId: string, prefix?: string): Promise<FileChange[]> {
    this.checkCommitId(fromCommitId);
    this.checkCommitId(toCommitId);
    const folder = normalizePrefix(prefix ?? '');
    // diff-tree is plumbing: unlike `git diff`, user configuration (external diff, colour, relative paths)
    // cannot change its output.
    const args = [
      'diff-tree',
      '-r',
      '-z',
      '--name-status',
      '-M',
      fromCommitId,
      toCommitId,
      ...(folder === '' ? [] : ['--', folder]),
    ];
    const stdout = await this.git(args, `cannot compare ${fromCommitId} with ${toCommitId}`);
    const fields = splitNul(stdout);
    const changes: FileChange[] = [];
    const inFolder = (path: string) => folder === '' || path.startsWith(`${folder}/`);
    for (let i = 0; i < fields.length; ) {
      const status = fields[i++] ?? '';
      const letter = status.charAt(0);
      const takesTwoPaths = letter === 'R' || letter === 'C';
      const first = fields[i++];
      const second = takesTwoPaths ? fields[i++] : undefined;
      if (first === undefined || (takesTwoPaths && second === undefined)) {
        throw new GitReadError(
          `cannot compare ${fromCommitId} with ${toCommitId} in ${this.repoDir}: truncated output`,
        );
      }
      switch (letter) {
        case 'A':
        case 'M':
        case 'D':
        case 'T': {
          const kind = letter === 'A' ? 'added' : letter === 'D' ? 'deleted' : 'modified';
          if (inFolder(first)) changes.push({ kind, path: first });
          break;
        }
        case 'C':
          // The source of a copy is unchanged; only the new file is a change.
          if (second !== undefined && inFolder(second)) changes.push({ kind: 'added', path: second });
          break;
        case 'R': {
          const to = second ?? '';
          // Seen from inside the folder, a move across its edge is an arrival or a departure.
          if (inFolder(first) && inFolder(to)) changes.push({ kind: 'renamed', path: to, previousPath: first });
          else if (inFolder(to)) changes.push({ kind: 'added', path: to });
          else if (inFolder(first)) changes.push({ kind: 'deleted', path: first });
          break;
        }
        default:
          throw new GitReadError(
            `cannot compare ${fromCommitId} with ${toCommitId} in ${this.repoDir}: unexpected status '${status}'`,
          );
      }
    }
    return changes;
  }

  async commitInfo(commitId: string): Promise<CommitInfo> {
    this.checkCommitId(commitId);
    const args = [
      'show',
      '-s',
      '--no-show-signature',
      '--no-notes',
      '--pretty=format:%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B',
      // Peeling keeps an annotated tag's own header out of the output.
      `${commitId}^{commit}`,
      '--',
    ];
    const text = (await this.git(args, `cannot read commit ${commitId}`)).toString('utf8');
    const [id, parents, authorName, authorEmail, authorDate, committerName, committerEmail, committerDate, ...rest] =
      text.split('\0');
    if (id === undefined || !isObjectId(id) || committerDate === undefined || rest.length === 0) {
      throw new GitReadError(`cannot read commit ${commitId} in ${this.repoDir}: unexpected output`);
    }
    const person = (name?: string, email?: string, date?: string): Person => ({
      name: name ?? '',
      email: email ?? '',
      // Both adapters answer UTC, so a commit reads the same whichever source served it.
      date: date ? new Date(date).toISOString() : '',
    });
    return {
      commitId: id,
      parents: parents === undefined || parents === '' ? [] : parents.split(' '),
      author: person(authorName, authorEmail, authorDate),
      committer: person(committerName, committerEmail, committerDate),
      // git stores messages with a trailing newline; it is formatting, not content.
      message: rest.join('\0').replace(/\n+$/, ''),
    };
  }

  private checkCommitId(commitId: string): void {
    // A leading '-' would be taken as an option by git.
    if (commitId === '' || commitId.startsWith('-') || commitId.includes('\0')) {
      throw new GitReadError(`invalid commit id '${commitId}' for ${this.repoDir}`);
    }
  }

  private async git(args: readonly string[], what: string): Promise<Buffer> {
    const result = await this.tryGit(args);
    if (!result.ok) throw this.failure(what, args, result.failure);
    return result.stdout;
  }

  private failure(what: string, args: readonly string[], failure: GitFailure): GitReadError | GitUnavailableError {
    const exit = failure.timedOut
      ? `timed out after ${this.timeoutMs} ms`
      : failure.exitCode === undefined
        ? 'failed'
        : `exited with ${failure.exitCode}`;
    const stderr = failure.stderr.trim();
    const detail =
      stderr !== '' ? stderr : failure.cause instanceof Error ? failure.cause.message : String(failure.cause);
    return gitReadFailure(
      `${what} in ${this.repoDir}: git ${args.join(' ')} ${exit}: ${detail}`,
      failure.cause,
      failure.timedOut,
    );
  }

  private tryGit(args: readonly string[]): Promise<GitResult> {
    return new Promise((resolvePromise) => {
      try {
        execFile(
          'git',
          ['-C', this.repoDir, ...args],
          {
            encoding: 'buffer',
            maxBuffer: MAX_OUTPUT_BYTES,
            env: this.env,
            timeout: this.timeoutMs,
            windowsHide: true,
          },
          (error, stdout, stderr) => {
            if (error === null) {
              resolvePromise({ ok: true, stdout });
              return;
            }
            resolvePromise({
              ok: false,
              failure: {
                exitCode: typeof error.code === 'number' ? error.code : undefined,
                stderr: stderr.toString('utf8'),
                cause: error,
                // maxBuffer overflows also kill the child, but trying again cannot help those.
                timedOut: error.killed === true && error.code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER',
              },
            });
          },
        );
      } catch (error) {
        // execFile throws synchronously for arguments it cannot pass on (e.g. a NUL byte).
        resolvePromise({ ok: false, failure: { exitCode: undefined, stderr: '', cause: error, timedOut: false } });
      }
    });
  }
}

function normalizePrefix(prefix: string): string {
  return prefix.replace(/^\/+/, '').replace(/\/+$/, '');
}

function splitNul(output: Buffer): string[] {
  const fields = output.toString('utf8').split('\0');
  // -z terminates every record, so the last piece is always empty.
  if (fields.at(-1) === '') fields.pop();
  return fields;
}

function isObjectId(text: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(text);
}

// Code-unit order, not locale order, so listings are identical on every machine.
