/** Reads a local repository's files at a commit through one long-lived `git cat-file --batch` process, by the blob
 * ids of the commit's listing where it has one, so reading N files costs one process, not 2N. */
import { FileTooLargeError, GitReadError, type GitUnavailableError, gitReadFailure } from '../errors.ts';
import { BoundedCache } from './bounded-cache.ts';
import { type BatchObject, BatchProcessError, CatFileBatch } from './cat-file-batch.ts';
import type { FileEntry } from './git-source.ts';
import { MAX_FILE_BYTES } from './git-source.ts';

// A run reads one commit (two when comparing); a few listings cover that without growing with history.
const LISTINGS_KEPT = 4;
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export interface CommitFileReaderOptions {
  readonly repoDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly idleMs: number;
}

export class CommitFileReader {
  private readonly batch: CatFileBatch;
  /** Entries of listed commits by path, so a read is by blob id and its size is known before it is read. */
  private readonly listings = new BoundedCache<string, Map<string, FileEntry>>(LISTINGS_KEPT);

  constructor(private readonly options: CommitFileReaderOptions) {
    this.batch = new CatFileBatch({
      args: ['-C', options.repoDir],
      env: options.env,
      timeoutMs: options.timeoutMs,
      idleMs: options.idleMs,
      maxContentBytes: MAX_FILE_BYTES,
    });
  }

  /** Keeps a commit's listing, so later reads of its files go by blob id. */
  remember(commitId: string, entries: readonly FileEntry[]): void {
    // A ref name moves; only a full commit id names the same files forever.
    if (!OBJECT_ID.test(commitId)) return;
    const known = this.listings.get(commitId) ?? new Map<string, FileEntry>();
    // A name git printed in bytes that are not UTF-8 was decoded lossily; it is read by path, as it always was.
    for (const entry of entries) if (!entry.path.includes('\uFFFD')) known.set(entry.path, entry);
    this.listings.set(commitId, known);
  }

  /** The file's bytes; `path` must not hold a newline (the batch protocol is one name per line). */
  async read(commitId: string, path: string): Promise<Uint8Array> {
    const what = `cannot read '${path}' at ${commitId} in ${this.options.repoDir}`;
    const listed = this.listings.get(commitId)?.get(path);
    if (listed?.sizeBytes !== undefined && listed.sizeBytes > MAX_FILE_BYTES) {
      throw new FileTooLargeError(path, listed.sizeBytes, MAX_FILE_BYTES);
    }
    let object: BatchObject;
    try {
      object = await this.batch.read(listed?.blobId ?? `${commitId}:${path}`);
    } catch (error) {
      throw readFailure(what, error);
    }
    if (!object.found) throw new GitReadError(`${what}: no such file (git cat-file: ${object.reason})`);
    if (object.type !== 'blob') throw new GitReadError(`${what}: it is a ${object.type}, not a file`);
    if (object.sizeBytes > MAX_FILE_BYTES || object.content === undefined) {
      throw new FileTooLargeError(path, object.sizeBytes, MAX_FILE_BYTES);
    }
    const content = object.content;
    return new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
  }

  close(): Promise<void> {
    return this.batch.close();
  }
}

function readFailure(what: string, error: unknown): GitReadError | GitUnavailableError {
  if (!(error instanceof BatchProcessError)) {
    return new GitReadError(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const { failure } = error;
  // A process that stalled or was killed from outside may well answer on a fresh start; the next read starts one.
  const passing = failure.timedOut || (failure.signal !== undefined && failure.exitCode === undefined);
  return gitReadFailure(`${what}: ${error.message}`, error, passing);
}
