/** The GitSource port: how the core reads a configuration repository, whatever hosts it. */
import type { FileEntry, RepositoryReader } from '../spec/files.ts';

export type { FileEntry } from '../spec/files.ts';
export { MAX_FILE_BYTES } from '../spec/files.ts';

export type ChangeKind = 'added' | 'modified' | 'deleted' | 'renamed';

export interface FileChange {
  readonly kind: ChangeKind;
  /** Path after the change (for 'deleted', the path that was removed). */
  readonly path: string;
  /** For 'renamed', the path before. */
  readonly previousPath?: string;
}

export interface Person {
  readonly name: string;
  readonly email: string;
  /** ISO-8601 time. */
  readonly date: string;
}

export interface CommitInfo {
  readonly commitId: string;
  readonly parents: readonly string[];
  readonly author: Person;
  readonly committer: Person;
  readonly message: string;
}

/**
 * Reads a repository at explicit commits only: nothing is read from a working tree, so what a run sees is
 * exactly what is committed. Every failure throws a GitReadError; no method answers "empty" for "unreadable".
 */
export interface GitSource extends RepositoryReader {
  /** Human-readable name of the repository, used in messages. */
  readonly description: string;
  /** Resolves a branch name (or, where the adapter allows, any ref) to its head commit id. */
  resolveRef(ref: string): Promise<string>;
  /** Every file under `prefix` (a folder path, '' for the root) at `commitId`, recursively. */
  listFiles(commitId: string, prefix: string): Promise<FileEntry[]>;
  /** The content of the file at `path` in `commitId`. Throws FileTooLargeError over MAX_FILE_BYTES. */
  readFile(commitId: string, path: string): Promise<Uint8Array>;
  /** Files that differ between two commits, optionally only under `prefix`. */
  changedFiles(fromCommitId: string, toCommitId: string, prefix?: string): Promise<FileChange[]>;
  /** Author, committer, message and parents of a commit. */
  commitInfo(commitId: string): Promise<CommitInfo>;
}
