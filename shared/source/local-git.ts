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
import { BatchProcessError, CatFileBatch } from './cat-file-batch.ts';
import type { CommitInfo, FileChange, FileEntry, GitSource, Person } from './git-source.ts';
import { MAX_FILE_BYTES } from './git-source.ts';

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
// A run reads one commit (two when comparing); a few listings cover that without growing with history.
const LISTINGS_KEPT = 4;

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
  /** Every file read goes through this one process, not a process per file. */
  private readonly reader: CatFileBatch;
  /** Entries of listed commits by path, so a read is by blob id and its size is known before it is read. */
  private readonly listings = new Map<string, Map<string, FileEntry>>();

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
    this.reader = new CatFileBatch({
      args: ['-C', this.repoDir],
      env: this.env,
      timeoutMs: this.timeoutMs,
      idleMs: options.idleMs ?? DEFAULT_IDLE_MS,
      maxContentBytes: MAX_FILE_BYTES,
    });
  }

  /** Ends the file-reading git process; reads after this fail. Unclosed, the process ends itself when idle. */
  close(): Promise<void> {
    return this.reader.close();
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
    this.remember(commitId, entries);
    return entries.sort((a, b) => compareStrings(a.path, b.path));
  }

  async readFile(commitId: string, path: string): Promise<Uint8Array> {
    this.checkCommitId(commitId);
    if (path.includes('\0')) throw new GitReadError(`cannot read '${path}' at ${commitId}: invalid path`);
    const what = `cannot read '${path}' at ${commitId}`;
    const listed = this.listings.get(commitId)?.get(path);
    if (listed?.sizeBytes !== undefined && listed.sizeBytes > MAX_FILE_BYTES) {
      throw new FileTooLargeError(path, listed.sizeBytes, MAX_FILE_BYTES);
    }
    const objectName = listed?.blobId ?? `${commitId}:${path}`;
    // cat-file --batch takes one name per line; such rare names take the two-command way.
    if (objectName.includes('\n')) return this.readFileByCommands(commitId, path);
    let object: Awaited<ReturnType<CatFileBatch['read']>>;
    try {
      object = await this.reader.read(objectName);
    } catch (error) {
      throw this.readerFailure(what, error);
    }
    if (!object.found) {
      throw new GitReadError(`${what} in ${this.repoDir}: no such file (git cat-file: ${object.reason})`);
    }
    if (object.type !== 'blob') {
      throw new GitReadError(`${what} in ${this.repoDir}: it is a ${object.type}, not a file`);
    }
    if (object.sizeBytes > MAX_FILE_BYTES || object.content === undefined) {
      throw new FileTooLargeError(path, object.sizeBytes, MAX_FILE_BYTES);
    }
    const content = object.content;
    return new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
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

  private remember(commitId: string, entries: readonly FileEntry[]): void {
    // A ref name moves; only a full commit id names the same files forever.
    if (!isObjectId(commitId)) return;
    const known = this.listings.get(commitId) ?? new Map<string, FileEntry>();
    // A name git printed in bytes that are not UTF-8 was decoded lossily; it is read by path, as it always was.
    for (const entry of entries) if (!entry.path.includes('\uFFFD')) known.set(entry.path, entry);
    this.listings.delete(commitId);
    this.listings.set(commitId, known);
    for (const oldest of this.listings.keys()) {
      if (this.listings.size <= LISTINGS_KEPT) break;
      this.listings.delete(oldest);
    }
  }

  private readerFailure(what: string, error: unknown): GitReadError | GitUnavailableError {
    if (!(error instanceof BatchProcessError)) {
      return new GitReadError(`${what} in ${this.repoDir}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    const { failure } = error;
    // A process that stalled or was killed from outside may well answer on a fresh start; the next read starts one.
    const passing = failure.timedOut || (failure.signal !== undefined && failure.exitCode === undefined);
    return gitReadFailure(`${what} in ${this.repoDir}: ${error.message}`, error, passing);
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
