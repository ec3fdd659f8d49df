/** What loading declarations needs of a Git source: the files at a commit and their content. The GitSource port
 * (shared/source/git-source.ts) extends this, so the pure layer names no adapter. */

/**
 * Largest file driftless reads. CodeCommit's GetFile/GetBlob return at most 6 MB, so a larger file could
 * never be read in production; the local adapter enforces the same limit so both behave alike.
 */
export const MAX_FILE_BYTES = 6 * 1024 * 1024;

export interface FileEntry {
  /** Path relative to the repository root, '/'-separated, no leading slash. */
  readonly path: string;
  /** Git blob id (sha-1 hex). */
  readonly blobId: string;
  /** 'file' for regular and executable files, 'symlink' for symbolic links (never followed). */
  readonly type: 'file' | 'symlink';
  /** Size in bytes when the adapter knows it without reading the content. */
  readonly sizeBytes?: number;
}

/** The reads loadRepository makes: a ref to a commit, the files under a folder, one file's bytes. */
export interface RepositoryReader {
  /** How many reads may be in flight at once; a source that pipelines its reads (local git) allows more than a
   * throttled API does. */
  readonly readConcurrency?: number;
  resolveRef(ref: string): Promise<string>;
  listFiles(commitId: string, prefix: string): Promise<FileEntry[]>;
  readFile(commitId: string, path: string): Promise<Uint8Array>;
}
